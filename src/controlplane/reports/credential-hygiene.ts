import { addDays, daysBetween, inPeriod, type ReportContext, type ReportPeriod } from './report-context.js';
import type { ReportDocument } from './report-document.js';

/** Keys that no agent's credentials name are listed under this name. */
export const UNBOUND_AGENT = '(unbound)';

/**
 * A key's status now, first that applies: revoked; expired; rotated (replaced by a successor
 * and working only until its overlap ends); active.
 */
export type KeyStatus = 'revoked' | 'expired' | 'rotated' | 'active';

export interface KeyHygiene {
  readonly id: string;
  readonly agent: string;
  readonly status: KeyStatus;
  readonly createdAt: string;
  readonly createdBy: string | null;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
  readonly replacedBy: string | null;
  /** Whole days since it was issued. */
  readonly ageDays: number;
  /** Whole days until it expires (negative once expired). */
  readonly expiresInDays: number;
  /** Active and expires within the threshold. */
  readonly expiringSoon: boolean;
  /** Active, older than the rotation threshold, and never replaced. */
  readonly neverRotated: boolean;
  readonly revokedInPeriod: boolean;
}

export interface AgentKeyHygiene {
  readonly agent: string;
  readonly keys: number;
  readonly active: number;
  readonly expired: number;
  readonly expiringSoon: number;
  readonly neverRotated: number;
  readonly revoked: number;
  readonly rotated: number;
}

export interface CredentialHygieneReport {
  readonly asOf: string;
  readonly thresholds: { readonly expiringWithinDays: number; readonly maxKeyAgeDays: number };
  readonly totals: Omit<AgentKeyHygiene, 'agent'> & { readonly revokedInPeriod: number; readonly issuedInPeriod: number };
  readonly perAgent: readonly AgentKeyHygiene[];
  /** Every key, the ones needing attention first. */
  readonly keys: readonly KeyHygiene[];
}

/** Warden-issued API keys per agent: expired, expiring soon, never rotated, revoked. */
export async function credentialHygieneReport(context: ReportContext, period: ReportPeriod): Promise<CredentialHygieneReport> {
  const now = context.now;
  const { expiringWithinDays, maxKeyAgeDays } = context.settings;
  const boundByPolicy = context.policy?.snapshot.credentials.apiKeys;
  const records = await context.store.listApiKeys();
  const keys = records.map((key): KeyHygiene => {
    const status: KeyStatus = key.revokedAt !== undefined ? 'revoked' : key.expiresAt <= now ? 'expired' : key.replacedBy !== undefined ? 'rotated' : 'active';
    return {
      id: key.id,
      agent: key.agent ?? boundByPolicy?.get(key.id) ?? UNBOUND_AGENT,
      status,
      createdAt: key.createdAt.toISOString(),
      createdBy: key.createdBy ?? null,
      expiresAt: key.expiresAt.toISOString(),
      revokedAt: key.revokedAt?.toISOString() ?? null,
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
      replacedBy: key.replacedBy ?? null,
      ageDays: daysBetween(key.createdAt, now),
      expiresInDays: daysBetween(now, key.expiresAt),
      expiringSoon: status === 'active' && key.expiresAt <= addDays(now, expiringWithinDays),
      neverRotated: status === 'active' && key.createdAt <= addDays(now, -maxKeyAgeDays),
      revokedInPeriod: key.revokedAt !== undefined && inPeriod(key.revokedAt, period),
    };
  });
  const attention = (key: KeyHygiene) => (key.status === 'expired' ? 0 : key.expiringSoon ? 1 : key.neverRotated ? 2 : key.status === 'revoked' ? 4 : 3);
  keys.sort((a, b) => attention(a) - attention(b) || a.agent.localeCompare(b.agent) || a.id.localeCompare(b.id));
  const tally = (list: readonly KeyHygiene[]) => ({
    keys: list.length,
    active: list.filter((key) => key.status === 'active').length,
    expired: list.filter((key) => key.status === 'expired').length,
    expiringSoon: list.filter((key) => key.expiringSoon).length,
    neverRotated: list.filter((key) => key.neverRotated).length,
    revoked: list.filter((key) => key.status === 'revoked').length,
    rotated: list.filter((key) => key.status === 'rotated').length,
  });
  const agents = [...new Set(keys.map((key) => key.agent))].sort();
  return {
    asOf: now.toISOString(),
    thresholds: { expiringWithinDays, maxKeyAgeDays },
    totals: {
      ...tally(keys),
      revokedInPeriod: keys.filter((key) => key.revokedInPeriod).length,
      issuedInPeriod: records.filter((key) => inPeriod(key.createdAt, period)).length,
    },
    perAgent: agents.map((agent) => ({ agent, ...tally(keys.filter((key) => key.agent === agent)) })),
    keys,
  };
}

