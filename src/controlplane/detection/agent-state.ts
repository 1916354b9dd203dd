import { AgentFeatures } from './agent-features.js';
import { Baseline } from './agent-baseline.js';
import { DETECTORS } from './detection-types.js';
import { finite } from './robust-stats.js';

/**
 * Everything the engine keeps about one agent: its learned baseline, its live features,
 * the operations granted to it recently, and when each detector last alerted about it.
 * Baseline, grants and cooldowns are exported; live features are not.
 */
export class AgentState {
  readonly live = new AgentFeatures();
  /** `api.operation` → epoch ms it was granted. */
  readonly grants = new Map<string, number>();
  /** Per detector (DETECTORS order): time and severity rank of the last alert. */
  readonly lastAlert = new Float64Array(DETECTORS.length).fill(-Infinity);
  readonly lastRank = new Int8Array(DETECTORS.length).fill(-1);
  roles: readonly string[] = [];

  constructor(readonly baseline: Baseline) {}

  /** Forgets grants older than `graceMs` before `nowMs`. */
  pruneGrants(nowMs: number, graceMs: number): void {
    for (const [op, at] of this.grants) if (nowMs - at > graceMs) this.grants.delete(op);
  }

  toJSON(): Record<string, unknown> {
    const cooldowns: [string, number, number][] = [];
    DETECTORS.forEach((detector, i) => {
      if (this.lastRank[i]! >= 0) cooldowns.push([detector, this.lastAlert[i]!, this.lastRank[i]!]);
    });
    return { ...this.baseline.toJSON(), roles: this.roles, grants: [...this.grants], cooldowns };
  }

  /** An agent from `toJSON` output; broken fields are left at their defaults. */
  static fromJSON(json: Record<string, unknown>): AgentState {
    const state = new AgentState(Baseline.fromJSON(json));
    if (Array.isArray(json.roles)) state.roles = json.roles.filter((role): role is string => typeof role === 'string');
    if (Array.isArray(json.grants)) {
      for (const entry of json.grants) if (Array.isArray(entry) && typeof entry[0] === 'string') state.grants.set(entry[0], finite(entry[1]));
    }
    if (Array.isArray(json.cooldowns)) {
      for (const entry of json.cooldowns) {
        const index = Array.isArray(entry) ? DETECTORS.indexOf(entry[0] as (typeof DETECTORS)[number]) : -1;
        if (index < 0) continue;
        state.lastAlert[index] = finite(entry[1]);
        state.lastRank[index] = finite(entry[2]);
      }
    }
    return state;
  }
}
