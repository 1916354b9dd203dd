import type { Forbid } from '../../model/manifests/index.js';
import { formatRuleRef } from '../../policy/decision.js';
import type { Snapshot } from '../../policy/snapshot.js';
import type { AgentService } from '../agents/agent-service.js';
import type { Actor } from '../agents/lifecycle.js';
import type { CredentialService } from '../credentials/credential-service.js';
import { actsAsOwner, authorize, currentSnapshot, hasRole, putInForce, refuse, requireReason, type GovernanceContext } from '../governance/governance-context.js';
import { GovernanceError } from '../governance/governance-error.js';
import { randomId } from '../governance/random-id.js';
import { runtimeRoleName } from '../publish/effective-policy.js';
import type { ReviewDecision } from '../store/governance-store.js';

/** One thing a reviewer should look at, with what `revoke` would do about it. */
export interface ReviewItem {
  /** Stable within the agent: `grant:<rule>`, `idle`, `credential:<key id>`, `owner`. */
  readonly item: string;
  readonly kind: 'unused-grant' | 'idle-agent' | 'expiring-credential' | 'owner-left';
  readonly detail: string;
  /** What `revoke` does: forbid the grant's operations, remove a runtime grant, suspend the agent, revoke the key. */
  readonly revoke: string;
}

export interface AgentReview {
  readonly agent: string;
  readonly owner: string;
  readonly state: string;
  readonly items: readonly ReviewItem[];
}

export interface ReviewOptions {
  readonly unusedDays?: number;
  readonly idleDays?: number;
  readonly expiryDays?: number;
}

/**
 * Periodic access reviews: per agent, grants unused for N days (90 by default), agents idle for
 * N days, credentials near expiry, agents whose owner left. A reviewer confirms an item (it
 * stays quiet for another period) or revokes it, in one action each.
 */
export class AccessReviewService {
  constructor(
    private readonly context: GovernanceContext,
    private readonly agents: AgentService,
    private readonly credentials: CredentialService,
  ) {}

