import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_OWNER, HOSTILE_PURPOSE, NOW, PERIOD, auditEvent, writeReportDataset } from '../../../test/support/report-dataset.js';
import { AuditLog } from '../audit/audit-log.js';
import { GovernanceError } from '../governance/governance-error.js';
import { openSqliteStore, sqliteFileIn } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { accessReviewsReport } from './access-reviews.js';
import { agentInventoryReport } from './agent-inventory.js';
import { credentialHygieneReport } from './credential-hygiene.js';
import { createReportContext, renderReport, REPORT_NAMES, runReport, type ReportContext } from './index.js';
import { policyCoverageReport } from './policy-coverage.js';
import { programMetricsReport, type ProgramMetric } from './program-metrics.js';
import { isViolation, violationsReport } from './violations.js';

/**
 * Every report over the generated dataset of test/support/report-dataset.ts, whose answers are
 * known: a real SQLite store in a temp folder, the real audit log, no mocks.
 */

let root: string;
let store: Store;
let database: Sqlite.Database | undefined;
let context: ReportContext;

/** The store's own connection for the audit log, or a second one when the store does not expose it. */
function auditLogOf(target: Store, file: string): AuditLog {
  const shared = (target as { readonly sqlite?: Sqlite.Database }).sqlite;
  if (shared !== undefined) return AuditLog.open(shared);
  database = new Sqlite(file);
  return AuditLog.open(database);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'warden-reports-'));
  const data = path.join(root, 'data');
  await writeReportDataset(data);
  store = await openSqliteStore(sqliteFileIn(data));
  context = await createReportContext(store, { now: NOW, audit: auditLogOf(store, sqliteFileIn(data)), wardenVersion: '9.9.9-test' });
});

