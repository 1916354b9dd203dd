import { TEN_MINUTES } from '../agent-features.js';
import { select, type DetectionContext } from '../detection-context.js';
import { MAX_EVENT_IDS, count, ratioScore, type Detector, type Finding } from './detector.js';

/** Distinct, mostly sequential ids on one operation within 10 minutes. */
const MIN_RUN = 20;
/** Ids on one operation within 10 minutes, whatever their order. */
const MIN_IDS = 200;
const RUN_FACTOR = 3;
const IDS_FACTOR = 5;

/**
 * Walking through ids on one operation: 20 or more distinct numeric ids in 10 minutes, three
 * quarters of them a step of 1–3 from the next (sorted, so a shuffled walk counts), or far
 * more id lookups than the baseline ever made. Operations the baseline normally walks need a
 * run several times as long.
 */
export function enumerationDetector(): Detector {
  return {
    name: 'enumeration',
    inspect(ctx: DetectionContext): Finding | undefined {
      const ids = ctx.live.ids;
      if (ids === undefined || !ctx.hasReference) return undefined;
      const facts = ctx.facts;
      const op = facts.opKey;
      const runPeak = ctx.keyPeak(select.sequencePeaks, op);
      const runThreshold = Math.max(MIN_RUN, RUN_FACTOR * runPeak);
      const idPeak = ctx.keyPeak(select.idPeaks, op);
      const idsThreshold = Math.max(MIN_IDS, IDS_FACTOR * idPeak);
      if (ids.sequenceRun >= runThreshold) {
        return {
          severity: facts.sensitive ? 'high' : 'medium',
          score: ratioScore(ids.sequenceRun, runThreshold),
          reasons: [
            `${ids.sequenceRun} distinct ids were requested on ${op} in the last 10 minutes, nearly all a step of 1–3 from the next: a walk from ${ids.runLow} to ${ids.runHigh}.`,
            `${ctx.referenceName} longest such run on this operation in its baseline was ${count(runPeak)}.`,
          ],
          firstEventTime: ids.runStart,
          eventIds: ids.eventIds(ids.runStart, MAX_EVENT_IDS),
        };
      }
      if (ids.windowCount >= idsThreshold) {
        return {
          severity: facts.sensitive ? 'high' : 'medium',
          score: ratioScore(ids.windowCount, idsThreshold),
          reasons: [`${count(ids.windowCount)} lookups by id on ${op} within 10 minutes; ${ctx.referenceName} most in 10 minutes in its baseline was ${count(idPeak)}.`],
          firstEventTime: ids.windowStart,
          eventIds: ids.eventIds(facts.timeMs - TEN_MINUTES, MAX_EVENT_IDS),
        };
      }
      return undefined;
    },
  };
}
