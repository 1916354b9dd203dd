import type { AgentManifest, AgentState, CredentialBinding, Forbid, Grant } from '../../model/manifests/index.js';

/**
 * The runtime side of governance (issue: agent lifecycle, credentials, access requests and
 * reviews). Manifests say what agents, roles and APIs exist; this store holds what changes
 * while they run: lifecycle states and who changed them, credentials issued and bound through
 * the admin API, rules granted by access requests or revoked by reviews, admin tokens and the
 * admin action log, owners who left, and usage the gateway reported.
 */
export interface GovernanceStore {
  getAgent(name: string): Promise<AgentRecord | undefined>;
  listAgents(filter?: { readonly states?: readonly AgentState[]; readonly owner?: string }): Promise<AgentRecord[]>;
  /** Creates the record of an agent seen for the first time; refuses a name that exists. */
  createAgent(record: AgentRecord, transition: NewTransition): Promise<void>;
  /**
   * Moves an agent from `from` to `transition.to` and records the transition, atomically; false
   * (and nothing written) when the agent is no longer in state `from` — someone acted first.
   */
  transitionAgent(name: string, from: AgentState, transition: NewTransition): Promise<boolean>;
  /** The agent's history, oldest first. */
  listTransitions(agent: string): Promise<AgentTransition[]>;

  addBinding(record: BindingRecord): Promise<void>;
  removeBinding(id: string): Promise<boolean>;
  listBindings(agent?: string): Promise<BindingRecord[]>;

  addRule(rule: RuntimeRule): Promise<void>;
  removeRule(id: string): Promise<boolean>;
  listRules(agent?: string): Promise<RuntimeRule[]>;

  addAccessRequest(request: AccessRequestRecord): Promise<void>;
  getAccessRequest(id: string): Promise<AccessRequestRecord | undefined>;
  listAccessRequests(filter?: { readonly status?: AccessRequestStatus; readonly agent?: string }): Promise<AccessRequestRecord[]>;
  /** Records the decision on a pending request; false when it was decided meanwhile. */
  decideAccessRequest(id: string, decision: AccessDecision): Promise<boolean>;

  putAdminToken(record: AdminTokenRecord): Promise<void>;
  getAdminToken(id: string): Promise<AdminTokenRecord | undefined>;
  listAdminTokens(): Promise<AdminTokenRecord[]>;
  markAdminTokenUsed(id: string, at: Date): Promise<void>;

  appendAdminEvent(event: NewAdminEvent): Promise<AdminEvent>;
  /** Newest first. */
  listAdminEvents(filter?: { readonly actor?: string; readonly target?: string; readonly limit?: number; readonly beforeSeq?: number }): Promise<AdminEvent[]>;

  setOwner(record: OwnerRecord): Promise<void>;
  listOwners(): Promise<OwnerRecord[]>;

  /** Adds calls and moves `lastUsedAt` forward (never back). */
  recordUsage(records: readonly UsageRecord[]): Promise<void>;
  listUsage(filter?: { readonly agent?: string }): Promise<UsageRecord[]>;

  addReviewDecision(decision: ReviewDecision): Promise<void>;
  listReviewDecisions(agent?: string): Promise<ReviewDecision[]>;

