import type { AuditLimits } from '../../../model/audit-event.js';
import type { ErrorCode } from '../../../model/errors.js';
import type { AgentContainment, ContainmentThrottle } from '../../../policy/containment.js';
import type { EvaluationInput } from '../../../policy/evaluation.js';
import { quotaApplies, quotaCost } from '../../../policy/quota.js';
import type { CompiledRate } from '../../../policy/rate-limit.js';
import type { GrantObligations } from '../../../policy/snapshot.js';
import type { GatewayMetrics } from '../../ops/gateway-metrics.js';
import { CONTINUE, type Filter, type Verdict } from '../../pipeline/filter.js';
import { apiOf, type RequestContext } from '../../pipeline/request-context.js';
import { denyOrMonitor } from '../authorize/authorize-filter.js';
import { LimitCache } from './limit-cache.js';
import type { LimitCheck, LimitResult, LimiterBackend, QuotaCheck } from './limiter.js';
import type { UpstreamHealth } from './upstream-health.js';

/** What one call counted against: kept on the request for its answer's headers, its audit record and late charges. */
export interface LimitUsage {
  readonly checks: readonly LimitCheck[];
  /** Per check, the limit's name in the RateLimit headers and its bucket in the audit record. */
  readonly names: readonly string[];
  readonly buckets: readonly string[];
  /** Per check, the window in seconds the RateLimit-Policy header announces. */
  readonly windows: readonly number[];
  readonly quotas: readonly number[];
  /** The `RateLimit-Policy` header: every limit's quota and window. */
  readonly policy: string;
  /** The containment throttles counted, in order: the last checks are theirs. */
  readonly throttles: readonly ContainmentThrottle[];
  readonly result: LimitResult;
  /**
   * Quota charges made only once the call went through: records read (known from the answer),
   * and every quota of a step-up grant (a call held for approval is not yet a business event).
   */
  readonly later: readonly QuotaCheck[];
}

export interface LimitFilter extends Filter {
  onComplete(ctx: RequestContext): void;
}

/**
 * Limit: what the allowing grant and the agent's roles allow per unit of time. Sheds calls of
 * lower-priority agents while the API's upstream is overloaded, then checks the grant's rate
 * limit, the roles' API-wide limits, the grant's quotas and the throttles a playbook or a
 * person put on the agent together (all or nothing). Every key is the identified agent plus
 * the rule or containment: nothing the client sends can move it.
 */
