import { performance } from 'node:perf_hooks';
import { createClient } from '@redis/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../../test/support/redis-server.js';
import { FailoverLimiter, type FallbackReason, type SharedLimiterBackend } from './failover-limiter.js';
import type { LimitCheck, LimitResult, QuotaCheck, RateCheck } from './limiter.js';
import { MemoryLimiter } from './memory-limiter.js';
import { RedisLimiter } from './redis-limiter.js';

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
let server: RedisServer;

beforeAll(async () => {
  server = await RedisServer.start();
});

afterAll(async () => {
  await server?.stop();
});

function rate(key: string, burst: number, failClosed = false): RateCheck {
  return { kind: 'rate', key, emissionMs: 60_000, burst, failClosed };
}

function quota(key: string, limit: number, cost = 1): QuotaCheck {
  return { kind: 'quota', key, limit, windowMs: 3_600_000, cost, failClosed: false };
}

/** The real RedisLimiter, counting the calls that reach it: "no round trip" is then a number. */
class CountedRedis implements SharedLimiterBackend {
  readonly name = 'redis';
  calls = 0;
  constructor(readonly redis: RedisLimiter) {}
  get ready(): boolean {
    return this.redis.ready;
  }
  take(checks: readonly LimitCheck[], now: number): Promise<LimitResult> {
    this.calls++;
    return this.redis.take(checks, now);
  }
  add(checks: readonly QuotaCheck[], now: number): Promise<void> {
    this.calls++;
    return this.redis.add(checks, now);
  }
  close(): Promise<void> {
    return this.redis.close();
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('FailoverLimiter over a real Redis', () => {
  const opened: FailoverLimiter[] = [];
  let clock = 0;

  afterEach(async () => {
    server.resume();
    for (const limiter of opened.splice(0)) await limiter.close();
    if (!server.running) await server.restart();
  });

  /** A gateway's limiter on the test Redis, with every fallback reason it reported. */
  async function gateway(options: { commandTimeoutMs?: number; prefix?: string } = {}) {
    const shared = new CountedRedis(new RedisLimiter({ url: server.url, prefix: options.prefix ?? 'failover:', commandTimeoutMs: options.commandTimeoutMs ?? 2_000 }));
    await shared.redis.connect();
    const reasons: FallbackReason[] = [];
    const limiter = new FailoverLimiter(shared, new MemoryLimiter(), { onFallback: (reason) => reasons.push(reason), clock: () => clock });
    opened.push(limiter);
    return { limiter, shared, reasons };
  }

  async function killRedis(shared: CountedRedis): Promise<void> {
    await server.kill();
    await until(() => !shared.ready, 'the client noticed Redis is gone');
  }

  it('decides through Redis while it is up, one budget for every gateway', async () => {
    const [a, b] = [await gateway({ prefix: 'up:' }), await gateway({ prefix: 'up:' })];
    expect(await a.limiter.take([rate('agent', 2)], T0)).toMatchObject({ allowed: true, remaining: [1], fallback: false });
    expect(await b.limiter.take([rate('agent', 2)], T0)).toMatchObject({ allowed: true, remaining: [0], fallback: false });
    expect(await a.limiter.take([rate('agent', 2)], T0)).toMatchObject({ allowed: false, fallback: false, unavailable: false });
    await b.limiter.add([quota('agent/records', 10, 4)], T0);
    expect(await a.limiter.take([quota('agent/records', 10, 0)], T0)).toMatchObject({ allowed: true, remaining: [6], fallback: false });
    expect([...a.reasons, ...b.reasons]).toEqual([]);
  });

  it('keeps limiting fail-open checks locally while Redis is down, reporting each request', async () => {
    const { limiter, shared, reasons } = await gateway({ prefix: 'down-open:' });
    expect(await limiter.take([rate('agent', 3)], T0)).toMatchObject({ allowed: true, remaining: [2], fallback: false });
    await killRedis(shared);
    const calls = shared.calls;
    // The local limiter never saw the unit Redis counted: each gateway enforces the limit on its own.
    const results: LimitResult[] = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.take([rate('agent', 3)], T0));
    expect(results.map((result) => [result.allowed, result.remaining[0], result.fallback])).toEqual([[true, 2, true], [true, 1, true], [true, 0, true], [false, 0, true]]);
    expect(results[3]).toMatchObject({ refusedBy: 0, retryAfterMs: 60_000, unavailable: false });
    await limiter.add([quota('agent/records', 10, 9)], T0);
    expect(await limiter.take([quota('agent/records', 10, 2)], T0)).toMatchObject({ allowed: false, fallback: true });
    expect(reasons).toEqual(['unreachable', 'unreachable', 'unreachable', 'unreachable', 'unreachable']);
    expect(shared.calls).toBe(calls);
  });

  it('refuses fail-closed checks at once while Redis is down, taking nothing', async () => {
    const { limiter, shared, reasons } = await gateway({ prefix: 'down-closed:' });
    await killRedis(shared);
    const started = performance.now();
    const result = await limiter.take([rate('agent', 1), rate('agent/payments', 5, true)], T0);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result).toEqual({ allowed: false, refusedBy: 1, retryAfterMs: 1_000, remaining: [0, 0], resetMs: [0, 0], fallback: false, unavailable: true });
    // The fail-open check of the refused request was not charged to the local limiter either.
    expect(await limiter.take([rate('agent', 1)], T0)).toMatchObject({ allowed: true, fallback: true });
    expect(reasons).toEqual(['unreachable', 'unreachable']);
  });

  it('goes back to Redis once it is back on the same port', async () => {
    const { limiter, shared, reasons } = await gateway({ prefix: 'back:' });
    await killRedis(shared);
    expect(await limiter.take([rate('agent', 3, true)], T0)).toMatchObject({ allowed: false, unavailable: true });
    expect(await limiter.take([rate('agent', 3)], T0)).toMatchObject({ allowed: true, fallback: true, remaining: [2] });
    await server.restart();
    await until(() => shared.ready, 'the client reconnected');
    // A restarted Redis is empty and knows nothing of the fallback's count.
    expect(await limiter.take([rate('agent', 3, true)], T0)).toMatchObject({ allowed: true, fallback: false, unavailable: false, remaining: [2] });
    expect(await limiter.take([rate('agent', 3)], T0)).toMatchObject({ allowed: true, fallback: false, remaining: [1] });
    expect(reasons).toEqual(['unreachable', 'unreachable']);
  });

  it('treats a hung Redis as a timeout, rests it instead of waiting on every request, then tries it again', async () => {
    const { limiter, shared, reasons } = await gateway({ prefix: 'hung:', commandTimeoutMs: 100 });
    server.pause();
    const started = performance.now();
    expect(await limiter.take([rate('agent', 3)], T0)).toMatchObject({ allowed: true, fallback: true });
    expect(await limiter.take([rate('agent/payments', 3, true)], T0)).toMatchObject({ allowed: false, unavailable: true });
    expect(performance.now() - started).toBeLessThan(1_000);
    // Only the first call went to Redis; the connection still looks up, so the pause is what spares the rest.
    expect(shared.calls).toBe(1);
    expect(shared.ready).toBe(true);
    expect(reasons).toEqual(['timeout', 'timeout']);
    server.resume();
    clock += 60_000;
    // The timed-out call had been sent, so Redis ran it once it woke: a late charge, counted as well.
    expect(await limiter.take([rate('agent', 3)], T0)).toMatchObject({ allowed: true, fallback: false, remaining: [1] });
    expect(shared.calls).toBe(2);
  });

  it('rests a Redis that answers with errors, then tries it again', async () => {
    const { limiter, shared, reasons } = await gateway({ prefix: 'errors:' });
    const admin = createClient({ url: server.url });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      // Out of memory with no eviction: Redis refuses every write, and the script writes.
      await admin.configSet({ maxmemory: '1', 'maxmemory-policy': 'noeviction' });
      expect(await limiter.take([rate('agent', 3)], T0)).toMatchObject({ allowed: true, fallback: true });
      expect(await limiter.take([rate('agent', 3)], T0)).toMatchObject({ allowed: true, fallback: true });
      expect(reasons).toEqual(['error', 'error']);
      expect(shared.calls).toBe(1);
      await admin.configSet({ maxmemory: '0' });
      clock += 60_000;
      expect(await limiter.take([rate('agent', 3)], T0)).toMatchObject({ allowed: true, fallback: false, remaining: [2] });
    } finally {
      await admin.configSet({ maxmemory: '0' }).catch(() => undefined);
      admin.destroy();
    }
  });
});
