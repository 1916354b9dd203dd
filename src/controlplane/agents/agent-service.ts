import { Value } from '@sinclair/typebox/value';
import { AgentManifestSchema, type AgentManifest, type AgentState, type AgentTemplateManifest, type CredentialBinding } from '../../model/manifests/index.js';
import { schemaProblems } from '../../policy/load/schema-problems.js';
import type { Snapshot } from '../../policy/snapshot.js';
import { actsAsOwner, authorize, currentSnapshot, hasRole, putInForce, refuse, requireReason, type GovernanceContext } from '../governance/governance-context.js';
import { GovernanceError } from '../governance/governance-error.js';
import { runtimeRoleName } from '../publish/effective-policy.js';
import type { AgentRecord, AgentTransition, BindingRecord, RuntimeRule } from '../store/governance-store.js';
import { legalActions, planTransition, type Actor, type LifecycleAction } from './lifecycle.js';
import { assessRisk, type RiskAssessment } from './risk-assessment.js';
import { randomId } from '../governance/random-id.js';

/** An agent as the admin API shows it: definition, lifecycle, credentials by id, runtime rules. */
export interface AgentView {
  readonly name: string;
  readonly source: 'manifest' | 'api';
  readonly owner: string;
  readonly purpose: string;
  readonly description: string | undefined;
  readonly roles: readonly string[];
  /** Regions it may call from; undefined: any. */
  readonly regions: readonly string[] | undefined;
  readonly state: AgentState;
  readonly stateSince: string | undefined;
  readonly template: string | undefined;
  readonly credentials: {
    readonly apiKeys: readonly string[];
    readonly jwt: readonly { readonly issuer: string; readonly subject: string }[];
    readonly certificates: readonly string[];
  };
  /** Identities bound through the admin API, with the id `unbind` takes. */
  readonly bindings: readonly { readonly id: string; readonly identity: string }[];
  readonly runtimeRules: readonly { readonly id: string; readonly kind: 'grant' | 'forbid'; readonly api: string; readonly operations: readonly string[]; readonly expiresAt: string | undefined }[];
  /** Lifecycle actions that apply in its state (whether the caller may take them is checked on use). */
  readonly actions: readonly LifecycleAction[];
}

export interface AgentDetail extends AgentView {
  readonly history: readonly AgentTransition[];
  readonly risk: RiskAssessment;
}

export interface Proposal {
  readonly name: string;
  /** Defaults to the proposer. */
  readonly owner?: string;
  readonly purpose: string;
  /** The roles asked for; with a template, at most its roles (defaults to them). */
  readonly roles?: readonly string[];
  readonly template?: string;
  readonly description?: string;
  readonly regions?: readonly string[];
}

/** The result of a lifecycle change, with how long the data plane took to get it. */
export interface LifecycleResult {
  readonly agent: AgentView;
  readonly from: AgentState;
  /** Milliseconds from the change in the store to the new policy in the data plane. */
  readonly propagationMs: number;
}

/**
 * Agents as identities with an owner, a purpose and a lifecycle: proposals (approved at once
 * when their template is pre-approved), the lifecycle actions of lifecycle.ts, bindings of
 * external identities. Every change is logged with before and after and is in force in the
 * data plane when the call returns.
 */
export class AgentService {
  constructor(private readonly context: GovernanceContext) {}

