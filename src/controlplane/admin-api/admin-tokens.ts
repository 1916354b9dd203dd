import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Actor } from '../agents/lifecycle.js';
import { authorize, hasRole, refuse, requireReason, type GovernanceContext } from '../governance/governance-context.js';
import { GovernanceError } from '../governance/governance-error.js';
import { ADMIN_ROLES, type AdminRole, type AdminTokenRecord, type GovernanceStore } from '../store/governance-store.js';

/** Prefix of admin tokens, distinct from agents' `wdn_` keys so neither is ever taken for the other. */
export const ADMIN_TOKEN_PREFIX = 'wda_';
const TOKEN_SHAPE = /^wda_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const NO_DIGEST = Buffer.alloc(32);
// Last use is written at most once a minute per token: a busy script should not write per call.
const LAST_USED_EVERY_MS = 60_000;

export interface AdminTokenView {
  readonly id: string;
  readonly subject: string;
  readonly roles: readonly AdminRole[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string;
  readonly revokedAt: string | undefined;
  readonly lastUsedAt: string | undefined;
}

/**
 * Admin tokens: how people (and their scripts) authenticate to the admin API when no OIDC
 * provider is configured. Shown once, stored as a SHA-256 digest, compared in constant time,
 * with an expiry. Only admins issue and revoke them.
 */
export class AdminTokens {
  readonly #lastWritten = new Map<string, number>();

  constructor(private readonly store: GovernanceStore) {}

  /** The actor a presented token stands for, or undefined (unknown, wrong, expired or revoked). */
  async verify(token: string, now: Date): Promise<Actor | undefined> {
    const match = TOKEN_SHAPE.exec(token);
    const id = match === null ? undefined : `tok_${match[1]}`;
    const record = id === undefined ? undefined : await this.store.getAdminToken(id);
    const presented = hash('sha256', token, 'buffer');
    const matches = timingSafeEqual(presented, record === undefined ? NO_DIGEST : Buffer.from(record.digest, 'hex'));
    if (record === undefined || !matches || record.revokedAt !== undefined || record.expiresAt <= now) return undefined;
    const last = this.#lastWritten.get(record.id) ?? 0;
    if (now.getTime() - last >= LAST_USED_EVERY_MS) {
      this.#lastWritten.set(record.id, now.getTime());
      await this.store.markAdminTokenUsed(record.id, now);
    }
    return { subject: record.subject, roles: record.roles };
  }

  async issue(context: GovernanceContext, actor: Actor, request: { readonly subject: string; readonly roles: readonly string[]; readonly ttlDays?: number }): Promise<{ readonly token: string; readonly record: AdminTokenView }> {
    const target = `token/${request.subject}`;
    await authorize(context, actor, 'token.issue', target, hasRole(actor, 'admin'), 'admin');
    const invalid = (detail: string) => refuse(context, actor, 'token.issue', target, new GovernanceError('WARDEN_ADMIN_INVALID', detail));
    if (!/^[^@\s]+@[^@\s]+$/.test(request.subject)) return invalid('subject must be the person\'s e-mail address');
    const roles = [...new Set(request.roles)];
    const unknown = roles.filter((role) => !(ADMIN_ROLES as readonly string[]).includes(role));
    if (roles.length === 0 || unknown.length > 0) return invalid(`roles must be some of ${ADMIN_ROLES.join(', ')}${unknown.length > 0 ? `, not ${unknown.join(', ')}` : ''}`);
    const ttlDays = request.ttlDays ?? 90;
    if (!(Number.isInteger(ttlDays) && ttlDays >= 1 && ttlDays <= 365)) return invalid('ttlDays must be a whole number from 1 to 365');
    const { token, record } = newToken(request.subject, roles as AdminRole[], ttlDays, actor.subject, context.now());
    await this.store.putAdminToken(record);
    await context.log.changed(actor, 'token.issue', `token/${record.id}`, { after: { subject: record.subject, roles: record.roles, expiresAt: record.expiresAt.toISOString() } });
    return { token, record: view(record) };
  }

  async list(context: GovernanceContext, actor: Actor): Promise<AdminTokenView[]> {
    await authorize(context, actor, 'token.list', 'tokens', hasRole(actor, 'admin', 'auditor'), 'admin or auditor');
    return (await this.store.listAdminTokens()).map(view);
  }

  async revoke(context: GovernanceContext, actor: Actor, id: string, reason: string | undefined): Promise<AdminTokenView> {
    const target = `token/${id}`;
    await authorize(context, actor, 'token.revoke', target, hasRole(actor, 'admin'), 'admin');
    const why = await Promise.resolve().then(() => requireReason(reason)).catch((error: GovernanceError) => refuse(context, actor, 'token.revoke', target, error));
    const record = await this.store.getAdminToken(id);
    if (record === undefined) return refuse(context, actor, 'token.revoke', target, new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no admin token has the id ${id}`));
    if (record.revokedAt !== undefined) return view(record);
    const revoked = { ...record, revokedAt: context.now() };
    await this.store.putAdminToken(revoked);
    await context.log.changed(actor, 'token.revoke', target, { before: { revokedAt: null }, after: { revokedAt: revoked.revokedAt.toISOString() }, detail: why });
    return view(revoked);
  }

  /**
   * First start: with no admin token at all, issues one for `subject` with the admin role and
   * writes it to `file` (mode 0600) for the CLI. Returns the file, or undefined when tokens exist.
   */
  async bootstrap(file: string, subject: string, now: Date): Promise<string | undefined> {
    if ((await this.store.listAdminTokens()).length > 0) return undefined;
    const { token, record } = newToken(subject, ['admin'], 365, 'warden start (first start)', now);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    await this.store.putAdminToken(record);
    await this.store.appendAdminEvent({ time: now, actor: 'warden start', roles: [], action: 'token.issue', target: `token/${record.id}`, outcome: 'ok', detail: `first admin token, written to ${file}`, before: undefined, after: { subject, roles: record.roles } });
    return file;
  }
}

function newToken(subject: string, roles: readonly AdminRole[], ttlDays: number, createdBy: string, now: Date): { token: string; record: AdminTokenRecord } {
  const id = randomBytes(8).toString('hex');
  const token = `${ADMIN_TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  const record: AdminTokenRecord = {
    id: `tok_${id}`,
    digest: hash('sha256', token),
    subject,
    roles,
    createdAt: now,
    createdBy,
    expiresAt: new Date(now.getTime() + ttlDays * 86_400_000),
    revokedAt: undefined,
    lastUsedAt: undefined,
  };
  return { token, record };
}

function view(record: AdminTokenRecord): AdminTokenView {
  return {
    id: record.id,
    subject: record.subject,
    roles: record.roles,
    createdAt: record.createdAt.toISOString(),
    createdBy: record.createdBy,
    expiresAt: record.expiresAt.toISOString(),
    revokedAt: record.revokedAt?.toISOString(),
    lastUsedAt: record.lastUsedAt?.toISOString(),
  };
}
