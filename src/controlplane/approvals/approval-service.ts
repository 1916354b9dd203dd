import type { ErrorCode } from '../../model/errors.js';
import type { Actor } from '../agents/lifecycle.js';
import { actsAsOwner, authorize, currentSnapshot, hasRole, refuse, requireReason, type GovernanceContext } from '../governance/governance-context.js';
import { GovernanceError } from '../governance/governance-error.js';
import { randomId } from '../governance/random-id.js';
import type { AdminRole, ApprovalRecord, ApprovalStatus } from '../store/governance-store.js';
import { ApprovalSignals } from './approval-signals.js';

/** `stepUp` of the GatewayConfig: how long approvals wait and live. */
export interface StepUpSettings {
  /** How long a request waits for a human before it expires undecided. */
  readonly pendingSeconds: number;
  /** How long an approved call may take to be sent again. */
  readonly useWithinSeconds: number;
  /** Longest a held call may wait for the decision (`Prefer: wait=N`). */
  readonly maxWaitSeconds: number;
  /** Calls of one agent that may wait for a person at once. */
  readonly maxPendingPerAgent: number;
}

export const DEFAULT_STEP_UP_SETTINGS: StepUpSettings = Object.freeze({ pendingSeconds: 900, useWithinSeconds: 300, maxWaitSeconds: 30, maxPendingPerAgent: 10 });

/** A held call not put before anyone: the agent has too many waiting already. */
export interface RequestRefusal {
  readonly refused: true;
  readonly code: ErrorCode;
  readonly detail: string;
}

/**
 * A call held for approval, as the gateway describes it (the data plane's StepUpCall, which the
 * control plane may not import): the agent it identified, exactly what would be forwarded, and
 * what the approver is shown.
 */
export type HeldCall = Pick<ApprovalRecord, 'agent' | 'api' | 'operation' | 'method' | 'path' | 'query' | 'parameters' | 'fingerprint' | 'context' | 'requestId'>;

/** An approval as people see it on the admin API: the whole call and who decided what. */
export type ApprovalView = Omit<ApprovalRecord, 'requestedAt' | 'expiresAt' | 'decidedAt' | 'usedAt'> & {
  /** The agent's owner in the policy in force. */
  readonly owner: string | undefined;
  readonly requestedAt: string;
  /** Pending: when it expires undecided; approved: by when the call must be sent. */
  readonly expiresAt: string;
  readonly decidedAt: string | undefined;
  readonly usedAt: string | undefined;
};

/** The outcome of using an approval for one call. */
export type UseOutcome =
  | { readonly ok: true; readonly record: ApprovalRecord }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string; readonly record: ApprovalRecord | undefined };

/** What a signed chat-ops callback asks for. */
export interface CallbackDecision {
  readonly id: string;
  readonly decision: 'approve' | 'deny';
  /** The person who decided in the chat tool, by e-mail. */
  readonly approver: string;
  readonly reason: string;
}

const ID_SHAPE = /^apr_[0-9a-f]{16}$/;
const POLL_MS = 250;
/** States whose calls pass the gateway: approving a call of any other agent would let nothing through. */
const CALLING_STATES = new Set(['active', 'testing']);
const STORED_FOR: Readonly<Record<ApprovalStatus, readonly ApprovalStatus[]>> = {
  pending: ['pending'],
  approved: ['approved'],
  denied: ['denied'],
  used: ['used'],
  // Pending and approved ones expire by the clock before the jobs mark them.
  expired: ['expired', 'pending', 'approved'],
};

/**
 * Step-up approvals: a grant with `stepUp: true` holds the call and asks here; the agent's owner,
 * security or an admin approves or denies it (admin API, CLI or a signed chat-ops callback); the
 * approved call then passes exactly once, bound to the fingerprint of the call that was shown.
 * Decisions and uses are conditional updates in the store, so races are decided there.
 */
export class ApprovalService {
  readonly #signals = new ApprovalSignals();
  /** Per agent, the end of its last request: one agent's requests run one after another. */
  readonly #asking = new Map<string, Promise<unknown>>();
  #closed = false;

  constructor(
    private readonly context: GovernanceContext,
    readonly settings: StepUpSettings = DEFAULT_STEP_UP_SETTINGS,
  ) {}