afterAll(async () => {
  database?.close();
  await store?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('agent-inventory', () => {
  it('lists every agent with owner, roles, purpose and state', async () => {
    const report = await agentInventoryReport(context, PERIOD);
    expect(report.total).toBe(5);
    expect(report.agents.map((agent) => [agent.name, agent.state, agent.source, agent.owner, agent.ownerActive])).toEqual([
      ['billing-bot', 'in_review', 'api', 'bob@example.com', true],
      ['legacy-bot', 'active', 'manifest', 'gone@example.com', false],
      ['rejected-bot', 'decommissioned', 'api', HOSTILE_OWNER, true],
      ['support-bot', 'active', 'api', 'alice@example.com', true],
      ['template-bot', 'approved', 'api', 'alice@example.com', true],
    ]);
    expect(report.byState).toEqual({ proposed: 0, in_review: 1, approved: 1, testing: 0, active: 2, suspended: 0, quarantined: 0, decommissioned: 1 });
    const support = report.agents.find((agent) => agent.name === 'support-bot')!;
    expect(support.roles).toEqual(['support-reader', 'support-writer']);
    expect(support.purpose).toBe('Answers customer questions for the support team');
    expect(support.stateSince).toBe('2025-06-06T12:00:00.000Z');
    expect(support.transitionsInPeriod).toBe(5);
    expect(report.agents.find((agent) => agent.name === 'legacy-bot')!.transitionsInPeriod).toBe(0);
    expect(report.agents.find((agent) => agent.name === 'template-bot')!.template).toBe('support-bot');
  });

  it('names who approved each lifecycle step and when', async () => {
    const report = await agentInventoryReport(context, PERIOD);
    const approvals = Object.fromEntries(report.agents.map((agent) => [agent.name, agent.approvals]));
    expect(approvals['support-bot']).toEqual({
      securityReview: { by: 'sam@example.com', at: '2025-06-03T10:00:00.000Z', automatic: false },
      businessApproval: { by: 'ada@example.com', at: '2025-06-04T11:00:00.000Z', automatic: false },
      acceptance: { by: 'alice@example.com', at: '2025-06-06T12:00:00.000Z', automatic: false },
    });
    expect(approvals['billing-bot']).toEqual({ securityReview: { by: 'sam@example.com', at: '2025-06-11T09:00:00.000Z', automatic: false }, businessApproval: null, acceptance: null });
    expect(approvals['template-bot']).toEqual({
      securityReview: { by: 'template:support-bot', at: '2025-06-15T10:00:00.000Z', automatic: true },
      businessApproval: { by: 'template:support-bot', at: '2025-06-15T10:00:00.000Z', automatic: true },
      acceptance: null,
    });
    expect(approvals['legacy-bot']).toEqual({ securityReview: null, businessApproval: null, acceptance: null });
    const missing = Object.fromEntries(report.agents.map((agent) => [agent.name, agent.missingEvidence]));
    expect(missing).toEqual({
      'billing-bot': [],
      'legacy-bot': ['security review', 'business approval', 'acceptance (activation after testing)'],
      'rejected-bot': [],
      'support-bot': [],
      'template-bot': [],
    });
    expect(report.completeEvidence).toBe(4);
  });

  it('gives the last access review and the next due date', async () => {
    const report = await agentInventoryReport(context, PERIOD);
    const reviews = report.agents.map((agent) => [agent.name, agent.lastAccessReview, agent.lastReviewer, agent.nextReviewDue, agent.reviewStatus]);
    expect(reviews).toEqual([
      ['billing-bot', null, null, null, 'not-in-scope'],
      ['legacy-bot', '2025-02-01T09:00:00.000Z', 'sam@example.com', '2025-05-02T09:00:00.000Z', 'overdue'],
      ['rejected-bot', null, null, null, 'not-in-scope'],
      ['support-bot', '2025-06-22T08:30:00.000Z', 'ada@example.com', '2025-09-20T08:30:00.000Z', 'current'],
      ['template-bot', null, null, '2025-09-13T10:00:00.000Z', 'current'],
    ]);
    expect(report.reviewsOverdue).toBe(1);
    expect(report.ownersLeft).toBe(1);
  });

  it('follows a shorter review interval', async () => {
    const strict = await createReportContext(store, { now: NOW, settings: { reviewIntervalDays: 10 } });
    const report = await agentInventoryReport(strict, PERIOD);
    expect(report.agents.find((agent) => agent.name === 'support-bot')).toMatchObject({ nextReviewDue: '2025-07-02T08:30:00.000Z', reviewStatus: 'due-soon' });
    expect(report.agents.find((agent) => agent.name === 'template-bot')).toMatchObject({ nextReviewDue: '2025-06-25T10:00:00.000Z', reviewStatus: 'overdue' });
    expect(report.reviewsOverdue).toBe(2);
  });
});

describe('access-reviews', () => {
  it('lists the decisions of the period with who, when and what', async () => {
    const report = await accessReviewsReport(context, PERIOD);
    expect(report.decisions).toEqual([
      { at: '2025-06-20T15:00:00.000Z', agent: 'support-bot', item: 'grant:support-reader/grants/crm-read', decision: 'confirm', actor: 'sam@example.com', reason: 'needed daily' },
      { at: '2025-06-22T08:30:00.000Z', agent: 'support-bot', item: 'credential:key_sbold01', decision: 'revoke', actor: 'ada@example.com', reason: 'replaced by key_sbnew01' },
    ]);
    expect(report.summary).toEqual({
      decisions: 2,
      confirmed: 1,
      revoked: 1,
      agentsReviewed: 1,
      reviewers: ['ada@example.com', 'sam@example.com'],
      agentsInScope: 3,
      overdue: 1,
      dueSoon: 0,
      openItems: 6,
      agentsWithOpenItems: 2,
    });
  });

  it('puts overdue reviews first and lists the open items', async () => {
    const report = await accessReviewsReport(context, PERIOD);
    expect(report.schedule.map((row) => [row.agent, row.status, row.nextDue, row.openItems])).toEqual([
      ['legacy-bot', 'overdue', '2025-05-02T09:00:00.000Z', 5],
      ['template-bot', 'current', '2025-09-13T10:00:00.000Z', 0],
      ['support-bot', 'current', '2025-09-20T08:30:00.000Z', 1],
    ]);
    expect(report.openItems.map((row) => [row.agent, row.item, row.kind])).toEqual([
      ['legacy-bot', 'grant:support-reader/grants/crm-read', 'unused-grant'],
      ['legacy-bot', 'grant:support-reader/grants/invoices-read', 'unused-grant'],
      ['legacy-bot', 'idle', 'idle-agent'],
      ['legacy-bot', 'credential:key_legacy2', 'expiring-credential'],
      ['legacy-bot', 'owner', 'owner-left'],
      ['support-bot', 'credential:key_sbexp01', 'expiring-credential'],
    ]);
  });

  it('counts only decisions inside the period', async () => {
    const report = await accessReviewsReport(context, { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-06-21T00:00:00Z') });
    expect(report.decisions.map((row) => [row.agent, row.item])).toEqual([
      ['legacy-bot', 'idle'],
      ['support-bot', 'grant:support-reader/grants/crm-read'],
    ]);
    expect(report.summary.reviewers).toEqual(['sam@example.com']);
  });
});

describe('policy-coverage', () => {
  it('gives the share of APIs and operations an explicit grant covers', async () => {
    const report = await policyCoverageReport(context, PERIOD);
    expect(report.operations).toEqual({ total: 8, covered: 5, share: 0.625 });
    expect(report.apis).toEqual({ total: 4, covered: 2, fullyCovered: 1, share: 0.5 });
    expect(report.uncoveredApis).toEqual(['hr', 'legacy-fax']);
    expect(report.uncoveredOperations).toEqual([
      { api: 'crm', operation: 'deleteCustomer', method: 'DELETE', path: '/crm/customers/{customerId}' },
      { api: 'legacy-fax', operation: 'listFaxes', method: 'GET', path: '/fax/faxes' },
      { api: 'legacy-fax', operation: 'sendFax', method: 'POST', path: '/fax/faxes' },
    ]);
    expect(report.perApi.map((api) => [api.api, api.operations, api.coveredOperations, api.share])).toEqual([
      ['billing', 2, 2, 1],
      ['crm', 4, 3, 0.75],
      ['hr', 0, 0, null],
      ['legacy-fax', 2, 0, 0],
    ]);
    expect(report.policyVersion).toBe(context.policy!.record.version);
  });

  it('names the grants that cover each operation and the agents holding them', async () => {
    const report = await policyCoverageReport(context, PERIOD);
    const refund = report.operationDetail.find((operation) => operation.operation === 'refund')!;
    // Selected by a method and path glob, not by id.
    expect(refund).toMatchObject({ covered: true, grants: ['billing-admin/grants/refunds'], agents: ['billing-bot'] });
    // A rejected (decommissioned) agent holds nothing.
    expect(report.operationDetail.find((operation) => operation.operation === 'getCustomer')!.agents).toEqual(['legacy-bot', 'support-bot', 'template-bot']);
  });
});

describe('violations', () => {
  it('counts permission violations per 1,000 calls in the period', async () => {
    const report = await violationsReport(context, PERIOD);
    // 200 records in the period; the one just before it and the one at its (excluded) end are not counted.
    expect(report.calls).toBe(200);
    expect(report.violations).toBe(8);
    expect(report.blocked).toBe(7);
    expect(report.monitored).toBe(1);
    expect(report.perThousandCalls).toBe(40);
    expect(report.byReason.map((row) => [row.reason, row.violations, row.blocked, row.monitored])).toEqual([
      ['WARDEN_AUTHZ_FORBIDDEN', 4, 3, 1],
      ['WARDEN_AUTHZ_PARAM_VIOLATION', 2, 2, 0],
      ['WARDEN_AGENT_NOT_ACTIVE', 1, 1, 0],
      ['WARDEN_AUTHZ_NOT_GRANTED', 1, 1, 0],
    ]);
  });

  it('breaks them down by agent and by API', async () => {
    const report = await violationsReport(context, PERIOD);
    expect(report.byAgent).toEqual([
      { agent: 'support-bot', calls: 146, violations: 6, perThousandCalls: 41.1 },
      { agent: 'billing-bot', calls: 1, violations: 1, perThousandCalls: 1000 },
      { agent: 'legacy-bot', calls: 43, violations: 1, perThousandCalls: 23.26 },
      { agent: '(unidentified)', calls: 10, violations: 0, perThousandCalls: 0 },
    ]);
    expect(report.byApi).toEqual([
      { api: 'crm', calls: 146, violations: 6, perThousandCalls: 41.1 },
      { api: 'billing', calls: 42, violations: 2, perThousandCalls: 47.62 },
      { api: '(no API matched)', calls: 10, violations: 0, perThousandCalls: 0 },
      { api: 'legacy-fax', calls: 2, violations: 0, perThousandCalls: 0 },
    ]);
  });

  it('lists rate limits, authentication failures, retired APIs and upstream errors apart, uncounted', async () => {
    const report = await violationsReport(context, PERIOD);
    expect(report.notCounted).toEqual([
      { reason: 'WARDEN_AUTHN_INVALID', outcome: 'deny', count: 10 },
      { reason: 'WARDEN_RATE_LIMITED', outcome: 'deny', count: 5 },
      { reason: 'WARDEN_UPSTREAM_TIMEOUT', outcome: 'error', count: 5 },
      { reason: 'WARDEN_API_RETIRED', outcome: 'deny', count: 2 },
    ]);
    expect(report.recent).toHaveLength(8);
    expect(report.recent[0]).toMatchObject({ agent: 'support-bot', reason: 'WARDEN_AUTHZ_FORBIDDEN', outcome: 'would-deny' });
  });

  it('decides what is a violation by outcome and reason', () => {
    const caller = { name: 'a', owner: 'o@example.com', roles: [] };
    expect(isViolation(auditEvent('2025-06-01T00:00:00Z', caller, ['crm', 'x'], 'deny', 'WARDEN_AUTHZ_CONTEXT_MISMATCH'))).toBe(true);
    expect(isViolation(auditEvent('2025-06-01T00:00:00Z', caller, ['crm', 'x'], 'deny', 'WARDEN_QUOTA_EXCEEDED'))).toBe(false);
    expect(isViolation(auditEvent('2025-06-01T00:00:00Z', caller, ['crm', 'x'], 'allow', 'GRANTED'))).toBe(false);
    expect(isViolation(auditEvent('2025-06-01T00:00:00Z', caller, ['crm', 'x'], 'error', 'WARDEN_AUTHZ_NOT_GRANTED'))).toBe(false);
    expect(isViolation(auditEvent('2025-06-01T00:00:00Z', caller, ['crm', 'x'], 'deny', 'toString'))).toBe(false);
  });

  it('has no rate for a period without calls, rather than zero', async () => {
    const report = await violationsReport(context, { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-02-01T00:00:00Z') });
    expect(report).toMatchObject({ calls: 0, violations: 0, perThousandCalls: null });
  });

  it('refuses without an audit log, saying why', async () => {
    const blind = await createReportContext(store, { now: NOW });
    await expect(violationsReport(blind, PERIOD)).rejects.toThrow(GovernanceError);
    await expect(violationsReport(blind, PERIOD)).rejects.toThrow(/audit log/);
  });
});

describe('credential-hygiene', () => {
  it('counts expired, expiring, never rotated and revoked keys', async () => {
    const report = await credentialHygieneReport(context, PERIOD);
    expect(report.totals).toEqual({ keys: 8, active: 5, expired: 1, expiringSoon: 1, neverRotated: 1, revoked: 1, rotated: 1, revokedInPeriod: 1, issuedInPeriod: 4 });
    expect(report.thresholds).toEqual({ expiringWithinDays: 14, maxKeyAgeDays: 90 });
  });

  it('judges every key and assigns it to its agent', async () => {
    const report = await credentialHygieneReport(context, PERIOD);
    expect(report.keys.map((key) => [key.id, key.agent, key.status, key.expiringSoon, key.neverRotated])).toEqual([
      ['key_legacy2', 'legacy-bot', 'expired', false, false],
      ['key_sbexp01', 'support-bot', 'active', true, false],
      // Bound by legacy-bot's manifest: the policy names its agent.
      ['key_legacy1', 'legacy-bot', 'active', false, true],
      ['key_orphan1', '(unbound)', 'active', false, false],
      ['key_sbnew01', 'support-bot', 'active', false, false],
      // In its rotation overlap, expiring tomorrow by design: not "expiring".
      ['key_tb0001', 'template-bot', 'rotated', false, false],
      ['key_tb0002', 'template-bot', 'active', false, false],
      ['key_sbold01', 'support-bot', 'revoked', false, false],
    ]);
    expect(report.keys.find((key) => key.id === 'key_sbexp01')).toMatchObject({ expiresInDays: 4, ageDays: 86 });
    expect(report.perAgent).toEqual([
      { agent: '(unbound)', keys: 1, active: 1, expired: 0, expiringSoon: 0, neverRotated: 0, revoked: 0, rotated: 0 },
      { agent: 'legacy-bot', keys: 2, active: 1, expired: 1, expiringSoon: 0, neverRotated: 1, revoked: 0, rotated: 0 },
      { agent: 'support-bot', keys: 3, active: 2, expired: 0, expiringSoon: 1, neverRotated: 0, revoked: 1, rotated: 0 },
      { agent: 'template-bot', keys: 2, active: 1, expired: 0, expiringSoon: 0, neverRotated: 0, revoked: 0, rotated: 1 },
    ]);
  });

  it('follows the thresholds it is given', async () => {
    const strict = await createReportContext(store, { now: NOW, settings: { expiringWithinDays: 90, maxKeyAgeDays: 30 } });
    const report = await credentialHygieneReport(strict, PERIOD);
    // Expiring within 90 days: sbexp01 (4), orphan1 (60), sbnew01 (81), tb0002 (87); older than 30 days: sbexp01, legacy1.
    expect(report.totals).toMatchObject({ expiringSoon: 4, neverRotated: 2 });
  });
});

describe('program-metrics', () => {
  const byId = (metrics: readonly ProgramMetric[]) => Object.fromEntries(metrics.map((metric) => [metric.id, metric]));

  it('measures inventory, ownership, zombies, coverage, approvals and violations', async () => {
    const report = await programMetricsReport(context, PERIOD);
    const metrics = byId(report.metrics);
    expect(metrics['api-inventory-completeness']).toMatchObject({ value: 0.5, numerator: 2, denominator: 4, status: 'measured' });
    expect(metrics['apis-with-owner']).toMatchObject({ value: 0.75, numerator: 3, denominator: 4, status: 'measured' });
    expect(metrics['zombie-apis']).toMatchObject({ value: 2, status: 'measured' });
    expect(metrics['access-policy-coverage']).toMatchObject({ value: 0.625, numerator: 5, denominator: 8, status: 'measured' });
    expect(metrics['agent-approval-rate']).toMatchObject({ value: 0.5, numerator: 2, denominator: 4, status: 'measured' });
    expect(metrics['violations-blocked']).toMatchObject({ value: 7, status: 'measured' });
    expect(metrics['violations-per-1000-calls']).toMatchObject({ value: 40, numerator: 8, denominator: 200, status: 'measured' });
    expect(report.incompleteApis).toEqual([
      { api: 'hr', missing: ['spec (no operation declared, no OpenAPI document)'] },
      { api: 'legacy-fax', missing: ['owner (gone@example.com has left)'] },
    ]);
    expect(report.zombieApis).toEqual([
      { api: 'billing', status: 'deprecated', sunset: null, calls: 42 },
      { api: 'legacy-fax', status: 'retired', sunset: null, calls: 2 },
    ]);
    expect(report.proposals).toMatchObject({ proposed: 4, approved: 2, approvedAutomatically: 1, rejected: 1, pending: 1 });
  });

  it('shows the detection metrics as not yet measured, never as zero', async () => {
    const report = await programMetricsReport(context, PERIOD);
    const metrics = byId(report.metrics);
    for (const id of ['anomalies-detected', 'mean-time-to-detect', 'mean-time-to-respond', 'false-positive-rate']) {
      expect(metrics[id], id).toMatchObject({ value: null, status: 'not yet measured' });
    }
    const rendered = renderReport(await runReport('program-metrics', context, PERIOD), 'csv').body;
    expect(rendered).toMatch(/^Mean time to detect,,not yet measured\r$/m);
  });

  it('says "no data" where there is nothing to measure', async () => {
    const report = await programMetricsReport(await createReportContext(store, { now: NOW }), { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-02-01T00:00:00Z') });
    const metrics = byId(report.metrics);
    expect(metrics['agent-approval-rate']).toMatchObject({ value: null, status: 'no data', note: 'no agent was proposed in the period' });
    expect(metrics['violations-blocked']).toMatchObject({ value: null, status: 'no data' });
    expect(metrics['zombie-apis']).toMatchObject({ value: null, status: 'no data' });
    expect(metrics['access-policy-coverage']).toMatchObject({ value: 0.625, status: 'measured' });
  });
});

describe('a store before the first apply', () => {
  it('refuses policy coverage with what to do, and marks policy metrics as no data', async () => {
    const empty = await openSqliteStore(sqliteFileIn(path.join(root, 'empty')));
    try {
      const bare = await createReportContext(empty, { now: NOW });
      await expect(policyCoverageReport(bare, PERIOD)).rejects.toThrow(/warden apply/);
      const metrics = byIdOf((await programMetricsReport(bare, PERIOD)).metrics);
      expect(metrics['access-policy-coverage']).toMatchObject({ value: null, status: 'no data' });
      expect(metrics['api-inventory-completeness']).toMatchObject({ value: null, status: 'no data' });
      expect((await agentInventoryReport(bare, PERIOD)).total).toBe(0);
    } finally {
      await empty.close();
    }
  });
});

function byIdOf(metrics: readonly ProgramMetric[]): Record<string, ProgramMetric> {
  return Object.fromEntries(metrics.map((metric) => [metric.id, metric]));
}

describe('runReport and the renderers over the dataset', () => {
  it('runs every registered report with a header naming it, the period and the version', async () => {
    for (const name of REPORT_NAMES) {
      const output = await runReport(name, context, PERIOD);
      expect(output.meta).toMatchObject({ report: name, period: { from: '2025-06-01T00:00:00.000Z', to: '2025-06-30T12:00:00.000Z' }, generatedAt: NOW.toISOString(), wardenVersion: '9.9.9-test' });
      const json = JSON.parse(renderReport(output, 'json').body);
      expect(json.report).toBe(name);
      expect(json.result).toEqual(JSON.parse(JSON.stringify(output.result)));
    }
    await expect(runReport('nope', context, PERIOD)).rejects.toThrow(/no report is called nope/);
  });

  it('escapes the hostile owner and purpose in HTML and neutralises the formula in CSV', async () => {
    const output = await runReport('agent-inventory', context, PERIOD);
    const html = renderReport(output, 'html').body;
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;@evil.example');
    const csv = renderReport(output, 'csv').body;
    expect(csv).toContain(`,"'=HYPERLINK(""http://evil.example"",""click"") <img src=x onerror=alert(2)>",`);
    expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
    expect(HOSTILE_PURPOSE.startsWith('=')).toBe(true);
  });
});
