import type { ApiKeyRecord } from '../../model/api-key.js';
import type { Actor } from '../agents/lifecycle.js';
import { actsAsOwner, authorize, currentSnapshot, hasRole, putInForce, refuse, requireReason, type GovernanceContext } from '../governance/governance-context.js';
import { GovernanceError } from '../governance/governance-error.js';
import { randomId } from '../governance/random-id.js';
import { issueApiKey } from './issue-api-key.js';

/** A key as listed: never its secret, never its digest. */
export interface KeyView {
  readonly id: string;
  readonly agent: string | undefined;
  /** `active`, `expiring` (within the warning period), `expired` or `revoked`. */
  readonly status: 'active' | 'expiring' | 'expired' | 'revoked';
  readonly createdAt: string;
  readonly createdBy: string | undefined;
  readonly expiresAt: string;
  readonly revokedAt: string | undefined;
  readonly lastUsedAt: string | undefined;
  readonly replacedBy: string | undefined;
}

/** A newly issued key: the only time its secret is shown. */
export interface NewKey {
  readonly key: string;
  readonly record: KeyView;
}

/**
 * Warden-issued API keys for agents: issued with an expiry (90 days by default), shown once,
 * stored as a digest; rotated with an overlap during which both keys work; revoked at once;
 * owners warned before expiry. Keys bound by manifests are managed here too.
 */
export class CredentialService {
  constructor(private readonly context: GovernanceContext) {}