  async review(options: ReviewOptions = {}): Promise<AgentReview[]> {
    const snapshot = currentSnapshot(this.context);
    const settings = this.context.settings;
    const unusedDays = options.unusedDays ?? settings.reviewUnusedDays;
    const idleDays = options.idleDays ?? settings.reviewIdleDays;
    const expiryDays = options.expiryDays ?? settings.expiryWarningDays;
    const now = this.context.now().getTime();
    const governance = this.context.store.governance;
    const [records, usage, keys, owners, decisions, rules] = await Promise.all([
      governance.listAgents(),
      governance.listUsage(),
      this.context.store.listApiKeys(),
      governance.listOwners(),
      governance.listReviewDecisions(),
      governance.listRules(),
    ]);
    const granted = new Map(rules.map((rule) => [`${runtimeRoleName(rule.agent)}/grants/${rule.id}`, rule.createdAt.getTime()]));
    const left = new Set(owners.filter((owner) => !owner.active).map((owner) => owner.email.toLowerCase()));
    const created = new Map(records.map((record) => [record.name, record.createdAt.getTime()]));
    const reviews: AgentReview[] = [];
    for (const agent of [...snapshot.agents.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (agent.state === 'decommissioned' || agent.state === 'proposed' || agent.state === 'in_review') continue;
      const items: ReviewItem[] = [];
      const mine = usage.filter((record) => record.agent === agent.name);
      const since = created.get(agent.name) ?? 0;
      const latest = (item: string) => decisions.filter((decision) => decision.agent === agent.name && decision.item === item).at(-1);
      const quiet = (item: string, days: number) => {
        const decision = latest(item);
        // Confirmed lately, or revoked (a revoked grant stays in its role, forbidden for this agent).
        return decision !== undefined && ((decision.decision === 'revoke' && item.startsWith('grant:')) || (decision.decision === 'confirm' && now - decision.at.getTime() < days * 86_400_000));
      };

      const unusedCutoff = now - unusedDays * 86_400_000;
      for (const { ref, lastUsed } of grantsOf(snapshot, agent.name, mine)) {
        const item = `grant:${ref}`;
        // A grant never used counts from when the agent got it: its registration, or a runtime grant's creation.
        const stale = lastUsed === undefined ? (granted.get(ref) ?? since) < unusedCutoff : lastUsed < unusedCutoff;
        if (!stale || quiet(item, unusedDays)) continue;
        const isRuntime = ref.startsWith(`${runtimeRoleName(agent.name)}/`);
        items.push({
          item,
          kind: 'unused-grant',
          detail: lastUsed === undefined ? `grant ${ref} has not been used since the agent was registered` : `grant ${ref} was last used ${new Date(lastUsed).toISOString()}`,
          revoke: isRuntime ? 'removes this runtime grant' : `forbids its operations for ${agent.name} (the role stays as it is for other agents)`,
        });
      }
      const lastCall = Math.max(0, ...mine.map((record) => record.lastUsedAt.getTime()));
      const idleCutoff = now - idleDays * 86_400_000;
      if (agent.state === 'active' && lastCall < idleCutoff && since < idleCutoff && !quiet('idle', idleDays)) {
        items.push({ item: 'idle', kind: 'idle-agent', detail: lastCall === 0 ? `no call since it was registered` : `no call since ${new Date(lastCall).toISOString()}`, revoke: 'suspends the agent' });
      }
      const expiryCutoff = now + expiryDays * 86_400_000;
      for (const key of keys) {
        const owned = (key.agent ?? snapshot.credentials.apiKeys.get(key.id)) === agent.name;
        if (!owned || key.revokedAt !== undefined || key.replacedBy !== undefined || key.expiresAt.getTime() > expiryCutoff) continue;
        const item = `credential:${key.id}`;
        if (quiet(item, expiryDays)) continue;
        const expired = key.expiresAt.getTime() <= now;
        items.push({ item, kind: 'expiring-credential', detail: `API key ${key.id} ${expired ? 'expired' : 'expires'} ${key.expiresAt.toISOString()}`, revoke: 'revokes the key (rotate it instead to keep the agent running)' });
      }
      if (left.has(agent.owner.toLowerCase()) && !quiet('owner', idleDays)) {
        items.push({ item: 'owner', kind: 'owner-left', detail: `its owner ${agent.owner} has left`, revoke: 'suspends the agent until someone takes it over' });
      }
      if (items.length > 0) reviews.push({ agent: agent.name, owner: agent.owner, state: agent.state, items });
    }
    return reviews;
  }

  /** Confirms or revokes one review item. */
  async decide(actor: Actor, agentName: string, item: string, decision: 'confirm' | 'revoke', reason: string | undefined): Promise<ReviewDecision> {
    const target = `agent/${agentName}`;
    const why = await Promise.resolve().then(() => requireReason(reason)).catch((error: GovernanceError) => refuse(this.context, actor, `review.${decision}`, target, error));
    const snapshot = currentSnapshot(this.context);
    const agent = snapshot.agents.get(agentName);
    if (agent === undefined) return refuse(this.context, actor, `review.${decision}`, target, new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no agent is called ${agentName}`));
    await authorize(this.context, actor, `review.${decision}`, target, hasRole(actor, 'admin', 'security') || actsAsOwner(actor, agent.owner), 'security, admin or the agent\'s owner');
    if (!(await this.#isItemOf(snapshot, agentName, item))) return refuse(this.context, actor, `review.${decision}`, target, new GovernanceError('WARDEN_ADMIN_INVALID', `${item} is not a review item of ${agentName}; run \`warden review\` for the items`));
    const previous = (await this.context.store.governance.listReviewDecisions(agentName)).filter((candidate) => candidate.item === item).at(-1);
    if (decision === 'revoke' && previous?.decision === 'revoke' && item.startsWith('grant:')) {
      return refuse(this.context, actor, 'review.revoke', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${item} was revoked already (${previous.at.toISOString()} by ${previous.actor})`));
    }
    const change = decision === 'revoke' ? await this.#revoke(actor, agentName, item, why, snapshot) : { before: { item, decision: previous?.decision ?? null }, after: { item, decision: 'confirm' } };
    const record: ReviewDecision = { agent: agentName, item, decision, actor: actor.subject, reason: why, at: this.context.now() };
    await this.context.store.governance.addReviewDecision(record);
    await this.context.log.changed(actor, `review.${decision}`, target, { ...change, detail: why });
    if (decision === 'revoke' && item.startsWith('grant:')) await putInForce(this.context);
    return record;
  }

  /** Runs the review for the scheduler and tells security how much is waiting. */
  async notifyDue(): Promise<number> {
    if (this.context.publisher.current === undefined) return 0;
    const reviews = await this.review();
    const count = reviews.reduce((sum, review) => sum + review.items.length, 0);
    if (count > 0) {
      this.context.notifier.notify({
        type: 'review.due',
        time: this.context.now().toISOString(),
        recipients: ['security', ...new Set(reviews.map((review) => review.owner))],
        summary: `access review: ${count} item(s) on ${reviews.length} agent(s) wait for a decision (\`warden review\`)`,
        data: { agents: reviews.map((review) => ({ agent: review.agent, items: review.items.map((item) => item.item) })) },
      });
    }
    return count;
  }

