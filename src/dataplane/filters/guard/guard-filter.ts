import type { ErrorCode } from '../../../model/errors.js';
import type { ApprovalSink, ApprovalTicket, StepUpCall } from '../../approval-sink.js';
import { CONTINUE, type Filter, type Verdict } from '../../pipeline/filter.js';
import type { RequestContext } from '../../pipeline/request-context.js';
import { denyOrMonitor } from '../authorize/authorize-filter.js';
import { hasBody, readInspectedBody } from '../authorize/inspected-body.js';
import { APPROVALS_PATH } from '../self-service/self-service-filter.js';
import { stepUpFingerprint } from './step-up-fingerprint.js';

const APPROVAL_ID = /^apr_[0-9a-f]{16}$/;
// RFC 7240: `Prefer: wait=10`, possibly among other preferences.
const PREFER_WAIT = /(?:^|[,;\s])wait\s*=\s*(\d{1,6})(?:$|[,;\s])/i;

export interface GuardOptions {
  readonly globalMonitor: boolean;
  /** Where step-up calls ask for approval; without it they are refused (fail closed). */
  readonly approvals: ApprovalSink | undefined;
  /** The longest an agent may hold a call open for its approval (`Prefer: wait=N`). */
  readonly maxWaitMs: number;
  /** Limits for reading a body the authorize filter left unread, which an approval must bind. */
  readonly body: { readonly maxBytes: number; readonly maxDepth: number };
}

/**
 * Guard: what must hold before an allowed call is forwarded. An agent in acceptance testing
 * reaches only APIs with a staging upstream (or, in monitor mode, passes as would-deny). A grant
 * with `stepUp: true` holds each call for a human: the first call asks for approval and gets
 * 202 with the approval's id and poll URL; once approved, the same call — the same method,
 * path, query and body, by the same agent — goes through exactly once. Nothing is forwarded
 * without an approval redeemed for exactly that call. An agent under a step-up containment (a
 * playbook's or a person's response to an incident) has every allowed call held the same way
 * until the containment lapses.
 */
export function guardFilter(options: GuardOptions): Filter {
  const { approvals } = options;

  async function stepUp(ctx: RequestContext, sink: ApprovalSink): Promise<Verdict> {
    const agent = ctx.agent!.name;
    const fingerprint = stepUpFingerprint(ctx);
    const wait = waitMs(ctx.req.headers.prefer, options.maxWaitMs);
    const named = ctx.req.headers['warden-approval'];
    let id: string;
    if (named !== undefined) {
      if (typeof named !== 'string' || !APPROVAL_ID.test(named)) return refuse(ctx, 'WARDEN_STEP_UP_INVALID', 'Warden-Approval must be one approval id (apr_ and 16 hex digits)');
      id = named;
    } else {
      // Asking again for the same call returns the open approval: a retrying agent never floods approvers.
      const ticket = await sink.request(stepUpCall(ctx, agent, fingerprint));
      if ('refused' in ticket) return refuse(ctx, ticket.code, ticket.detail);
      const decided = ticket.status === 'pending' && wait > 0 ? await sink.wait(agent, ticket.id, wait) : ticket;
      if (decided.status !== 'approved') return answer(ctx, decided);
      id = decided.id;
    }
    let redeemed = await sink.redeem(agent, id, fingerprint, ctx.requestId);
    if (!redeemed.ok && redeemed.code === 'WARDEN_STEP_UP_PENDING' && wait > 0) {
      const decided = await sink.wait(agent, id, wait);
      if (decided.status !== 'approved') return answer(ctx, decided);
      redeemed = await sink.redeem(agent, id, fingerprint, ctx.requestId);
    }
    if (redeemed.ok) {
      ctx.approval = { id: redeemed.id, approvedBy: redeemed.approvedBy };
      return CONTINUE;
    }
    // An id this agent does not hold is not echoed into its record: it may be someone else's.
    if (redeemed.code !== 'WARDEN_STEP_UP_INVALID') ctx.approval = { id };
    if (redeemed.code === 'WARDEN_STEP_UP_PENDING' && redeemed.ticket !== undefined) return held(ctx, redeemed.ticket);
    return refuse(ctx, redeemed.code, redeemed.detail);
  }

  /**
   * The approval binds the body, so a body nothing has read yet (an operation no rule inspects,
   * held by a containment) is read first, under the same rules as an inspected one.
   */
  async function withBody(ctx: RequestContext, sink: ApprovalSink): Promise<Verdict> {
    const body = await readInspectedBody(ctx.req, options.body);
    if (!body.ok) return refuse(ctx, body.code, body.detail);
    ctx.body = body.bytes;
    ctx.bodyFields = body.fields;
    ctx.bytesIn = body.bytes.length;
    return stepUp(ctx, sink);
  }

  return {
    name: 'guard',
    onRequest(ctx) {
      const decision = ctx.decision;
      if (decision === undefined || !decision.allowed) return CONTINUE;
      const api = ctx.route!.operation.api;
      const monitored = options.globalMonitor || api.mode === 'monitor';
      if (ctx.agent!.state === 'testing' && api.staging === undefined) {
        return denyOrMonitor(ctx, monitored, 'WARDEN_AGENT_NOT_ACTIVE', `agent ${ctx.agent!.name} is in acceptance testing and ${api.name} has no staging upstream`);
      }
      const containment = ctx.agent!.containment;
      const contained = containment !== undefined && ctx.time < containment.stepUpUntil;
      if (decision.obligations?.stepUp !== true && !contained) return CONTINUE;
      // The grant's reason, else the containment's, which says nothing of the incident behind it.
      const why = decision.obligations?.stepUp === true ? `${decision.api}.${decision.operation} needs a human's approval for each call` : 'calls of this agent need a human\'s approval for now';
      // Monitor mode records the call as would-deny and lets it pass without asking anyone.
      if (monitored) return denyOrMonitor(ctx, true, 'WARDEN_STEP_UP_REQUIRED', why);
      if (approvals === undefined) return refuse(ctx, 'WARDEN_STEP_UP_REQUIRED', `${why}, and this gateway takes no approval requests`);
      if (ctx.body === undefined && hasBody(ctx.req)) return withBody(ctx, approvals);
      return stepUp(ctx, approvals);
    },
  };
}

