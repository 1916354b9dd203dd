import path from 'node:path';
import type { GatewayConfig } from '../../../model/config/gateway-config.js';
import { UpstreamCredentials } from '../forward/upstream-credentials.js';
import { FailoverLimiter, type FallbackReason } from './failover-limiter.js';
import type { LimiterBackend } from './limiter.js';
import { MemoryLimiter } from './memory-limiter.js';
import { RedisLimiter } from './redis-limiter.js';

export interface CreateLimiterOptions {
  /** Where `env:` secret references are looked up; `process.env` by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** Resolves relative `file:` secret references (the config file's folder). */
  readonly baseDirectory: string;
  /** Called per request the shared backend could not decide (the gateway counts these). */
  readonly onFallback?: (reason: FallbackReason) => void;
}

/**
 * The limiter `rateLimits` configures: in memory, or Redis shared by every gateway with this
 * gateway's own limiter standing in while Redis cannot answer. Returns at once: Redis is
 * connected in the background and the fallback serves until it is ready, so a Redis outage
 * never stops a gateway from starting. Configuration mistakes are thrown here, at start.
 */
export function createLimiter(config: GatewayConfig['rateLimits'], options: CreateLimiterOptions): LimiterBackend {
  if (config.backend === 'memory') return new MemoryLimiter();
  const redis = config.redis;
  if (redis === undefined) throw new Error('rateLimits.backend is redis but rateLimits.redis is not set: add rateLimits.redis.url (e.g. redis://redis:6379), or use backend: memory');
  refusePasswordInUrl(redis.url);
  const shared = new RedisLimiter({
    url: redis.url,
    password: redis.password === undefined ? undefined : redisPassword(redis.password, options),
    prefix: redis.prefix,
    commandTimeoutMs: redis.commandTimeoutMs,
  });
  // Retries until ready with backoff; it rejects only when the limiter is closed first.
  shared.connect().catch(() => undefined);
  return new FailoverLimiter(shared, new MemoryLimiter(), options.onFallback === undefined ? {} : { onFallback: options.onFallback });
}

/** A password in the URL would sit in the config file in clear; the schema asks for a secret reference. */
function refusePasswordInUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`rateLimits.redis.url "${url}" is not a URL: write redis://host:6379 or rediss://host:6380`);
  }
  if (parsed.password !== '') throw new Error('rateLimits.redis.url contains a password: remove it from the URL and set rateLimits.redis.password to env:NAME or file:PATH');
}

/** Resolves the password reference the way upstream credentials are resolved, or says what to set. */
function redisPassword(reference: string, options: CreateLimiterOptions): string {
  const absolute = reference.startsWith('file:') ? `file:${path.resolve(options.baseDirectory, reference.slice(5))}` : reference;
  // A header credential's value is the secret itself: the data plane's one resolver of env:/file: references.
  const resolved = new UpstreamCredentials(options.env ?? process.env).for({ type: 'header', header: 'x-redis-password', secret: absolute }, 0);
  if ('value' in resolved) return resolved.value;
  const what = reference.startsWith('env:') ? `set environment variable ${reference.slice(4)} to the Redis password` : `write the Redis password into ${absolute.slice(5)}`;
  throw new Error(`rateLimits.redis.password (${reference}) cannot be resolved: ${resolved.unavailable}. ${what[0]!.toUpperCase()}${what.slice(1)}, or remove rateLimits.redis.password if this Redis needs none.`);
}