export function limitFilter(options: { readonly limiter: LimiterBackend; readonly health: UpstreamHealth; readonly globalMonitor: boolean; readonly metrics: GatewayMetrics; readonly region: string | undefined }): LimitFilter {
  const { limiter, health, metrics } = options;
  const cache = new LimitCache();

  function decided(ctx: RequestContext, usage: LimitUsage, monitored: boolean): Verdict {
    ctx.limits = usage;
    const result = usage.result;
    if (result.allowed) return CONTINUE;
    const check = usage.checks[result.refusedBy]!;
    const api = ctx.route!.operation.api.name;
    if (result.unavailable) {
      metrics.limitRefusal(api, 'unavailable');
      return refuse(ctx, monitored, 'WARDEN_RATE_LIMIT_UNAVAILABLE', 'the shared rate limiter cannot be reached and this limit does not let calls through without it', { 'retry-after': '1' });
    }
    const retryAfter = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
    const headers = { 'retry-after': retryAfter, 'ratelimit-policy': usage.policy, ratelimit: `"${usage.names[result.refusedBy]}";r=0;t=${retryAfter}` };
    metrics.limitRefusal(api, check.kind);
    const throttledFrom = usage.checks.length - usage.throttles.length;
    if (result.refusedBy >= throttledFrom) {
      // Which detector or person put the throttle there is for the audit log (its bucket names the containment), not the agent.
      return refuse(ctx, monitored, 'WARDEN_RATE_LIMITED', `calls of this agent are limited to ${usage.throttles[result.refusedBy - throttledFrom]!.rate.text} for now; retry in ${retryAfter} s`, headers);
    }
    if (check.kind === 'rate') return refuse(ctx, monitored, 'WARDEN_RATE_LIMITED', `rate limit of ${ctx.decision!.api}.${ctx.decision!.operation} reached; retry in ${retryAfter} s`, headers);
    return refuse(ctx, monitored, 'WARDEN_QUOTA_EXCEEDED', `quota of ${ctx.decision!.api}.${ctx.decision!.operation} used up for this ${check.windowMs >= 86_400_000 ? 'day (UTC)' : 'hour'}; it resets in ${retryAfter} s`, headers);
  }

  return {
    name: 'limit',
    onRequest(ctx) {
      const decision = ctx.decision;
      // Denied calls are refused already; would-deny calls (monitor mode) pass unlimited, the
      // undeclared calls of learning APIs among them: in monitor mode no limit could refuse them.
      if (decision === undefined || !decision.allowed || ctx.wouldDeny !== undefined) return CONTINUE;
      const agent = ctx.agent!;
      const api = ctx.route!.operation.api;
      const monitored = options.globalMonitor || api.mode === 'monitor';
      if (api.protection !== undefined && health.sheds(api, agent.access.priority, ctx.time)) {
        metrics.limitRefusal(api.name, 'overloaded');
        const seconds = String(Math.min(5, Math.ceil(api.protection.windowMs / 1000)));
        return refuse(ctx, monitored, 'WARDEN_UPSTREAM_OVERLOADED', `${api.name} is overloaded; calls of lower-priority agents wait until it recovers`, { 'retry-after': seconds });
      }
      const obligations = decision.obligations!;
      const scoped = agent.access.apiLimits.size === 0 ? undefined : agent.access.apiLimits.get(api.name);
      if (obligations.rateLimit === undefined && obligations.quotas.length === 0 && scoped === undefined && agent.containment === undefined) return CONTINUE;
      const usage = checksOf(ctx, cache, obligations, scoped, options.region);
      if (typeof usage === 'string') return refuse(ctx, monitored, 'WARDEN_AUTHZ_PARAM_VIOLATION', usage, undefined);
      // A contained agent whose throttles have lapsed (or that has only a step-up) and no other limit.
      if (usage.checks.length === 0) return CONTINUE;
      const result = limiter.take(usage.checks, ctx.time);
      if (result instanceof Promise) return result.then((answer) => decided(ctx, withResult(usage, answer), monitored));
      return decided(ctx, withResult(usage, result), monitored);
    },
    onComplete(ctx) {
      // Undeclared calls of a learning API reach the same upstream, so they tell its health too.
      const api = apiOf(ctx);
      if (api === undefined) return;
      if (api.protection !== undefined && (ctx.upstream !== undefined || isUpstreamFailure(ctx.failure?.code))) {
        const failed = ctx.upstream === undefined ? isUpstreamFailure(ctx.failure?.code) : ctx.upstream.status >= 500;
        health.observe(api, ctx.time, ctx.upstream === undefined ? undefined : ctx.upstreamMs, failed);
      }
      const usage = ctx.limits;
      // Late charges count only calls that reached the upstream (and, for step-up, were approved).
      if (usage === undefined || usage.later.length === 0 || !usage.result.allowed || ctx.upstream === undefined) return;
      const records = ctx.records ?? 0;
      const charges = usage.later.map((check) => (check.cost === 0 ? { ...check, cost: records } : check)).filter((check) => check.cost > 0);
      if (charges.length === 0) return;
      // The failover backend charges the local limiter when Redis fails; nothing is left to report here.
      const added = limiter.add(charges, ctx.time);
      if (added instanceof Promise) added.catch(() => undefined);
    },
  };
}

/** The checks of one call, or why a quota cannot count it. */
function checksOf(ctx: RequestContext, cache: LimitCache, obligations: GrantObligations, scoped: readonly { readonly bucket: string; readonly rate: NonNullable<GrantObligations['rateLimit']> }[] | undefined, region: string | undefined): Omit<LimitUsage, 'result'> | string {
  const agent = ctx.agent!;
  const checks: LimitCheck[] = [];
  const names: string[] = [];
  const buckets: string[] = [];
  const windows: number[] = [];
  const quotas: number[] = [];
  const later: QuotaCheck[] = [];
  const containment = agent.containment;
  const addRate = (name: string, bucket: string, limit: CompiledRate) => {
    checks.push({ kind: 'rate', key: cache.key(agent, bucket), emissionMs: limit.emissionMs, burst: limit.burst, failClosed: limit.failClosed });
    names.push(name);
    buckets.push(bucket);
    windows.push(limit.periodMs / 1000);
    quotas.push(limit.limit);
  };
  const rate = obligations.rateLimit;
  if (rate !== undefined) addRate('rate', obligations.bucket, rate);
  if (scoped !== undefined) for (let i = 0; i < scoped.length; i++) addRate(`api-${i + 1}`, scoped[i]!.bucket, scoped[i]!.rate);
  if (obligations.quotas.length > 0) {
    const input: EvaluationInput = { pathParams: ctx.route!.params, query: ctx.target!.query, body: ctx.bodyFields, context: ctx.context, time: ctx.time, region };
    for (let i = 0; i < obligations.quotas.length; i++) {
      const quota = obligations.quotas[i]!;
      if (!quotaApplies(quota, input)) continue;
      const cost = quotaCost(quota, input);
      if (typeof cost !== 'number') return cost.error;
      const key = cache.key(agent, quota.bucket);
      // Step-up: peek now, charge once the approved call went through (held calls are not business events).
      const deferred = obligations.stepUp || (containment !== undefined && ctx.time < containment.stepUpUntil) || quota.count === 'records';
      checks.push({ kind: 'quota', key, limit: quota.limit, windowMs: quota.windowMs, cost: deferred ? 0 : cost, failClosed: quota.failClosed });
      if (deferred) later.push({ kind: 'quota', key, limit: quota.limit, windowMs: quota.windowMs, cost, failClosed: quota.failClosed });
      names.push(`quota-${i + 1}`);
      buckets.push(quota.bucket);
      windows.push(quota.windowMs / 1000);
      quotas.push(quota.limit);
    }
  }
  const throttles = containment === undefined ? NO_THROTTLES : throttlesInForce(containment, ctx.time);
  for (let i = 0; i < throttles.length; i++) addRate(`agent-${i + 1}`, throttles[i]!.bucket, throttles[i]!.rate);
  const build = () => policyHeader(names, quotas, windows);
  // Every limit of the grant counted: the header is the grant's own, the same for each call.
  const policy = scoped === undefined && throttles.length === 0 && checks.length === (rate === undefined ? 0 : 1) + obligations.quotas.length ? cache.policy(obligations, build) : build();
  return { checks, names, buckets, windows, quotas, policy, throttles, later };
}