  /**
   * Stores a new step-up approval, unless this agent already has an open one for the same call
   * (same fingerprint; pending, or approved and unused; not expired at `now`): then that one is
   * returned and nothing is written. Decided atomically, so concurrent asks make one approval.
   */
  openApproval(record: ApprovalRecord, now: Date): Promise<{ readonly record: ApprovalRecord; readonly created: boolean }>;
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  /** Newest first; `statuses` are stored statuses (an expired one may still be stored as pending). */
  listApprovals(filter?: { readonly statuses?: readonly ApprovalStatus[]; readonly agent?: string; readonly limit?: number }): Promise<ApprovalRecord[]>;
  /**
   * Approves or denies an approval that is pending and not expired at `decision.decidedAt`;
   * false (and nothing written) otherwise — decided meanwhile, or its time ran out.
   */
  decideApproval(id: string, decision: ApprovalDecision): Promise<boolean>;
  /**
   * Marks an approval used by one call, only if it belongs to `use.agent`, is approved, unused,
   * not expired at `use.usedAt` and was given for `use.fingerprint`; false (nothing written)
   * otherwise. Of concurrent uses exactly one wins.
   */
  useApproval(id: string, use: ApprovalUse): Promise<boolean>;
  /** Marks pending and approved approvals whose time ran out by `now` as expired; their ids. */
  expireApprovals(now: Date): Promise<string[]>;
}

export interface AgentRecord {
  readonly name: string;
  /** `manifest`: an applied Agent manifest defines it; `api`: proposed through the admin API. */
  readonly source: 'manifest' | 'api';
  /** The definition of an API-proposed agent (its manifest); undefined for manifest agents. */
  readonly definition: AgentManifest | undefined;
  readonly state: AgentState;
  readonly stateSince: Date;
  /** The template it was proposed with, if any. */
  readonly template: string | undefined;
  readonly createdAt: Date;
  readonly createdBy: string;
}

export interface NewTransition {
  readonly to: AgentState;
  /** The lifecycle action, e.g. `approve`, `suspend`; `create` for the first record. */
  readonly action: string;
  readonly actor: string;
  readonly reason: string;
  readonly at: Date;
}

export interface AgentTransition extends NewTransition {
  readonly id: number;
  readonly agent: string;
  /** Undefined for the record's creation. */
  readonly from: AgentState | undefined;
}

/** An external identity bound to an agent through the admin API (JWT subject, certificate, SPIFFE id). */
export interface BindingRecord {
  readonly id: string;
  readonly agent: string;
  readonly binding: Exclude<CredentialBinding, { type: 'apiKey' }>;
  readonly createdAt: Date;
  readonly createdBy: string;
}

/** A grant or forbid for one agent, added at run time; it joins the agent's policy. */
export interface RuntimeRule {
  readonly id: string;
  readonly agent: string;
  readonly kind: 'grant' | 'forbid';
  readonly rule: Grant | Forbid;
  /** A time-boxed grant ends here (the grant's own `expires`). */
  readonly expiresAt: Date | undefined;
  /** What created it: an access request, or an access review that revoked a grant. */
  readonly source: 'access-request' | 'access-review';
  readonly sourceId: string | undefined;
  readonly createdAt: Date;
  readonly createdBy: string;
}

export type AccessRequestStatus = 'pending' | 'granted' | 'denied';

export interface AccessRequestRecord {
  readonly id: string;
  readonly agent: string;
  readonly api: string;
  readonly operation: string;
  readonly reason: string;
  /** How long the grant should last; undefined asks for no end. */
  readonly durationDays: number | undefined;
  readonly status: AccessRequestStatus;
  /** The risk assessment shown to the deciders (JSON-safe). */
  readonly risk: unknown;
  readonly requestedAt: Date;
  /** `agent:<name>` when the agent asked itself, else the human's subject. */
  readonly requestedBy: string;
  readonly decidedAt: Date | undefined;
  /** A human's subject, or `template:<name>` for an automatic grant. */
  readonly decidedBy: string | undefined;
  readonly decisionReason: string | undefined;
  /** The runtime rule a grant created. */
  readonly ruleId: string | undefined;
}

export interface AccessDecision {
  readonly status: 'granted' | 'denied';
  readonly decidedAt: Date;
  readonly decidedBy: string;
  readonly reason: string;
  readonly ruleId: string | undefined;
}

