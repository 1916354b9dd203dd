import { describe, expect, it } from 'vitest';
import { PRIORITY_RANK, type CompiledApi } from '../../../policy/snapshot.js';
import { UpstreamHealth } from './upstream-health.js';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

function api(protection: Partial<NonNullable<CompiledApi['protection']>>): CompiledApi {
  return { name: 'payments', protection: { maxLatencyMs: undefined, maxErrorRate: undefined, windowMs: 10_000, minRequests: 10, ...protection } } as CompiledApi;
}

/** `count` calls at `now`, each `latencyMs` long, the first `failures` of them failed without an answer. */
function observe(health: UpstreamHealth, target: CompiledApi, now: number, count: number, latencyMs: number, failures = 0): void {
  for (let i = 0; i < count; i++) health.observe(target, now, i < failures ? undefined : latencyMs, i < failures);
}

describe('UpstreamHealth', () => {
  it('says nothing until the window holds minRequests calls', () => {
    const health = new UpstreamHealth();
    const slow = api({ maxLatencyMs: 100 });
    observe(health, slow, T0, 9, 1_000);
    expect(health.overload(slow, T0)).toBe(0);
    observe(health, slow, T0, 1, 1_000);
    expect(health.overload(slow, T0)).toBe(10);
  });

  it('measures overload as the worse of average latency and error rate against their thresholds', () => {
    const health = new UpstreamHealth();
    const target = api({ maxLatencyMs: 200, maxErrorRate: 0.1 });
    // 20 calls, 300 ms average over the answered ones (1.5×), 3 failed of 20 (0.15 = 1.5×).
    observe(health, target, T0, 20, 300, 3);
    expect(health.overload(target, T0)).toBeCloseTo(1.5);
    observe(health, target, T0 + 1000, 10, 300, 10);
    // 13 of 30 failed: 0.433 / 0.1 = 4.33×, worse than the latency.
    expect(health.overload(target, T0 + 1000)).toBeCloseTo(13 / 30 / 0.1);
  });

  it('is healthy at exactly the threshold: overload starts past it', () => {
    const health = new UpstreamHealth();
    const target = api({ maxLatencyMs: 100 });
    observe(health, target, T0, 10, 100);
    expect(health.overload(target, T0)).toBe(0);
    expect(health.sheds(target, PRIORITY_RANK.low, T0)).toBe(false);
  });

  it('sheds low first, then normal, then high as overload grows, and never critical', () => {
    const cases: [latency: number, shed: string[]][] = [
      [120, ['low']],
      [160, ['normal', 'low']],
      [250, ['high', 'normal', 'low']],
      [10_000, ['high', 'normal', 'low']],
    ];
    for (const [latency, shed] of cases) {
      const health = new UpstreamHealth();
      const target = api({ maxLatencyMs: 100 });
      observe(health, target, T0, 10, latency);
      const actual = (Object.keys(PRIORITY_RANK) as (keyof typeof PRIORITY_RANK)[]).filter((priority) => health.sheds(target, PRIORITY_RANK[priority], T0));
      expect(actual, `${latency} ms`).toEqual(shed);
    }
  });

  it('forgets seconds that left the window, so a recovered upstream is served again', () => {
    const health = new UpstreamHealth();
    const target = api({ maxLatencyMs: 100, windowMs: 3_000, minRequests: 5 });
    observe(health, target, T0, 10, 500);
    expect(health.sheds(target, PRIORITY_RANK.low, T0 + 2_999)).toBe(true);
    expect(health.overload(target, T0 + 3_000)).toBe(0);
    // The bucket of that second is reused for a later one and starts empty.
    observe(health, target, T0 + 3_000, 5, 50);
    expect(health.overload(target, T0 + 3_000)).toBe(0);
  });

  it('keeps APIs apart and ignores APIs without protection', () => {
    const health = new UpstreamHealth();
    const slow = api({ maxLatencyMs: 100 });
    const other = { ...api({ maxLatencyMs: 100 }), name: 'crm' } as CompiledApi;
    const unprotected = { name: 'hr', protection: undefined } as CompiledApi;
    observe(health, slow, T0, 10, 1_000);
    observe(health, unprotected, T0, 10, 1_000);
    expect(health.overload(other, T0)).toBe(0);
    expect(health.sheds(unprotected, PRIORITY_RANK.low, T0)).toBe(false);
  });
});
