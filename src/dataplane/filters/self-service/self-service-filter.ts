import { errorDefinition } from '../../../model/errors.js';
import type { AccessRequestSink, SelfServiceAnswer } from '../../access-request-sink.js';
import type { ApprovalSink } from '../../approval-sink.js';
import { CONTINUE, type Filter, type Verdict } from '../../pipeline/filter.js';
import type { RequestContext } from '../../pipeline/request-context.js';
import { hasBody, readInspectedBody } from '../authorize/inspected-body.js';

/** The gateway's own endpoints live under this prefix; no API may declare it. */
export const SELF_SERVICE_PREFIX = '/.warden/';
/** Where agents ask for more access; denial bodies link here (`requestAccess`). */
export const ACCESS_REQUESTS_PATH = '/.warden/access-requests';
/** Where agents poll the approvals their step-up calls wait for. */
export const APPROVALS_PATH = '/.warden/approvals';

export interface SelfServiceOptions {
  readonly sink: AccessRequestSink | undefined;
  readonly approvals: ApprovalSink | undefined;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
}

const REQUEST_ID = /^[a-z]{2,4}_[0-9a-f]{16}$/;

/**
 * Self-service: the endpoints an identified agent calls on the gateway itself: access requests
 * (`POST /.warden/access-requests`, `GET /.warden/access-requests/{id}`) and the approvals of
 * its step-up calls (`GET /.warden/approvals/{id}`).
 * The agent is who identify said it is; the body cannot name another. Runs after route, which
 * let `/.warden/…` through without an operation, and answers every such request itself.
 */
export function selfServiceFilter(options: SelfServiceOptions): Filter {
  return {
    name: 'self-service',
    onRequest(ctx) {
      const path = ctx.target?.path;
      if (path === undefined || !path.startsWith(SELF_SERVICE_PREFIX)) return CONTINUE;
      return handle(ctx, path, options);
    },
  };
}

async function handle(ctx: RequestContext, path: string, options: SelfServiceOptions): Promise<Verdict> {
  const agent = ctx.agent;
  // Only global monitor mode lets an unidentified caller this far; asking for access needs an identity.
  if (agent === undefined) return refuse('WARDEN_AUTHN_MISSING', 'send the agent\'s credential as `Authorization: Bearer …` to ask for access');
  const method = ctx.req.method;
  if (path === ACCESS_REQUESTS_PATH && method === 'POST') {
    if (options.sink === undefined) return refuse('WARDEN_GATEWAY_NOT_READY', 'this gateway takes no access requests; ask the agent\'s owner');
    const type = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!hasBody(ctx.req) || type !== 'application/json') return refuse('WARDEN_ACCESS_REQUEST_INVALID', 'send an application/json body: {"api": …, "operation": …, "reason": …, "durationDays"?: …}');
    const body = await readInspectedBody(ctx.req, { maxBytes: options.maxBodyBytes, maxDepth: options.maxJsonDepth });
    if (!body.ok) return refuse(body.code, body.detail);
    ctx.bytesIn = body.bytes.length;
    return answer(await options.sink.submit(agent.name, body.fields));
  }
  const id = path.startsWith(`${ACCESS_REQUESTS_PATH}/`) ? path.slice(ACCESS_REQUESTS_PATH.length + 1) : undefined;
  if (id !== undefined && (method === 'GET' || method === 'HEAD')) {
    if (options.sink === undefined) return refuse('WARDEN_GATEWAY_NOT_READY', 'this gateway takes no access requests');
    if (!REQUEST_ID.test(id)) return refuse('WARDEN_ROUTE_NOT_FOUND', `no access request has the id ${id.slice(0, 64)}`);
    return answer(await options.sink.get(agent.name, id));
  }
  const approval = path.startsWith(`${APPROVALS_PATH}/`) ? path.slice(APPROVALS_PATH.length + 1) : undefined;
  if (approval !== undefined && (method === 'GET' || method === 'HEAD')) {
    if (options.approvals === undefined) return refuse('WARDEN_GATEWAY_NOT_READY', 'this gateway takes no approval requests');
    if (!REQUEST_ID.test(approval)) return refuse('WARDEN_ROUTE_NOT_FOUND', `no approval has the id ${approval.slice(0, 64)}`);
    return answer(await options.approvals.get(agent.name, approval));
  }
  return refuse('WARDEN_ROUTE_NOT_FOUND', `the gateway serves POST ${ACCESS_REQUESTS_PATH}, GET ${ACCESS_REQUESTS_PATH}/{id} and GET ${APPROVALS_PATH}/{id} under /.warden`);
}

function answer(result: SelfServiceAnswer): Verdict {
  return result.ok ? { kind: 'reply', status: result.status, body: result.body } : refuse(result.code, result.detail);
}

function refuse(code: Parameters<typeof errorDefinition>[0], detail: string): Verdict {
  return { kind: 'respond', status: errorDefinition(code).status, code, detail };
}
