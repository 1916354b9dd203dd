import { afterEach, describe, expect, it } from 'vitest';
import type { LimitCheck, LimitResult, LimiterBackend, QuotaCheck, RateCheck } from './limiter.js';

/** A fake clock's start: 09:00:00.000 UTC, on an hour boundary, at today's magnitude of epoch ms. */
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const HOUR = 3_600_000;
const DAY = 86_400_000;

function rate(key: string, emissionMs: number, burst: number): RateCheck {
  return { kind: 'rate', key, emissionMs, burst, failClosed: false };
}

function quota(key: string, limit: number, cost = 1, windowMs = HOUR): QuotaCheck {
  return { kind: 'quota', key, limit, windowMs, cost, failClosed: false };
}

function allowed(remaining: number[], resetMs: number[]): LimitResult {
  return { allowed: true, refusedBy: -1, retryAfterMs: 0, remaining, resetMs, fallback: false, unavailable: false };
}

function refused(refusedBy: number, retryAfterMs: number, resetMs: number[]): LimitResult {
  return { allowed: false, refusedBy, retryAfterMs, remaining: resetMs.map(() => 0), resetMs, fallback: false, unavailable: false };
}

/**
 * The behaviour every limiter backend must show, number for number, so that a request gets
 * the same answer from memory and from Redis. `open` returns a fresh limiter holding no state
 * each call; the suite closes it after each test. Time is a fake clock passed as `now`.
 */