  /**
   * Asks for approval of a held call; this agent's open approval of the same call (pending, or
   * approved and unused) is returned instead of a new one, so a retrying agent asks once. A
   * new call is refused while `maxPendingPerAgent` of the agent's calls wait for a person, so
   * a looping or hijacked agent cannot bury its approvers in requests (approval fatigue).
   */
  request(call: HeldCall): Promise<ApprovalRecord | RequestRefusal> {
    // One agent's requests in turn, so a burst of parallel calls cannot pass the cap together
    // (one process decides; a store shared by several would make the cap a soft one).
    const previous = this.#asking.get(call.agent) ?? Promise.resolve();
    const asked = previous.then(() => this.#request(call), () => this.#request(call));
    const settled = asked.catch(() => undefined);
    this.#asking.set(call.agent, settled);
    void settled.then(() => {
      if (this.#asking.get(call.agent) === settled) this.#asking.delete(call.agent);
    });
    return asked;
  }

  async #request(call: HeldCall): Promise<ApprovalRecord | RequestRefusal> {
    const now = this.context.now();
    const open = (await this.context.store.governance.listApprovals({ statuses: ['pending', 'approved'], agent: call.agent })).filter((record) => record.expiresAt > now);
    const waiting = open.filter((record) => record.status === 'pending');
    const max = this.settings.maxPendingPerAgent;
    // The call's own open approval is always returned: the cap only stops new ones.
    if (waiting.length >= max && !open.some((record) => record.fingerprint === call.fingerprint)) {
      return { refused: true, code: 'WARDEN_STEP_UP_TOO_MANY', detail: `${waiting.length} calls of ${call.agent} wait for approval already (at most ${max}); send this one again once they are decided or expired` };
    }
    const candidate: ApprovalRecord = {
      id: randomId('apr'),
      agent: call.agent,
      api: call.api,
      operation: call.operation,
      method: call.method,
      path: call.path,
      query: call.query,
      parameters: call.parameters,
      context: call.context,
      fingerprint: call.fingerprint,
      requestId: call.requestId,
      status: 'pending',
      requestedAt: now,
      expiresAt: new Date(now.getTime() + this.settings.pendingSeconds * 1000),
      decidedAt: undefined,
      decidedBy: undefined,
      decidedVia: undefined,
      reason: undefined,
      usedAt: undefined,
      usedRequestId: undefined,
    };
    const { record, created } = await this.context.store.governance.openApproval(candidate, now);
    if (created) {
      await this.context.log.changed(agentActor(call.agent), 'approval.request', `approval/${record.id}`, {
        after: { agent: record.agent, api: record.api, operation: record.operation, method: record.method, path: record.path, expiresAt: record.expiresAt.toISOString() },
      });
      this.#notifyRequested(record);
    }
    return withStatus(record, now);
  }

  /** Approvals, newest first; `status` is the status as of now (an approval past its time is `expired`). */
  async list(filter: { readonly status?: ApprovalStatus; readonly agent?: string; readonly limit?: number } = {}): Promise<ApprovalView[]> {
    const now = this.context.now();
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const records = await this.context.store.governance.listApprovals({
      ...(filter.status !== undefined ? { statuses: STORED_FOR[filter.status] } : {}),
      ...(filter.agent !== undefined ? { agent: filter.agent } : {}),
      // Stored pending/approved rows may turn out expired: read all, filter, then cut.
      ...(filter.status === undefined ? { limit } : {}),
    });
    const owners = this.#owners();
    return records
      .map((record) => withStatus(record, now))
      .filter((record) => filter.status === undefined || record.status === filter.status)
      .slice(0, limit)
      .map((record) => view(record, owners.get(record.agent)));
  }

  async get(id: string): Promise<ApprovalView> {
    const record = await this.context.store.governance.getApproval(id);
    if (record === undefined) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no approval has the id ${id}`);
    return view(withStatus(record, this.context.now()), this.#owners().get(record.agent));
  }

  /** One of `agent`'s own approvals, its status as of now; undefined for any other id. */
  async find(agent: string, id: string): Promise<ApprovalRecord | undefined> {
    if (!ID_SHAPE.test(id)) return undefined;
    const record = await this.context.store.governance.getApproval(id);
    return record === undefined || record.agent !== agent ? undefined : withStatus(record, this.context.now());
  }

  /** Approves a pending approval: the agent may send exactly that call once within `useWithinSeconds`. */
  approve(actor: Actor, id: string, reason: string | undefined, via: 'admin' | 'callback' = 'admin'): Promise<ApprovalView> {
    return this.#decide(actor, id, 'approve', reason, via);
  }

  /** Denies a pending approval: the held call never passes. */
  deny(actor: Actor, id: string, reason: string | undefined, via: 'admin' | 'callback' = 'admin'): Promise<ApprovalView> {
    return this.#decide(actor, id, 'deny', reason, via);
  }

  /**
   * A decision a chat-ops tool relays with a valid signature. The tool vouches for who decided;
   * that person must still be allowed to: the agent's owner (not recorded as gone), or a person
   * holding an active admin token with the security or admin role.
   */
  async decideByCallback(callback: CallbackDecision): Promise<ApprovalView> {
    const actor = await this.#callbackActor(callback.approver, callback.id);
    return this.#decide(actor, callback.id, callback.decision, callback.reason, 'callback');
  }

  /**
   * Lets one call through on an approved approval: marks it used, atomically, only for its own
   * agent, the same fingerprint, before its use-by time. Anything else is refused with the code
   * the agent can act on.
   */
  async use(agent: string, id: string, fingerprint: string, requestId: string): Promise<UseOutcome> {
    const actor = agentActor(agent);
    const target = `approval/${id}`;
    const record = await this.find(agent, id);
    if (record === undefined) {
      const detail = `no approval of this agent has the id ${ID_SHAPE.test(id) ? id : '(not an approval id)'}`;
      // Only well-formed ids are logged: a log line per garbage header would be noise.
      if (ID_SHAPE.test(id)) await this.context.log.refused(actor, 'approval.use', target, detail);
      return { ok: false, code: 'WARDEN_STEP_UP_INVALID', detail, record: undefined };
    }
    if (record.fingerprint !== fingerprint) {
      const detail = `approval ${id} was given for ${describeCall(record)} with the parameters shown to the approver; this call is different (its operation or parameters changed)`;
      await this.context.log.refused(actor, 'approval.use', target, detail);
      return { ok: false, code: 'WARDEN_STEP_UP_MISMATCH', detail, record };
    }
    if (record.status === 'approved') {
      const now = this.context.now();
      if (await this.context.store.governance.useApproval(id, { agent, fingerprint, usedAt: now, requestId })) {
        const used: ApprovalRecord = { ...record, status: 'used', usedAt: now, usedRequestId: requestId };
        await this.context.log.changed(actor, 'approval.use', target, { before: { status: 'approved' }, after: { status: 'used', requestId, approvedBy: record.decidedBy } });
        return { ok: true, record: used };
      }
      // Another call used it (or its time ran out) between the read and the update.
      const after = await this.find(agent, id);
      return this.#refusal(actor, after !== undefined && after.status !== 'approved' ? after : { ...record, status: 'used' });
    }
    return this.#refusal(actor, record);
  }

  /**
   * Waits at most `ms` (capped at `maxWaitSeconds`) for a pending approval of `agent` to be
   * decided; a decision in this process wakes it at once, one made elsewhere is seen by polling
   * the store. Resolves with the approval's state then, or undefined when it is not the agent's.
   */
  async wait(agent: string, id: string, ms: number): Promise<ApprovalRecord | undefined> {
    // A duration, so real time: the governance clock only decides what has expired.
    const deadline = Date.now() + Math.max(0, Math.min(ms, this.settings.maxWaitSeconds * 1000));
    for (;;) {
      const record = await this.find(agent, id);
      if (record === undefined || record.status !== 'pending' || this.#closed) return record;
      const left = deadline - Date.now();
      if (left <= 0) return record;
      const untilExpiry = record.expiresAt.getTime() - this.context.now().getTime();
      await this.#signals.next(id, Math.max(1, Math.min(left, POLL_MS, untilExpiry + 1)));
    }
  }

  /** Marks approvals whose time ran out as expired, so lists and the store agree; their ids. */
  async expire(): Promise<string[]> {
    const now = this.context.now();
    const expired = await this.context.store.governance.expireApprovals(now);
    if (expired.length > 0) {
      await this.context.store.governance.appendAdminEvent({ time: now, actor: 'warden jobs', roles: [], action: 'approval.expire', target: 'approvals', outcome: 'ok', detail: `marked ${expired.length} approval(s) expired`, before: { approvals: expired }, after: undefined });
      for (const id of expired) this.#signals.signal(id);
    }
    return expired;
  }

  /** Ends every wait at once: a shutting-down gateway does not hold calls open for people. */
  close(): void {
    this.#closed = true;
    this.#signals.close();
  }

  async #decide(actor: Actor, id: string, decision: 'approve' | 'deny', reason: string | undefined, via: 'admin' | 'callback'): Promise<ApprovalView> {
    const action = `approval.${decision}`;
    const target = `approval/${id}`;
    const why = await Promise.resolve().then(() => requireReason(reason)).catch((error: GovernanceError) => refuse(this.context, actor, action, target, error));
    const stored = await this.context.store.governance.getApproval(id);
    if (stored === undefined) return refuse(this.context, actor, action, target, new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no approval has the id ${id}`));
    const agent = currentSnapshot(this.context).agents.get(stored.agent);
    const owner = agent?.owner ?? '';
    await authorize(this.context, actor, action, target, hasRole(actor, 'admin', 'security') || actsAsOwner(actor, owner), 'security, admin or the agent\'s owner');
    const now = this.context.now();
    const record = withStatus(stored, now);
    if (record.status === 'expired' && stored.status === 'pending') {
      return refuse(this.context, actor, action, target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${id} expired undecided at ${stored.expiresAt.toISOString()}; the agent asks again by sending the call again`));
    }
    if (record.status !== 'pending') {
      return refuse(this.context, actor, action, target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${id} is ${record.status} already${record.decidedBy !== undefined ? ` (decided by ${record.decidedBy})` : ''}; an approval is decided once`));
    }
    if (decision === 'approve' && (agent === undefined || !CALLING_STATES.has(agent.state))) {
      return refuse(this.context, actor, action, target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${stored.agent} is ${agent?.state ?? 'gone'}; the gateway refuses its calls anyway (deny the approval)`));
    }
    const status = decision === 'approve' ? 'approved' : 'denied';
    const useBy = decision === 'approve' ? new Date(now.getTime() + this.settings.useWithinSeconds * 1000) : undefined;
    if (!(await this.context.store.governance.decideApproval(id, { status, decidedAt: now, decidedBy: actor.subject, via, reason: why, expiresAt: useBy }))) {
      return refuse(this.context, actor, action, target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${id} was decided meanwhile, or expired`));
    }
    await this.context.log.changed(actor, action, target, { before: { status: 'pending' }, after: { status, via, ...(useBy !== undefined ? { useBy: useBy.toISOString() } : {}) }, detail: why });
    this.#signals.signal(id);
    this.context.notifier.notify({
      type: 'approval.decided',
      time: now.toISOString(),
      recipients: owner === '' ? ['security'] : [owner, 'security'],
      summary: `${actor.subject} ${status} ${stored.agent}'s call of ${stored.api}.${stored.operation} (${id})${useBy !== undefined ? `; it may be sent once until ${useBy.toISOString()}` : ''}`,
      data: { approval: id, agent: stored.agent, api: stored.api, operation: stored.operation, status, decidedBy: actor.subject, via, reason: why, ...(useBy !== undefined ? { useBy: useBy.toISOString() } : {}) },
    });
    return this.get(id);
  }

  async #refusal(actor: Actor, record: ApprovalRecord): Promise<UseOutcome> {
    const target = `approval/${record.id}`;
    switch (record.status) {
      case 'pending':
        return { ok: false, code: 'WARDEN_STEP_UP_PENDING', detail: `approval ${record.id} waits for a human's decision until ${record.expiresAt.toISOString()}`, record };
      case 'denied':
        return { ok: false, code: 'WARDEN_STEP_UP_DENIED', detail: `approval ${record.id} was denied: ${record.reason ?? 'no reason given'}`, record };
      case 'expired':
        return {
          ok: false,
          code: 'WARDEN_STEP_UP_EXPIRED',
          detail: record.decidedAt === undefined ? `approval ${record.id} was not decided by ${record.expiresAt.toISOString()}` : `approval ${record.id} was approved but not used by ${record.expiresAt.toISOString()}`,
          record,
        };
      default: {
        const detail = `approval ${record.id} was used already: each approval lets exactly one call through`;
        await this.context.log.refused(actor, 'approval.use', target, detail);
        return { ok: false, code: 'WARDEN_STEP_UP_USED', detail, record };
      }
    }
  }

  /** Who a callback names, with the roles that let them decide (refused later if none does). */
  async #callbackActor(approver: string, id: string): Promise<Actor> {
    const now = this.context.now();
    const subject = approver.trim();
    const same = (other: string) => other.toLowerCase() === subject.toLowerCase();
    const tokens = (await this.context.store.governance.listAdminTokens()).filter((token) => same(token.subject) && token.revokedAt === undefined && token.expiresAt > now);
    const roles = new Set<AdminRole>(tokens.flatMap((token) => token.roles).filter((role) => role === 'admin' || role === 'security'));
    const record = ID_SHAPE.test(id) ? await this.context.store.governance.getApproval(id) : undefined;
    const owner = record === undefined ? undefined : this.#owners().get(record.agent);
    if (owner !== undefined && same(owner)) {
      const gone = (await this.context.store.governance.listOwners()).some((candidate) => same(candidate.email) && !candidate.active);
      if (!gone) roles.add('owner');
    }
    return { subject, roles: [...roles] };
  }

  #owners(): ReadonlyMap<string, string> {
    const snapshot = this.context.publisher.current?.snapshot;
    return new Map([...(snapshot?.agents.values() ?? [])].map((agent) => [agent.name, agent.owner]));
  }

  #notifyRequested(record: ApprovalRecord): void {
    const owner = this.#owners().get(record.agent);
    const expiresAt = record.expiresAt.toISOString();
    this.context.notifier.notify({
      type: 'approval.requested',
      time: record.requestedAt.toISOString(),
      recipients: owner === undefined ? ['security'] : [owner, 'security'],
      // The call's parameters come from the agent: they go in data only, never in the summary a chat bridge may render.
      summary: `${record.agent} asks to call ${record.api}.${record.operation}; the call is held for a human's approval until ${expiresAt} (warden approvals show ${record.id})`,
      data: {
        approval: record.id,
        agent: record.agent,
        owner,
        api: record.api,
        operation: record.operation,
        call: { method: record.method, path: record.path, query: record.query, parameters: record.parameters, context: record.context },
        expiresAt,
        decide: {
          cli: { show: `warden approvals show ${record.id}`, approve: `warden approvals approve ${record.id} --reason "…"`, deny: `warden approvals deny ${record.id} --reason "…"` },
          adminApi: { show: `GET /approvals/${record.id}`, approve: `POST /approvals/${record.id}/approve`, deny: `POST /approvals/${record.id}/deny` },
          callback: { path: 'POST /approval-callbacks', body: { id: record.id, decision: 'approve | deny', approver: '<e-mail>', reason: '…' } },
        },
      },
    });
  }
}

/** The record with the status as of `now`: pending or approved past its time is expired. */
export function withStatus(record: ApprovalRecord, now: Date): ApprovalRecord {
  return (record.status === 'pending' || record.status === 'approved') && record.expiresAt <= now ? { ...record, status: 'expired' } : record;
}

function agentActor(agent: string): Actor {
  return { subject: `agent:${agent}`, roles: [] };
}

function describeCall(record: ApprovalRecord): string {
  return `${record.method} ${record.path}${record.query.length > 0 ? `?${record.query}` : ''}`;
}

function view(record: ApprovalRecord, owner: string | undefined): ApprovalView {
  // `status` is as of now (withStatus): `expired` as soon as its time ran out, before any job marks it.
  return {
    ...record,
    owner,
    requestedAt: record.requestedAt.toISOString(),
    expiresAt: record.expiresAt.toISOString(),
    decidedAt: record.decidedAt?.toISOString(),
    usedAt: record.usedAt?.toISOString(),
  };
}
