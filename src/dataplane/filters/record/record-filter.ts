import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import type { AuditApi, AuditData, AuditEvent, AuditHttp } from '../../../model/audit-event.js';
import type { ErrorCode } from '../../../model/errors.js';
import { formatRuleRef } from '../../../policy/decision.js';
import type { CompiledApi, RouteMatch } from '../../../policy/snapshot.js';
import type { AuditSink } from '../../audit-sink.js';
import { auditLimits } from '../limit/limit-filter.js';
import type { GatewayMetrics } from '../../ops/gateway-metrics.js';
import type { Filter } from '../../pipeline/filter.js';
import { apiOf, type RequestContext } from '../../pipeline/request-context.js';
import { piiFreeContext, piiFreePath } from './pii-free.js';

const MAX_RAW_PATH = 2048;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

export interface RecordFilter extends Filter {
  /** Strict mode: writes the record now and resolves once it is durable (before the response is sent). */
  recordDurably(ctx: RequestContext): Promise<void>;
  /**
   * Records a request answered before the filters could run, so without a RequestContext:
   * no policy snapshot yet, or a request Node's HTTP parser could not read.
   */
  recordEarlyRefusal(request: EarlyRefusal): void;
}

/** What is known of a request refused before the filters ran. */
export interface EarlyRefusal {
  readonly requestId: string;
  readonly time: number;
  readonly method: string;
  /** The request target as sent; its query is cut off before recording. */
  readonly target: string;
  readonly clientIp: string;
  readonly traceId: string | undefined;
  readonly status: number;
  readonly reason: ErrorCode;
  readonly bytesOut: number;
}

/**
 * Record: exactly one AuditEvent per request — allowed, denied, would-deny, failed or cut
 * off — written when the response ended (or, in strict mode, before it starts). Never a
 * secret: credentials by id, query parameters by name. Metrics count each request once,
 * when it completes, whichever way its record was written.
 */
export function recordFilter(options: { readonly sink: AuditSink; readonly metrics: GatewayMetrics; readonly node?: string }): RecordFilter {
  const node = options.node ?? hostname();
  const { sink, metrics } = options;

  function event(ctx: RequestContext): AuditEvent {
    ctx.recorded = true;
    const operation = ctx.route?.operation;
    const decision = ctx.decision;
    const agent = ctx.agent;
    const outcome = outcomeOf(ctx);
    return {
      v: 1,
      id: ctx.requestId,
      time: new Date(ctx.time).toISOString(),
      requestId: ctx.requestId,
      traceId: traceId(ctx.req),
      node,
      agent: agent === undefined ? undefined : { id: agent.name, name: agent.name, roles: agent.roles, owner: agent.owner },
      credential: ctx.credential,
      src: { ip: ctx.clientIp, country: undefined },
      http: http(ctx.req, ctx.route?.params, {
        canonicalPath: ctx.target === undefined ? undefined : piiFreePath(ctx.target.path, ctx.route?.params),
        queryParams: ctx.target?.queryNames ?? [],
        status: ctx.status,
        bytesIn: ctx.bytesIn,
        bytesOut: ctx.bytesOut,
        durationMs: milliseconds(performance.now() - ctx.started),
        upstreamMs: ctx.upstreamMs === undefined ? undefined : milliseconds(ctx.upstreamMs),
      }),
      api: operation !== undefined
        ? { name: operation.api.name, operation: operation.id, template: operation.fullPath, sensitivity: operation.api.sensitivity, dataClasses: operation.dataClasses }
        : ctx.learnedApi === undefined ? undefined : undeclaredCall(ctx.learnedApi),
      decision: {
        outcome,
        reason: ctx.failure?.code ?? ctx.wouldDeny?.code ?? (decision?.allowed ? 'GRANTED' : decision?.reason) ?? 'GRANTED',
        rule: decision?.matched === undefined ? undefined : formatRuleRef(decision.matched),
        policyVersion: decision?.policyVersion ?? ctx.state.snapshot.version,
        monitored: outcome === 'would-deny',
      },
      limits: ctx.limits === undefined ? undefined : auditLimits(ctx.limits),
      data: auditData(ctx),
      context: piiFreeContext(ctx.context),
      ...(ctx.approval !== undefined ? { approval: ctx.approval } : {}),
    };
  }

  return {
    name: 'record',
    onComplete(ctx) {
      metrics.request(ctx.agent?.name ?? '-', apiOf(ctx)?.name ?? '-', outcomeOf(ctx), (performance.now() - ctx.started) / 1000);
      if (!ctx.recorded) sink.write(event(ctx));
    },
    recordDurably(ctx) {
      return sink.writeDurably(event(ctx));
    },
    recordEarlyRefusal(request) {
      const outcome = isDenial(request.status) ? 'deny' : 'error';
      metrics.request('-', '-', outcome, (Date.now() - request.time) / 1000);
      sink.write({
        v: 1,
        id: request.requestId,
        time: new Date(request.time).toISOString(),
        requestId: request.requestId,
        traceId: request.traceId,
        node,
        agent: undefined,
        credential: undefined,
        src: { ip: request.clientIp, country: undefined },
        http: {
          method: request.method.slice(0, 16),
          rawPath: piiFreePath(withoutQuery(request.target), undefined),
          canonicalPath: undefined,
          queryParams: [],
          status: request.status,
          bytesIn: 0,
          bytesOut: request.bytesOut,
          durationMs: milliseconds(Date.now() - request.time),
          upstreamMs: undefined,
        },
        api: undefined,
        decision: { outcome, reason: request.reason, rule: undefined, policyVersion: undefined, monitored: false },
        limits: undefined,
        data: undefined,
        context: undefined,
      });
    },
  };
}

