import type { Snapshot } from '../../policy/snapshot.js';
import type { Actor } from '../agents/lifecycle.js';
import type { AdminLog } from '../audit/admin-log.js';
import type { Notifier } from '../notify/notifier.js';
import type { PolicyPublisher } from '../publish/policy-publisher.js';
import type { AdminRole } from '../store/governance-store.js';
import type { Store } from '../store/store.js';
import { GovernanceError } from './governance-error.js';

export interface GovernanceSettings {
  /** Lifetime of a new API key unless the issuer says otherwise. */
  readonly keyTtlDays: number;
  readonly maxKeyTtlDays: number;
  /** Owners are warned this many days before a key expires. */
  readonly expiryWarningDays: number;
  /** How long a rotated key keeps working beside its successor. */
  readonly rotationOverlapHours: number;
  /** Access reviews list grants unused and agents idle for this many days. */
  readonly reviewUnusedDays: number;
  readonly reviewIdleDays: number;
}

export const DEFAULT_GOVERNANCE_SETTINGS: GovernanceSettings = Object.freeze({
  keyTtlDays: 90,
  maxKeyTtlDays: 365,
  expiryWarningDays: 14,
  rotationOverlapHours: 24,
  reviewUnusedDays: 90,
  reviewIdleDays: 90,
});

/** What every governance service works with. */
export interface GovernanceContext {
  readonly store: Store;
  readonly publisher: PolicyPublisher;
  readonly log: AdminLog;
  readonly notifier: Notifier;
  readonly now: () => Date;
  readonly settings: GovernanceSettings;
}

/** The effective policy in force; governance needs one to check names against. */
export function currentSnapshot(context: GovernanceContext): Snapshot {
  const snapshot = context.publisher.current?.snapshot;
  if (snapshot === undefined) throw new GovernanceError('WARDEN_ADMIN_INVALID', 'no policy has been applied yet; run `warden apply DIR` first');
  return snapshot;
}

export function hasRole(actor: Actor, ...roles: readonly AdminRole[]): boolean {
  return roles.some((role) => actor.roles.includes(role));
}

/** Whether `actor` is the owner (by e-mail) of an agent owned by `owner`, acting with the owner role. */
export function actsAsOwner(actor: Actor, owner: string): boolean {
  return actor.roles.includes('owner') && actor.subject.toLowerCase() === owner.toLowerCase();
}

/** Refuses (and logs the refusal) unless `allowed`. `need` says who may, for the error. */
export async function authorize(context: GovernanceContext, actor: Actor, action: string, target: string, allowed: boolean, need: string): Promise<void> {
  if (allowed) return;
  const why = `${action} on ${target} needs ${need}; ${actor.subject} has ${actor.roles.join(', ') || 'no role'}`;
  await context.log.refused(actor, action, target, why);
  throw new GovernanceError('WARDEN_ADMIN_FORBIDDEN', why);
}

/** Throws `error` after logging it as a refused attempt. */
export async function refuse(context: GovernanceContext, actor: Actor, action: string, target: string, error: GovernanceError): Promise<never> {
  await context.log.refused(actor, action, target, error.message);
  throw error;
}

/**
 * Puts a stored change in force in the data plane and returns how long that took. If the
 * build fails the change stays stored (and logged) and the publisher retries until it goes
 * through; the caller is told, never left believing it is in force.
 */
export async function putInForce(context: GovernanceContext): Promise<number> {
  const started = performance.now();
  try {
    await context.publisher.publish();
  } catch (error) {
    throw new GovernanceError('WARDEN_ADMIN_INTERNAL', `the change is stored but not yet in force in the gateway (${(error as Error).message}); Warden retries every second`);
  }
  return performance.now() - started;
}

/** A reason is required for every change: it is what the audit trail and reviewers read. */
export function requireReason(reason: string | undefined): string {
  const text = reason?.trim() ?? '';
  if (text.length < 3) throw new GovernanceError('WARDEN_ADMIN_INVALID', 'say why (reason), in a few words: it goes into the audit trail');
  if (text.length > 1000) throw new GovernanceError('WARDEN_ADMIN_INVALID', 'the reason is longer than 1000 characters');
  return text;
}
