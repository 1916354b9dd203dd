import type { Actor } from '../agents/lifecycle.js';
import type { GovernanceStore } from '../store/governance-store.js';

/**
 * The admin action log: every change a human (or the system) makes to governance state, with
 * before and after, and every refused attempt. Never holds a secret: keys and tokens appear
 * by id only.
 */
export class AdminLog {
  constructor(
    private readonly store: GovernanceStore,
    private readonly now: () => Date,
  ) {}

  /** Records a change that was made. */
  async changed(actor: Actor, action: string, target: string, change: { readonly before?: unknown; readonly after?: unknown; readonly detail?: string } = {}): Promise<void> {
    await this.store.appendAdminEvent({ time: this.now(), actor: actor.subject, roles: actor.roles, action, target, outcome: 'ok', detail: change.detail, before: change.before, after: change.after });
  }

  /** Records an attempt that was refused, and why. */
  async refused(actor: Actor, action: string, target: string, why: string): Promise<void> {
    await this.store.appendAdminEvent({ time: this.now(), actor: actor.subject, roles: actor.roles, action, target, outcome: 'refused', detail: why, before: undefined, after: undefined });
  }
}
