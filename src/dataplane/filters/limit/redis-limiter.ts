import { createHash } from 'node:crypto';
import { createClient, ErrorReply, TimeoutError as RedisTimeoutError } from '@redis/client';
import { windowStart, type LimitCheck, type LimitResult, type LimiterBackend, type QuotaCheck } from './limiter.js';

/**
 * Every check of one request in one atomic step, mirroring MemoryLimiter and gcraStep number
 * for number: read all state, decide every check in order (returning at the first refusal,
 * having written nothing), then commit. Lua numbers are doubles like JavaScript's, so the same
 * operations in the same order give the same results; values cross the boundary as
 * `%.17g` strings because Redis truncates Lua numbers it returns to integers.
 *
 * KEYS[i]   the Redis key of check i
 * ARGV[1]   now, epoch ms of the caller's clock (never Redis TIME: one clock for every backend)
 * ARGV[2]   '1': check and take; '0': add quota costs without checking
 * ARGV[3]   milliseconds kept past the moment a key stops mattering
 * then four per check: 'r', emissionMs, burst, '' | 'q', limit, window end, cost
 *
 * Returns {'-1', '0', remaining1, reset1, ...} when allowed, {index, retryAfterMs, resetMs}
 * when check `index` (0-based) refused.
 */
const SCRIPT = `
local now = tonumber(ARGV[1])
local take = ARGV[2] == '1'
local margin = tonumber(ARGV[3])
-- gcra.ts EPSILON_MS: fractional intervals drift by a few ulps; never refuse for that.
local EPSILON_MS = 1e-6
local function num(x) return string.format('%.17g', x) end
local out = {'-1', '0'}
local tats = {}
if take then
  for i = 1, #KEYS do
    local at = 3 + (i - 1) * 4
    local stored = tonumber(redis.call('GET', KEYS[i]))
    if ARGV[at + 1] == 'r' then
      local emission, burst = tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
      local tat = now
      if stored ~= nil and stored >= now then tat = stored end
      local nxt = tat + emission
      local tolerance = emission * burst
      local allowAt = nxt - tolerance
      if now < allowAt - EPSILON_MS then
        return {tostring(i - 1), num(allowAt - now), num(tat - now)}
      end
      tats[i] = nxt
      out[#out + 1] = num(math.floor((tolerance - (nxt - now)) / emission + EPSILON_MS))
      out[#out + 1] = num(nxt - now)
    else
      local limit, windowEnd, cost = tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
      local used = stored or 0
      local reset = windowEnd - now
      if used + math.max(cost, 1) > limit then
        return {tostring(i - 1), num(reset), num(reset)}
      end
      out[#out + 1] = num(math.max(0, limit - used - cost))
      out[#out + 1] = num(reset)
    end
  end
end
for i = 1, #KEYS do
  local at = 3 + (i - 1) * 4
  if tats[i] ~= nil then
    -- Gone once the bucket is full again (plus the margin): a missing key reads as a full bucket.
    redis.call('SET', KEYS[i], num(tats[i]), 'PX', num(math.ceil(tats[i] - now) + margin))
  elseif ARGV[at + 1] == 'q' then
    local windowEnd, cost = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
    if cost > 0 then
      -- Read again: one request may name the same window twice, and each charge counts.
      local used = tonumber(redis.call('GET', KEYS[i])) or 0
      redis.call('SET', KEYS[i], num(used + cost), 'PX', num(math.ceil(windowEnd - now) + margin))
    end
  end
end
return out
`;

const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

/**
 * Keys outlive the moment they stop mattering by a minute. Expiry is relative to the caller's
 * `now` (a PEXPIREAT would trust Redis's clock to agree with every gateway's, and with a test's
 * fake clock); the margin covers gateways whose clocks run behind the one that wrote the key,
 * which would otherwise find a bucket emptied early. A stale key changes nothing: a TAT in
 * the past reads as a full bucket, and a window's key names its start.
 */
const EXPIRY_MARGIN_MS = 60_000;

/** Between reconnect attempts: doubling from 50 ms to 2 s, with jitter so gateways do not reconnect in step. */
function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, 2_000) + Math.floor(Math.random() * 100);
}

export interface RedisLimiterOptions {
  /** `redis://` or `rediss://`, without a password. */
  readonly url: string;
  readonly password?: string | undefined;
  /** Prefix of every key written, so several deployments can share one Redis. */
  readonly prefix: string;
  /** A call that has no answer after this long fails with an error named `TimeoutError`. */
  readonly commandTimeoutMs: number;
}

/**
 * The shared backend: gateways pointing at one Redis enforce one limit together. A request's
 * checks run as one Lua script (EVALSHA, falling back to EVAL after a Redis restart forgot
 * it), so they are atomic and all-or-nothing across gateways. Every key and value travels as
 * KEYS/ARGV, never inside the script text, so no agent name or rule reference can change it.
 *
 * Single Redis node only (a primary behind a stable address): one request's keys hash to
 * different slots, so a Redis Cluster refuses the script (CROSSSLOT), and keys are not
 * hash-tagged because their `{}` would come from agent names and rule references.
 *
 * Nothing waits for Redis: commands are refused at once while disconnected (no offline
 * queue), every call gives up after `commandTimeoutMs`, and the client reconnects in the
 * background with backoff. Callers (FailoverLimiter) decide what an error means.
 */