  async list(filter: { readonly states?: readonly AgentState[]; readonly owner?: string } = {}): Promise<AgentView[]> {
    const snapshot = currentSnapshot(this.context);
    const governance = this.context.store.governance;
    const [records, rules, bindings] = await Promise.all([governance.listAgents(filter.states === undefined ? {} : { states: filter.states }), governance.listRules(), governance.listBindings()]);
    const byName = new Map(records.map((record) => [record.name, record]));
    const views: AgentView[] = [];
    for (const agent of snapshot.agents.values()) {
      const view = this.#view(snapshot, agent.name, byName.get(agent.name), rules, bindings);
      if (filter.states !== undefined && !filter.states.includes(view.state)) continue;
      if (filter.owner !== undefined && view.owner.toLowerCase() !== filter.owner.toLowerCase()) continue;
      views.push(view);
    }
    return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(name: string): Promise<AgentDetail> {
    const snapshot = currentSnapshot(this.context);
    const governance = this.context.store.governance;
    if (!snapshot.agents.has(name)) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no agent is called ${name}`);
    const [record, rules, history, usage, bindings] = await Promise.all([governance.getAgent(name), governance.listRules(name), governance.listTransitions(name), governance.listUsage(), governance.listBindings(name)]);
    const view = this.#view(snapshot, name, record, rules, bindings);
    const agent = snapshot.agents.get(name)!;
    const risk = assessRisk({ snapshot, roles: agent.roles, purpose: agent.purpose, agent: name, usage, now: this.context.now() });
    return { ...view, history, risk };
  }

  /** Registers a new agent in state proposed, or approved when its template is pre-approved. */
  async propose(actor: Actor, proposal: Proposal): Promise<AgentDetail> {
    const target = `agent/${proposal.name}`;
    const owner = proposal.owner ?? actor.subject;
    const forOthers = owner.toLowerCase() !== actor.subject.toLowerCase();
    await authorize(this.context, actor, 'agent.propose', target, hasRole(actor, 'admin', 'security') || (actor.roles.includes('owner') && !forOthers), forOthers ? 'admin or security (to propose an agent someone else owns)' : 'admin, security or owner');
    const snapshot = currentSnapshot(this.context);
    const templates = this.context.publisher.manifests?.templates ?? [];
    const manifest = await this.#proposedManifest(proposal, owner, snapshot, templates).catch((error: unknown) => (error instanceof GovernanceError ? refuse(this.context, actor, 'agent.propose', target, error) : Promise.reject(error)));
    const governance = this.context.store.governance;
    if (snapshot.agents.has(proposal.name) || (await governance.getAgent(proposal.name)) !== undefined) {
      await refuse(this.context, actor, 'agent.propose', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `an agent called ${proposal.name} exists already`));
    }
    const template = templates.find((candidate) => candidate.metadata.name === proposal.template);
    const now = this.context.now();
    const record: AgentRecord = { name: proposal.name, source: 'api', definition: manifest, state: 'proposed', stateSince: now, template: template?.metadata.name, createdAt: now, createdBy: actor.subject };
    await governance.createAgent(record, { to: 'proposed', action: 'propose', actor: actor.subject, reason: manifest.spec.purpose, at: now });
    if (template?.spec.preApproved === true) {
      await governance.transitionAgent(proposal.name, 'proposed', { to: 'approved', action: 'approve', actor: `template:${template.metadata.name}`, reason: `pre-approved template ${template.metadata.name}`, at: now });
    }
    const approved = template?.spec.preApproved === true;
    await this.context.log.changed(actor, 'agent.propose', target, { after: { state: approved ? 'approved' : 'proposed', owner, roles: manifest.spec.roles, template: record.template }, detail: approved ? `approved automatically: template ${template.metadata.name} is pre-approved` : undefined });
    await putInForce(this.context);
    const detail = await this.get(proposal.name);
    if (detail.state === 'proposed') {
      this.context.notifier.notify({
        type: 'agent.proposed',
        time: now.toISOString(),
        recipients: ['security'],
        summary: `${actor.subject} proposed agent ${proposal.name} (risk ${detail.risk.level}, ${detail.risk.score}): it waits for security review`,
        data: { agent: proposal.name, owner, roles: detail.roles, risk: { score: detail.risk.score, level: detail.risk.level } },
      });
    }
    return detail;
  }

  /** Takes a lifecycle action; refused with the legal actions when it does not apply. */
  async act(actor: Actor, name: string, action: LifecycleAction, reason: string | undefined): Promise<LifecycleResult> {
    const target = `agent/${name}`;
    const why = await Promise.resolve()
      .then(() => requireReason(reason))
      .catch((error: GovernanceError) => refuse(this.context, actor, `agent.${action}`, target, error));
    const snapshot = currentSnapshot(this.context);
    const governance = this.context.store.governance;
    const agent = snapshot.agents.get(name);
    const record = await governance.getAgent(name);
    if (agent === undefined || record === undefined) return refuse(this.context, actor, `agent.${action}`, target, new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no agent is called ${name}`));
    const history = await governance.listTransitions(name);
    const plan = planTransition({ state: record.state, owner: agent.owner }, action, actor, history);
    if (!plan.ok) {
      const error = plan.kind === 'illegal' ? new GovernanceError('WARDEN_LIFECYCLE_ILLEGAL_TRANSITION', plan.message, { state: record.state, legal: plan.legal }) : new GovernanceError('WARDEN_ADMIN_FORBIDDEN', plan.message);
      return refuse(this.context, actor, `agent.${action}`, target, error);
    }
    const now = this.context.now();
    const moved = await governance.transitionAgent(name, record.state, { to: plan.to, action, actor: actor.subject, reason: why, at: now });
    if (!moved) return refuse(this.context, actor, `agent.${action}`, target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${name} changed state while this request was made; look at it again`));
    const retired = plan.to === 'decommissioned' ? await this.#retire(name, snapshot, now, actor) : undefined;
    await this.context.log.changed(actor, `agent.${action}`, target, {
      before: { state: record.state },
      after: { state: plan.to, ...(retired ?? {}) },
      detail: why,
    });
    const propagationMs = await putInForce(this.context);
    const { history: _history, risk: _risk, ...view } = await this.get(name);
    if (action === 'approve' && plan.to === 'in_review') {
      this.context.notifier.notify({ type: 'agent.reviewed', time: now.toISOString(), recipients: ['admin'], summary: `${actor.subject} passed the security review of ${name}; it waits for business approval`, data: { agent: name } });
    } else {
      this.context.notifier.notify({ type: `agent.${action}`, time: now.toISOString(), recipients: [agent.owner], summary: `${actor.subject}: ${name} ${record.state} → ${plan.to} (${why})`, data: { agent: name, from: record.state, to: plan.to } });
    }
    return { agent: view, from: record.state, propagationMs };
  }

  /** Binds an external identity (JWT subject or client id, certificate fingerprint, SPIFFE id) to an agent. */
  async bind(actor: Actor, name: string, binding: BindingRecord['binding']): Promise<BindingRecord> {
    const target = `agent/${name}`;
    const snapshot = currentSnapshot(this.context);
    const agent = snapshot.agents.get(name);
    if (agent === undefined) return refuse(this.context, actor, 'agent.bind', target, new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no agent is called ${name}`));
    await authorize(this.context, actor, 'agent.bind', target, hasRole(actor, 'admin', 'security') || actsAsOwner(actor, agent.owner), 'admin, security or the agent\'s owner');
    if (agent.state === 'decommissioned') return refuse(this.context, actor, 'agent.bind', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${name} is decommissioned; it gets no new credentials`));
    const problem = bindingProblem(binding);
    if (problem !== undefined) return refuse(this.context, actor, 'agent.bind', target, new GovernanceError('WARDEN_ADMIN_INVALID', problem));
    const boundTo = boundAgent(snapshot, binding);
    if (boundTo !== undefined) return refuse(this.context, actor, 'agent.bind', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${bindingLabel(binding)} is bound to ${boundTo} already`));
    const record: BindingRecord = { id: randomId('bnd'), agent: name, binding, createdAt: this.context.now(), createdBy: actor.subject };
    try {
      await this.context.store.governance.addBinding(record);
    } catch {
      return refuse(this.context, actor, 'agent.bind', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${bindingLabel(binding)} was bound meanwhile`));
    }
    await this.context.log.changed(actor, 'agent.bind', target, { after: { binding: record.id, identity: bindingLabel(binding) } });
    await putInForce(this.context);
    return record;
  }

  async unbind(actor: Actor, name: string, bindingId: string): Promise<void> {
    const target = `agent/${name}`;
    const snapshot = currentSnapshot(this.context);
    const agent = snapshot.agents.get(name);
    const binding = (await this.context.store.governance.listBindings(name)).find((candidate) => candidate.id === bindingId);
    if (agent === undefined || binding === undefined) return refuse(this.context, actor, 'agent.unbind', target, new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `${name} has no runtime binding ${bindingId}`));
    await authorize(this.context, actor, 'agent.unbind', target, hasRole(actor, 'admin', 'security') || actsAsOwner(actor, agent.owner), 'admin, security or the agent\'s owner');
    await this.context.store.governance.removeBinding(bindingId);
    await this.context.log.changed(actor, 'agent.unbind', target, { before: { binding: bindingId, identity: bindingLabel(binding.binding) } });
    await putInForce(this.context);
  }

  async #proposedManifest(proposal: Proposal, owner: string, snapshot: Snapshot, templates: readonly AgentTemplateManifest[]): Promise<AgentManifest> {
    let roles = proposal.roles === undefined ? undefined : [...proposal.roles];
    if (proposal.template !== undefined) {
      const template = templates.find((candidate) => candidate.metadata.name === proposal.template);
      if (template === undefined) throw new GovernanceError('WARDEN_ADMIN_INVALID', `no template is called ${proposal.template}; templates: ${templates.map((candidate) => candidate.metadata.name).join(', ') || 'none'}`);
      const outside = (roles ?? []).filter((role) => !template.spec.roles.includes(role));
      if (outside.length > 0) throw new GovernanceError('WARDEN_ADMIN_INVALID', `template ${template.metadata.name} does not include role(s) ${outside.join(', ')}; propose without the template to ask for them`);
      roles ??= [...template.spec.roles];
    }
    if (roles === undefined || roles.length === 0) throw new GovernanceError('WARDEN_ADMIN_INVALID', 'name the roles the agent needs (roles), or a template');
    const unknown = roles.filter((role) => !snapshot.roles.has(role) || role.startsWith('~'));
    if (unknown.length > 0) throw new GovernanceError('WARDEN_ADMIN_INVALID', `role(s) ${unknown.join(', ')} are not defined; roles: ${[...snapshot.roles.keys()].filter((role) => !role.startsWith('~')).join(', ')}`);
    const manifest = {
      apiVersion: 'warden.dev/v1' as const,
      kind: 'Agent' as const,
      metadata: { name: proposal.name, ...(proposal.description !== undefined ? { description: proposal.description } : {}) },
      spec: { owner, purpose: proposal.purpose, roles, state: 'proposed' as const, credentials: [] as CredentialBinding[], ...(proposal.regions !== undefined ? { regions: [...proposal.regions] } : {}) },
    };
    const problems = schemaProblems(AgentManifestSchema, manifest);
    if (problems.length > 0 || !Value.Check(AgentManifestSchema, manifest)) {
      const first = problems[0];
      throw new GovernanceError('WARDEN_ADMIN_INVALID', first === undefined ? 'the proposal is not a valid agent' : `${first.segments.filter((segment) => segment !== 'spec' && segment !== 'metadata').join('.')}: ${first.message}; ${first.fix}`);
    }
    return manifest;
  }

  /**
   * What decommissioning takes away besides access: every key (runtime-issued and manifest-bound)
   * is revoked, runtime bindings are released so the identities can serve a successor, runtime
   * rules are removed and pending access requests are denied. The history stays.
   */
  async #retire(name: string, snapshot: Snapshot, now: Date, actor: Actor): Promise<{ revokedKeys: string[]; releasedBindings: string[]; removedRules: string[]; deniedRequests: string[] }> {
    const governance = this.context.store.governance;
    const ids = new Set<string>();
    for (const [id, agent] of snapshot.credentials.apiKeys) if (agent === name) ids.add(id);
    const revokedKeys: string[] = [];
    for (const key of await this.context.store.listApiKeys()) {
      if ((key.agent === name || ids.has(key.id)) && key.revokedAt === undefined && (await this.context.store.revokeApiKey(key.id, now))) revokedKeys.push(key.id);
    }
    const releasedBindings: string[] = [];
    for (const binding of await governance.listBindings(name)) if (await governance.removeBinding(binding.id)) releasedBindings.push(binding.id);
    const removedRules: string[] = [];
    for (const rule of await governance.listRules(name)) if (await governance.removeRule(rule.id)) removedRules.push(rule.id);
    const deniedRequests: string[] = [];
    for (const request of await governance.listAccessRequests({ status: 'pending', agent: name })) {
      if (await governance.decideAccessRequest(request.id, { status: 'denied', decidedAt: now, decidedBy: actor.subject, reason: `${name} was decommissioned`, ruleId: undefined })) deniedRequests.push(request.id);
    }
    return { revokedKeys, releasedBindings, removedRules, deniedRequests };
  }

  #view(snapshot: Snapshot, name: string, record: AgentRecord | undefined, rules: readonly RuntimeRule[], bindings: readonly BindingRecord[]): AgentView {
    const agent = snapshot.agents.get(name)!;
    const credentials = credentialsOf(snapshot, name);
    const manifest = record?.definition ?? this.context.publisher.manifests?.agents.find((candidate) => candidate.metadata.name === name);
    return {
      name,
      source: record?.source ?? 'manifest',
      owner: agent.owner,
      purpose: agent.purpose,
      description: manifest?.metadata.description,
      roles: agent.roles.filter((role) => role !== runtimeRoleName(name)),
      regions: agent.regions === null ? undefined : [...agent.regions].sort(),
      state: agent.state,
      stateSince: record?.stateSince.toISOString(),
      template: record?.template,
      credentials,
      bindings: bindings.filter((binding) => binding.agent === name).map((binding) => ({ id: binding.id, identity: bindingLabel(binding.binding) })),
      runtimeRules: rules
        .filter((rule) => rule.agent === name)
        .map((rule) => ({ id: rule.id, kind: rule.kind, api: rule.rule.api, operations: rule.rule.operations, expiresAt: rule.expiresAt?.toISOString() })),
      actions: legalActions(agent.state),
    };
  }
}

function credentialsOf(snapshot: Snapshot, name: string): AgentView['credentials'] {
  const apiKeys: string[] = [];
  const jwt: { issuer: string; subject: string }[] = [];
  const certificates: string[] = [];
  for (const [id, agent] of snapshot.credentials.apiKeys) if (agent === name) apiKeys.push(id);
  for (const [key, agent] of snapshot.credentials.jwtSubjects) {
    if (agent !== name) continue;
    const [issuer = '', subject = ''] = key.split('\n');
    jwt.push({ issuer, subject });
  }
  for (const [id, agent] of snapshot.credentials.certificates) if (agent === name) certificates.push(id);
  return { apiKeys: apiKeys.sort(), jwt, certificates: certificates.sort() };
}

/** A binding as people read it: `jwt <issuer> <subject>`, `mtls <SPIFFE id or fingerprint>`. */
function bindingLabel(binding: BindingRecord['binding']): string {
  return binding.type === 'jwt' ? `jwt ${binding.issuer} ${binding.subject}` : `mtls ${binding.spiffeId ?? binding.fingerprint ?? ''}`;
}

function bindingProblem(binding: BindingRecord['binding']): string | undefined {
  if (binding.type === 'jwt') {
    if (!/^https:\/\//.test(binding.issuer)) return 'a JWT binding needs the issuer URL (https://…)';
    if (binding.subject.trim().length === 0) return 'a JWT binding needs the subject (sub) or client_id';
    return undefined;
  }
  if (binding.fingerprint === undefined && binding.spiffeId === undefined) return 'an mtls binding needs a certificate fingerprint (sha256:<hex>) or a SPIFFE id';
  if (binding.fingerprint !== undefined && binding.spiffeId !== undefined) return 'bind the fingerprint and the SPIFFE id one at a time: each is an identity of its own';
  if (binding.fingerprint !== undefined && !/^sha256:[0-9a-f]{64}$/.test(binding.fingerprint)) return 'a fingerprint is sha256: and 64 lower-case hex digits';
  if (binding.spiffeId !== undefined && !/^spiffe:\/\/[^/]+\/.+$/.test(binding.spiffeId)) return 'a SPIFFE id looks like spiffe://trust-domain/path';
  return undefined;
}

function boundAgent(snapshot: Snapshot, binding: BindingRecord['binding']): string | undefined {
  if (binding.type === 'jwt') return snapshot.credentials.jwtSubjects.get(`${binding.issuer}\n${binding.subject}`);
  return (binding.fingerprint !== undefined ? snapshot.credentials.certificates.get(binding.fingerprint) : undefined) ?? (binding.spiffeId !== undefined ? snapshot.credentials.certificates.get(binding.spiffeId) : undefined);
}
