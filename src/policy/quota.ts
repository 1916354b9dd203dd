import type { Condition, EvaluationInput } from './evaluation.js';
import { paramValue } from './evaluation.js';

/** A grant's business quota, compiled: counted per agent over fixed hour or UTC-day windows. */
export interface CompiledQuota {
  /** Which quota, e.g. `refunds/grants/refund/quotas/large-refunds`: with the agent, the limiter key. */
  readonly bucket: string;
  /** How it reads, e.g. `10 calls per day`. */
  readonly text: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly count: 'calls' | 'records' | 'sum';
  /** The parameter summed when `count` is `sum`. */
  readonly sum: string | undefined;
  /** Only calls matching these count; empty: every call of the grant. */
  readonly where: readonly Condition[];
  readonly failClosed: boolean;
}

export const QUOTA_WINDOWS = { hour: 3_600_000, day: 86_400_000 } as const;

/**
 * Whether a call counts against the quota: each `where` condition holds or cannot be
 * evaluated. A call whose parameter is missing or ambiguous counts, so leaving a parameter
 * out never dodges a quota.
 */
export function quotaApplies(quota: CompiledQuota, input: EvaluationInput): boolean {
  for (let i = 0; i < quota.where.length; i++) {
    const failure = quota.where[i]!(input);
    if (failure !== undefined && !failure.indeterminate) return false;
  }
  return true;
}

/**
 * What the call costs before it is forwarded: 1 call; the summed parameter's value; 0 for a
 * records quota, which is charged once the answer is counted. A summed parameter that is not
 * a finite, non-negative number cannot be counted, so the call is refused (fail closed).
 */
export function quotaCost(quota: CompiledQuota, input: EvaluationInput): number | { readonly error: string } {
  if (quota.count === 'calls') return 1;
  if (quota.count === 'records') return 0;
  const found = paramValue(input, quota.sum!);
  const value = found.state === 'value' ? (typeof found.value === 'number' ? found.value : typeof found.value === 'string' && found.value.trim() !== '' ? Number(found.value) : Number.NaN) : Number.NaN;
  if (!(Number.isFinite(value) && value >= 0)) return { error: `the quota of ${quota.text} counts parameter ${quota.sum}; send it once, as a number of at least 0` };
  return value;
}
