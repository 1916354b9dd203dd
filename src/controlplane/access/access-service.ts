import type { AgentTemplateManifest, Grant, RoleManifest } from '../../model/manifests/index.js';
import { selectOperations } from '../../policy/operation-selector.js';
import type { CompiledAgent } from '../../policy/snapshot.js';
import type { Actor } from '../agents/lifecycle.js';
import { assessRisk, type RiskAssessment } from '../agents/risk-assessment.js';
import { actsAsOwner, authorize, currentSnapshot, hasRole, putInForce, refuse, requireReason, type GovernanceContext } from '../governance/governance-context.js';
import { GovernanceError } from '../governance/governance-error.js';
import { randomId } from '../governance/random-id.js';
import type { AccessRequestRecord, AccessRequestStatus, RuntimeRule } from '../store/governance-store.js';

/** What an agent (or its owner) asks for: one operation, and why. */
export interface AccessAsk {
  readonly api: string;
  readonly operation: string;
  readonly reason: string;
  /** Days the access is needed for; omitted: until revoked. */
  readonly durationDays?: number;
}

/** An access request as shown to agents and humans. */
export interface AccessRequestView {
  readonly id: string;
  readonly agent: string;
  readonly api: string;
  readonly operation: string;
  readonly reason: string;
  readonly durationDays: number | undefined;
  readonly status: AccessRequestStatus;
  readonly requestedAt: string;
  readonly requestedBy: string;
  readonly decidedAt: string | undefined;
  readonly decidedBy: string | undefined;
  readonly decisionReason: string | undefined;
  /** When the granted access ends, if it is time-boxed. */
  readonly grantExpiresAt: string | undefined;
  readonly risk: RiskAssessment;
}

const MAX_DAYS = 365;

/**
 * Access requests: an agent asks (with its own credential, on the gateway) or its owner asks
 * for it, for one more operation and a reason. When a pre-approved template of the agent's
 * kind already grants that operation, the same grant is given at once, recorded as granted by
 * the template; anything else waits for security with a risk assessment. An approval becomes
 * a runtime grant of that one operation, time-boxed when asked, in force when the call returns.
 */
export class AccessService {
  constructor(private readonly context: GovernanceContext) {}

  /** The agent itself asks, authenticated by the gateway. */
  submitForAgent(agent: string, ask: AccessAsk): Promise<AccessRequestView> {
    return this.#submit({ subject: `agent:${agent}`, roles: [] }, agent, ask);
  }

  /** A human asks on an agent's behalf: its owner, security or an admin. */
  async submitForHuman(actor: Actor, agent: string, ask: AccessAsk): Promise<AccessRequestView> {
    const owner = currentSnapshot(this.context).agents.get(agent)?.owner;
    if (owner === undefined) return refuse(this.context, actor, 'access.request', `agent/${agent}`, new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no agent is called ${agent}`));
    await authorize(this.context, actor, 'access.request', `agent/${agent}`, hasRole(actor, 'admin', 'security') || actsAsOwner(actor, owner), 'admin, security or the agent\'s owner');
    return this.#submit(actor, agent, ask);
  }

  async list(filter: { readonly status?: AccessRequestStatus; readonly agent?: string } = {}): Promise<AccessRequestView[]> {
    const [requests, rules] = await Promise.all([this.context.store.governance.listAccessRequests(filter), this.context.store.governance.listRules()]);
    return requests.map((request) => view(request, rules));
  }

  async get(id: string, agent?: string): Promise<AccessRequestView> {
    const request = await this.context.store.governance.getAccessRequest(id);
    // An agent sees only its own requests: another agent's id is as good as unknown.
    if (request === undefined || (agent !== undefined && request.agent !== agent)) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no access request has the id ${id}`);
    return view(request, await this.context.store.governance.listRules(request.agent));
  }