/** The `api` of a call to a path no operation declares, under a learning API's base path. */
function undeclaredCall(api: CompiledApi): AuditApi {
  return { name: api.name, operation: '', template: '', sensitivity: api.sensitivity, dataClasses: api.dataClasses, undeclared: true };
}

/** allow, deny (a 4xx refusal), would-deny (monitor mode let it pass) or error (5xx, cut off, client gone). */
function outcomeOf(ctx: RequestContext): AuditEvent['decision']['outcome'] {
  // A call held for approval (202) was refused for now: a denial, not an error.
  if (ctx.failure !== undefined) return (isDenial(ctx.status) || ctx.status === 202) && ctx.failure.code !== 'WARDEN_CLIENT_CLOSED' ? 'deny' : 'error';
  return ctx.wouldDeny !== undefined ? 'would-deny' : 'allow';
}

/** The request line as the client sent it (path truncated, query values left out) and what came of it. */
function http(req: IncomingMessage, params: RouteMatch['params'] | undefined, rest: Omit<AuditHttp, 'method' | 'rawPath'>): AuditHttp {
  return { method: (req.method ?? '').slice(0, 16), rawPath: piiFreePath(withoutQuery(req.url ?? ''), params), ...rest };
}

/** What the call's data protection did: records, masked fields, PII classes found, rows withheld. */
function auditData(ctx: RequestContext): AuditData | undefined {
  if (ctx.records === undefined && ctx.maskedFields.length === 0 && ctx.requestPii === undefined) return undefined;
  return {
    records: ctx.records,
    maskedFields: ctx.maskedFields,
    ...(ctx.piiClasses.length > 0 ? { piiClasses: ctx.piiClasses } : {}),
    ...(ctx.withheld > 0 ? { withheld: ctx.withheld } : {}),
    ...(ctx.requestPii !== undefined ? { request: ctx.requestPii } : {}),
  };
}

/** The path of a request target, truncated; query values may carry PII, so they are never recorded. */
function withoutQuery(target: string): string {
  const queryAt = target.indexOf('?');
  return (queryAt === -1 ? target : target.slice(0, queryAt)).slice(0, MAX_RAW_PATH);
}

/** The W3C trace id of a `traceparent` header, if it is well-formed. */
export function traceId(req: IncomingMessage): string | undefined {
  const traceparent = req.headers.traceparent;
  return typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}

function milliseconds(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** 4xx answers are denials (the request was refused); 5xx and cut-off responses are errors. */
function isDenial(status: number): boolean {
  return status >= 400 && status < 500;
}
