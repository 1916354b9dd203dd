import { describe, expect, it } from 'vitest';
import { parseRateLimit } from './rate-limit.js';

describe('parseRateLimit', () => {
  it.each([
    ['100/s', 100, 1_000, 100],
    ['5/min', 5, 60_000, 5],
    ['1000/hour', 1000, 3_600_000, 1000],
    ['10000/day', 10_000, 86_400_000, 10_000],
    ['10/s burst 20', 10, 1_000, 20],
    [' 3 / minute ', 3, 60_000, 3],
  ])('reads %j', (text, limit, periodMs, burst) => {
    expect(parseRateLimit(text)).toMatchObject({ limit, periodMs, burst });
  });

  it.each([
    ['100', 'is not a rate'],
    ['100/fortnight', 'unknown unit'],
    ['0/s', 'use a forbid'],
    ['5/s burst 0', 'burst must be at least 1'],
    ['-1/s', 'is not a rate'],
    ['1.5/s', 'is not a rate'],
  ])('refuses %j', (text, message) => {
    const parsed = parseRateLimit(text);
    expect('error' in parsed && parsed.error).toContain(message);
  });
});
