import type { DetectionContext } from '../detection-context.js';
import type { DetectorName, Severity } from '../detection-types.js';

/** What one detector found in one record; the engine turns it into an Alert (or drops it in cooldown). */
export interface Finding {
  readonly severity: Severity;
  /** 0–100. */
  readonly score: number;
  readonly reasons: readonly string[];
  /** Epoch ms of the first anomalous record. */
  readonly firstEventTime: number;
  readonly eventIds: readonly string[];
  /** The agent, when the record itself names none (credential-sharing on an unidentified call). */
  readonly agent?: string;
  /**
   * The anomaly was already reported and goes on (today's volume, still past its line): the
   * record is kept out of the baseline like any other finding, but raises no new alert.
   */
  readonly ongoing?: true;
}

/** One detector: looks at a record in context and returns at most one finding. */
export interface Detector {
  readonly name: DetectorName;
  inspect(ctx: DetectionContext): Finding | undefined;
}

/** At most this many event ids per finding. */
export const MAX_EVENT_IDS = 20;

/** 50 at the threshold, +20 per doubling beyond it, within 1–100. */
export function ratioScore(observed: number, threshold: number): number {
  if (threshold <= 0) return 100;
  return clampScore(50 + 20 * Math.log2(Math.max(observed, 1e-9) / threshold));
}

/** Rounds into 1–100. */
export function clampScore(score: number): number {
  return Math.max(1, Math.min(100, Math.round(score)));
}

/** A count for a sentence: whole numbers with separators, else one decimal. */
export function count(n: number): string {
  return Number.isInteger(n) || n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/** A byte amount for a sentence. */
export function bytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${Math.round(n)} bytes`;
}

/** "1 call" / "2 calls". */
export function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}
