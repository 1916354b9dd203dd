import type { Kysely, Selectable } from 'kysely';
import type { AgentManifest, AgentState, Forbid, Grant } from '../../model/manifests/index.js';
import type {
  AccessDecision,
  AccessRequestRecord,
  AccessRequestStatus,
  AdminEvent,
  AdminRole,
  AdminTokenRecord,
  AgentRecord,
  AgentTransition,
  ApprovalDecision,
  ApprovalRecord,
  ApprovalStatus,
  ApprovalUse,
  BindingRecord,
  GovernanceStore,
  NewAdminEvent,
  NewTransition,
  OwnerRecord,
  ReviewDecision,
  RuntimeRule,
  UsageRecord,
} from './governance-store.js';
import { jwtSubjectKey } from '../../policy/snapshot.js';
import type { Database } from './schema.js';

type Row<T extends keyof Database> = Selectable<Database[T]>;

const iso = (date: Date) => date.toISOString();
const isoOrNull = (date: Date | undefined) => (date === undefined ? null : date.toISOString());
const dateOrUndefined = (text: string | null) => (text === null ? undefined : new Date(text));
const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** The GovernanceStore over any SQL database Kysely speaks. */
export class SqlGovernanceStore implements GovernanceStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getAgent(name: string): Promise<AgentRecord | undefined> {
    const row = await this.db.selectFrom('agent_records').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : agentRecord(row);
  }

  async listAgents(filter: { readonly states?: readonly AgentState[]; readonly owner?: string } = {}): Promise<AgentRecord[]> {
    let query = this.db.selectFrom('agent_records').selectAll().orderBy('name');
    if (filter.states !== undefined) {
      if (filter.states.length === 0) return [];
      query = query.where('state', 'in', [...filter.states]);
    }
    const records = (await query.execute()).map(agentRecord);
    // The owner of a manifest agent is in its manifest, which this store does not hold: callers filter those.
    return filter.owner === undefined ? records : records.filter((record) => record.definition === undefined || record.definition.spec.owner === filter.owner);
  }

  async createAgent(record: AgentRecord, transition: NewTransition): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('agent_records')
        .values({
          name: record.name,
          source: record.source,
          definition: json(record.definition),
          state: record.state,
          state_since: iso(record.stateSince),
          template: record.template ?? null,
          created_at: iso(record.createdAt),
          created_by: record.createdBy,
        })
        .execute();
      await trx.insertInto('agent_transitions').values(transitionRow(record.name, undefined, transition)).execute();
    });
  }

  async transitionAgent(name: string, from: AgentState, transition: NewTransition): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('agent_records')
        .set({ state: transition.to, state_since: iso(transition.at) })
        .where('name', '=', name)
        .where('state', '=', from)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await trx.insertInto('agent_transitions').values(transitionRow(name, from, transition)).execute();
      return true;
    });
  }

  async listTransitions(agent: string): Promise<AgentTransition[]> {
    const rows = await this.db.selectFrom('agent_transitions').selectAll().where('agent', '=', agent).orderBy('id').execute();
    return rows.map((row) => ({
      id: Number(row.id),
      agent: row.agent,
      from: (row.from_state ?? undefined) as AgentState | undefined,
      to: row.to_state as AgentState,
      action: row.action,
      actor: row.actor,
      reason: row.reason,
      at: new Date(row.at),
    }));
  }

  async addBinding(record: BindingRecord): Promise<void> {
    await this.db
      .insertInto('credential_bindings')
      .values({ id: record.id, agent: record.agent, binding: JSON.stringify(record.binding), identity: bindingIdentity(record.binding), created_at: iso(record.createdAt), created_by: record.createdBy })
      .execute();
  }

  async removeBinding(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('credential_bindings').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async listBindings(agent?: string): Promise<BindingRecord[]> {
    let query = this.db.selectFrom('credential_bindings').selectAll().orderBy('created_at').orderBy('id');
    if (agent !== undefined) query = query.where('agent', '=', agent);
    return (await query.execute()).map((row) => ({ id: row.id, agent: row.agent, binding: JSON.parse(row.binding) as BindingRecord['binding'], createdAt: new Date(row.created_at), createdBy: row.created_by }));
  }

  async addRule(rule: RuntimeRule): Promise<void> {
    await this.db
      .insertInto('runtime_rules')
      .values({
        id: rule.id,
        agent: rule.agent,
        kind: rule.kind,
        rule: JSON.stringify(rule.rule),
        expires_at: isoOrNull(rule.expiresAt),
        source: rule.source,
        source_id: rule.sourceId ?? null,
        created_at: iso(rule.createdAt),
        created_by: rule.createdBy,
      })
      .execute();
  }

  async removeRule(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('runtime_rules').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async listRules(agent?: string): Promise<RuntimeRule[]> {
    let query = this.db.selectFrom('runtime_rules').selectAll().orderBy('created_at').orderBy('id');
    if (agent !== undefined) query = query.where('agent', '=', agent);
    return (await query.execute()).map((row) => ({
      id: row.id,
      agent: row.agent,
      kind: row.kind as RuntimeRule['kind'],
      rule: JSON.parse(row.rule) as Grant | Forbid,
      expiresAt: dateOrUndefined(row.expires_at),
      source: row.source as RuntimeRule['source'],
      sourceId: row.source_id ?? undefined,
      createdAt: new Date(row.created_at),
      createdBy: row.created_by,
    }));
  }

  async addAccessRequest(request: AccessRequestRecord): Promise<void> {
    await this.db
      .insertInto('access_requests')
      .values({
        id: request.id,
        agent: request.agent,
        api: request.api,
        operation: request.operation,
        reason: request.reason,
        duration_days: request.durationDays ?? null,
        status: request.status,
        risk: JSON.stringify(request.risk ?? null),
        requested_at: iso(request.requestedAt),
        requested_by: request.requestedBy,
        decided_at: isoOrNull(request.decidedAt),
        decided_by: request.decidedBy ?? null,
        decision_reason: request.decisionReason ?? null,
        rule_id: request.ruleId ?? null,
      })
      .execute();
  }

  async getAccessRequest(id: string): Promise<AccessRequestRecord | undefined> {
    const row = await this.db.selectFrom('access_requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : accessRequest(row);
  }

  async listAccessRequests(filter: { readonly status?: AccessRequestStatus; readonly agent?: string } = {}): Promise<AccessRequestRecord[]> {
    let query = this.db.selectFrom('access_requests').selectAll().orderBy('requested_at').orderBy('id');
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.agent !== undefined) query = query.where('agent', '=', filter.agent);
    return (await query.execute()).map(accessRequest);
  }

  async decideAccessRequest(id: string, decision: AccessDecision): Promise<boolean> {
    const result = await this.db
      .updateTable('access_requests')
      .set({ status: decision.status, decided_at: iso(decision.decidedAt), decided_by: decision.decidedBy, decision_reason: decision.reason, rule_id: decision.ruleId ?? null })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async putAdminToken(record: AdminTokenRecord): Promise<void> {
    const row = {
      id: record.id,
      digest: record.digest,
      subject: record.subject,
      roles: JSON.stringify(record.roles),
      created_at: iso(record.createdAt),
      created_by: record.createdBy,
      expires_at: iso(record.expiresAt),
      revoked_at: isoOrNull(record.revokedAt),
      last_used_at: isoOrNull(record.lastUsedAt),
    };
    const { id: _id, ...update } = row;
    await this.db.insertInto('admin_tokens').values(row).onConflict((conflict) => conflict.column('id').doUpdateSet(update)).execute();
  }

  async getAdminToken(id: string): Promise<AdminTokenRecord | undefined> {
    const row = await this.db.selectFrom('admin_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : adminToken(row);
  }

  async listAdminTokens(): Promise<AdminTokenRecord[]> {
    return (await this.db.selectFrom('admin_tokens').selectAll().orderBy('created_at').orderBy('id').execute()).map(adminToken);
  }

  async markAdminTokenUsed(id: string, at: Date): Promise<void> {
    await this.db.updateTable('admin_tokens').set({ last_used_at: iso(at) }).where('id', '=', id).execute();
  }

  async appendAdminEvent(event: NewAdminEvent): Promise<AdminEvent> {
    const row = await this.db
      .insertInto('admin_events')
      .values({
        time: iso(event.time),
        actor: event.actor,
        roles: JSON.stringify(event.roles),
        action: event.action,
        target: event.target,
        outcome: event.outcome,
        detail: event.detail ?? null,
        before: json(event.before),
        after: json(event.after),
      })
      .returning('seq')
      .executeTakeFirstOrThrow();
    return { ...event, seq: Number(row.seq) };
  }

  async listAdminEvents(filter: { readonly actor?: string; readonly target?: string; readonly limit?: number; readonly beforeSeq?: number } = {}): Promise<AdminEvent[]> {
    let query = this.db.selectFrom('admin_events').selectAll().orderBy('seq', 'desc').limit(Math.min(Math.max(filter.limit ?? 100, 1), 1000));
    if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
    if (filter.target !== undefined) query = query.where('target', '=', filter.target);
    if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq);
    return (await query.execute()).map((row) => ({
      seq: Number(row.seq),
      time: new Date(row.time),
      actor: row.actor,
      roles: JSON.parse(row.roles) as string[],
      action: row.action,
      target: row.target,
      outcome: row.outcome as AdminEvent['outcome'],
      detail: row.detail ?? undefined,
      before: row.before === null ? undefined : (JSON.parse(row.before) as unknown),
      after: row.after === null ? undefined : (JSON.parse(row.after) as unknown),
    }));
  }

  async setOwner(record: OwnerRecord): Promise<void> {
    const row = { email: record.email, active: record.active ? 1 : 0, left_at: isoOrNull(record.leftAt), updated_by: record.updatedBy };
    await this.db.insertInto('owners').values(row).onConflict((conflict) => conflict.column('email').doUpdateSet({ active: row.active, left_at: row.left_at, updated_by: row.updated_by })).execute();
  }

  async listOwners(): Promise<OwnerRecord[]> {
    return (await this.db.selectFrom('owners').selectAll().orderBy('email').execute()).map((row) => ({ email: row.email, active: Number(row.active) === 1, leftAt: dateOrUndefined(row.left_at), updatedBy: row.updated_by }));
  }

  async recordUsage(records: readonly UsageRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const record of records) {
        const time = iso(record.lastUsedAt);
        await trx
          .insertInto('usage')
          .values({ agent: record.agent, api: record.api, operation: record.operation, rule: record.rule, last_used_at: time, calls: record.calls })
          .onConflict((conflict) =>
            conflict.columns(['agent', 'api', 'operation', 'rule']).doUpdateSet((eb) => ({
              calls: eb('usage.calls', '+', record.calls),
              // Reports from several gateways may arrive out of order: keep the latest.
              last_used_at: eb.case().when('usage.last_used_at', '<', time).then(time).else(eb.ref('usage.last_used_at')).end(),
            })),
          )
          .execute();
      }
    });
  }

  async listUsage(filter: { readonly agent?: string } = {}): Promise<UsageRecord[]> {
    let query = this.db.selectFrom('usage').selectAll().orderBy('agent').orderBy('api').orderBy('operation').orderBy('rule');
    if (filter.agent !== undefined) query = query.where('agent', '=', filter.agent);
    return (await query.execute()).map((row) => ({ agent: row.agent, api: row.api, operation: row.operation, rule: row.rule, lastUsedAt: new Date(row.last_used_at), calls: Number(row.calls) }));
  }

  async addReviewDecision(decision: ReviewDecision): Promise<void> {
    await this.db
      .insertInto('review_decisions')
      .values({ agent: decision.agent, item: decision.item, decision: decision.decision, actor: decision.actor, reason: decision.reason, at: iso(decision.at) })
      .execute();
  }

  async listReviewDecisions(agent?: string): Promise<ReviewDecision[]> {
    let query = this.db.selectFrom('review_decisions').selectAll().orderBy('id');
    if (agent !== undefined) query = query.where('agent', '=', agent);
    return (await query.execute()).map((row) => ({ agent: row.agent, item: row.item, decision: row.decision as ReviewDecision['decision'], actor: row.actor, reason: row.reason, at: new Date(row.at) }));
  }

  async openApproval(record: ApprovalRecord, now: Date): Promise<{ readonly record: ApprovalRecord; readonly created: boolean }> {
    // Look-up and insert in one transaction: two held calls racing make one approval.
    return this.db.transaction().execute(async (trx) => {
      const open = await trx
        .selectFrom('approvals')
        .selectAll()
        .where('agent', '=', record.agent)
        .where('fingerprint', '=', record.fingerprint)
        .where('status', 'in', ['pending', 'approved'])
        .where('expires_at', '>', iso(now))
        .orderBy('requested_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (open !== undefined) return { record: approval(open), created: false };
      await trx.insertInto('approvals').values(approvalRow(record)).execute();
      return { record, created: true };
    });
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    const row = await this.db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : approval(row);
  }

  async listApprovals(filter: { readonly statuses?: readonly ApprovalStatus[]; readonly agent?: string; readonly limit?: number } = {}): Promise<ApprovalRecord[]> {
    let query = this.db.selectFrom('approvals').selectAll().orderBy('requested_at', 'desc').orderBy('id', 'desc');
    if (filter.statuses !== undefined) {
      if (filter.statuses.length === 0) return [];
      query = query.where('status', 'in', [...filter.statuses]);
    }
    if (filter.agent !== undefined) query = query.where('agent', '=', filter.agent);
    if (filter.limit !== undefined) query = query.limit(Math.max(filter.limit, 1));
    return (await query.execute()).map(approval);
  }

  async decideApproval(id: string, decision: ApprovalDecision): Promise<boolean> {
    const result = await this.db
      .updateTable('approvals')
      .set({
        status: decision.status,
        decided_at: iso(decision.decidedAt),
        decided_by: decision.decidedBy,
        decided_via: decision.via,
        reason: decision.reason,
        ...(decision.expiresAt !== undefined ? { expires_at: iso(decision.expiresAt) } : {}),
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', iso(decision.decidedAt))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async useApproval(id: string, use: ApprovalUse): Promise<boolean> {
    const result = await this.db
      .updateTable('approvals')
      .set({ status: 'used', used_at: iso(use.usedAt), used_request_id: use.requestId })
      .where('id', '=', id)
      .where('agent', '=', use.agent)
      .where('fingerprint', '=', use.fingerprint)
      .where('status', '=', 'approved')
      .where('used_at', 'is', null)
      .where('expires_at', '>', iso(use.usedAt))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async expireApprovals(now: Date): Promise<string[]> {
    const rows = await this.db
      .updateTable('approvals')
      .set({ status: 'expired' })
      .where('status', 'in', ['pending', 'approved'])
      .where('expires_at', '<=', iso(now))
      .returning('id')
      .execute();
    return rows.map((row) => row.id).sort();
  }
}

/**
 * The one identity a runtime binding names, unique across all bindings: `jwt <issuer> <subject>`
 * (newline-separated, as the compiler keys them), or the certificate fingerprint or SPIFFE id.
 * A certificate's fingerprint and SPIFFE id are two identities, so they are two bindings.
 */
export function bindingIdentity(binding: BindingRecord['binding']): string {
  if (binding.type === 'jwt') return `jwt ${jwtSubjectKey(binding.issuer, binding.subject)}`;
  if (binding.fingerprint !== undefined && binding.spiffeId !== undefined) throw new Error('a binding names one identity: bind the fingerprint and the SPIFFE id separately');
  return `mtls ${binding.spiffeId ?? binding.fingerprint ?? ''}`;
}

function transitionRow(agent: string, from: AgentState | undefined, transition: NewTransition) {
  return { agent, from_state: from ?? null, to_state: transition.to, action: transition.action, actor: transition.actor, reason: transition.reason, at: iso(transition.at) };
}

function agentRecord(row: Row<'agent_records'>): AgentRecord {
  return {
    name: row.name,
    source: row.source as AgentRecord['source'],
    definition: row.definition === null ? undefined : (JSON.parse(row.definition) as AgentManifest),
    state: row.state as AgentState,
    stateSince: new Date(row.state_since),
    template: row.template ?? undefined,
    createdAt: new Date(row.created_at),
    createdBy: row.created_by,
  };
}

function accessRequest(row: Row<'access_requests'>): AccessRequestRecord {
  return {
    id: row.id,
    agent: row.agent,
    api: row.api,
    operation: row.operation,
    reason: row.reason,
    durationDays: row.duration_days === null ? undefined : Number(row.duration_days),
    status: row.status as AccessRequestStatus,
    risk: JSON.parse(row.risk) as unknown,
    requestedAt: new Date(row.requested_at),
    requestedBy: row.requested_by,
    decidedAt: dateOrUndefined(row.decided_at),
    decidedBy: row.decided_by ?? undefined,
    decisionReason: row.decision_reason ?? undefined,
    ruleId: row.rule_id ?? undefined,
  };
}

function adminToken(row: Row<'admin_tokens'>): AdminTokenRecord {
  return {
    id: row.id,
    digest: row.digest,
    subject: row.subject,
    roles: JSON.parse(row.roles) as AdminRole[],
    createdAt: new Date(row.created_at),
    createdBy: row.created_by,
    expiresAt: new Date(row.expires_at),
    revokedAt: dateOrUndefined(row.revoked_at),
    lastUsedAt: dateOrUndefined(row.last_used_at),
  };
}

function approvalRow(record: ApprovalRecord) {
  return {
    id: record.id,
    agent: record.agent,
    api: record.api,
    operation: record.operation,
    method: record.method,
    path: record.path,
    query: record.query,
    parameters: JSON.stringify(record.parameters),
    context: json(record.context),
    fingerprint: record.fingerprint,
    request_id: record.requestId,
    status: record.status,
    requested_at: iso(record.requestedAt),
    expires_at: iso(record.expiresAt),
    decided_at: isoOrNull(record.decidedAt),
    decided_by: record.decidedBy ?? null,
    decided_via: record.decidedVia ?? null,
    reason: record.reason ?? null,
    used_at: isoOrNull(record.usedAt),
    used_request_id: record.usedRequestId ?? null,
  };
}

function approval(row: Row<'approvals'>): ApprovalRecord {
  return {
    id: row.id,
    agent: row.agent,
    api: row.api,
    operation: row.operation,
    method: row.method,
    path: row.path,
    query: row.query,
    parameters: JSON.parse(row.parameters) as Record<string, unknown>,
    context: row.context === null ? undefined : (JSON.parse(row.context) as Record<string, string>),
    fingerprint: row.fingerprint,
    requestId: row.request_id,
    status: row.status as ApprovalStatus,
    requestedAt: new Date(row.requested_at),
    expiresAt: new Date(row.expires_at),
    decidedAt: dateOrUndefined(row.decided_at),
    decidedBy: row.decided_by ?? undefined,
    decidedVia: (row.decided_via ?? undefined) as ApprovalRecord['decidedVia'],
    reason: row.reason ?? undefined,
    usedAt: dateOrUndefined(row.used_at),
    usedRequestId: row.used_request_id ?? undefined,
  };
}