const NO_THROTTLES: readonly ContainmentThrottle[] = Object.freeze([]);

/** The agent's throttles that have not lapsed at `time`; a lapsed one simply stops counting. */
function throttlesInForce(containment: AgentContainment, time: number): readonly ContainmentThrottle[] {
  const all = containment.throttles;
  let inForce: ContainmentThrottle[] | undefined;
  for (let i = 0; i < all.length; i++) {
    if (time < all[i]!.until) (inForce ??= []).push(all[i]!);
  }
  return inForce ?? NO_THROTTLES;
}

/** The usage with the limiter's answer; spelled out because an object spread here cost more than the limiter itself. */
function withResult(usage: Omit<LimitUsage, 'result'>, result: LimitResult): LimitUsage {
  return { checks: usage.checks, names: usage.names, buckets: usage.buckets, windows: usage.windows, quotas: usage.quotas, policy: usage.policy, throttles: usage.throttles, result, later: usage.later };
}

/** `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers): each limit's quota and window in seconds. */
function policyHeader(names: readonly string[], quotas: readonly number[], windows: readonly number[]): string {
  let header = '';
  for (let i = 0; i < names.length; i++) header += `${i === 0 ? '' : ', '}"${names[i]}";q=${quotas[i]};w=${windows[i]}`;
  return header;
}

/** The RateLimit headers of an allowed call: what is left of each limit and when it is whole again. */
export function rateLimitHeaders(usage: LimitUsage): Record<string, string> {
  let current = '';
  for (let i = 0; i < usage.checks.length; i++) {
    current += `${i === 0 ? '' : ', '}"${usage.names[i]}";r=${Math.floor(usage.result.remaining[i]!)};t=${Math.ceil(usage.result.resetMs[i]! / 1000)}`;
  }
  return { 'ratelimit-policy': usage.policy, ratelimit: current };
}

/** The audit record's `limits`: the limit with the least left (the one that refused, if any). */
export function auditLimits(usage: LimitUsage): AuditLimits | undefined {
  if (usage.checks.length === 0) return undefined;
  const result = usage.result;
  let tightest = result.refusedBy;
  if (tightest === -1) {
    tightest = 0;
    for (let i = 1; i < usage.checks.length; i++) if (result.remaining[i]! < result.remaining[tightest]!) tightest = i;
  }
  const remaining = result.allowed ? Math.floor(result.remaining[tightest]!) : 0;
  return result.fallback ? { bucket: usage.buckets[tightest]!, remaining, fallback: true } : { bucket: usage.buckets[tightest]!, remaining };
}

function isUpstreamFailure(code: ErrorCode | undefined): boolean {
  return code === 'WARDEN_UPSTREAM_UNAVAILABLE' || code === 'WARDEN_UPSTREAM_TIMEOUT';
}

function refuse(ctx: RequestContext, monitored: boolean, code: ErrorCode, detail: string, headers: Readonly<Record<string, string>> | undefined): Verdict {
  const verdict = denyOrMonitor(ctx, monitored, code, detail);
  return verdict.kind === 'respond' && headers !== undefined ? { ...verdict, headers } : verdict;
}
