import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeAgent, startGovernanceHarness, type GovernanceHarness } from '../../../test/support/governance-harness.js';
import { createReportContext, runReport, type ReportContext, type ReportPeriod } from './index.js';
import type { AgentInventoryReport } from './agent-inventory.js';
import type { AccessReviewsReport } from './access-reviews.js';
import type { CredentialHygieneReport } from './credential-hygiene.js';
import type { ViolationsReport } from './violations.js';

/**
 * The reports over what the real governance services and gateway write: an agent taken through
 * its lifecycle over the admin API by the test organisation's people, calls through the
 * gateway, a review decision — read with the context options the admin API passes (its
 * snapshot, its access review, its audit log).
 */

let h: GovernanceHarness;
let period: ReportPeriod;
let context: ReportContext;

beforeAll(async () => {
  h = await startGovernanceHarness();
  const started = new Date(Date.now() - 60_000);
  const { key } = await activeAgent(h, 'live-bot', { roles: ['support-reader'] });
  expect((await h.agentCall(key, '/crm/customers/C-1')).status).toBe(200);
  expect((await h.agentCall(key, '/crm/customers/C-1', { method: 'DELETE' })).status).toBe(403);
  expect((await h.as('sam').post('/reviews/decisions', { agent: 'live-bot', item: 'owner', decision: 'confirm', reason: 'quarterly certification' })).status).toBe(201);
  await h.auditEvents((events) => events.length >= 2);
  const runtime = h.runtime;
  period = { from: started, to: new Date(Date.now() + 60_000) };
  context = await createReportContext(runtime.store, {
    now: h.clock.now(),
    audit: runtime.audit.log,
    snapshot: runtime.governance.context.publisher.current!.snapshot,
    reviewItems: () => runtime.governance.reviews.review(),
    governanceSettings: runtime.governance.context.settings,
  });
});

afterAll(async () => {
  await h?.close();
});

describe('reports over the live governance services', () => {
  it('names the people who approved each lifecycle step', async () => {
    const { result } = await runReport('agent-inventory', context, period);
    const agent = (result as AgentInventoryReport).agents.find((candidate) => candidate.name === 'live-bot')!;
    expect(agent).toMatchObject({ owner: 'alice@example.com', state: 'active', source: 'api', roles: ['support-reader'], missingEvidence: [], lastReviewer: 'sam@example.com', reviewStatus: 'current' });
    expect(agent.approvals.securityReview?.by).toBe('sam@example.com');
    expect(agent.approvals.businessApproval?.by).toBe('admin@localhost');
    expect(agent.approvals.acceptance?.by).toBe('alice@example.com');
    expect(agent.transitionsInPeriod).toBe(5);
  });

  it('counts the refused call as a violation', async () => {
    const result = (await runReport('violations', context, period)).result as ViolationsReport;
    expect(result).toMatchObject({ calls: 2, violations: 1, blocked: 1, perThousandCalls: 500 });
    expect(result.byReason).toEqual([{ reason: 'WARDEN_AUTHZ_NOT_GRANTED', meaning: 'no grant of its roles covers the operation', violations: 1, blocked: 1, monitored: 0 }]);
    expect(result.byAgent).toEqual([{ agent: 'live-bot', calls: 2, violations: 1, perThousandCalls: 500 }]);
  });

  it('lists the review decision and the issued key', async () => {
    const reviews = (await runReport('access-reviews', context, period)).result as AccessReviewsReport;
    expect(reviews.decisions).toEqual([expect.objectContaining({ agent: 'live-bot', item: 'owner', decision: 'confirm', actor: 'sam@example.com', reason: 'quarterly certification' })]);
    const keys = (await runReport('credential-hygiene', context, period)).result as CredentialHygieneReport;
    expect(keys.perAgent).toEqual([{ agent: 'live-bot', keys: 1, active: 1, expired: 0, expiringSoon: 0, neverRotated: 0, revoked: 0, rotated: 0 }]);
  });
});