export const ADMIN_ROLES = ['admin', 'security', 'owner', 'auditor'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** A human's admin token: only its digest is stored. */
export interface AdminTokenRecord {
  readonly id: string;
  readonly digest: string;
  /** Who it belongs to, an e-mail address (owners act on agents whose owner this is). */
  readonly subject: string;
  readonly roles: readonly AdminRole[];
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly expiresAt: Date;
  readonly revokedAt: Date | undefined;
  readonly lastUsedAt: Date | undefined;
}

export interface NewAdminEvent {
  readonly time: Date;
  readonly actor: string;
  readonly roles: readonly string[];
  /** e.g. `agent.suspend`, `key.issue`, `access.approve`. */
  readonly action: string;
  /** What it acted on, e.g. `agent/support-bot`, `key/key_ab12cd34`. */
  readonly target: string;
  /** `refused` for attempts the actor's roles did not allow, or the domain refused. */
  readonly outcome: 'ok' | 'refused';
  readonly detail: string | undefined;
  /** The target before and after (JSON-safe, never a secret). */
  readonly before: unknown;
  readonly after: unknown;
}

export interface AdminEvent extends NewAdminEvent {
  readonly seq: number;
}

export interface OwnerRecord {
  readonly email: string;
  /** False once the person left: their agents show up in access reviews. */
  readonly active: boolean;
  readonly leftAt: Date | undefined;
  readonly updatedBy: string;
}

export interface UsageRecord {
  readonly agent: string;
  readonly api: string;
  readonly operation: string;
  /** The rule that allowed the calls (`role/grants/id`), `''` when none did. */
  readonly rule: string;
  readonly lastUsedAt: Date;
  readonly calls: number;
}

/** A reviewer's verdict on one access review item (`grant:<rule>`, `idle`, `credential:<id>`, `owner`). */
export interface ReviewDecision {
  readonly agent: string;
  readonly item: string;
  readonly decision: 'confirm' | 'revoke';
  readonly actor: string;
  readonly reason: string;
  readonly at: Date;
}

/** Stored status of a step-up approval; `pending` and `approved` ones expire with their `expiresAt`. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'used';

/**
 * One call held for a human's approval (a grant with `stepUp: true`): exactly the call the
 * gateway saw, what the approver is shown, and what became of it.
 */
export interface ApprovalRecord {
  /** `apr_<16 hex>`. */
  readonly id: string;
  readonly agent: string;
  readonly api: string;
  readonly operation: string;
  readonly method: string;
  /** Canonical path as authorised and forwarded. */
  readonly path: string;
  /** Query string as forwarded, without `?`. */
  readonly query: string;
  /** Path, query and body parameters by name, as shown to the approver (JSON-safe). */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Verified task-context claims, if the call carried any. */
  readonly context: Readonly<Record<string, string>> | undefined;
  /** Hex SHA-256 of the call (method, path, query, content type, body): what the approval is bound to. */
  readonly fingerprint: string;
  /** The gateway request that asked. */
  readonly requestId: string;
  readonly status: ApprovalStatus;
  readonly requestedAt: Date;
  /** Pending: when the request expires undecided. Approved: by when the call must be sent. */
  readonly expiresAt: Date;
  readonly decidedAt: Date | undefined;
  /** The person who approved or denied (an e-mail address). */
  readonly decidedBy: string | undefined;
  readonly decidedVia: 'admin' | 'callback' | undefined;
  /** The decider's reason. */
  readonly reason: string | undefined;
  readonly usedAt: Date | undefined;
  /** The gateway request the approval let through. */
  readonly usedRequestId: string | undefined;
}

export interface ApprovalDecision {
  readonly status: 'approved' | 'denied';
  readonly decidedAt: Date;
  readonly decidedBy: string;
  readonly via: 'admin' | 'callback';
  readonly reason: string;
  /** The new deadline (an approval's use-by time); undefined keeps the stored one. */
  readonly expiresAt: Date | undefined;
}

export interface ApprovalUse {
  readonly agent: string;
  readonly fingerprint: string;
  readonly usedAt: Date;
  readonly requestId: string;
}
