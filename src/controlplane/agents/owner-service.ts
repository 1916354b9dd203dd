import type { Actor } from './lifecycle.js';
import { authorize, hasRole, requireReason, refuse, type GovernanceContext } from '../governance/governance-context.js';
import { GovernanceError } from '../governance/governance-error.js';
import type { OwnerRecord } from '../store/governance-store.js';

/**
 * People who own agents. When someone leaves, their agents come up in the next access review
 * (owner-left) until someone takes them over, and their admin tokens are revoked; HR or an
 * admin records it here.
 */
export class OwnerService {
  constructor(private readonly context: GovernanceContext) {}

  async list(): Promise<OwnerRecord[]> {
    return this.context.store.governance.listOwners();
  }

  /** Marks `email` as gone (`active: false`) or back. */
  async set(actor: Actor, email: string, active: boolean, reason: string | undefined): Promise<OwnerRecord> {
    const target = `owner/${email}`;
    const action = active ? 'owner.return' : 'owner.leave';
    await authorize(this.context, actor, action, target, hasRole(actor, 'admin', 'security'), 'admin or security');
    const why = await Promise.resolve().then(() => requireReason(reason)).catch((error: GovernanceError) => refuse(this.context, actor, action, target, error));
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) return refuse(this.context, actor, action, target, new GovernanceError('WARDEN_ADMIN_INVALID', 'give the person\'s e-mail address'));
    const before = (await this.context.store.governance.listOwners()).find((owner) => owner.email.toLowerCase() === email.toLowerCase());
    const record: OwnerRecord = { email, active, leftAt: active ? undefined : this.context.now(), updatedBy: actor.subject };
    await this.context.store.governance.setOwner(record);
    // Someone who left keeps no admin token: they could otherwise confirm their own agents' review items.
    const revokedTokens: string[] = [];
    if (!active) {
      for (const token of await this.context.store.governance.listAdminTokens()) {
        if (token.subject.toLowerCase() !== email.toLowerCase() || token.revokedAt !== undefined) continue;
        await this.context.store.governance.putAdminToken({ ...token, revokedAt: this.context.now() });
        revokedTokens.push(token.id);
      }
    }
    await this.context.log.changed(actor, action, target, { before: before === undefined ? undefined : { active: before.active }, after: { active, ...(revokedTokens.length > 0 ? { revokedTokens } : {}) }, detail: why });
    return record;
  }
}
