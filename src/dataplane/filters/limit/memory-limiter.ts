import { gcraStep } from './gcra.js';
import { windowStart, type LimitCheck, type LimitResult, type LimiterBackend, type QuotaCheck } from './limiter.js';

const SWEEP_EVERY_MS = 10_000;

/**
 * The in-process backend: one number per rate key (its TAT) and one counter per quota window.
 * Synchronous, so a request with limits costs a few map lookups. Entries that no longer hold
 * anything (a full bucket, an ended window) are swept every 10 s, so memory follows the
 * number of agents calling, not the number that ever called.
 */
export class MemoryLimiter implements LimiterBackend {
  readonly name = 'memory';
  /** Rate key → its TAT, in a cell updated in place (no new entry per call). */
  readonly #tats = new Map<string, { tat: number }>();
  /** Quota key → its current window and the units used in it. */
  readonly #windows = new Map<string, { start: number; end: number; used: number }>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #clock: () => number;

  /** `clock` is only for the sweep; decisions use the `now` each call passes. */
  constructor(options: { readonly clock?: () => number } = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#sweeper = setInterval(() => this.sweep(this.#clock()), SWEEP_EVERY_MS);
    this.#sweeper.unref();
  }

  take(checks: readonly LimitCheck[], now: number): LimitResult {
    const remaining = new Array<number>(checks.length);
    const resetMs = new Array<number>(checks.length);
    // Decide every check first, then commit: all or nothing.
    const tats = new Array<number>(checks.length);
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i]!;
      if (check.kind === 'rate') {
        const step = gcraStep(this.#tats.get(check.key)?.tat, now, check.emissionMs, check.burst);
        if (!step.allowed) return refused(checks, i, step.retryAfterMs, step.resetMs);
        tats[i] = step.tat;
        remaining[i] = step.remaining;
        resetMs[i] = step.resetMs;
      } else {
        const start = windowStart(now, check.windowMs);
        const used = this.#used(check.key, start);
        const end = start + check.windowMs - now;
        if (used + Math.max(check.cost, 1) > check.limit) return refused(checks, i, end, end);
        remaining[i] = Math.max(0, check.limit - used - check.cost);
        resetMs[i] = end;
      }
    }
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i]!;
      if (check.kind === 'rate') {
        const cell = this.#tats.get(check.key);
        if (cell === undefined) this.#tats.set(check.key, { tat: tats[i]! });
        else cell.tat = tats[i]!;
      }
      else if (check.cost > 0) this.#charge(check, now);
    }
    return { allowed: true, refusedBy: -1, retryAfterMs: 0, remaining, resetMs, fallback: false, unavailable: false };
  }

  add(checks: readonly QuotaCheck[], now: number): void {
    for (const check of checks) if (check.cost > 0) this.#charge(check, now);
  }

  /** Drops full buckets and ended windows; runs on its own every 10 s. */
  sweep(now: number): void {
    for (const [key, cell] of this.#tats) if (cell.tat <= now) this.#tats.delete(key);
    for (const [key, window] of this.#windows) if (window.end <= now) this.#windows.delete(key);
  }

  /** Keys held (rate and quota), for tests and metrics. */
  get size(): number {
    return this.#tats.size + this.#windows.size;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }

  #used(key: string, start: number): number {
    const window = this.#windows.get(key);
    return window !== undefined && window.start === start ? window.used : 0;
  }

  #charge(check: QuotaCheck, now: number): void {
    const start = windowStart(now, check.windowMs);
    const window = this.#windows.get(check.key);
    if (window !== undefined && window.start === start) window.used += check.cost;
    else this.#windows.set(check.key, { start, end: start + check.windowMs, used: check.cost });
  }
}

function refused(checks: readonly LimitCheck[], index: number, retryAfterMs: number, resetMs: number): LimitResult {
  const remaining = checks.map(() => 0);
  const resets = checks.map(() => 0);
  resets[index] = resetMs;
  return { allowed: false, refusedBy: index, retryAfterMs, remaining, resetMs: resets, fallback: false, unavailable: false };
}
