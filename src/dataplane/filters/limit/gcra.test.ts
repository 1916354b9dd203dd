import { describe, expect, it } from 'vitest';
import { gcraStep } from './gcra.js';

describe('gcraStep', () => {
  const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);

  it('starts a never-used key as a full bucket', () => {
    expect(gcraStep(undefined, T0, 100, 10)).toEqual({ allowed: true, tat: T0 + 100, remaining: 9, retryAfterMs: 0, resetMs: 100 });
  });

  it('treats a TAT in the past as a full bucket', () => {
    expect(gcraStep(T0 - 5_000, T0, 100, 10)).toEqual(gcraStep(undefined, T0, 100, 10));
  });

  it('refuses once the TAT is a whole burst ahead, leaving the TAT as it was', () => {
    expect(gcraStep(T0 + 1_000, T0, 100, 10)).toEqual({ allowed: false, tat: T0 + 1_000, remaining: 0, retryAfterMs: 100, resetMs: 1_000 });
    expect(gcraStep(T0 + 1_000, T0 + 40, 100, 10)).toEqual({ allowed: false, tat: T0 + 1_000, remaining: 0, retryAfterMs: 60, resetMs: 960 });
  });

  it('allows the last unit of the burst with nothing remaining', () => {
    expect(gcraStep(T0 + 900, T0, 100, 10)).toEqual({ allowed: true, tat: T0 + 1_000, remaining: 0, retryAfterMs: 0, resetMs: 1_000 });
  });

  it('does not refuse for a TAT a few ulps late after fractional intervals add up', () => {
    let tat: number | undefined;
    for (let i = 0; i < 3; i++) tat = gcraStep(tat, T0, 1_000 / 3, 3).tat;
    // Three thirds of a second later the bucket is full again, whatever the rounding did to the sum.
    const step = gcraStep(tat, T0 + 1_000, 1_000 / 3, 3);
    expect(step.allowed).toBe(true);
    expect(step.remaining).toBe(2);
  });
});
