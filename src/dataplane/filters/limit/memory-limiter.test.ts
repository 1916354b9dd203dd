import { describe, expect, it } from 'vitest';
import { describeLimiterConformance } from './limiter-conformance.js';
import { MemoryLimiter } from './memory-limiter.js';

describeLimiterConformance('memory', () => new MemoryLimiter());

describe('MemoryLimiter', () => {
  const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);

  it('answers synchronously', () => {
    const limiter = new MemoryLimiter();
    const result = limiter.take([{ kind: 'rate', key: 'agent', emissionMs: 1_000, burst: 1, failClosed: false }], T0);
    expect(result).not.toBeInstanceOf(Promise);
    expect(result.allowed).toBe(true);
    void limiter.close();
  });

  it('sweeps full buckets and ended windows, and only those', () => {
    const limiter = new MemoryLimiter();
    limiter.take(
      [
        { kind: 'rate', key: 'fast', emissionMs: 1_000, burst: 5, failClosed: false },
        { kind: 'rate', key: 'slow', emissionMs: 60_000, burst: 5, failClosed: false },
        { kind: 'quota', key: 'calls', limit: 10, windowMs: 3_600_000, cost: 1, failClosed: false },
      ],
      T0,
    );
    expect(limiter.size).toBe(3);
    limiter.sweep(T0 + 1_000);
    expect(limiter.size).toBe(2);
    limiter.sweep(T0 + 60_000);
    expect(limiter.size).toBe(1);
    limiter.sweep(T0 + 3_600_000);
    expect(limiter.size).toBe(0);
    void limiter.close();
  });
});
