import { CONTINUE, type Filter, type Verdict } from '../../pipeline/filter.js';
import type { RequestContext, UpstreamResponse } from '../../pipeline/request-context.js';
import { upstreamBodyFailure } from '../forward/upstream-failure.js';
import { FieldRules } from './field-rules.js';
import type { ResponseRules } from '../../../model/manifests/index.js';

/**
 * Filter: applies the allowing grant's response field rules to a JSON response. The
 * response is read whole (up to a limit) only when rules apply; otherwise it streams.
 * What cannot be filtered (not JSON, compressed, too large) is withheld with a 502 rather
 * than passed unfiltered: data protection fails closed.
 */
export function responseFilter(options: { readonly maxBytes: number }): Filter {
  const compiled = new WeakMap<ResponseRules, FieldRules>();

  async function filterBody(ctx: RequestContext, upstream: UpstreamResponse, rules: ResponseRules): Promise<Verdict> {
    const type = String(upstream.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const encoding = upstream.headers['content-encoding'];
    if (!(type === 'application/json' || type.endsWith('+json'))) return withhold(ctx, `the upstream answered ${type || 'without a content type'}, which field rules cannot filter`);
    if (encoding !== undefined && encoding !== 'identity') return withhold(ctx, 'the upstream answered with a compressed body, which field rules cannot filter');
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > options.maxBytes) return withhold(ctx, `the upstream answer is larger than ${options.maxBytes} bytes, the most field rules filter`);
        chunks.push(chunk);
      }
    } catch (error) {
      // The upstream broke off or stalled: its failure, not the gateway's.
      return upstreamBodyFailure(error as Error, ctx.route!.operation.api.name);
    }
    let document: unknown;
    try {
      document = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
    } catch {
      return withhold(ctx, 'the upstream answer is not valid JSON');
    }
    let rule = compiled.get(rules);
    if (rule === undefined) compiled.set(rules, (rule = new FieldRules(rules)));
    const filtered = rule.apply(document);
    ctx.responseBody = Buffer.from(JSON.stringify(filtered.value));
    ctx.records = filtered.records;
    ctx.maskedFields = filtered.masked;
    return CONTINUE;
  }

  return {
    name: 'response',
    onResponse(ctx) {
      const obligations = ctx.decision?.allowed ? ctx.decision.obligations : undefined;
      // A quota on records read needs the answer counted even where no field is filtered.
      const rules = obligations?.response ?? (obligations?.countsRecords === true ? COUNT_ONLY : undefined);
      const upstream = ctx.upstream;
      // Without rules the answer streams through untouched (and without an await), and an
      // answer without a body (HEAD, 204, 304, empty) has no fields to filter.
      if (rules === undefined || upstream === undefined || hasNoBody(ctx, upstream)) return CONTINUE;
      return filterBody(ctx, upstream, rules);
    },
  };
}

/** No field rules: the answer is read and its records counted, nothing removed. */
const COUNT_ONLY: ResponseRules = Object.freeze({});

function hasNoBody(ctx: RequestContext, upstream: UpstreamResponse): boolean {
  return ctx.req.method === 'HEAD' || upstream.status === 204 || upstream.status === 304 || upstream.headers['content-length'] === '0';
}

function withhold(ctx: RequestContext, detail: string): Verdict {
  ctx.upstream?.body.destroy();
  return { kind: 'respond', status: 502, code: 'WARDEN_RESPONSE_NOT_FILTERABLE', detail };
}
