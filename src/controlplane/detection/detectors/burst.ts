import { select, type DetectionContext } from '../detection-context.js';
import { MAX_EVENT_IDS, count, ratioScore, type Detector, type Finding } from './detector.js';

/** Below these no window is a burst, whatever the baseline: a handful of retries is not an attack. */
const FLOOR_10S = 20;
const FLOOR_1M = 60;
/** How far above the baseline's busiest window a window must be. */
const FACTOR = 3;

/** Call rate far above the busiest 10 s or minute of the baseline; fires within a fraction of a second of a 100 calls/s burst. */
export function burstDetector(): Detector {
  return {
    name: 'burst',
    inspect(ctx: DetectionContext): Finding | undefined {
      if (!ctx.hasReference) return undefined;
      const live = ctx.live;
      const peak10 = ctx.peak(select.calls10s);
      const threshold10 = Math.max(FLOOR_10S, FACTOR * peak10);
      const peak1m = ctx.peak(select.calls1m);
      const threshold1m = Math.max(FLOOR_1M, FACTOR * peak1m);
      const ratio10 = live.calls10s / threshold10;
      const ratio1m = live.calls1m / threshold1m;
      if (ratio10 < 1 && ratio1m < 1) return undefined;
      const short = ratio10 >= ratio1m;
      const calls = short ? live.calls10s : live.calls1m;
      const peak = short ? peak10 : peak1m;
      const span = short ? '10 s' : 'minute';
      const ratio = short ? ratio10 : ratio1m;
      const firstEventTime = (short ? live.tenSeconds : live.minute).firstTime(ctx.facts.timeMs);
      const reasons = [
        `${count(calls)} calls in the last ${short ? '10 s' : 'minute'}; ${ctx.referenceName} busiest ${span} in its baseline was ${count(peak)}.`,
        `That is ${count(calls / Math.max(peak, 1))} times the baseline peak; the alert line is ${count(short ? threshold10 : threshold1m)} (${FACTOR}× the peak, at least ${short ? FLOOR_10S : FLOOR_1M}).`,
      ];
      return {
        severity: ratio >= 3 ? 'high' : 'medium',
        score: ratioScore(calls, short ? threshold10 : threshold1m),
        reasons,
        firstEventTime,
        eventIds: live.recentEventIds(firstEventTime, MAX_EVENT_IDS),
      };
    },
  };
}
