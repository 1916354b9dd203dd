import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../../model/config/gateway-config.js';
import { RedisServer } from '../../../../test/support/redis-server.js';
import { createLimiter } from './create-limiter.js';
import type { FallbackReason } from './failover-limiter.js';
import type { LimiterBackend, RateCheck } from './limiter.js';
import { MemoryLimiter } from './memory-limiter.js';

const PASSWORD = 'correct horse battery staple';
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const CHECK: RateCheck = { kind: 'rate', key: 'agent', emissionMs: 60_000, burst: 100, failClosed: false };
let server: RedisServer;
let directory: string;

beforeAll(async () => {
  server = await RedisServer.start(['--requirepass', PASSWORD]);
  directory = await mkdtemp(path.join(tmpdir(), 'warden-limiter-config-'));
  await writeFile(path.join(directory, 'redis-password'), `${PASSWORD}\n`);
});

afterAll(async () => {
  await server?.stop();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

function redisConfig(redis: Partial<NonNullable<GatewayConfig['rateLimits']['redis']>>): GatewayConfig['rateLimits'] {
  return { backend: 'redis', redis: { url: server.url, prefix: 'create:', commandTimeoutMs: 1_000, ...redis } };
}

/** Takes until the shared backend answers (it connects in the background), or fails after a while. */
async function untilShared(limiter: LimiterBackend): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await limiter.take([CHECK], T0)).fallback) {
    if (Date.now() > deadline) throw new Error('the limiter never reached Redis');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('createLimiter', () => {
  const created: LimiterBackend[] = [];
  afterEach(async () => {
    for (const limiter of created.splice(0)) await limiter.close();
  });
  const create = (...args: Parameters<typeof createLimiter>) => {
    const limiter = createLimiter(...args);
    created.push(limiter);
    return limiter;
  };

  it('limits in memory by default', () => {
    expect(create({ backend: 'memory' }, { baseDirectory: directory })).toBeInstanceOf(MemoryLimiter);
  });

  it('reads the password from a file relative to the config folder and reaches Redis', async () => {
    const limiter = create(redisConfig({ password: 'file:redis-password' }), { baseDirectory: directory, env: {} });
    expect(limiter.name).toBe('redis');
    await untilShared(limiter);
  });

  it('reads the password from the environment', async () => {
    const limiter = create(redisConfig({ password: 'env:WARDEN_REDIS_PASSWORD' }), { baseDirectory: directory, env: { WARDEN_REDIS_PASSWORD: PASSWORD } });
    await untilShared(limiter);
  });

  it('starts at once and serves from the fallback while Redis cannot be reached', async () => {
    const reasons: FallbackReason[] = [];
    const limiter = create(redisConfig({ url: 'redis://127.0.0.1:1' }), { baseDirectory: directory, onFallback: (reason) => reasons.push(reason) });
    expect(await limiter.take([CHECK], T0)).toMatchObject({ allowed: true, fallback: true });
    expect(reasons).toEqual(['unreachable']);
  });

  it('stays on the fallback with a wrong password', async () => {
    const limiter = create(redisConfig({ password: 'env:WRONG' }), { baseDirectory: directory, env: { WRONG: 'not the password' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await limiter.take([CHECK], T0)).toMatchObject({ allowed: true, fallback: true });
  });

  it('says what to set when the password secret is missing', () => {
    expect(() => create(redisConfig({ password: 'env:WARDEN_REDIS_PASSWORD' }), { baseDirectory: directory, env: {} })).toThrow(
      /rateLimits\.redis\.password \(env:WARDEN_REDIS_PASSWORD\).*environment variable WARDEN_REDIS_PASSWORD is not set.*Set environment variable WARDEN_REDIS_PASSWORD to the Redis password/,
    );
    expect(() => create(redisConfig({ password: 'file:missing-password' }), { baseDirectory: directory })).toThrow(
      new RegExp(`cannot be read \\(ENOENT\\).*Write the Redis password into ${path.join(directory, 'missing-password').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });

  it('refuses a Redis configuration it cannot use', () => {
    expect(() => create({ backend: 'redis' }, { baseDirectory: directory })).toThrow(/rateLimits\.redis is not set/);
    expect(() => create(redisConfig({ url: 'redis://user:secret@127.0.0.1:6379' }), { baseDirectory: directory })).toThrow(/contains a password.*env:NAME or file:PATH/);
  });
});
