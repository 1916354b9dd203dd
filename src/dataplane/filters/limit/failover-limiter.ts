import type { LimitCheck, LimitResult, LimiterBackend, QuotaCheck } from './limiter.js';

/**
 * Why a request was not decided by the shared backend: `unreachable` it was not connected
 * (no call made), `timeout` it did not answer in time, `error` it answered with an error.
 */
export type FallbackReason = 'unreachable' | 'timeout' | 'error';

/** A backend shared by several gateways (Redis) that can be down; asked only while `ready`. */
export interface SharedLimiterBackend extends LimiterBackend {
  /** Connected and able to answer now; the backend reconnects on its own while false. */
  readonly ready: boolean;
}

export interface FailoverLimiterOptions {
  /** Called once per request the shared backend did not decide (the gateway counts these). */
  readonly onFallback?: (reason: FallbackReason) => void;
  /** Milliseconds for the pause after a failed call; decisions use the `now` each call passes. */
  readonly clock?: () => number;
}

/** What a client is told to wait when a fail-closed limit cannot be checked: a guess, not a promise. */
const UNAVAILABLE_RETRY_MS = 1_000;
/** After a timeout or error on a live connection, the shared backend rests this long, doubling up to the max. */
const PAUSE_MIN_MS = 250;
const PAUSE_MAX_MS = 5_000;

/**
 * Limits through a shared backend, and through this gateway's own limiter whenever the shared
 * one cannot answer. Then each request follows its checks' failure mode: if any check is
 * fail-closed the request is refused (`unavailable`), otherwise the local limiter decides
 * (`fallback`) — so while Redis is down every gateway enforces the limits on its own.
 *
 * No request pays for an outage: a disconnected backend is skipped without a call (its client
 * reconnects in the background), and one that timed out or failed on a live connection is
 * paused with backoff, then tried by a single request before the others return to it.
 */
export class FailoverLimiter implements LimiterBackend {
  readonly name: string;
  readonly #shared: SharedLimiterBackend;
  readonly #local: LimiterBackend;
  readonly #onFallback: (reason: FallbackReason) => void;
  readonly #clock: () => number;
  /** While paused: until when, why, and whether one request is already trying the backend again. */
  #pausedUntil = 0;
  #pauseMs = 0;
  #pauseReason: FallbackReason = 'error';
  #probing = false;

  constructor(shared: SharedLimiterBackend, local: LimiterBackend, options: FailoverLimiterOptions = {}) {
    this.name = shared.name;
    this.#shared = shared;
    this.#local = local;
    this.#onFallback = options.onFallback ?? (() => undefined);
    this.#clock = options.clock ?? Date.now;
  }

  async take(checks: readonly LimitCheck[], now: number): Promise<LimitResult> {
    const outcome = await this.#attempt(() => this.#shared.take(checks, now));
    if (outcome.ok) return outcome.value;
    this.#onFallback(outcome.reason);
    const closed = checks.findIndex((check) => check.failClosed);
    if (closed !== -1) return unavailable(checks, closed);
    return { ...(await this.#local.take(checks, now)), fallback: true };
  }

  /** Charges the shared backend, or this gateway's limiter when the shared one cannot answer. */
  async add(checks: readonly QuotaCheck[], now: number): Promise<void> {
    const outcome = await this.#attempt(() => this.#shared.add(checks, now));
    if (!outcome.ok) await this.#local.add(checks, now);
  }

  async close(): Promise<void> {
    await Promise.all([this.#shared.close(), this.#local.close()]);
  }

  /** Calls the shared backend unless it is down or paused, and learns from how the call went. */
  async #attempt<T>(call: () => T | Promise<T>): Promise<{ ok: true; value: T } | { ok: false; reason: FallbackReason }> {
    if (!this.#shared.ready) return { ok: false, reason: 'unreachable' };
    const paused = this.#pausedUntil !== 0;
    if (paused && (this.#probing || this.#clock() < this.#pausedUntil)) return { ok: false, reason: this.#pauseReason };
    if (paused) this.#probing = true;
    try {
      const value = await call();
      this.#pausedUntil = 0;
      this.#pauseMs = 0;
      return { ok: true, value };
    } catch (error) {
      const reason: FallbackReason = (error as Error | undefined)?.name === 'TimeoutError' ? 'timeout' : this.#shared.ready ? 'error' : 'unreachable';
      // A dropped connection is the client's to restore (ready turns false); a live one that
      // fails or hangs would cost every request a timeout, so rest it.
      if (this.#shared.ready) {
        this.#pauseMs = Math.min(Math.max(this.#pauseMs * 2, PAUSE_MIN_MS), PAUSE_MAX_MS);
        this.#pausedUntil = this.#clock() + this.#pauseMs;
        this.#pauseReason = reason;
      }
      return { ok: false, reason };
    } finally {
      if (paused) this.#probing = false;
    }
  }
}

function unavailable(checks: readonly LimitCheck[], index: number): LimitResult {
  const zeros = checks.map(() => 0);
  return { allowed: false, refusedBy: index, retryAfterMs: UNAVAILABLE_RETRY_MS, remaining: zeros, resetMs: zeros, fallback: false, unavailable: true };
}