  /** Whether `item` names something the agent has: a grant it holds, a key of its own, or itself. */
  async #isItemOf(snapshot: Snapshot, agentName: string, item: string): Promise<boolean> {
    if (item === 'idle' || item === 'owner') return true;
    if (item.startsWith('grant:')) return grantsOf(snapshot, agentName, []).some((grant) => grant.ref === item.slice('grant:'.length));
    if (item.startsWith('credential:')) {
      const key = await this.context.store.getApiKey(item.slice('credential:'.length));
      return key !== undefined && (key.agent ?? snapshot.credentials.apiKeys.get(key.id)) === agentName;
    }
    return false;
  }

  /** Takes away what the item names; returns what changed, for the admin log. */
  async #revoke(actor: Actor, agentName: string, item: string, why: string, snapshot: Snapshot): Promise<{ before: unknown; after: unknown }> {
    if (item === 'idle' || item === 'owner') {
      const result = await this.agents.act(actor, agentName, 'suspend', `access review: ${why}`);
      return { before: { item, state: result.from }, after: { item, state: result.agent.state } };
    }
    if (item.startsWith('credential:')) {
      const keyId = item.slice('credential:'.length);
      const key = await this.credentials.revoke(actor, keyId, `access review: ${why}`);
      return { before: { item, key: keyId, revokedAt: null }, after: { item, key: keyId, revokedAt: key.revokedAt } };
    }
    const ref = item.slice('grant:'.length);
    const runtimePrefix = `${runtimeRoleName(agentName)}/grants/`;
    if (ref.startsWith(runtimePrefix)) {
      const ruleId = ref.slice(runtimePrefix.length);
      await this.context.store.governance.removeRule(ruleId);
      return { before: { item, runtimeRule: ruleId }, after: { item, runtimeRule: null } };
    }
    const forbids = forbidsFor(snapshot, agentName, ref, `revoked in an access review by ${actor.subject}: ${why}`);
    if (forbids.length === 0) throw new GovernanceError('WARDEN_ADMIN_INVALID', `${agentName} holds no grant ${ref}`);
    const now = this.context.now();
    const added: string[] = [];
    for (const forbid of forbids) {
      const id = randomId('rt');
      await this.context.store.governance.addRule({ id, agent: agentName, kind: 'forbid', rule: forbid, expiresAt: undefined, source: 'access-review', sourceId: ref, createdAt: now, createdBy: actor.subject });
      added.push(id);
    }
    return { before: { item, forbids: [] }, after: { item, forbids: added.map((id, index) => ({ id, api: forbids[index]!.api, operations: forbids[index]!.operations })) } };
  }
}

/** The grants an agent holds and when each last allowed a call. */
function grantsOf(snapshot: Snapshot, agentName: string, usage: readonly { readonly rule: string; readonly lastUsedAt: Date }[]): { ref: string; lastUsed: number | undefined }[] {
  const agent = snapshot.agents.get(agentName);
  if (agent === undefined) return [];
  const refs = new Set<string>();
  for (const table of agent.access.roles) for (const grants of table.grants.values()) for (const grant of grants) refs.add(formatRuleRef(grant.ref));
  return [...refs].sort().map((ref) => {
    const times = usage.filter((record) => record.rule === ref).map((record) => record.lastUsedAt.getTime());
    return { ref, lastUsed: times.length === 0 ? undefined : Math.max(...times) };
  });
}

/** Forbids covering exactly the operations grant `ref` gives the agent, one per API. */
function forbidsFor(snapshot: Snapshot, agentName: string, ref: string, reason: string): Forbid[] {
  const agent = snapshot.agents.get(agentName);
  const byApi = new Map<string, Set<string>>();
  for (const table of agent?.access.roles ?? []) {
    for (const [index, grants] of table.grants) {
      if (!grants.some((grant) => formatRuleRef(grant.ref) === ref)) continue;
      const operation = snapshot.operations[index]!;
      const set = byApi.get(operation.api.name) ?? new Set<string>();
      set.add(operation.id);
      byApi.set(operation.api.name, set);
    }
  }
  return [...byApi].map(([api, operations]) => ({ api, operations: [...operations].sort(), reason }));
}
