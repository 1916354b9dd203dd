import type { CompiledApi } from '../../../policy/snapshot.js';

/** One second of an API's answers. */
interface Second {
  at: number;
  calls: number;
  failures: number;
  /** Sum of the answer times (to response headers) of the calls that got an answer. */
  latencyMs: number;
  answered: number;
}

/**
 * How overloaded must an API be before agents of each priority are shed: low at the
 * threshold, normal at 1.5×, high at 2×; critical agents are never shed.
 */
const SHED_AT = [Number.POSITIVE_INFINITY, 2, 1.5, 1] as const;

/**
 * Adaptive protection (issue: shed lower-priority agents first): per API with `protection`,
 * this gateway's view of its upstream over the last `windowMs` — average answer time and the
 * share of failed calls (5xx, timeouts, refused connections) — in one-second buckets.
 * Overload is how far past its threshold the worse of the two is (1 = at the threshold).
 * Calls that are shed never reach the upstream, so they do not count: once the upstream
 * recovers, the window shows it and traffic resumes.
 */
export class UpstreamHealth {
  readonly #apis = new Map<string, Second[]>();

  /** Notes one forwarded call's outcome; `latencyMs` undefined when no answer came (failure). */
  observe(api: CompiledApi, now: number, latencyMs: number | undefined, failed: boolean): void {
    const protection = api.protection;
    if (protection === undefined) return;
    const second = this.#second(api.name, Math.ceil(protection.windowMs / 1000), Math.floor(now / 1000));
    second.calls++;
    if (failed) second.failures++;
    if (latencyMs !== undefined) {
      second.latencyMs += latencyMs;
      second.answered++;
    }
  }

  /** How overloaded the API is now: 0 when healthy or when too few calls were seen to say. */
  overload(api: CompiledApi, now: number): number {
    const protection = api.protection;
    const seconds = protection === undefined ? undefined : this.#apis.get(api.name);
    if (protection === undefined || seconds === undefined) return 0;
    const from = Math.floor(now / 1000) - seconds.length + 1;
    let calls = 0;
    let failures = 0;
    let latencyMs = 0;
    let answered = 0;
    for (const second of seconds) {
      if (second.at < from) continue;
      calls += second.calls;
      failures += second.failures;
      latencyMs += second.latencyMs;
      answered += second.answered;
    }
    if (calls < protection.minRequests) return 0;
    const slow = protection.maxLatencyMs === undefined || answered === 0 ? 0 : latencyMs / answered / protection.maxLatencyMs;
    const failing = protection.maxErrorRate === undefined ? 0 : failures / calls / protection.maxErrorRate;
    const worst = Math.max(slow, failing);
    return worst > 1 ? worst : 0;
  }

  /** Whether a call of an agent of this priority (PRIORITY_RANK) is shed now. */
  sheds(api: CompiledApi, priority: number, now: number): boolean {
    if (api.protection === undefined) return false;
    const overload = this.overload(api, now);
    return overload > 0 && overload >= SHED_AT[Math.min(Math.max(priority, 0), 3)]!;
  }

  #second(api: string, length: number, at: number): Second {
    let seconds = this.#apis.get(api);
    if (seconds === undefined || seconds.length !== length) {
      seconds = Array.from({ length }, () => ({ at: -1, calls: 0, failures: 0, latencyMs: 0, answered: 0 }));
      this.#apis.set(api, seconds);
    }
    const second = seconds[at % length]!;
    if (second.at !== at) {
      second.at = at;
      second.calls = 0;
      second.failures = 0;
      second.latencyMs = 0;
      second.answered = 0;
    }
    return second;
  }
}
