import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { activeAgent, because, sleep, startGovernanceHarness, type GovernanceHarness } from '../support/governance-harness.js';

const PENDING_S = 600;
const USE_WITHIN_S = 120;
const MAX_PENDING = 5;

/** updateCustomer needs a human for every call; reading does not. */
const STEP_UP_ROLE = `apiVersion: warden.dev/v1
kind: Role
metadata: { name: careful-writer }
spec:
  grants:
    - { id: crm-update-approved, api: crm, operations: [updateCustomer], stepUp: true }
`;

/**
 * Step-up end to end: an agent's call through the real gateway of `warden start`, held for a
 * person who decides through the admin API, then sent again and forwarded exactly once.
 */
describe('step-up approval through the gateway', () => {
  let h: GovernanceHarness;
  let key: string;
  let otherKey: string;
  let loopingKey: string;

  const update = (customer: string, body: unknown, headers: Record<string, string> = {}, as = key) =>
    h.agentCall(as, `/crm/customers/${customer}?notify=true`, { method: 'PATCH', body, headers });
  const upstreamUpdates = (customer: string) => h.production.hits.filter((hit) => hit.method === 'PATCH' && hit.url.startsWith(`/crm/customers/${customer}?`));

  beforeAll(async () => {
    h = await startGovernanceHarness({
      manifests: { 'careful.yaml': STEP_UP_ROLE },
      config: { stepUp: { pendingSeconds: PENDING_S, useWithinSeconds: USE_WITHIN_S, maxWaitSeconds: 5, maxPendingPerAgent: MAX_PENDING } },
    });
    ({ key } = await activeAgent(h, 'refund-bot', { owner: 'alice', roles: ['support-reader', 'careful-writer'] }));
    ({ key: otherKey } = await activeAgent(h, 'other-bot', { owner: 'bob', roles: ['support-reader', 'careful-writer'] }));
    ({ key: loopingKey } = await activeAgent(h, 'looping-bot', { owner: 'bob', roles: ['support-reader', 'careful-writer'] }));
  });

  beforeEach(() => h.clock.reset());

  afterAll(async () => {
    await h?.close();
  });

  it('holds the call with 202, a poll URL and the approval id, and forwards nothing', async () => {
    const held = await update('C-100', { note: 'new address' });
    expect(held.status).toBe(202);
    expect(held.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(held.body).toMatchObject({ code: 'WARDEN_STEP_UP_PENDING', approval: { status: 'pending' } });
    const id: string = held.body.approval.id;
    expect(id).toMatch(/^apr_[0-9a-f]{16}$/);
    expect(held.headers.get('location')).toBe(`/.warden/approvals/${id}`);
    expect(upstreamUpdates('C-100')).toHaveLength(0);

    // The same call again is the same open approval: retries never flood the approvers.
    expect((await update('C-100', { note: 'new address' })).body.approval.id).toBe(id);
    const polled = await h.agentCall(key, `/.warden/approvals/${id}`);
    expect(polled.status).toBe(200);
    expect(polled.body).toMatchObject({ id, status: 'pending' });
    // Another agent cannot look at it.
    expect((await h.agentCall(otherKey, `/.warden/approvals/${id}`)).status).toBe(404);
    const record = await h.auditRecord(held.headers.get('x-request-id')!);
    expect(record.decision).toMatchObject({ outcome: 'deny', reason: 'WARDEN_STEP_UP_PENDING' });
    expect(record.approval).toEqual({ id });
  });

  it('forwards the approved call exactly once, with the approver in its audit record, and refuses a replay', async () => {
    const body = { note: 'refund approved by phone' };
    const id: string = (await update('C-200', body)).body.approval.id;
    const approved = await h.as('sam').post(`/approvals/${id}/approve`, because('customer confirmed on the phone'));
    expect(approved.status).toBe(200);
    expect((await h.agentCall(key, `/.warden/approvals/${id}`)).body).toMatchObject({ id, status: 'approved' });

    const sent = await update('C-200', body, { 'warden-approval': id });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ upstream: 'production', method: 'PATCH', url: '/crm/customers/C-200?notify=true' });
    expect(upstreamUpdates('C-200')).toHaveLength(1);
    expect(JSON.parse(upstreamUpdates('C-200')[0]!.body)).toEqual(body);
    const record = await h.auditRecord(sent.headers.get('x-request-id')!);
    expect(record.decision.outcome).toBe('allow');
    expect(record.approval).toEqual({ id, approvedBy: 'sam@example.com' });

    const replay = await update('C-200', body, { 'warden-approval': id });
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('WARDEN_STEP_UP_USED');
    expect(upstreamUpdates('C-200')).toHaveLength(1);
  });

  it('refuses the approval for a call whose parameters changed after it was shown, and keeps it for the real one', async () => {
    const id: string = (await update('C-300', { note: 'change the e-mail' })).body.approval.id;
    await h.as('sam').post(`/approvals/${id}/approve`, because('e-mail change confirmed'));

    const changedBody = await update('C-300', { note: 'change the e-mail', iban: 'DE89370400440532013000' }, { 'warden-approval': id });
    expect(changedBody.status).toBe(403);
    expect(changedBody.body.code).toBe('WARDEN_STEP_UP_MISMATCH');
    const changedCustomer = await update('C-301', { note: 'change the e-mail' }, { 'warden-approval': id });
    expect(changedCustomer.body.code).toBe('WARDEN_STEP_UP_MISMATCH');
    const changedQuery = await h.agentCall(key, '/crm/customers/C-300?notify=false', { method: 'PATCH', body: { note: 'change the e-mail' }, headers: { 'warden-approval': id } });
    expect(changedQuery.body.code).toBe('WARDEN_STEP_UP_MISMATCH');
    expect(upstreamUpdates('C-300')).toHaveLength(0);
    expect(upstreamUpdates('C-301')).toHaveLength(0);

    // Another agent presenting the id learns nothing and sends nothing.
    const stolen = await update('C-300', { note: 'change the e-mail' }, { 'warden-approval': id }, otherKey);
    expect(stolen.status).toBe(403);
    expect(stolen.body.code).toBe('WARDEN_STEP_UP_INVALID');
    expect((await update('C-300', { note: 'change the e-mail' }, { 'warden-approval': 'apr_not-an-id' })).body.code).toBe('WARDEN_STEP_UP_INVALID');

    expect((await update('C-300', { note: 'change the e-mail' }, { 'warden-approval': id })).status).toBe(200);
    expect(upstreamUpdates('C-300')).toHaveLength(1);
  });

  it('refuses a denied call with the reason and never forwards it', async () => {
    const id: string = (await update('C-400', { note: 'close the account' })).body.approval.id;
    const denied = await h.as('sam').post(`/approvals/${id}/deny`, because('the account is under a legal hold'));
    expect(denied.status).toBe(200);
    const sent = await update('C-400', { note: 'close the account' }, { 'warden-approval': id });
    expect(sent.status).toBe(403);
    expect(sent.body.code).toBe('WARDEN_STEP_UP_DENIED');
    expect(sent.body.detail).toContain('the account is under a legal hold');
    expect(sent.body.detail).not.toContain('sam');
    expect(upstreamUpdates('C-400')).toHaveLength(0);
  });

  it('expires an undecided approval after pendingSeconds and an unused one after useWithinSeconds', async () => {
    const undecided: string = (await update('C-500', { note: 'a' })).body.approval.id;
    h.clock.advance((PENDING_S + 1) * 1000);
    expect((await h.as('sam').post(`/approvals/${undecided}/approve`, because('too late'))).status).toBe(409);
    const late = await update('C-500', { note: 'a' }, { 'warden-approval': undecided });
    expect(late.body.code).toBe('WARDEN_STEP_UP_EXPIRED');

    h.clock.reset();
    const unused: string = (await update('C-501', { note: 'b' })).body.approval.id;
    await h.as('sam').post(`/approvals/${unused}/approve`, because('fine'));
    h.clock.advance((USE_WITHIN_S + 1) * 1000);
    const stale = await update('C-501', { note: 'b' }, { 'warden-approval': unused });
    expect(stale.status).toBe(403);
    expect(stale.body.code).toBe('WARDEN_STEP_UP_EXPIRED');
    expect(upstreamUpdates('C-500')).toHaveLength(0);
    expect(upstreamUpdates('C-501')).toHaveLength(0);
  });

  it('with Prefer: wait, holds the call open until a person approves and then forwards it in the same exchange', async () => {
    const waiting = update('C-600', { note: 'urgent' }, { prefer: 'wait=5' });
    let id: string | undefined;
    for (let tries = 0; id === undefined && tries < 200; tries++) {
      await sleep(10);
      const listed = await h.as('sam').get('/approvals?status=pending');
      id = listed.body.approvals?.find((approval: { agent: string; path: string }) => approval.agent === 'refund-bot' && approval.path.endsWith('/customers/C-600'))?.id;
    }
    expect(id).toBeDefined();
    expect((await h.as('sam').post(`/approvals/${id}/approve`, because('urgent and confirmed'))).status).toBe(200);
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(upstreamUpdates('C-600')).toHaveLength(1);
    expect((await h.auditRecord(answer.headers.get('x-request-id')!)).approval).toEqual({ id, approvedBy: 'sam@example.com' });
  });

  it('puts at most maxPendingPerAgent calls of one agent before people at once, however fast it asks', async () => {
    // A looping (or hijacked) agent fires twelve different held calls at once.
    const burst = await Promise.all(Array.from({ length: 12 }, (_, index) => update(`L-${index}`, { note: 'loop' }, {}, loopingKey)));
    const held = burst.filter((answer) => answer.status === 202);
    expect(held).toHaveLength(MAX_PENDING);
    const refused = burst.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(12 - MAX_PENDING);
    expect(refused[0]!.body.code).toBe('WARDEN_STEP_UP_TOO_MANY');
    expect(refused[0]!.body.detail).toContain(`at most ${MAX_PENDING}`);
    const listed = await h.as('sam').get('/approvals?status=pending&agent=looping-bot');
    expect(listed.body.approvals).toHaveLength(MAX_PENDING);

    // A held call asked again still finds its own approval; once one is decided, a new call is held.
    const first = held[0]!.body.approval.id as string;
    const firstPath = listed.body.approvals.find((approval: { id: string }) => approval.id === first).path as string;
    const firstCustomer = firstPath.split('/').at(-1)!;
    expect((await update(firstCustomer, { note: 'loop' }, {}, loopingKey)).body.approval?.id).toBe(first);
    expect((await h.as('sam').post(`/approvals/${first}/deny`, because('the agent is looping'))).status).toBe(200);
    expect((await update('L-new', { note: 'loop' }, {}, loopingKey)).status).toBe(202);
    expect((await update('L-newer', { note: 'loop' }, {}, loopingKey)).status).toBe(429);
    // Other agents are not held back by it.
    expect((await update('C-700', { note: 'fine' })).status).toBe(202);
  });
});
