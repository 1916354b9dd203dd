import type { ErrorCode } from '../model/errors.js';
import type { SelfServiceAnswer } from './access-request-sink.js';

/**
 * A call held for a human's approval (a grant with `stepUp: true`), as the gateway describes it
 * to the control plane. The agent is the one the gateway identified; nothing the client sent
 * names it. The approval is bound to `fingerprint`: a call with another method, path, query or
 * body never matches it.
 */
export interface StepUpCall {
  readonly agent: string;
  readonly api: string;
  readonly operation: string;
  readonly method: string;
  /** The canonical path, as authorised and as it would be forwarded. */
  readonly path: string;
  /** The query string as forwarded, without `?` (empty when none). */
  readonly query: string;
  /** What the approver is shown: the call's path, query and body parameters by name. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Hex SHA-256 over method, path, query, content type and body bytes (see `stepUpFingerprint`). */
  readonly fingerprint: string;
  /** Verified task-context claims (customer, ticket, purpose), shown to the approver. */
  readonly context: Readonly<Record<string, string>> | undefined;
  /** The gateway request that asked, for the audit trail. */
  readonly requestId: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'used';

/** An approval as the gateway and the agent see it. */
export interface ApprovalTicket {
  readonly id: string;
  readonly status: ApprovalStatus;
  /** ISO time: when a pending approval expires, or by when an approved call must be sent. */
  readonly expiresAt: string;
  /** The denier's reason, for a denied approval. */
  readonly reason?: string;
}

/** Why a call was not put before a person at all (too many of the agent's calls wait already). */
export interface StepUpRefusal {
  readonly refused: true;
  readonly code: ErrorCode;
  readonly detail: string;
}

export type RedeemResult =
  | { readonly ok: true; readonly id: string; readonly approvedBy: string }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string; readonly ticket?: ApprovalTicket };

/**
 * Where the gateway takes step-up approvals (DESIGN.md §1: the control plane implements it).
 * A gateway without one refuses step-up calls with WARDEN_STEP_UP_REQUIRED.
 */
export interface ApprovalSink {
  /**
   * Asks for approval of a call. If this agent already has an open approval for exactly this
   * call (pending, or approved and not used), that one is returned instead of a new one, so a
   * retrying agent does not flood the approvers. Refused (WARDEN_STEP_UP_TOO_MANY) when the
   * agent has as many other calls waiting as it may.
   */
  request(call: StepUpCall): Promise<ApprovalTicket | StepUpRefusal>;
  /**
   * Lets one call through on an approved approval, exactly once: atomically marks it used.
   * Refuses with WARDEN_STEP_UP_PENDING (ticket set), _DENIED, _EXPIRED, _MISMATCH (another
   * fingerprint), _USED or _INVALID (no such approval of this agent).
   */
  redeem(agent: string, id: string, fingerprint: string, requestId: string): Promise<RedeemResult>;
  /** Waits at most `ms` for a pending approval of this agent to be decided; resolves with its state then. */
  wait(agent: string, id: string, ms: number): Promise<ApprovalTicket>;
  /** One of the agent's own approvals, for `GET /.warden/approvals/{id}`. */
  get(agent: string, id: string): Promise<SelfServiceAnswer>;
}
