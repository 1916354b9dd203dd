import type { AgentFeatures } from './agent-features.js';
import type { Baseline } from './agent-baseline.js';
import type { CappedCounter } from './capped-counter.js';
import type { DetectionCatalog } from './detection-catalog.js';
import type { EventFacts } from './event-facts.js';
import type { KeyedPeaks } from './keyed-peaks.js';
import type { DecayingPeak } from './robust-stats.js';

/**
 * Everything a detector may look at for one record: its facts, the agent's live features,
 * and the baselines to compare with. The engine refills one instance per record.
 *
 * The reference is the agent's own baseline once it is mature; before that, the mature
 * baselines of its roles (a new agent of a known role is not blind); with neither, detectors
 * that need a notion of normal stay quiet.
 */
export class DetectionContext {
  facts!: EventFacts;
  live!: AgentFeatures;
  agent!: Baseline;
  agentName = '';
  agentRoles: readonly string[] = [];
  agentMature = false;
  /** The baselines of all the agent's roles, and the mature ones among them. */
  readonly roles: Baseline[] = [];
  readonly matureRoles: Baseline[] = [];
  catalog: DetectionCatalog | undefined = undefined;
  /** Operations granted to the agent recently (`api.operation` → epoch ms). */
  grants: ReadonlyMap<string, number> | undefined = undefined;
  graceMs = 0;

  /** There is a notion of normal to compare with. */
  get hasReference(): boolean {
    return this.agentMature || this.matureRoles.length > 0;
  }

  /** The peak to compare with: the agent's own once mature, else the highest of its mature roles. */
  peak(select: (baseline: Baseline) => DecayingPeak): number {
    if (this.agentMature) return select(this.agent).value;
    let highest = 0;
    for (const role of this.matureRoles) highest = Math.max(highest, select(role).value);
    return highest;
  }

  /** The agent or any of its roles has learned `key` in the selected set. */
  knows(select: (baseline: Baseline) => CappedCounter, key: string): boolean {
    if (select(this.agent).has(key)) return true;
    for (const role of this.roles) if (select(role).has(key)) return true;
    return false;
  }

  /** The highest count the agent or any of its roles learned for `key`. */
  learnedCount(select: (baseline: Baseline) => CappedCounter, key: string): number {
    let highest = select(this.agent).get(key);
    for (const role of this.roles) highest = Math.max(highest, select(role).get(key));
    return highest;
  }

  /** A per-key peak (e.g. per operation) from the reference: the agent's once mature, else the highest of its mature roles. */
  keyPeak(select: (baseline: Baseline) => CappedCounter, key: string): number {
    if (this.agentMature) return select(this.agent).get(key);
    let highest = 0;
    for (const role of this.matureRoles) highest = Math.max(highest, select(role).get(key));
    return highest;
  }

  /** A keyed daily peak (e.g. one API's busiest day) from the reference: the agent's once mature, else the highest of its mature roles. */
  dayPeakOf(select: (baseline: Baseline) => KeyedPeaks, key: string): number {
    return this.agentMature ? select(this.agent).get(key) : this.roleDayPeakOf(select, key);
  }

  /** The highest keyed daily peak of the agent's mature roles: the busiest day any of its peers had (0 without a mature role). */
  roleDayPeakOf(select: (baseline: Baseline) => KeyedPeaks, key: string): number {
    let highest = 0;
    for (const role of this.matureRoles) highest = Math.max(highest, select(role).get(key));
    return highest;
  }

  /** The baseline whose day totals are the reference: the agent's once mature, else its first mature role's. */
  get dayReference(): Baseline | undefined {
    return this.agentMature ? this.agent : this.matureRoles[0];
  }

  /** The reference has learned `key`: the agent's own baseline once mature, else it or a mature role's. */
  referenceKnows(select: (baseline: Baseline) => CappedCounter, key: string): boolean {
    if (select(this.agent).has(key)) return true;
    if (this.agentMature) return false;
    for (const role of this.matureRoles) if (select(role).has(key)) return true;
    return false;
  }

  /** Words for the reference in a sentence: "this agent's" or "its role's (name)". */
  get referenceName(): string {
    return this.agentMature ? "this agent's" : `its role's (${this.agentRoles.join(', ')})`;
  }

  /** The operation was granted to the agent within the grace period. */
  grantedRecently(op: string): boolean {
    const at = this.grants?.get(op);
    return at !== undefined && this.facts.timeMs - at <= this.graceMs && this.facts.timeMs >= at - this.graceMs;
  }

  /** Some operation of `api` was granted to the agent within the grace period. */
  grantedApiRecently(api: string): boolean {
    if (this.grants === undefined) return false;
    const prefix = `${api}.`;
    for (const op of this.grants.keys()) if (op.startsWith(prefix) && this.grantedRecently(op)) return true;
    return false;
  }

  /** The API is outside every API the agent's roles grant (catalog), or — without a catalog — the refusal says so. */
  outsideRoles(): boolean {
    const roleApis = this.catalog?.roleApis;
    if (roleApis === undefined || roleApis.size === 0) {
      const reason = this.facts.event.decision.reason;
      return reason === 'WARDEN_AUTHZ_NOT_GRANTED' || reason === 'WARDEN_AUTHZ_FORBIDDEN';
    }
    for (const role of this.agentRoles) if (roleApis.get(role)?.has(this.facts.apiName)) return false;
    return true;
  }
}

/** Selectors for `peak` and `knows`, shared so no closure is made per record. */
export const select = {
  ops: (b: Baseline) => b.ops,
  apis: (b: Baseline) => b.apis,
  denied: (b: Baseline) => b.denied,
  networks: (b: Baseline) => b.networks,
  wideNetworks: (b: Baseline) => b.wideNetworks,
  countries: (b: Baseline) => b.countries,
  dataClasses: (b: Baseline) => b.dataClasses,
  transitions: (b: Baseline) => b.transitions,
  idPeaks: (b: Baseline) => b.idPeaks,
  sequencePeaks: (b: Baseline) => b.sequencePeaks,
  calls10s: (b: Baseline) => b.calls10s,
  calls1m: (b: Baseline) => b.calls1m,
  records5m: (b: Baseline) => b.records5m,
  bytes5m: (b: Baseline) => b.bytes5m,
  customersHour: (b: Baseline) => b.customersHour,
  fanout10m: (b: Baseline) => b.fanout10m,
  dayCalls: (b: Baseline) => b.dayCalls,
  dayRecords: (b: Baseline) => b.dayRecords,
  dayBytes: (b: Baseline) => b.dayBytes,
  apiDayRecords: (b: Baseline) => b.apiDayRecords,
  apiDayBytes: (b: Baseline) => b.apiDayBytes,
} as const;