  async list(filter: { readonly agent?: string } = {}): Promise<KeyView[]> {
    const snapshot = currentSnapshot(this.context);
    const now = this.context.now();
    return (await this.context.store.listApiKeys())
      .map((key) => this.#view(key, key.agent ?? snapshot.credentials.apiKeys.get(key.id), now))
      .filter((view) => filter.agent === undefined || view.agent === filter.agent);
  }

  async issue(actor: Actor, agentName: string, options: { readonly ttlDays?: number } = {}): Promise<NewKey> {
    const target = `agent/${agentName}`;
    const agent = await this.#agentFor(actor, 'key.issue', target, agentName);
    if (agent.state === 'decommissioned') return refuse(this.context, actor, 'key.issue', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${agentName} is decommissioned; it gets no new credentials`));
    const ttlDays = this.#ttl(options.ttlDays);
    if (typeof ttlDays === 'string') return refuse(this.context, actor, 'key.issue', target, new GovernanceError('WARDEN_ADMIN_INVALID', ttlDays));
    const now = this.context.now();
    const issued = await issueApiKey(this.context.store, randomId('key'), { ttlDays, now, agent: agentName, createdBy: actor.subject });
    const view = this.#view(issued.record, agentName, now);
    await this.context.log.changed(actor, 'key.issue', `key/${issued.record.id}`, { after: { agent: agentName, expiresAt: view.expiresAt } });
    await putInForce(this.context);
    return { key: issued.key, record: view };
  }

  /** Issues a successor; the old key keeps working for the overlap, then expires. */
  async rotate(actor: Actor, keyId: string, options: { readonly overlapHours?: number; readonly ttlDays?: number } = {}): Promise<{ readonly next: NewKey; readonly previous: KeyView }> {
    const target = `key/${keyId}`;
    const { key, agent } = await this.#keyFor(actor, 'key.rotate', keyId);
    const now = this.context.now();
    if (key.revokedAt !== undefined || key.expiresAt <= now) return refuse(this.context, actor, 'key.rotate', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${keyId} is ${key.revokedAt ? 'revoked' : 'expired'}; issue a new key instead`));
    if (key.replacedBy !== undefined) return refuse(this.context, actor, 'key.rotate', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${keyId} was rotated already (to ${key.replacedBy})`));
    const overlapHours = options.overlapHours ?? this.context.settings.rotationOverlapHours;
    if (!(overlapHours >= 0 && overlapHours <= 24 * 30)) return refuse(this.context, actor, 'key.rotate', target, new GovernanceError('WARDEN_ADMIN_INVALID', 'overlapHours must be between 0 and 720'));
    const ttlDays = this.#ttl(options.ttlDays);
    if (typeof ttlDays === 'string') return refuse(this.context, actor, 'key.rotate', target, new GovernanceError('WARDEN_ADMIN_INVALID', ttlDays));
    const successor = randomId('key');
    const overlapEnds = new Date(Math.min(key.expiresAt.getTime(), now.getTime() + overlapHours * 3_600_000));
    // Claimed first, conditionally: a revocation or another rotation meanwhile wins, and nothing is issued.
    if (!(await this.context.store.replaceApiKey(keyId, successor, overlapEnds))) {
      return refuse(this.context, actor, 'key.rotate', target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${keyId} was revoked or rotated meanwhile; look at it again`));
    }
    const issued = await issueApiKey(this.context.store, successor, { ttlDays, now, agent, createdBy: actor.subject });
    const previous: ApiKeyRecord = { ...key, expiresAt: overlapEnds, replacedBy: successor };
    await this.context.log.changed(actor, 'key.rotate', target, { before: { expiresAt: key.expiresAt.toISOString() }, after: { expiresAt: overlapEnds.toISOString(), replacedBy: successor } });
    await putInForce(this.context);
    return { next: { key: issued.key, record: this.#view(issued.record, agent, now) }, previous: this.#view(previous, agent, now) };
  }

  /** Revokes a key at once: the next request with it is refused. */
  async revoke(actor: Actor, keyId: string, reason: string | undefined): Promise<KeyView> {
    const target = `key/${keyId}`;
    const why = await Promise.resolve().then(() => requireReason(reason)).catch((error: GovernanceError) => refuse(this.context, actor, 'key.revoke', target, error));
    const { agent } = await this.#keyFor(actor, 'key.revoke', keyId);
    const now = this.context.now();
    if (await this.context.store.revokeApiKey(keyId, now)) {
      await this.context.log.changed(actor, 'key.revoke', target, { before: { revokedAt: null }, after: { revokedAt: now.toISOString() }, detail: why });
    }
    // Put in force even when it was revoked already: a retry after a failed hand-off must get it there.
    await putInForce(this.context);
    return this.#view((await this.context.store.getApiKey(keyId))!, agent, now);
  }

  /** Warns owners of keys that expire within the warning period, once per key. Returns the keys warned about. */
  async warnExpiring(): Promise<string[]> {
    const snapshot = this.context.publisher.current?.snapshot;
    if (snapshot === undefined) return [];
    const now = this.context.now();
    const horizon = now.getTime() + this.context.settings.expiryWarningDays * 86_400_000;
    const warned: string[] = [];
    for (const key of await this.context.store.listApiKeys()) {
      if (key.revokedAt !== undefined || key.expiryWarnedAt !== undefined || key.replacedBy !== undefined) continue;
      if (key.expiresAt.getTime() <= now.getTime() || key.expiresAt.getTime() > horizon) continue;
      const agentName = key.agent ?? snapshot.credentials.apiKeys.get(key.id);
      const agent = agentName === undefined ? undefined : snapshot.agents.get(agentName);
      if (agent === undefined || agent.state === 'decommissioned') continue;
      // Claimed before telling anyone: two job runs at once warn once.
      if (!(await this.context.store.markApiKeyWarned(key.id, now))) continue;
      const days = Math.ceil((key.expiresAt.getTime() - now.getTime()) / 86_400_000);
      this.context.notifier.notify({
        type: 'credential.expiring',
        time: now.toISOString(),
        recipients: [agent.owner],
        summary: `API key ${key.id} of ${agent.name} expires in ${days} day(s), on ${key.expiresAt.toISOString()}; rotate it with \`warden keys rotate ${key.id}\``,
        data: { agent: agent.name, key: key.id, expiresAt: key.expiresAt.toISOString() },
      });
      warned.push(key.id);
    }
    return warned;
  }

  #ttl(requested: number | undefined): number | string {
    const ttlDays = requested ?? this.context.settings.keyTtlDays;
    const max = this.context.settings.maxKeyTtlDays;
    if (!(Number.isInteger(ttlDays) && ttlDays >= 1 && ttlDays <= max)) return `ttlDays must be a whole number of days from 1 to ${max}`;
    return ttlDays;
  }

  async #agentFor(actor: Actor, action: string, target: string, name: string) {
    const agent = currentSnapshot(this.context).agents.get(name);
    if (agent === undefined) return refuse(this.context, actor, action, target, new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no agent is called ${name}`));
    await authorize(this.context, actor, action, target, hasRole(actor, 'admin', 'security') || actsAsOwner(actor, agent.owner), 'admin, security or the agent\'s owner');
    return agent;
  }

  async #keyFor(actor: Actor, action: string, keyId: string): Promise<{ readonly key: ApiKeyRecord; readonly agent: string | undefined }> {
    const target = `key/${keyId}`;
    const key = await this.context.store.getApiKey(keyId);
    if (key === undefined) return refuse(this.context, actor, action, target, new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no key has the id ${keyId}`));
    const snapshot = currentSnapshot(this.context);
    const agentName = key.agent ?? snapshot.credentials.apiKeys.get(keyId);
    const owner = agentName === undefined ? undefined : snapshot.agents.get(agentName)?.owner;
    await authorize(this.context, actor, action, target, hasRole(actor, 'admin', 'security') || (owner !== undefined && actsAsOwner(actor, owner)), 'admin, security or the owner of the key\'s agent');
    return { key, agent: agentName };
  }

  #view(key: ApiKeyRecord, agent: string | undefined, now: Date): KeyView {
    const warnAt = now.getTime() + this.context.settings.expiryWarningDays * 86_400_000;
    const status = key.revokedAt !== undefined ? 'revoked' : key.expiresAt <= now ? 'expired' : key.expiresAt.getTime() <= warnAt ? 'expiring' : 'active';
    return {
      id: key.id,
      agent,
      status,
      createdAt: key.createdAt.toISOString(),
      createdBy: key.createdBy,
      expiresAt: key.expiresAt.toISOString(),
      revokedAt: key.revokedAt?.toISOString(),
      lastUsedAt: key.lastUsedAt?.toISOString(),
      replacedBy: key.replacedBy,
    };
  }
}