export function credentialHygieneDocument(report: CredentialHygieneReport): ReportDocument {
  const { totals, thresholds } = report;
  return {
    summary: [
      { label: 'API keys', value: totals.keys, note: `${totals.active} active` },
      { label: 'Expired', value: totals.expired },
      { label: `Expiring within ${thresholds.expiringWithinDays} days`, value: totals.expiringSoon },
      { label: `Never rotated (older than ${thresholds.maxKeyAgeDays} days)`, value: totals.neverRotated },
      { label: 'Revoked', value: totals.revoked, note: `${totals.revokedInPeriod} in the period` },
      { label: 'Rotated, in their overlap', value: totals.rotated },
      { label: 'Issued in the period', value: totals.issuedInPeriod },
    ],
    tables: [
      {
        id: 'agents',
        title: 'Per agent',
        columns: [
          { key: 'agent', label: 'Agent' },
          { key: 'keys', label: 'Keys', kind: 'number' },
          { key: 'active', label: 'Active', kind: 'number' },
          { key: 'expired', label: 'Expired', kind: 'number' },
          { key: 'expiringSoon', label: 'Expiring', kind: 'number' },
          { key: 'neverRotated', label: 'Never rotated', kind: 'number' },
          { key: 'revoked', label: 'Revoked', kind: 'number' },
          { key: 'rotated', label: 'Rotated', kind: 'number' },
        ],
        rows: report.perAgent.map((row) => ({ ...row })),
        empty: 'no API keys',
      },
      {
        id: 'keys',
        title: 'Keys',
        columns: [
          { key: 'id', label: 'Key' },
          { key: 'agent', label: 'Agent' },
          { key: 'status', label: 'Status' },
          { key: 'flags', label: 'Attention', kind: 'list' },
          { key: 'createdAt', label: 'Issued', kind: 'time' },
          { key: 'expiresAt', label: 'Expires', kind: 'time' },
          { key: 'revokedAt', label: 'Revoked', kind: 'time' },
          { key: 'lastUsedAt', label: 'Last used', kind: 'time' },
          { key: 'replacedBy', label: 'Replaced by' },
        ],
        rows: report.keys.map((key) => ({
          id: key.id,
          agent: key.agent,
          status: key.status,
          flags: [...(key.expiringSoon ? [`expires in ${key.expiresInDays} day(s)`] : []), ...(key.neverRotated ? [`never rotated, ${key.ageDays} days old`] : [])],
          createdAt: key.createdAt,
          expiresAt: key.expiresAt,
          revokedAt: key.revokedAt,
          lastUsedAt: key.lastUsedAt,
          replacedBy: key.replacedBy,
        })),
        empty: 'no API keys',
      },
    ],
    notes: [
      `Status as of ${report.asOf}. Revoked: revoked by a person or by decommissioning. Expired: past its expiry and not revoked. Rotated: replaced by a successor, working until its overlap ends. Active: every other key.`,
      `Expiring: an active key that expires within ${thresholds.expiringWithinDays} days. Never rotated: an active key issued more than ${thresholds.maxKeyAgeDays} days ago that no successor has replaced.`,
      'Only Warden-issued API keys are covered; JWT and mTLS identities are bound to agents, their lifetimes are their issuers\'.',
    ],
  };
}