/** The call as the approver will see it; the agent is the identified one. */
function stepUpCall(ctx: RequestContext, agent: string, fingerprint: string): StepUpCall {
  const target = ctx.target!;
  const route = ctx.route!;
  const parameters: Record<string, unknown> = {};
  for (const name in route.params) if (route.params[name] !== undefined) parameters[name] = route.params[name];
  for (const name in target.query) parameters[name] = target.query[name];
  if (ctx.bodyFields !== undefined) for (const name in ctx.bodyFields) parameters[name] = ctx.bodyFields[name];
  return {
    agent,
    api: route.operation.api.name,
    operation: route.operation.id,
    method: ctx.req.method!,
    path: target.path,
    query: target.search.slice(1),
    parameters,
    fingerprint,
    context: ctx.context,
    requestId: ctx.requestId,
  };
}

/** The answer for an approval that is not (or no longer) usable. */
function answer(ctx: RequestContext, ticket: ApprovalTicket): Verdict {
  ctx.approval = { id: ticket.id };
  if (ticket.status === 'pending') return held(ctx, ticket);
  if (ticket.status === 'denied') return refuse(ctx, 'WARDEN_STEP_UP_DENIED', `the approval ${ticket.id} was denied${ticket.reason ? `: ${ticket.reason}` : ''}`);
  if (ticket.status === 'used') return refuse(ctx, 'WARDEN_STEP_UP_USED', `the approval ${ticket.id} was used already`);
  return refuse(ctx, 'WARDEN_STEP_UP_EXPIRED', `the approval ${ticket.id} expired at ${ticket.expiresAt}; send the call again to ask anew`);
}

/** 202: the call waits for a human; the agent polls and sends it again once approved. */
function held(ctx: RequestContext, ticket: ApprovalTicket): Verdict {
  ctx.approval = { id: ticket.id };
  const poll = `${APPROVALS_PATH}/${ticket.id}`;
  const decision = ctx.decision!;
  return {
    kind: 'respond',
    status: 202,
    code: 'WARDEN_STEP_UP_PENDING',
    detail: `${decision.api}.${decision.operation} needs a human's approval; poll ${poll}, then send the same call again (Warden-Approval: ${ticket.id}) before ${ticket.expiresAt}`,
    headers: { location: poll, 'retry-after': '5' },
    extensions: { approval: { id: ticket.id, status: ticket.status, poll, expiresAt: ticket.expiresAt } },
  };
}

function refuse(ctx: RequestContext, code: ErrorCode, detail: string): Verdict {
  return denyOrMonitor(ctx, false, code, detail);
}

/** How long the agent asked to wait for the decision (`Prefer: wait=N`), capped. */
function waitMs(prefer: string | string[] | undefined, maxWaitMs: number): number {
  if (prefer === undefined || maxWaitMs === 0) return 0;
  const match = PREFER_WAIT.exec(Array.isArray(prefer) ? prefer.join(',') : prefer);
  return match === null ? 0 : Math.min(Number(match[1]) * 1000, maxWaitMs);
}