export function describeLimiterConformance(name: string, open: () => LimiterBackend | Promise<LimiterBackend>): void {
  describe(`Limiter conformance: ${name}`, () => {
    const opened: LimiterBackend[] = [];
    afterEach(async () => {
      for (const limiter of opened.splice(0)) await limiter.close();
    });
    const fresh = async (): Promise<LimiterBackend> => {
      const limiter = await open();
      opened.push(limiter);
      return limiter;
    };
    /** Takes `times` times at `now` and returns every result. */
    const takeTimes = async (limiter: LimiterBackend, checks: LimitCheck[], now: number, times: number): Promise<LimitResult[]> => {
      const results: LimitResult[] = [];
      for (let i = 0; i < times; i++) results.push(await limiter.take(checks, now));
      return results;
    };

    it('allows a request without checks', async () => {
      const limiter = await fresh();
      expect(await limiter.take([], T0)).toEqual(allowed([], []));
    });

    describe('rates (GCRA)', () => {
      it('allows the burst from empty, then refuses with the exact wait', async () => {
        const limiter = await fresh();
        const check = [rate('agent', 1_000, 5)];
        expect(await takeTimes(limiter, check, T0, 5)).toEqual([
          allowed([4], [1_000]),
          allowed([3], [2_000]),
          allowed([2], [3_000]),
          allowed([1], [4_000]),
          allowed([0], [5_000]),
        ]);
        expect(await limiter.take(check, T0)).toEqual(refused(0, 1_000, [5_000]));
        expect(await limiter.take(check, T0 + 999)).toEqual(refused(0, 1, [4_001]));
      });

      it('lets one unit through per emission interval at a steady rate', async () => {
        const limiter = await fresh();
        const check = [rate('agent', 1_000, 5)];
        await takeTimes(limiter, check, T0, 5);
        for (let second = 1; second <= 20; second++) {
          const now = T0 + second * 1_000;
          expect(await limiter.take(check, now)).toEqual(allowed([0], [5_000]));
          expect(await limiter.take(check, now)).toEqual(refused(0, 1_000, [5_000]));
          expect(await limiter.take(check, now + 500)).toEqual(refused(0, 500, [4_500]));
        }
      });

      it('refills the bucket while idle, partly and then fully', async () => {
        const limiter = await fresh();
        const check = [rate('agent', 1_000, 5)];
        await takeTimes(limiter, check, T0, 5);
        expect(await takeTimes(limiter, check, T0 + 2_500, 3)).toEqual([allowed([1], [3_500]), allowed([0], [4_500]), refused(0, 500, [4_500])]);
        expect(await takeTimes(limiter, check, T0 + 100_000, 6)).toEqual([
          allowed([4], [1_000]),
          allowed([3], [2_000]),
          allowed([2], [3_000]),
          allowed([1], [4_000]),
          allowed([0], [5_000]),
          refused(0, 1_000, [5_000]),
        ]);
      });

      it('spaces units exactly with a burst of 1', async () => {
        const limiter = await fresh();
        const check = [rate('agent', 500, 1)];
        expect(await limiter.take(check, T0)).toEqual(allowed([0], [500]));
        expect(await limiter.take(check, T0 + 499)).toEqual(refused(0, 1, [1]));
        expect(await limiter.take(check, T0 + 500)).toEqual(allowed([0], [500]));
      });

      it('allows a burst larger than the rate per period', async () => {
        const limiter = await fresh();
        const check = [rate('agent', 60_000, 10)]; // 1/min burst 10
        const results = await takeTimes(limiter, check, T0, 11);
        expect(results.map((result) => result.remaining)).toEqual([[9], [8], [7], [6], [5], [4], [3], [2], [1], [0], [0]]);
        expect(results[10]).toEqual(refused(0, 60_000, [600_000]));
      });

      it('keeps fractional intervals (3/s) exact over time', async () => {
        const limiter = await fresh();
        const check = [rate('agent', 1_000 / 3, 3)];
        const burst = await takeTimes(limiter, check, T0, 4);
        expect(burst.slice(0, 3).map((result) => [result.allowed, result.remaining])).toEqual([[true, [2]], [true, [1]], [true, [0]]]);
        expect(burst[3]!.refusedBy).toBe(0);
        // Epoch milliseconds in a double keep about 0.0002 ms: fractions of a millisecond are that close.
        expect(burst[3]!.retryAfterMs).toBeCloseTo(1_000 / 3, 2);
        expect(burst[3]!.resetMs[0]).toBeCloseTo(1_000, 2);
        // Each second of a saturated minute lets exactly three through: no unit lost or gained to rounding.
        for (let second = 1; second <= 60; second++) {
          const results = await takeTimes(limiter, check, T0 + second * 1_000, 4);
          expect(results.map((result) => [result.allowed, result.remaining[0]])).toEqual([[true, 2], [true, 1], [true, 0], [false, 0]]);
        }
        // A third of a second refills exactly one unit.
        await takeTimes(limiter, check, T0 + 61_000, 3);
        expect((await takeTimes(limiter, check, T0 + 61_000 + 1_000 / 3, 2)).map((result) => result.allowed)).toEqual([true, false]);
      });

      it('keeps a fractional per-minute rate (7/min) exact over an hour', async () => {
        const limiter = await fresh();
        const check = [rate('agent', 60_000 / 7, 7)];
        expect((await takeTimes(limiter, check, T0, 8)).map((result) => result.remaining[0])).toEqual([6, 5, 4, 3, 2, 1, 0, 0]);
        for (let minute = 1; minute <= 60; minute++) {
          const results = await takeTimes(limiter, check, T0 + minute * 60_000, 8);
          expect(results.filter((result) => result.allowed)).toHaveLength(7);
          expect(results[7]!.retryAfterMs).toBeCloseTo(60_000 / 7, 2);
        }
      });
    });

    describe('all or nothing', () => {
      it('a refused second check leaves the first untouched', async () => {
        const limiter = await fresh();
        const checks = [rate('agent', 1_000, 2), quota('agent/refunds', 1)];
        expect(await limiter.take(checks, T0)).toEqual(allowed([1, 0], [1_000, HOUR]));
        expect(await limiter.take(checks, T0)).toEqual(refused(1, HOUR, [0, HOUR]));
        // The rate still has the unit the refused request did not take.
        expect(await limiter.take([checks[0]!], T0)).toEqual(allowed([0], [2_000]));
      });

      it('a refused first check takes nothing from later ones', async () => {
        const limiter = await fresh();
        const limited = rate('agent', 1_000, 1);
        await limiter.take([limited], T0);
        expect(await limiter.take([limited, quota('agent/calls', 5), rate('agent/other', 1_000, 3)], T0 + 10)).toEqual(refused(0, 990, [990, 0, 0]));
        expect(await limiter.take([quota('agent/calls', 5, 0), rate('agent/other', 1_000, 3)], T0 + 10)).toEqual(allowed([5, 2], [HOUR - 10, 1_000]));
      });

      it('a refused third check leaves the first two untouched', async () => {
        const limiter = await fresh();
        const checks = [rate('a', 1_000, 3), quota('b', 10, 2), quota('c', 3, 4)];
        expect(await limiter.take(checks, T0)).toEqual(refused(2, HOUR, [0, 0, HOUR]));
        expect(await limiter.take(checks.slice(0, 2), T0)).toEqual(allowed([2, 8], [1_000, HOUR]));
      });
    });

    describe('quotas', () => {
      it('counts calls in fixed windows aligned to the epoch hour', async () => {
        const limiter = await fresh();
        const check = [quota('agent/exports', 3)];
        expect(await takeTimes(limiter, check, T0 + 10, 4)).toEqual([
          allowed([2], [HOUR - 10]),
          allowed([1], [HOUR - 10]),
          allowed([0], [HOUR - 10]),
          refused(0, HOUR - 10, [HOUR - 10]),
        ]);
        expect(await limiter.take(check, T0 + HOUR - 1)).toEqual(refused(0, 1, [1]));
        expect(await limiter.take(check, T0 + HOUR)).toEqual(allowed([2], [HOUR]));
      });

      it('counts days in UTC days', async () => {
        const limiter = await fresh();
        const check = [quota('agent/daily', 1, 1, DAY)];
        const midnight = Date.UTC(2026, 2, 3);
        expect(await limiter.take(check, T0)).toEqual(allowed([0], [midnight - T0]));
        expect(await limiter.take(check, midnight - 1)).toEqual(refused(0, 1, [1]));
        expect(await limiter.take(check, midnight)).toEqual(allowed([0], [DAY]));
      });

      it('peeks with a cost of 0 without spending', async () => {
        const limiter = await fresh();
        const peek = [quota('agent/records', 2, 0)];
        expect(await takeTimes(limiter, peek, T0, 3)).toEqual([allowed([2], [HOUR]), allowed([2], [HOUR]), allowed([2], [HOUR])]);
        await limiter.take([quota('agent/records', 2)], T0);
        expect(await limiter.take(peek, T0)).toEqual(allowed([1], [HOUR]));
        await limiter.take([quota('agent/records', 2)], T0);
        // Nothing left: even asking is refused.
        expect(await limiter.take(peek, T0)).toEqual(refused(0, HOUR, [HOUR]));
      });

      it('add() charges usage known only after the answer, without checking', async () => {
        const limiter = await fresh();
        const records = (cost: number) => quota('agent/records', 10, cost);
        expect(await limiter.take([records(0)], T0)).toEqual(allowed([10], [HOUR]));
        await limiter.add([records(7)], T0 + 1);
        expect(await limiter.take([records(0)], T0 + 2)).toEqual(allowed([3], [HOUR - 2]));
        // The answer had more records than were left: counted all the same.
        await limiter.add([records(5)], T0 + 3);
        await limiter.add([records(0)], T0 + 3);
        expect(await limiter.take([records(0)], T0 + 4)).toEqual(refused(0, HOUR - 4, [HOUR - 4]));
        expect(await limiter.take([records(0)], T0 + HOUR)).toEqual(allowed([10], [HOUR]));
        // add() charges the window `now` falls in.
        await limiter.add([records(4), quota('agent/other', 5, 2)], T0 + HOUR + 5);
        expect(await limiter.take([records(0), quota('agent/other', 5, 0)], T0 + HOUR + 6)).toEqual(allowed([6, 3], [HOUR - 6, HOUR - 6]));
      });

      it('counts sums with costs above 1, and refuses a cost that does not fit', async () => {
        const limiter = await fresh();
        const amount = (cost: number) => [quota('agent/refund-total', 1_000, cost)];
        expect(await limiter.take(amount(400), T0)).toEqual(allowed([600], [HOUR]));
        expect(await limiter.take(amount(601), T0)).toEqual(refused(0, HOUR, [HOUR]));
        expect(await limiter.take(amount(600), T0)).toEqual(allowed([0], [HOUR]));
        expect(await limiter.take(amount(1), T0)).toEqual(refused(0, HOUR, [HOUR]));
        expect(await limiter.take([quota('agent/big', 3, 5)], T0)).toEqual(refused(0, HOUR, [HOUR]));
      });

      it('adds fractional amounts with the precision of a double', async () => {
        const limiter = await fresh();
        const amount = (cost: number) => quota('agent/refund-total', 10, cost);
        let sum = 0;
        for (let i = 0; i < 10; i++) {
          await (i % 2 === 0 ? limiter.take([amount(0.7)], T0) : limiter.add([amount(0.7)], T0));
          sum += 0.7;
        }
        // Ten 0.7s make 7.000000000000001 in doubles: a backend adding decimals would say 3 left.
        expect((await limiter.take([amount(0)], T0)).remaining).toEqual([10 - sum]);
        expect(await limiter.take([amount(3.5)], T0)).toEqual(refused(0, HOUR, [HOUR]));
        expect(await limiter.take([amount(2.5)], T0)).toEqual(allowed([10 - sum - 2.5], [HOUR]));
      });
    });

    describe('keys', () => {
      it('keeps every key its own budget, and rate and quota keys apart', async () => {
        const limiter = await fresh();
        for (const agent of ['alpha', 'beta']) {
          expect((await takeTimes(limiter, [rate(agent, 1_000, 2)], T0, 3)).map((result) => result.allowed)).toEqual([true, true, false]);
        }
        expect((await takeTimes(limiter, [quota('alpha', 2)], T0, 3)).map((result) => result.allowed)).toEqual([true, true, false]);
        expect((await takeTimes(limiter, [quota('gamma', 2)], T0, 3)).map((result) => result.allowed)).toEqual([true, true, false]);
      });

      it('takes any characters in keys, and nothing in a key escapes it', async () => {
        const limiter = await fresh();
        const keys = [
          'agent with spaces',
          'line\nbreak',
          'line',
          'tab\there',
          `quotes ' " \``,
          '{braces}',
          '{',
          'ünïcode — ✓ 🚀 中文',
          '',
          ':',
          'a',
          'a:1',
          'a:1:2',
          'back\\slash',
          '%s %d',
          "']] redis.call('FLUSHALL') --[[",
          '") return {"-1"} --',
          'nul\u0000byte',
        ];
        for (const key of keys) {
          const results = await takeTimes(limiter, [rate(key, 60_000, 1), quota(key, 1)], T0, 2);
          expect(results.map((result) => result.allowed), JSON.stringify(key)).toEqual([true, false]);
          expect(results[1]!.refusedBy, JSON.stringify(key)).toBe(0);
        }
        // Every key is still spent: none collided with another or reset the others.
        for (const key of keys) {
          expect((await limiter.take([rate(key, 60_000, 1)], T0)).allowed, JSON.stringify(key)).toBe(false);
          expect((await limiter.take([quota(key, 1)], T0)).allowed, JSON.stringify(key)).toBe(false);
        }
        expect((await limiter.take([rate('line\n', 60_000, 1), quota('a:1:', 1)], T0)).allowed).toBe(true);
      });
    });

    describe('concurrency', () => {
      it('never allows more than the limit to parallel takes', async () => {
        const limiter = await fresh();
        const fire = (checks: LimitCheck[], times: number) => Promise.all(Array.from({ length: times }, () => limiter.take(checks, T0)));
        expect((await fire([rate('burst', 60_000, 20)], 100)).filter((result) => result.allowed)).toHaveLength(20);
        expect((await fire([quota('calls', 30)], 100)).filter((result) => result.allowed)).toHaveLength(30);
        // Both checks at once: the quota stops the request, so the rate keeps what it did not give.
        const both = [rate('both', 60_000, 25), quota('both', 20)];
        expect((await fire(both, 100)).filter((result) => result.allowed)).toHaveLength(20);
        expect((await fire([both[0]!], 100)).filter((result) => result.allowed)).toHaveLength(5);
      });

      it('never lets parallel add() calls lose a charge', async () => {
        const limiter = await fresh();
        await Promise.all(Array.from({ length: 50 }, () => limiter.add([quota('records', 1_000, 3)], T0)));
        expect((await limiter.take([quota('records', 1_000, 0)], T0)).remaining).toEqual([850]);
      });
    });
  });
}
