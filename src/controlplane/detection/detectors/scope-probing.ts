import type { DetectionContext } from '../detection-context.js';
import { select } from '../detection-context.js';
import { TEN_MINUTES } from '../agent-features.js';
import { clampScore, type Detector, type Finding } from './detector.js';

/** Distinct refused operations in the window that make probing. */
const MIN_OPERATIONS = 3;
/** A refusal seen this often in normal traffic is a known misconfiguration, not probing. */
const KNOWN_REFUSAL = 3;

/**
 * Three or more distinct operations refused by authorisation within 10 minutes — the shape
 * of an agent (or whoever drives it) feeling out what it can reach. Retries of one refused
 * operation count once; more APIs outside the roles, or sensitive ones, rank higher.
 */
export function scopeProbingDetector(): Detector {
  return {
    name: 'scope-probing',
    inspect(ctx: DetectionContext): Finding | undefined {
      if (!ctx.facts.denied) return undefined;
      const live = ctx.live;
      const since = ctx.facts.timeMs - TEN_MINUTES;
      const ops: string[] = [];
      const outsideApis: string[] = [];
      const eventIds: string[] = [];
      let sensitive = false;
      let first = ctx.facts.timeMs;
      const size = Math.min(live.denialCount, live.denialTimes.length);
      for (let i = 0; i < size; i++) {
        const slot = (live.denialCount - size + i) % live.denialTimes.length;
        if (live.denialTimes[slot]! < since) continue;
        const op = live.denialOps[slot]!;
        if (ctx.learnedCount(select.denied, op) >= KNOWN_REFUSAL) continue;
        eventIds.push(live.denialIds[slot]!);
        if (live.denialTimes[slot]! < first) first = live.denialTimes[slot]!;
        if (!ops.includes(op)) ops.push(op);
        const api = live.denialApis[slot]!;
        if (live.denialOutside[slot] === 1 && !outsideApis.includes(api)) outsideApis.push(api);
        const sensitivity = live.denialSensitivity[slot];
        if (sensitivity === 'restricted' || sensitivity === 'confidential') sensitive = true;
      }
      if (ops.length < MIN_OPERATIONS) return undefined;
      const severity = outsideApis.length >= 4 && sensitive ? 'critical' : outsideApis.length >= 2 || sensitive ? 'high' : 'medium';
      const reasons = [`${ops.length} distinct operations were refused by authorisation in the last 10 minutes (${ops.slice(0, 6).join(', ')}); retries of one operation count once, and refusals that recur in normal traffic are left out.`];
      if (outsideApis.length > 0) reasons.push(`${outsideApis.length} of the APIs (${outsideApis.slice(0, 6).join(', ')}) are outside everything the agent's roles (${ctx.agentRoles.join(', ')}) grant.`);
      if (sensitive) reasons.push('Some of the refused APIs hold confidential or restricted data.');
      return {
        severity,
        score: clampScore(35 + 8 * ops.length + 10 * outsideApis.length + (sensitive ? 10 : 0)),
        reasons,
        firstEventTime: first,
        eventIds: eventIds.slice(-20),
      };
    },
  };
}
