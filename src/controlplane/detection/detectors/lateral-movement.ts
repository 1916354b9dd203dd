import { TEN_MINUTES } from '../agent-features.js';
import { select, type DetectionContext } from '../detection-context.js';
import { MAX_EVENT_IDS, count, type Detector, type Finding } from './detector.js';

/** APIs new to the agent and its roles within 10 minutes. */
const MIN_NEW_APIS = 2;

/**
 * Fan-out into systems the agent does not use: within 10 minutes it reaches two or more APIs
 * neither it nor its roles ever called (and not just granted), and more APIs in all than its
 * baseline's widest 10 minutes.
 */
export function lateralMovementDetector(): Detector {
  return {
    name: 'lateral-movement',
    inspect(ctx: DetectionContext): Finding | undefined {
      const live = ctx.live;
      if (live.newApis10m < MIN_NEW_APIS || !ctx.hasReference || !ctx.facts.executed) return undefined;
      const fanout = ctx.peak(select.fanout10m);
      if (live.apis10m <= fanout) return undefined;
      const t = ctx.facts.timeMs;
      const fresh: string[] = [];
      let first = t;
      for (let i = 0; i < live.apiNames.length; i++) {
        if (live.apiNew[i] !== 1 || t - live.apiLast[i]! > TEN_MINUTES) continue;
        fresh.push(live.apiNames[i]!);
        first = Math.min(first, live.apiFirst[i]!);
      }
      const sensitive = fresh.some((api) => {
        const sensitivity = ctx.catalog?.apis.get(api)?.sensitivity ?? (api === ctx.facts.apiName ? ctx.facts.sensitivity : '');
        return sensitivity === 'restricted' || sensitivity === 'confidential';
      });
      const reasons = [
        `In the last 10 minutes the agent called ${fresh.length} APIs neither it nor its roles ever used (${fresh.join(', ')}), ${live.apis10m} APIs in all; ${ctx.referenceName} widest 10 minutes in its baseline spanned ${count(fanout)}.`,
      ];
      if (ctx.facts.transition !== '' && !ctx.knows(select.transitions, ctx.facts.transition)) {
        reasons.push(`Going from ${live.previousOp} to ${ctx.facts.opKey} was never seen before.`);
      }
      return {
        severity: sensitive || fresh.length >= 3 ? 'high' : 'medium',
        score: Math.min(100, 45 + 15 * fresh.length + (sensitive ? 15 : 0)),
        reasons,
        firstEventTime: first,
        eventIds: live.recentEventIds(first, MAX_EVENT_IDS),
      };
    },
  };
}
