import type { Actor } from '../agents/lifecycle.js';
import type { AgentService, AgentDetail } from '../agents/agent-service.js';
import { authorize, hasRole, type GovernanceContext } from '../governance/governance-context.js';
import { GovernanceError } from '../governance/governance-error.js';
import type { Finding, FindingKind, FindingStatus } from '../store/discovery-store.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const WHO = 'admin or security';

/** A review decision on a finding, as a person asks for it. */
export type ReviewDecision =
  | { readonly status: 'adopted'; readonly reason?: string }
  | { readonly status: 'ignored'; readonly reason: string }
  | { readonly status: 'decommission'; readonly on: string; readonly reason?: string }
  | { readonly status: 'open'; readonly reason?: string };

/** What proposing an unregistered client as an agent needs beyond the finding. */
export interface ClientProposal {
  readonly name: string;
  readonly purpose: string;
  readonly owner?: string;
  readonly roles?: readonly string[];
  readonly template?: string;
}

/**
 * The review flow of discovery: findings are read by fleet readers and decided by admin or
 * security — adopted into the catalog, ignored with a reason, given a decommission date
 * (zombies only) or reopened. Every decision is in the admin action log.
 */
export class DiscoveryReview {
  constructor(
    private readonly context: GovernanceContext,
    private readonly agents: AgentService,
  ) {}

  /** Findings of the given statuses and kinds (all when none given). */
  async list(actor: Actor, filter: { readonly status?: readonly FindingStatus[]; readonly kind?: readonly FindingKind[] } = {}): Promise<Finding[]> {
    await authorize(this.context, actor, 'read.discovery', 'discovery', hasRole(actor, 'admin', 'security', 'auditor'), 'admin, security or auditor');
    return this.context.store.discovery.listFindings(filter);
  }

  async get(actor: Actor, id: string): Promise<Finding> {
    await authorize(this.context, actor, 'read.discovery', `finding/${id}`, hasRole(actor, 'admin', 'security', 'auditor'), 'admin, security or auditor');
    return this.#find(id);
  }

  /** Records a decision; a decommission date is for zombies only and must be a day. */
  async decide(actor: Actor, id: string, decision: ReviewDecision): Promise<Finding> {
    const target = `finding/${id}`;
    await authorize(this.context, actor, `discovery.${decision.status}`, target, hasRole(actor, 'admin', 'security'), WHO);
    const before = await this.#find(id);
    if (decision.status === 'ignored' && decision.reason.trim() === '') throw new GovernanceError('WARDEN_ADMIN_INVALID', 'ignoring a finding needs a reason: say why it is not a problem (--reason "…")');
    if (decision.status === 'decommission') {
      if (before.kind !== 'zombie' && before.kind !== 'orphan') throw new GovernanceError('WARDEN_ADMIN_INVALID', `${id} is a ${before.kind} finding; only zombie and orphan endpoints get a decommission date`);
      if (!DAY.test(decision.on) || Number.isNaN(Date.parse(`${decision.on}T00:00:00Z`))) throw new GovernanceError('WARDEN_ADMIN_INVALID', `"${decision.on}" is not a day; give the decommission date as YYYY-MM-DD`);
    }
    const after = await this.context.store.discovery.decideFinding(id, {
      status: decision.status,
      ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
      ...(decision.status === 'decommission' ? { decommissionOn: decision.on } : {}),
      by: actor.subject,
      at: this.context.now(),
    });
    if (after === undefined) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no finding has the id ${id}`);
    await this.context.log.changed(actor, `discovery.${decision.status}`, target, { before: summary(before), after: summary(after) });
    return after;
  }

  /** Proposes an unregistered client as an agent (the usual proposal and review) and marks the finding adopted. */
  async proposeAgent(actor: Actor, id: string, proposal: ClientProposal): Promise<{ readonly finding: Finding; readonly agent: AgentDetail }> {
    // Checked before the proposal: deciding the finding afterwards needs it, and a refusal then would leave an agent behind.
    await authorize(this.context, actor, 'discovery.propose-agent', `finding/${id}`, hasRole(actor, 'admin', 'security'), WHO);
    const finding = await this.#find(id);
    if (finding.kind !== 'unregistered-client') throw new GovernanceError('WARDEN_ADMIN_INVALID', `${id} is a ${finding.kind} finding; only unregistered clients are proposed as agents`);
    const endpoints = Array.isArray(finding.details['endpoints']) ? (finding.details['endpoints'] as unknown[]).filter((value): value is string => typeof value === 'string') : [];
    const agent = await this.agents.propose(actor, {
      name: proposal.name,
      purpose: proposal.purpose,
      ...(proposal.owner !== undefined ? { owner: proposal.owner } : {}),
      ...(proposal.roles !== undefined ? { roles: proposal.roles } : {}),
      ...(proposal.template !== undefined ? { template: proposal.template } : {}),
      description: `Found by discovery as the unregistered client ${finding.subject}${endpoints.length > 0 ? `; it called ${endpoints.slice(0, 10).join(', ')}${endpoints.length > 10 ? ', …' : ''}` : ''}. Bind its credential once approved.`,
    });
    const decided = await this.decide(actor, id, { status: 'adopted', reason: `proposed as agent ${agent.name}` });
    return { finding: decided, agent };
  }

  async #find(id: string): Promise<Finding> {
    const finding = await this.context.store.discovery.getFinding(id);
    if (finding === undefined) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no finding has the id ${id}; list them with warden discover findings`);
    return finding;
  }
}

function summary(finding: Finding): Record<string, unknown> {
  return { kind: finding.kind, subject: finding.subject, status: finding.status, reason: finding.reason ?? null, decommissionOn: finding.decommissionOn ?? null };
}