  async approve(actor: Actor, id: string, options: { readonly reason: string | undefined; readonly durationDays?: number }): Promise<AccessRequestView> {
    const target = `access-request/${id}`;
    const why = await Promise.resolve().then(() => requireReason(options.reason)).catch((error: GovernanceError) => refuse(this.context, actor, 'access.approve', target, error));
    const request = await this.#pending(actor, 'access.approve', id);
    const agent = currentSnapshot(this.context).agents.get(request.agent);
    const owner = agent?.owner ?? '';
    await authorize(this.context, actor, 'access.approve', target, hasRole(actor, 'admin', 'security'), 'security or admin');
    if (owner.toLowerCase() === actor.subject.toLowerCase()) {
      return refuse(this.context, actor, 'access.approve', target, new GovernanceError('WARDEN_ADMIN_FORBIDDEN', `${actor.subject} owns ${request.agent} and cannot approve its access; another security reviewer must`));
    }
    if (request.requestedBy.toLowerCase() === actor.subject.toLowerCase()) {
      return refuse(this.context, actor, 'access.approve', target, new GovernanceError('WARDEN_ADMIN_FORBIDDEN', `${actor.subject} asked for this access and cannot approve it; another security reviewer must`));
    }
    if (agent === undefined || !['approved', 'testing', 'active'].includes(agent.state)) {
      return refuse(this.context, actor, 'access.approve', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${request.agent} is ${agent?.state ?? 'gone'}; it gets no new access (deny the request)`));
    }
    const days = options.durationDays ?? request.durationDays;
    if (days !== undefined && !validDays(days)) return refuse(this.context, actor, 'access.approve', target, new GovernanceError('WARDEN_ADMIN_INVALID', `durationDays must be a whole number from 1 to ${MAX_DAYS}`));
    const grant: Grant = { api: request.api, operations: [request.operation], stepUp: false };
    return this.#grant(actor, request, grant, days, why);
  }

  async deny(actor: Actor, id: string, reason: string | undefined): Promise<AccessRequestView> {
    const target = `access-request/${id}`;
    const why = await Promise.resolve().then(() => requireReason(reason)).catch((error: GovernanceError) => refuse(this.context, actor, 'access.deny', target, error));
    const request = await this.#pending(actor, 'access.deny', id);
    const owner = currentSnapshot(this.context).agents.get(request.agent)?.owner ?? '';
    await authorize(this.context, actor, 'access.deny', target, hasRole(actor, 'admin', 'security') || actsAsOwner(actor, owner), 'security, admin or the agent\'s owner');
    const now = this.context.now();
    if (!(await this.context.store.governance.decideAccessRequest(id, { status: 'denied', decidedAt: now, decidedBy: actor.subject, reason: why, ruleId: undefined }))) {
      return refuse(this.context, actor, 'access.deny', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${id} was decided meanwhile`));
    }
    await this.context.log.changed(actor, 'access.deny', target, { before: { status: 'pending' }, after: { status: 'denied' }, detail: why });
    this.context.notifier.notify({ type: 'access.denied', time: now.toISOString(), recipients: [owner], summary: `${actor.subject} denied ${request.agent} access to ${request.api}.${request.operation}: ${why}`, data: { request: id, agent: request.agent } });
    return this.get(id);
  }

  async #submit(actor: Actor, agentName: string, ask: AccessAsk): Promise<AccessRequestView> {
    const target = `agent/${agentName}`;
    const snapshot = currentSnapshot(this.context);
    const agent = snapshot.agents.get(agentName);
    const invalid = (detail: string) => refuse(this.context, actor, 'access.request', target, new GovernanceError(actor.subject.startsWith('agent:') ? 'WARDEN_ACCESS_REQUEST_INVALID' : 'WARDEN_ADMIN_INVALID', detail));
    if (agent === undefined) return invalid(`no agent is called ${agentName}`);
    if (!['approved', 'testing', 'active'].includes(agent.state)) return invalid(`${agentName} is ${agent.state}; only approved, testing and active agents may ask for more access`);
    if (typeof ask.reason !== 'string' || ask.reason.trim().length < 10) return invalid('say why the task needs it (reason, at least 10 characters): the reviewer reads it');
    if (ask.reason.length > 1000) return invalid('the reason is longer than 1000 characters');
    if (ask.durationDays !== undefined && !validDays(ask.durationDays)) return invalid(`durationDays must be a whole number from 1 to ${MAX_DAYS}`);
    const operation = snapshot.operations.find((candidate) => candidate.api.name === ask.api && candidate.id === ask.operation);
    if (operation === undefined) return invalid(`${ask.api}.${ask.operation} is not a declared operation`);
    if (operation.api.status === 'retired') return invalid(`${ask.api} is retired`);
    if (agent.access.callable.includes(operation.index)) return invalid(`${agentName} may already call ${ask.api}.${ask.operation}`);
    if (isForbidden(agent, operation.index)) return invalid(`${ask.api}.${ask.operation} is forbidden for ${agentName} by policy; an access request cannot lift a forbid`);
    const duplicate = (await this.context.store.governance.listAccessRequests({ status: 'pending', agent: agentName })).find((request) => request.api === ask.api && request.operation === ask.operation);
    if (duplicate !== undefined) return invalid(`${agentName} asked for ${ask.api}.${ask.operation} already (${duplicate.id}, pending)`);

    const now = this.context.now();
    const usage = await this.context.store.governance.listUsage();
    const risk = assessRisk({ snapshot, roles: agent.roles, purpose: agent.purpose, agent: agentName, extra: [{ api: ask.api, operation: ask.operation }], usage, now });
    const request: AccessRequestRecord = {
      id: randomId('ar'),
      agent: agentName,
      api: ask.api,
      operation: ask.operation,
      reason: ask.reason.trim(),
      durationDays: ask.durationDays,
      status: 'pending',
      risk,
      requestedAt: now,
      requestedBy: actor.subject,
      decidedAt: undefined,
      decidedBy: undefined,
      decisionReason: undefined,
      ruleId: undefined,
    };
    await this.context.store.governance.addAccessRequest(request);
    await this.context.log.changed(actor, 'access.request', `access-request/${request.id}`, { after: { agent: agentName, api: ask.api, operation: ask.operation, risk: risk.level } });

    const declared = this.context.publisher.manifests?.agents.find((candidate) => candidate.metadata.name === agentName)?.spec.roles ?? (await this.context.store.governance.getAgent(agentName))?.definition?.spec.roles ?? [];
    const fitting = this.#templateGrant(declared, ask.api, ask.operation);
    if (fitting !== undefined) {
      const system = { subject: `template:${fitting.template.metadata.name}`, roles: [] };
      return this.#grant(system, request, fitting.grant, ask.durationDays, `fits pre-approved template ${fitting.template.metadata.name}`);
    }
    this.context.notifier.notify({
      type: 'access.requested',
      time: now.toISOString(),
      recipients: [agent.owner, 'security'],
      // The agent's own words go in data only: a chat bridge should not render them as markup.
      summary: `${agentName} asks for ${ask.api}.${ask.operation} (risk ${risk.level}, ${risk.score}); see warden access list`,
      data: { request: request.id, agent: agentName, api: ask.api, operation: ask.operation, reason: request.reason, risk: { score: risk.score, level: risk.level } },
    });
    return view(request, []);
  }

  /** Records the grant as a runtime rule, marks the request granted and puts the rule in force. */
  async #grant(actor: Actor, request: AccessRequestRecord, grant: Grant, days: number | undefined, why: string): Promise<AccessRequestView> {
    const target = `access-request/${request.id}`;
    const now = this.context.now();
    const expiresAt = days === undefined ? undefined : new Date(now.getTime() + days * 86_400_000);
    const rule: RuntimeRule = {
      id: randomId('rt'),
      agent: request.agent,
      kind: 'grant',
      rule: { ...grant, ...(expiresAt !== undefined ? { expires: expiresAt.toISOString() } : {}) },
      expiresAt,
      source: 'access-request',
      sourceId: request.id,
      createdAt: now,
      createdBy: actor.subject,
    };
    // Decided first, conditionally: a request decided meanwhile never gets its rule, not even briefly.
    if (!(await this.context.store.governance.decideAccessRequest(request.id, { status: 'granted', decidedAt: now, decidedBy: actor.subject, reason: why, ruleId: rule.id }))) {
      return refuse(this.context, actor, 'access.approve', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${request.id} was decided meanwhile`));
    }
    await this.context.store.governance.addRule(rule);
    await this.context.log.changed(actor, 'access.approve', target, { before: { status: 'pending' }, after: { status: 'granted', rule: rule.id, expiresAt: expiresAt?.toISOString() }, detail: why });
    await putInForce(this.context);
    const owner = currentSnapshot(this.context).agents.get(request.agent)?.owner;
    this.context.notifier.notify({
      type: 'access.granted',
      time: now.toISOString(),
      recipients: owner === undefined ? [] : [owner],
      summary: `${request.agent} may now call ${request.api}.${request.operation}${expiresAt ? ` until ${expiresAt.toISOString()}` : ''} (${why})`,
      data: { request: request.id, agent: request.agent, rule: rule.id },
    });
    return this.get(request.id);
  }

  async #pending(actor: Actor, action: string, id: string): Promise<AccessRequestRecord> {
    const request = await this.context.store.governance.getAccessRequest(id);
    if (request === undefined) return refuse(this.context, actor, action, `access-request/${id}`, new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no access request has the id ${id}`));
    if (request.status !== 'pending') return refuse(this.context, actor, action, `access-request/${id}`, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${id} is ${request.status} already`));
    return request;
  }

  /**
   * The grant a pre-approved template of this agent's kind gives for the operation: a template
   * whose roles include all of the roles the agent's definition names (it is a standard agent of that kind) and
   * one of whose roles grants the operation. The template's grant is copied with its conditions
   * (parameters, response rules, rate limit, step-up), narrowed to the one operation.
   */
  #templateGrant(declaredRoles: readonly string[], api: string, operation: string): { readonly template: AgentTemplateManifest; readonly grant: Grant } | undefined {
    const manifests = this.context.publisher.manifests;
    if (manifests === undefined) return undefined;
    // The roles the agent's definition names, not those left after a role was removed: an agent
    // that lost its only role is no standard agent of any kind.
    const ownRoles = declaredRoles;
    if (ownRoles.length === 0) return undefined;
    const roles = new Map<string, RoleManifest>(manifests.roles.map((role) => [role.metadata.name, role]));
    const declared = manifests.apis.find((candidate) => candidate.metadata.name === api)?.spec.operations ?? [];
    for (const template of manifests.templates ?? []) {
      if (!template.spec.preApproved || !ownRoles.every((role) => template.spec.roles.includes(role))) continue;
      for (const roleName of template.spec.roles) {
        const role = roles.get(roleName);
        if (role === undefined) continue;
        const forbidden = role.spec.forbid.some((forbid) => forbid.api === api && forbid.params === undefined && covers(forbid.operations, operation, declared));
        if (forbidden) continue;
        const grant = role.spec.grants.find((candidate) => candidate.api === api && covers(candidate.operations, operation, declared));
        if (grant !== undefined) {
          const { id: _id, expires: _expires, ...conditions } = grant;
          return { template, grant: { ...conditions, operations: [operation] } };
        }
      }
    }
    return undefined;
  }
}

function covers(selectors: readonly string[], operation: string, declared: readonly { readonly id: string; readonly method: string; readonly path: string }[]): boolean {
  return selectors.some((selector) => {
    const selection = selectOperations(selector, declared);
    return !('error' in selection) && selection.matched.some((candidate) => candidate.id === operation);
  });
}

function isForbidden(agent: CompiledAgent, index: number): boolean {
  return agent.access.roles.some((table) => (table.forbids.get(index) ?? []).some((forbid) => forbid.conditions.length === 0));
}

function validDays(days: number): boolean {
  return Number.isInteger(days) && days >= 1 && days <= MAX_DAYS;
}

function view(request: AccessRequestRecord, rules: readonly RuntimeRule[]): AccessRequestView {
  const rule = request.ruleId === undefined ? undefined : rules.find((candidate) => candidate.id === request.ruleId);
  return {
    id: request.id,
    agent: request.agent,
    api: request.api,
    operation: request.operation,
    reason: request.reason,
    durationDays: request.durationDays,
    status: request.status,
    requestedAt: request.requestedAt.toISOString(),
    requestedBy: request.requestedBy,
    decidedAt: request.decidedAt?.toISOString(),
    decidedBy: request.decidedBy,
    decisionReason: request.decisionReason,
    grantExpiresAt: rule?.expiresAt?.toISOString(),
    risk: request.risk as RiskAssessment,
  };
}
