import { performance } from 'node:perf_hooks';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../../test/support/redis-server.js';
import type { LimitCheck } from './limiter.js';
import { describeLimiterConformance } from './limiter-conformance.js';
import { RedisLimiter } from './redis-limiter.js';

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
let server: RedisServer;
let inspector: ReturnType<typeof createClient>;
let prefixes = 0;

beforeAll(async () => {
  server = await RedisServer.start();
  inspector = createClient({ url: server.url });
  inspector.on('error', () => undefined);
  await inspector.connect();
});

afterAll(async () => {
  inspector?.destroy();
  await server?.stop();
});

/** A connected limiter with keys of its own; the timeout is generous because this machine is shared. */
async function openLimiter(options: { prefix?: string; commandTimeoutMs?: number } = {}): Promise<RedisLimiter> {
  const limiter = new RedisLimiter({ url: server.url, prefix: options.prefix ?? `test${++prefixes}:`, commandTimeoutMs: options.commandTimeoutMs ?? 2_000 });
  await limiter.connect();
  return limiter;
}

describeLimiterConformance('redis', () => openLimiter());

describe('RedisLimiter', () => {
  it('writes one key per rate and per quota window, expiring once it no longer matters', async () => {
    const limiter = await openLimiter({ prefix: 'layout:' });
    try {
      await limiter.take([{ kind: 'rate', key: 'agent a', emissionMs: 1_000, burst: 5, failClosed: false }, { kind: 'quota', key: 'agent a/exports', limit: 10, windowMs: 3_600_000, cost: 2, failClosed: false }], T0 + 10);
      expect(await inspector.keys('layout:*')).toEqual(expect.arrayContaining(['layout:r:agent a', `layout:q:agent a/exports:${T0}`]));
      expect(await inspector.get('layout:r:agent a')).toBe(String(T0 + 1_010));
      expect(await inspector.get(`layout:q:agent a/exports:${T0}`)).toBe('2');
      // Relative to the caller's clock: the bucket is full in 1 s, the window ends in an hour, plus a minute's margin.
      const ratePttl = await inspector.pTTL('layout:r:agent a');
      expect(ratePttl).toBeGreaterThan(61_000 - 10_000);
      expect(ratePttl).toBeLessThanOrEqual(61_000);
      const quotaPttl = await inspector.pTTL(`layout:q:agent a/exports:${T0}`);
      expect(quotaPttl).toBeGreaterThan(3_600_000 - 10 + 60_000 - 10_000);
      expect(quotaPttl).toBeLessThanOrEqual(3_600_000 - 10 + 60_000);
    } finally {
      await limiter.close();
    }
  });

  it('runs the script again after Redis forgot it (NOSCRIPT falls back to EVAL)', async () => {
    const limiter = await openLimiter();
    try {
      const check: LimitCheck[] = [{ kind: 'rate', key: 'agent', emissionMs: 1_000, burst: 2, failClosed: false }];
      expect((await limiter.take(check, T0)).remaining).toEqual([1]);
      await inspector.scriptFlush();
      expect((await limiter.take(check, T0)).remaining).toEqual([0]);
      expect((await limiter.take(check, T0)).allowed).toBe(false);
    } finally {
      await limiter.close();
    }
  });

  it('refuses calls at once while not connected instead of queueing them', async () => {
    const limiter = new RedisLimiter({ url: server.url, prefix: 'offline:', commandTimeoutMs: 2_000 });
    try {
      expect(limiter.ready).toBe(false);
      await expect(limiter.take([{ kind: 'quota', key: 'q', limit: 1, windowMs: 3_600_000, cost: 1, failClosed: false }], T0)).rejects.toThrow();
      await limiter.connect();
      expect(limiter.ready).toBe(true);
    } finally {
      await limiter.close();
    }
    expect(limiter.ready).toBe(false);
  });

  it('gives up after commandTimeoutMs when Redis does not answer', async () => {
    const limiter = await openLimiter({ commandTimeoutMs: 100 });
    server.pause();
    try {
      const started = performance.now();
      await expect(limiter.take([{ kind: 'rate', key: 'agent', emissionMs: 1_000, burst: 2, failClosed: false }], T0)).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(performance.now() - started).toBeLessThan(1_000);
      // The connection itself is still up: only the failover limiter's pause protects the next calls.
      expect(limiter.ready).toBe(true);
    } finally {
      server.resume();
    }
    expect((await limiter.take([{ kind: 'rate', key: 'after', emissionMs: 1_000, burst: 2, failClosed: false }], T0)).allowed).toBe(true);
    await limiter.close();
  });

  describe('two gateways on one Redis', () => {
    it('allow exactly the burst together when they race for it', async () => {
      const [a, b] = [await openLimiter({ prefix: 'shared-burst:' }), await openLimiter({ prefix: 'shared-burst:' })];
      try {
        const check: LimitCheck[] = [{ kind: 'rate', key: 'agent', emissionMs: 60_000, burst: 50, failClosed: false }, { kind: 'quota', key: 'agent/calls', limit: 80, windowMs: 3_600_000, cost: 1, failClosed: false }];
        const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).take(check, T0)));
        expect(results.filter((result) => result.allowed)).toHaveLength(50);
        // Both counted what the other took: the quota saw exactly the 50 allowed calls.
        expect((await b.take([{ ...check[1]!, cost: 0 } as LimitCheck], T0)).remaining).toEqual([30]);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('hold one steady rate together', async () => {
      const [a, b] = [await openLimiter({ prefix: 'shared-rate:' }), await openLimiter({ prefix: 'shared-rate:' })];
      try {
        const emissionMs = 50; // 20/s
        const burst = 5;
        const check: LimitCheck[] = [{ kind: 'rate', key: 'agent', emissionMs, burst, failClosed: false }];
        let allowed = 0;
        const durationMs = 10_000;
        // Each gateway gets two calls every 10 ms of the fake clock: 400/s against a limit of 20/s.
        for (let elapsed = 0; elapsed < durationMs; elapsed += 10) {
          const results = await Promise.all([a, a, b, b].map((limiter) => limiter.take(check, T0 + elapsed)));
          allowed += results.filter((result) => result.allowed).length;
        }
        const limit = burst + Math.floor((durationMs - 10) / emissionMs);
        expect(allowed).toBeLessThanOrEqual(limit);
        expect(allowed).toBeGreaterThanOrEqual(limit * 0.95);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
});
