import { hostname } from 'node:os';
import type { AuditEvent } from '../../../model/audit-event.js';
import { formatRuleRef } from '../../../policy/decision.js';
import type { AuditSink } from '../../audit-sink.js';
import type { GatewayMetrics } from '../../ops/gateway-metrics.js';
import type { Filter } from '../../pipeline/filter.js';
import type { RequestContext } from '../../pipeline/request-context.js';

const MAX_RAW_PATH = 2048;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

export interface RecordFilter extends Filter {
  /** Strict mode: writes the record now and resolves once it is durable (before the response is sent). */
  recordDurably(ctx: RequestContext): Promise<void>;
}

/**
 * Record: exactly one AuditEvent per request — allowed, denied, would-deny, failed or cut
 * off — written when the response ended (or, in strict mode, before it starts). Never a
 * secret: credentials by id, query parameters by name.
 */
export function recordFilter(options: { readonly sink: AuditSink; readonly metrics: GatewayMetrics; readonly node?: string }): RecordFilter {
  const node = options.node ?? hostname();
  const { sink, metrics } = options;

  function event(ctx: RequestContext): AuditEvent {
    ctx.recorded = true;
    const operation = ctx.route?.operation;
    const decision = ctx.decision;
    const agent = ctx.agent;
    const durationMs = performance.now() - ctx.started;
    const outcome = ctx.failure !== undefined ? (isDenial(ctx.status) ? 'deny' : 'error') : ctx.wouldDeny !== undefined ? 'would-deny' : 'allow';
    const reason = ctx.failure?.code ?? ctx.wouldDeny?.code ?? (decision?.allowed ? 'GRANTED' : decision?.reason) ?? 'GRANTED';
    const url = ctx.req.url ?? '';
    const queryAt = url.indexOf('?');
    const traceparent = ctx.req.headers.traceparent;
    const trace = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
    metrics.request(agent?.name ?? '-', operation?.api.name ?? '-', outcome, durationMs / 1000);
    return {
      v: 1,
      id: ctx.requestId,
      time: new Date(ctx.time).toISOString(),
      requestId: ctx.requestId,
      traceId: trace?.[1],
      node,
      agent: agent === undefined ? undefined : { id: agent.name, name: agent.name, roles: agent.roles, owner: agent.owner },
      credential: ctx.credential,
      src: { ip: ctx.clientIp, country: undefined },
      http: {
        method: (ctx.req.method ?? '').slice(0, 16),
        rawPath: (queryAt === -1 ? url : url.slice(0, queryAt)).slice(0, MAX_RAW_PATH),
        canonicalPath: ctx.target?.path,
        queryParams: ctx.target?.queryNames ?? [],
        status: ctx.status,
        bytesIn: ctx.bytesIn,
        bytesOut: ctx.bytesOut,
        durationMs: Math.round(durationMs * 1000) / 1000,
        upstreamMs: ctx.upstreamMs === undefined ? undefined : Math.round(ctx.upstreamMs * 1000) / 1000,
      },
      api: operation === undefined
        ? undefined
        : { name: operation.api.name, operation: operation.id, template: operation.fullPath, sensitivity: operation.api.sensitivity, dataClasses: operation.dataClasses },
      decision: {
        outcome,
        reason,
        rule: decision?.matched === undefined ? undefined : formatRuleRef(decision.matched),
        policyVersion: decision?.policyVersion ?? ctx.state.snapshot.version,
        monitored: ctx.wouldDeny !== undefined,
      },
      limits: undefined,
      data: ctx.records === undefined && ctx.maskedFields.length === 0 ? undefined : { records: ctx.records, maskedFields: ctx.maskedFields },
      context: ctx.context,
    };
  }

  return {
    name: 'record',
    onComplete(ctx) {
      if (!ctx.recorded) sink.write(event(ctx));
    },
    recordDurably(ctx) {
      return sink.writeDurably(event(ctx));
    },
  };
}

/** 4xx answers are denials (the request was refused); 5xx and cut-off responses are errors. */
function isDenial(status: number): boolean {
  return status >= 400 && status < 500 && status !== 499;
}
