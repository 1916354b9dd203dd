import type { ErrorCode } from '../../model/errors.js';
import type { ApprovalRecord, ApprovalStatus } from '../store/governance-store.js';
import type { ApprovalService, HeldCall } from './approval-service.js';

/** An approval as the gateway and the agent see it (the data plane's ApprovalTicket). */
interface Ticket {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly expiresAt: string;
  readonly reason?: string;
}

type Refusal = { readonly refused: true; readonly code: ErrorCode; readonly detail: string };

type Redeemed = { readonly ok: true; readonly id: string; readonly approvedBy: string } | { readonly ok: false; readonly code: ErrorCode; readonly detail: string; readonly ticket?: Ticket };

type Answer = { readonly ok: true; readonly status: number; readonly body: unknown } | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

/** What the gateway calls for step-up approvals (the data plane's ApprovalSink). */
export interface AgentApprovals {
  request(call: HeldCall): Promise<Ticket | Refusal>;
  redeem(agent: string, id: string, fingerprint: string, requestId: string): Promise<Redeemed>;
  wait(agent: string, id: string, ms: number): Promise<Ticket>;
  get(agent: string, id: string): Promise<Answer>;
}

/**
 * Step-up approvals as the gateway hands them up: the agent is who the gateway identified, and
 * it only ever sees its own approvals — their status and deadline, a denial's reason, never who
 * decided. `redeem` gives the gateway the approver for the call's audit record.
 */
export function agentApprovals(approvals: ApprovalService): AgentApprovals {
  return {
    async request(call) {
      const asked = await approvals.request(call);
      return 'refused' in asked ? asked : ticket(asked);
    },
    async redeem(agent, id, fingerprint, requestId) {
      const outcome = await approvals.use(agent, id, fingerprint, requestId);
      if (outcome.ok) return { ok: true, id: outcome.record.id, approvedBy: outcome.record.decidedBy ?? 'unknown' };
      return { ok: false, code: outcome.code, detail: outcome.detail, ...(outcome.record !== undefined ? { ticket: ticket(outcome.record) } : {}) };
    },
    async wait(agent, id, ms) {
      const record = await approvals.wait(agent, id, ms);
      // The gateway waits only on a ticket it was just given for this agent: anything else is a bug.
      if (record === undefined) throw new Error(`approval ${id} of ${agent} does not exist`);
      return ticket(record);
    },
    async get(agent, id) {
      const record = await approvals.find(agent, id);
      // Another agent's approval is as good as unknown.
      if (record === undefined) return { ok: false, code: 'WARDEN_ROUTE_NOT_FOUND', detail: `no approval has the id ${id}` };
      return {
        ok: true,
        status: 200,
        body: { id: record.id, status: record.status, api: record.api, operation: record.operation, method: record.method, path: record.path, expiresAt: record.expiresAt.toISOString(), ...denial(record) },
      };
    },
  };
}

function ticket(record: ApprovalRecord): Ticket {
  return { id: record.id, status: record.status, expiresAt: record.expiresAt.toISOString(), ...denial(record) };
}

function denial(record: ApprovalRecord): { reason?: string } {
  return record.status === 'denied' && record.reason !== undefined ? { reason: record.reason } : {};
}