export class RedisLimiter implements LimiterBackend {
  readonly name = 'redis';
  readonly #client;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  #connecting: Promise<void> | undefined;

  constructor(options: RedisLimiterOptions) {
    this.#prefix = options.prefix;
    this.#timeoutMs = options.commandTimeoutMs;
    this.#client = createClient({
      url: options.url,
      ...(options.password === undefined ? {} : { password: options.password }),
      disableOfflineQueue: true,
      // Drops a command still unwritten at the deadline (socket backpressure), so an abandoned
      // call is never sent late; a written one is abandoned by the race in #run.
      commandOptions: { timeout: options.commandTimeoutMs },
      socket: { reconnectStrategy: reconnectDelay },
    });
    // Connection errors repeat on every retry; FailoverLimiter reports each request they affect.
    this.#client.on('error', () => undefined);
    // Loaded on every (re)connect so the first request after a Redis restart needs no EVAL.
    this.#client.on('ready', () => {
      this.#client.scriptLoad(SCRIPT).catch(() => undefined);
    });
  }

  /** Starts connecting (retrying with backoff); resolves once ready, rejects only if closed first. */
  connect(): Promise<void> {
    this.#connecting ??= this.#client.connect().then(() => undefined);
    return this.#connecting;
  }

  /** Connected and able to answer; false before the first connection and while reconnecting. */
  get ready(): boolean {
    return this.#client.isReady;
  }

  async take(checks: readonly LimitCheck[], now: number): Promise<LimitResult> {
    if (checks.length === 0) return { allowed: true, refusedBy: -1, retryAfterMs: 0, remaining: [], resetMs: [], fallback: false, unavailable: false };
    const keys = new Array<string>(checks.length);
    const args = [String(now), '1', String(EXPIRY_MARGIN_MS)];
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i]!;
      if (check.kind === 'rate') {
        keys[i] = `${this.#prefix}r:${check.key}`;
        args.push('r', String(check.emissionMs), String(check.burst), '');
      } else {
        keys[i] = this.#quotaKey(check, now, args);
      }
    }
    const reply = await this.#run(keys, args);
    const refusedBy = Number(reply[0]);
    if (refusedBy !== -1) {
      const resetMs = checks.map(() => 0);
      resetMs[refusedBy] = Number(reply[2]);
      return { allowed: false, refusedBy, retryAfterMs: Number(reply[1]), remaining: checks.map(() => 0), resetMs, fallback: false, unavailable: false };
    }
    const remaining = new Array<number>(checks.length);
    const resetMs = new Array<number>(checks.length);
    for (let i = 0; i < checks.length; i++) {
      remaining[i] = Number(reply[2 + 2 * i]);
      resetMs[i] = Number(reply[3 + 2 * i]);
    }
    return { allowed: true, refusedBy: -1, retryAfterMs: 0, remaining, resetMs, fallback: false, unavailable: false };
  }

  async add(checks: readonly QuotaCheck[], now: number): Promise<void> {
    const charged = checks.filter((check) => check.cost > 0);
    if (charged.length === 0) return;
    const args = [String(now), '0', String(EXPIRY_MARGIN_MS)];
    const keys = charged.map((check) => this.#quotaKey(check, now, args));
    await this.#run(keys, args);
  }

  async close(): Promise<void> {
    if (this.#client.isReady) {
      // Let answers in flight arrive, but never wait on a hung Redis to shut down.
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        this.#client.close().then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(resolve, this.#timeoutMs, false))),
      ]);
      clearTimeout(timer);
      if (closed) return;
    }
    this.#client.destroy();
  }

  /** The key of the window `now` falls in; pushes the check's script arguments. */
  #quotaKey(check: QuotaCheck, now: number, args: string[]): string {
    const start = windowStart(now, check.windowMs);
    args.push('q', String(check.limit), String(start + check.windowMs), String(check.cost));
    // The window start is the last `:` segment and never contains one, so no two (key, window) pairs share a key.
    return `${this.#prefix}q:${check.key}:${start}`;
  }

  /** Runs the script, giving up after the command timeout whether or not the command was sent. */
  async #run(keys: string[], args: string[]): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError(this.#timeoutMs)), this.#timeoutMs);
    });
    try {
      return await Promise.race([this.#evaluate(keys, args), deadline]);
    } catch (error) {
      throw error instanceof RedisTimeoutError ? timeoutError(this.#timeoutMs) : error;
    } finally {
      clearTimeout(timer);
    }
  }

  async #evaluate(keys: string[], args: string[]): Promise<string[]> {
    try {
      return (await this.#client.evalSha(SCRIPT_SHA, { keys, arguments: args })) as string[];
    } catch (error) {
      // A restarted (or flushed) Redis has forgotten the script: EVAL sends it and caches it again.
      if (!(error instanceof ErrorReply && error.message.startsWith('NOSCRIPT'))) throw error;
      return (await this.#client.eval(SCRIPT, { keys, arguments: args })) as string[];
    }
  }
}

/** Named `TimeoutError` (as AbortSignal.timeout's) so callers tell a slow Redis from a failing one. */
function timeoutError(timeoutMs: number): Error {
  const error = new Error(`Redis did not answer within ${timeoutMs} ms`);
  error.name = 'TimeoutError';
  return error;
}
