/**
 * The limiter contract every backend (memory, Redis) implements and one conformance suite
 * checks. A request's limits are checked together and all-or-nothing: either every check
 * takes its cost or none does, so a call refused by one limit never spends another's budget.
 */

/** A GCRA rate limit: one unit every `emissionMs` on average, up to `burst` at once. */
export interface RateCheck {
  readonly kind: 'rate';
  /** Whose budget: the identified agent and the rule, never anything the client sent. */
  readonly key: string;
  /** Milliseconds per unit: the period divided by the limit (100/s → 10). */
  readonly emissionMs: number;
  /** Units allowed at once after a quiet period. */
  readonly burst: number;
  /** When the shared backend is unreachable: refuse (true) or let the local limiter decide. */
  readonly failClosed: boolean;
}

/**
 * A quota over fixed windows aligned to the epoch (hours and UTC days). A check passes while
 * `used + max(cost, 1) <= limit` and then adds `cost`: a cost of 0 asks "is anything left?"
 * for quotas counted after the answer (records read), which `add` charges later.
 */
export interface QuotaCheck {
  readonly kind: 'quota';
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly cost: number;
  readonly failClosed: boolean;
}

export type LimitCheck = RateCheck | QuotaCheck;

/** What a backend answers for one request's checks. */
export interface LimitResult {
  readonly allowed: boolean;
  /** Index of the check that refused; -1 when the request passed. */
  readonly refusedBy: number;
  /** Milliseconds until the refusing check would pass (rate) or its window ends (quota); 0 when allowed. */
  readonly retryAfterMs: number;
  /** Per check, units left after this request (what was taken counted, nothing taken on refusal). */
  readonly remaining: readonly number[];
  /** Per check, milliseconds until it is whole again: the bucket full (rate) or the window over (quota). */
  readonly resetMs: readonly number[];
  /** The shared backend was unreachable and this gateway's local limiter answered. */
  readonly fallback: boolean;
  /** Refused because a fail-closed check could not reach the shared backend (`refusedBy` names it). */
  readonly unavailable: boolean;
}

export interface LimiterBackend {
  readonly name: string;
  /** Checks every limit of one request at `now` (epoch ms) and takes their cost if all pass. */
  take(checks: readonly LimitCheck[], now: number): LimitResult | Promise<LimitResult>;
  /** Adds `cost` to quota windows without checking: usage known only once the answer is (records read). */
  add(checks: readonly QuotaCheck[], now: number): void | Promise<void>;
  close(): Promise<void>;
}

/** Start (epoch ms) of the fixed window `now` falls in. */
export function windowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}
