import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { agentApprovals, type AgentApprovals } from '../../src/controlplane/approvals/agent-approvals.js';
import type { HeldCall } from '../../src/controlplane/approvals/approval-service.js';
import { activeAgent, because, sleep, startGovernanceHarness, startWebhookReceiver, type GovernanceHarness, type Json, type WebhookReceiver } from '../support/governance-harness.js';

const CALLBACK_SECRET = 'chatops-callback-secret-5e1f0a9c';
const PENDING_S = 600;
const USE_WITHIN_S = 120;

let counter = 0;

/** A held call as the gateway hands it up; `body` stands for the call's parameters and makes its fingerprint. */
function call(agent: string, body: Record<string, unknown> = { customerId: 'C-1001', note: 'Rückruf — “bitte” ✓' }, overrides: Partial<HeldCall> = {}): HeldCall {
  const query = 'notify=true';
  const path = `/crm/customers/${String(body.customerId ?? 'C-1001')}`;
  const fingerprint = createHash('sha256').update(`PATCH\n${path}\n${query}\napplication/json\n${JSON.stringify(body)}`).digest('hex');
  counter += 1;
  return {
    agent,
    api: 'crm',
    operation: 'updateCustomer',
    method: 'PATCH',
    path,
    query,
    parameters: { ...body, notify: 'true' },
    fingerprint,
    context: { customer: 'C-1001', ticket: 'T-42' },
    requestId: `req-test-${counter}`,
    ...overrides,
  };
}

/** Signs a callback body as a chat-ops bridge would: HMAC-SHA256 of "<t>.<raw body>". */
function sign(raw: string, t: number, secret = CALLBACK_SECRET): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex')}`;
}


/** Asks for approval as the gateway does; every call in these tests is put before a person. */
async function ask(sink: AgentApprovals, call: HeldCall) {
  const asked = await sink.request(call);
  if ('refused' in asked) throw new Error(`not put before a person: ${asked.detail}`);
  return asked;
}

describe('step-up approvals: held calls decided by people, used exactly once', () => {
  let h: GovernanceHarness;
  let receiver: WebhookReceiver;
  let sink: AgentApprovals;
  const nowSeconds = () => Math.floor(h.clock.now().getTime() / 1000);

  /** POSTs a callback with the raw body and signature header as given. */
  async function callback(raw: string, signature: string | undefined, extra: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${h.adminUrl}/approval-callbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature !== undefined ? { 'x-warden-signature': signature } : {}), ...extra },
      body: raw,
    });
    const text = await response.text();
    return { status: response.status, body: text.length > 0 ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    h = await startGovernanceHarness({
      config: {
        stepUp: { pendingSeconds: PENDING_S, useWithinSeconds: USE_WITHIN_S, maxWaitSeconds: 5, callbackSecret: 'env:WARDEN_TEST_CALLBACK_SECRET' },
        notify: { webhook: { url: receiver.url } },
      },
      env: { WARDEN_TEST_CALLBACK_SECRET: CALLBACK_SECRET },
    });
    await activeAgent(h, 'pay-bot', { owner: 'alice', roles: ['support-reader', 'support-writer'] });
    await activeAgent(h, 'peer-bot', { owner: 'bob', roles: ['support-reader', 'support-writer'] });
    sink = agentApprovals(h.runtime.governance.approvals);
  });

  beforeEach(() => h.clock.reset());

  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('holds a call once per agent and call, tells the owner and security how to decide, and logs the request', async () => {
    const before = h.clock.now().getTime();
    const held = call('pay-bot');
    const ticket = await ask(sink, held);
    expect(ticket).toEqual({ id: expect.stringMatching(/^apr_[0-9a-f]{16}$/), status: 'pending', expiresAt: expect.any(String) });
    expect(Date.parse(ticket.expiresAt) - before).toBeGreaterThanOrEqual(PENDING_S * 1000);
    expect(Date.parse(ticket.expiresAt) - before).toBeLessThan(PENDING_S * 1000 + 5000);

    // The agent retries the same call: the same approval, no second notification.
    expect(await ask(sink, { ...held, requestId: 'req-retry' })).toEqual(ticket);
    // Other parameters, or another agent with the same call: approvals of their own.
    const other = await ask(sink, call('pay-bot', { customerId: 'C-2002' }));
    expect(other.id).not.toBe(ticket.id);
    const peers = await ask(sink, { ...held, agent: 'peer-bot' });
    expect(peers.id).not.toBe(ticket.id);

    const hook = await receiver.waitFor((candidate) => candidate.body?.type === 'approval.requested' && candidate.body.data?.approval === ticket.id);
    expect(hook.body.recipients).toEqual(['alice@example.com', 'security']);
    expect(hook.body.summary).toContain(`warden approvals show ${ticket.id}`);
    // The agent's parameters go in data only.
    expect(hook.body.summary).not.toContain('Rückruf');
    expect(hook.body.data).toMatchObject({
      approval: ticket.id,
      agent: 'pay-bot',
      owner: 'alice@example.com',
      api: 'crm',
      operation: 'updateCustomer',
      call: { method: 'PATCH', path: '/crm/customers/C-1001', query: 'notify=true', parameters: { customerId: 'C-1001', note: 'Rückruf — “bitte” ✓', notify: 'true' }, context: { customer: 'C-1001', ticket: 'T-42' } },
      expiresAt: ticket.expiresAt,
      decide: {
        cli: { approve: `warden approvals approve ${ticket.id} --reason "…"`, deny: `warden approvals deny ${ticket.id} --reason "…"` },
        adminApi: { approve: `POST /approvals/${ticket.id}/approve`, deny: `POST /approvals/${ticket.id}/deny`, show: `GET /approvals/${ticket.id}` },
        callback: { path: 'POST /approval-callbacks' },
      },
    });
    await h.runtime.governance.context.notifier.flush();
    expect(receiver.received.filter((candidate) => candidate.body?.type === 'approval.requested' && candidate.body.data?.approval === ticket.id)).toHaveLength(1);

    const log = await h.adminEvents(`&target=approval/${ticket.id}`);
    expect(log.map((event: Json) => [event.action, event.actor, event.outcome])).toEqual([['approval.request', 'agent:pay-bot', 'ok']]);
    expect(log[0].after).toMatchObject({ agent: 'pay-bot', api: 'crm', operation: 'updateCustomer', method: 'PATCH', path: '/crm/customers/C-1001' });
  });

  it('shows approvals to security, auditors and the agent\'s owner only', async () => {
    const mine = await ask(sink, call('pay-bot', { customerId: 'C-3003' }));
    const theirs = await ask(sink, call('peer-bot', { customerId: 'C-3003' }));

    const all = await h.as('sam').get('/approvals?status=pending');
    expect(all.status).toBe(200);
    const ids = all.body.approvals.map((item: Json) => item.id);
    expect(ids).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    // Newest first.
    expect(ids.indexOf(theirs.id)).toBeLessThan(ids.indexOf(mine.id));
    expect((await h.as('audrey').get(`/approvals/${theirs.id}`)).status).toBe(200);

    const shown = await h.as('alice').get(`/approvals/${mine.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      id: mine.id,
      agent: 'pay-bot',
      owner: 'alice@example.com',
      api: 'crm',
      operation: 'updateCustomer',
      method: 'PATCH',
      path: '/crm/customers/C-3003',
      query: 'notify=true',
      parameters: { customerId: 'C-3003', notify: 'true' },
      context: { customer: 'C-1001', ticket: 'T-42' },
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      requestId: expect.stringMatching(/^req-test-/),
      status: 'pending',
    });
    const alices = (await h.as('alice').get('/approvals')).body.approvals;
    expect(alices.map((item: Json) => item.agent)).not.toContain('peer-bot');
    expect(alices.map((item: Json) => item.id)).toContain(mine.id);
    const hidden = await h.as('alice').get(`/approvals/${theirs.id}`);
    expect(hidden.status).toBe(404);
    expect(hidden.body.code).toBe('WARDEN_ADMIN_NOT_FOUND');
    expect((await h.as('bob').get(`/approvals?agent=pay-bot`)).body.approvals).toEqual([]);
    expect((await h.as('sam').get('/approvals/apr_0000000000000000')).status).toBe(404);
    expect((await h.as('sam').get('/approvals?status=sleeping')).status).toBe(400);
  });

  it('is decided by security, an admin or the agent\'s owner, with a reason; others are refused and logged', async () => {
    const ticket = await ask(sink, call('pay-bot', { customerId: 'C-4004' }));
    const path = `/approvals/${ticket.id}`;

    expect((await h.as('alice').post(`${path}/approve`, {})).status).toBe(400);
    const noReason = await h.as('alice').post(`${path}/approve`, because('   '));
    expect(noReason.status).toBe(400);
    expect(noReason.body).toMatchObject({ code: 'WARDEN_ADMIN_INVALID', detail: expect.stringMatching(/say why/) });
    const otherOwner = await h.as('bob').post(`${path}/approve`, because('not my agent'));
    expect(otherOwner.status).toBe(403);
    expect(otherOwner.body.detail).toMatch(/needs security, admin or the agent's owner/);
    expect((await h.as('audrey').post(`${path}/deny`, because('auditors only read'))).status).toBe(403);
    expect((await h.as('alice').post('/approvals/apr_0000000000000000/approve', because('no such approval'))).status).toBe(404);

    const approved = await h.as('alice').post(`${path}/approve`, because('the customer asked for it on the phone'));
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ id: ticket.id, status: 'approved', decidedBy: 'alice@example.com', decidedVia: 'admin', reason: 'the customer asked for it on the phone' });
    expect(Date.parse(approved.body.expiresAt) - Date.parse(approved.body.decidedAt)).toBe(USE_WITHIN_S * 1000);
    const twice = await h.as('sam').post(`${path}/deny`, because('too late'));
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('WARDEN_ADMIN_CONFLICT');

    const log = await h.adminEvents(`&target=approval/${ticket.id}`);
    expect(log.map((event: Json) => [event.action, event.actor, event.outcome])).toEqual([
      ['approval.deny', 'sam@example.com', 'refused'],
      ['approval.approve', 'alice@example.com', 'ok'],
      ['approval.deny', 'audrey@example.com', 'refused'],
      ['approval.approve', 'bob@example.com', 'refused'],
      ['approval.approve', 'alice@example.com', 'refused'],
      ['approval.request', 'agent:pay-bot', 'ok'],
    ]);
    expect(log[1]).toMatchObject({ before: { status: 'pending' }, after: { status: 'approved', via: 'admin', useBy: approved.body.expiresAt }, detail: 'the customer asked for it on the phone' });
    const hook = await receiver.waitFor((candidate) => candidate.body?.type === 'approval.decided' && candidate.body.data?.approval === ticket.id);
    expect(hook.body).toMatchObject({ recipients: ['alice@example.com', 'security'], data: { status: 'approved', decidedBy: 'alice@example.com', via: 'admin' } });

    // Security and admins decide too.
    const second = await ask(sink, call('peer-bot', { customerId: 'C-4004' }));
    expect((await h.as('ada').post(`/approvals/${second.id}/deny`, because('not during the freeze'))).body).toMatchObject({ status: 'denied', decidedBy: 'ada@example.com' });
    const third = await ask(sink, call('peer-bot', { customerId: 'C-4005' }));
    expect((await h.as('sam').post(`/approvals/${third.id}/approve`, because('verified with the customer'))).body).toMatchObject({ status: 'approved', decidedBy: 'sam@example.com' });
  });

  it('lets the approved call through exactly once, for its own agent and its exact parameters', async () => {
    const held = call('pay-bot', { customerId: 'C-5005', note: 'new address' });
    const ticket = await ask(sink, held);
    // Not yet decided.
    const early = await sink.redeem('pay-bot', ticket.id, held.fingerprint, 'req-early');
    expect(early).toMatchObject({ ok: false, code: 'WARDEN_STEP_UP_PENDING', ticket: { id: ticket.id, status: 'pending' } });
    expect((await h.as('sam').post(`/approvals/${ticket.id}/approve`, because('address change confirmed'))).status).toBe(200);

    // Parameters changed after the approval: refused, and the approval stays usable for the real call.
    const changed = call('pay-bot', { customerId: 'C-5005', note: 'new address; also delete history' });
    const mismatch = await sink.redeem('pay-bot', ticket.id, changed.fingerprint, 'req-changed');
    expect(mismatch).toMatchObject({ ok: false, code: 'WARDEN_STEP_UP_MISMATCH', ticket: { id: ticket.id, status: 'approved' } });
    expect(mismatch.ok === false && mismatch.detail).toContain('PATCH /crm/customers/C-5005?notify=true');
    // Another agent presenting the id: as good as unknown.
    expect(await sink.redeem('peer-bot', ticket.id, held.fingerprint, 'req-peer')).toEqual({ ok: false, code: 'WARDEN_STEP_UP_INVALID', detail: `no approval of this agent has the id ${ticket.id}` });
    expect(await sink.redeem('pay-bot', 'apr_0000000000000000', held.fingerprint, 'req-x')).toMatchObject({ ok: false, code: 'WARDEN_STEP_UP_INVALID' });
    expect(await sink.redeem('pay-bot', 'not an id <script>', held.fingerprint, 'req-x')).toMatchObject({ ok: false, code: 'WARDEN_STEP_UP_INVALID' });

    expect(await sink.redeem('pay-bot', ticket.id, held.fingerprint, 'req-used')).toEqual({ ok: true, id: ticket.id, approvedBy: 'sam@example.com' });
    // Replayed: refused.
    const replay = await sink.redeem('pay-bot', ticket.id, held.fingerprint, 'req-replay');
    expect(replay).toMatchObject({ ok: false, code: 'WARDEN_STEP_UP_USED', ticket: { id: ticket.id, status: 'used' } });

    const shown = await h.as('sam').get(`/approvals/${ticket.id}`);
    expect(shown.body).toMatchObject({ status: 'used', usedRequestId: 'req-used', decidedBy: 'sam@example.com' });
    // The same call sent afresh asks for a new approval.
    expect((await ask(sink, held)).id).not.toBe(ticket.id);

    const log = await h.adminEvents(`&target=approval/${ticket.id}`);
    expect(log.map((event: Json) => [event.action, event.actor, event.outcome])).toEqual([
      ['approval.use', 'agent:pay-bot', 'refused'],
      ['approval.use', 'agent:pay-bot', 'ok'],
      ['approval.use', 'agent:peer-bot', 'refused'],
      ['approval.use', 'agent:pay-bot', 'refused'],
      ['approval.approve', 'sam@example.com', 'ok'],
      ['approval.request', 'agent:pay-bot', 'ok'],
    ]);
    expect(log[1].after).toEqual({ status: 'used', requestId: 'req-used', approvedBy: 'sam@example.com' });
  });

  it('lets exactly one of concurrent redeems through', async () => {
    const held = call('pay-bot', { customerId: 'C-6006' });
    const ticket = await ask(sink, held);
    await h.as('sam').post(`/approvals/${ticket.id}/approve`, because('one refund'));
    const results = await Promise.all(Array.from({ length: 12 }, (_, index) => sink.redeem('pay-bot', ticket.id, held.fingerprint, `req-race-${index}`)));
    const passed = results.filter((result) => result.ok);
    expect(passed).toHaveLength(1);
    expect(results.filter((result) => !result.ok).every((result) => !result.ok && result.code === 'WARDEN_STEP_UP_USED')).toBe(true);
    const row = h.rows('select status, used_request_id from approvals where id = ?', ticket.id);
    expect(row).toEqual([{ status: 'used', used_request_id: `req-race-${results.findIndex((result) => result.ok)}` }]);
  });

  it('tells the agent of a denial and its reason, never who decided', async () => {
    const held = call('pay-bot', { customerId: 'C-7007' });
    const ticket = await ask(sink, held);
    expect((await h.as('sam').post(`/approvals/${ticket.id}/deny`, because('this customer is under a legal hold'))).body.status).toBe('denied');
    const denied = await sink.redeem('pay-bot', ticket.id, held.fingerprint, 'req-denied');
    expect(denied).toMatchObject({ ok: false, code: 'WARDEN_STEP_UP_DENIED', ticket: { id: ticket.id, status: 'denied', reason: 'this customer is under a legal hold' } });
    expect(denied.ok === false && denied.detail).toContain('this customer is under a legal hold');

    const seen = await sink.get('pay-bot', ticket.id);
    expect(seen).toEqual({
      ok: true,
      status: 200,
      body: { id: ticket.id, status: 'denied', api: 'crm', operation: 'updateCustomer', method: 'PATCH', path: '/crm/customers/C-7007', expiresAt: ticket.expiresAt, reason: 'this customer is under a legal hold' },
    });
    expect(JSON.stringify(seen)).not.toContain('sam@example.com');
    // Another agent's approval is unknown to it.
    expect(await sink.get('peer-bot', ticket.id)).toEqual({ ok: false, code: 'WARDEN_ROUTE_NOT_FOUND', detail: `no approval has the id ${ticket.id}` });
    // A denial is final; asking again makes a new approval.
    expect((await ask(sink, held)).id).not.toBe(ticket.id);
  });

  it('expires undecided after pendingSeconds and unused after useWithinSeconds, by the clock, before any job runs', async () => {
    const held = call('pay-bot', { customerId: 'C-8008' });
    const ticket = await ask(sink, held);
    const approvedHeld = call('pay-bot', { customerId: 'C-8009' });
    const approved = await ask(sink, approvedHeld);
    await h.as('sam').post(`/approvals/${approved.id}/approve`, because('approved, then forgotten'));

    h.clock.advance((USE_WITHIN_S + 1) * 1000);
    // Approved but not used in time.
    expect(await sink.redeem('pay-bot', approved.id, approvedHeld.fingerprint, 'req-late')).toMatchObject({ ok: false, code: 'WARDEN_STEP_UP_EXPIRED', detail: expect.stringContaining('approved but not used') });
    expect((await sink.get('pay-bot', approved.id)).ok && (await sink.get('pay-bot', approved.id))).toMatchObject({ body: { status: 'expired' } });
    // Still pending: the undecided one has more time.
    expect((await h.as('sam').get(`/approvals/${ticket.id}`)).body.status).toBe('pending');

    h.clock.advance(PENDING_S * 1000);
    const expired = await h.as('sam').get(`/approvals/${ticket.id}`);
    expect(expired.body.status).toBe('expired');
    expect((await h.as('sam').get('/approvals?status=expired')).body.approvals.map((item: Json) => item.id)).toEqual(expect.arrayContaining([ticket.id, approved.id]));
    expect((await h.as('sam').get('/approvals?status=pending&agent=pay-bot')).body.approvals.map((item: Json) => item.id)).not.toContain(ticket.id);
    const late = await h.as('alice').post(`/approvals/${ticket.id}/approve`, because('sorry, I was away'));
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(/expired undecided/);
    expect(await sink.redeem('pay-bot', ticket.id, held.fingerprint, 'req-expired')).toMatchObject({ ok: false, code: 'WARDEN_STEP_UP_EXPIRED', detail: expect.stringContaining('not decided') });
    // The agent asks again: a new approval.
    expect((await ask(sink, { ...held, requestId: 'req-again' })).id).not.toBe(ticket.id);

    // The jobs mark them in the store, once.
    expect(h.rows('select status from approvals where id = ?', ticket.id)).toEqual([{ status: 'pending' }]);
    const report = await h.runtime.jobs.runOnce();
    expect(report.expiredApprovals).toEqual(expect.arrayContaining([ticket.id, approved.id]));
    expect(h.rows('select status from approvals where id in (?, ?)', ticket.id, approved.id)).toEqual([{ status: 'expired' }, { status: 'expired' }]);
    expect((await h.runtime.jobs.runOnce()).expiredApprovals).not.toContain(ticket.id);
    const [marked] = await h.adminEvents('&target=approvals');
    expect(marked).toMatchObject({ actor: 'warden jobs', action: 'approval.expire', outcome: 'ok' });
    expect(marked.before.approvals).toEqual(expect.arrayContaining([ticket.id, approved.id]));
  });

  it('wakes a waiting call as soon as the approval is decided, and gives up after the wait', async () => {
    const held = call('pay-bot', { customerId: 'C-9009' });
    const ticket = await ask(sink, held);
    const started = Date.now();
    const waiting = sink.wait('pay-bot', ticket.id, 4000);
    await sleep(100);
    expect((await h.as('alice').post(`/approvals/${ticket.id}/approve`, because('go ahead'))).status).toBe(200);
    const decided = await waiting;
    expect(decided).toMatchObject({ id: ticket.id, status: 'approved' });
    expect(Date.now() - started).toBeLessThan(1000);

    // Undecided: it returns pending when the wait is over.
    const other = await ask(sink, call('pay-bot', { customerId: 'C-9010' }));
    const waitedFrom = Date.now();
    expect(await sink.wait('pay-bot', other.id, 300)).toMatchObject({ id: other.id, status: 'pending' });
    expect(Date.now() - waitedFrom).toBeGreaterThanOrEqual(290);
    // A decision made elsewhere (another control plane on the same store) is seen by polling.
    const polling = sink.wait('pay-bot', other.id, 4000);
    await sleep(50);
    expect(await h.runtime.store.governance.decideApproval(other.id, { status: 'denied', decidedAt: h.clock.now(), decidedBy: 'sam@example.com', via: 'admin', reason: 'decided on another node', expiresAt: undefined })).toBe(true);
    expect(await polling).toMatchObject({ status: 'denied', reason: 'decided on another node' });
    // A decided approval does not wait at all; another agent's id is not its to wait on.
    expect((await sink.wait('pay-bot', ticket.id, 4000)).status).toBe('approved');
    await expect(sink.wait('peer-bot', ticket.id, 100)).rejects.toThrow(/does not exist/);
  });

  it('refuses to approve a call of an agent the gateway no longer lets call; a denial still works', async () => {
    await activeAgent(h, 'paused-bot', { owner: 'alice', roles: ['support-reader'] });
    const ticket = await ask(sink, call('paused-bot'));
    const second = await ask(sink, call('paused-bot', { customerId: 'C-1002' }));
    expect((await h.as('sam').post('/agents/paused-bot/actions/suspend', because('odd behaviour'))).status).toBe(200);
    const refused = await h.as('sam').post(`/approvals/${ticket.id}/approve`, because('looks fine'));
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/paused-bot is suspended/);
    expect((await h.as('sam').post(`/approvals/${second.id}/deny`, because('agent suspended'))).body.status).toBe('denied');
  });

  describe('signed chat-ops callbacks', () => {
    const body = (id: string, decision: 'approve' | 'deny', approver: string, reason = 'decided in #payments-approvals') => JSON.stringify({ id, decision, approver, reason });

    it('decide as the named person, recorded as via callback', async () => {
      const ticket = await ask(sink, call('pay-bot', { customerId: 'C-1111' }));
      const raw = body(ticket.id, 'approve', 'sam@example.com');
      const answer = await callback(raw, sign(raw, nowSeconds()));
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: ticket.id, status: 'approved', decidedBy: 'sam@example.com', decidedVia: 'callback', reason: 'decided in #payments-approvals' });
      const [event] = await h.adminEvents(`&target=approval/${ticket.id}`);
      expect(event).toMatchObject({ actor: 'sam@example.com', roles: ['security'], action: 'approval.approve', outcome: 'ok', after: { status: 'approved', via: 'callback' } });

      // The agent's owner decides through the chat tool too, without an admin token of theirs being needed.
      const other = await ask(sink, call('pay-bot', { customerId: 'C-1112' }));
      const denial = body(other.id, 'deny', 'Alice@Example.com', 'not this customer');
      const denied = await callback(denial, sign(denial, nowSeconds()));
      expect(denied.status).toBe(200);
      expect(denied.body).toMatchObject({ status: 'denied', decidedVia: 'callback' });
    });

    it('refuse a bad signature, a changed body, an old or future timestamp, a missing header: nothing changes', async () => {
      const ticket = await ask(sink, call('pay-bot', { customerId: 'C-2222' }));
      const raw = body(ticket.id, 'approve', 'sam@example.com');
      const t = nowSeconds();
      const attempts: [string, string | undefined][] = [
        [raw, sign(raw, t, 'another-secret')],
        [raw.replace('decided in', 'DECIDED in'), sign(raw, t)],
        [raw, sign(raw, t - 301)],
        [raw, sign(raw, t + 301)],
        [raw, undefined],
        [raw, 'v1=' + 'a'.repeat(64)],
        [raw, `t=${t},v1=zz`],
      ];
      for (const [sent, signature] of attempts) {
        const answer = await callback(sent, signature);
        expect(answer.status, signature).toBe(401);
        expect(answer.body.code).toBe('WARDEN_ADMIN_UNAUTHENTICATED');
      }
      // An admin token instead of a signature is no signature.
      expect((await callback(raw, undefined, { authorization: `Bearer ${h.rootToken}` })).status).toBe(401);
      expect((await h.as('sam').get(`/approvals/${ticket.id}`)).body.status).toBe('pending');
      // A signed body that is no callback is invalid (checked after the signature).
      const junk = JSON.stringify({ id: ticket.id, decision: 'maybe', approver: 'sam@example.com', reason: 'hmm' });
      expect((await callback(junk, sign(junk, t))).status).toBe(400);
      // Within five minutes either way is accepted.
      const fresh = await callback(raw, sign(raw, t - 290));
      expect(fresh.status).toBe(200);
    });

    it('refuse an approver who may not decide, and log it as that person', async () => {
      const ticket = await ask(sink, call('pay-bot', { customerId: 'C-3333' }));
      for (const approver of ['mallory@example.com', 'audrey@example.com', 'bob@example.com']) {
        const raw = body(ticket.id, 'approve', approver);
        const answer = await callback(raw, sign(raw, nowSeconds()));
        expect(answer.status, approver).toBe(403);
        expect(answer.body.code).toBe('WARDEN_ADMIN_FORBIDDEN');
      }
      // A revoked token no longer makes its holder an approver.
      const issued = await h.as('root').post('/tokens', { subject: 'temp-sec@example.com', roles: ['security'] });
      await h.as('root').post(`/tokens/${issued.body.record.id}/revoke`, because('left the team'));
      const revoked = body(ticket.id, 'approve', 'temp-sec@example.com');
      expect((await callback(revoked, sign(revoked, nowSeconds()))).status).toBe(403);
      expect((await h.as('sam').get(`/approvals/${ticket.id}`)).body.status).toBe('pending');
      const log = await h.adminEvents(`&target=approval/${ticket.id}`);
      expect(log.filter((event: Json) => event.outcome === 'refused').map((event: Json) => event.actor)).toEqual(['temp-sec@example.com', 'bob@example.com', 'audrey@example.com', 'mallory@example.com']);
      const unknown = body('apr_0000000000000000', 'approve', 'sam@example.com');
      expect((await callback(unknown, sign(unknown, nowSeconds()))).status).toBe(404);
    });

    it('are documented in /openapi.json as taking no token but a signature', async () => {
      const document: Json = await (await fetch(`${h.adminUrl}/openapi.json`)).json();
      const operation = document.paths['/approval-callbacks'].post;
      expect(operation.security).toEqual([]);
      expect(operation.summary).toMatch(/X-Warden-Signature|x-warden-signature/i);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '404', '409']));
      expect(document.paths['/approvals/{id}/approve'].post.security).toBeUndefined();
      expect(document.components.schemas).toHaveProperty('Approval');
    });

    it('change nothing when replayed: the decision is made already', async () => {
      const ticket = await ask(sink, call('pay-bot', { customerId: 'C-4444' }));
      const raw = body(ticket.id, 'deny', 'sam@example.com', 'not without a ticket');
      const signature = sign(raw, nowSeconds());
      expect((await callback(raw, signature)).status).toBe(200);
      const replay = await callback(raw, signature);
      expect(replay.status).toBe(409);
      expect(replay.body.code).toBe('WARDEN_ADMIN_CONFLICT');
      const flipped = body(ticket.id, 'approve', 'sam@example.com', 'not without a ticket');
      expect((await callback(flipped, sign(flipped, nowSeconds()))).status).toBe(409);
      expect((await h.as('sam').get(`/approvals/${ticket.id}`)).body).toMatchObject({ status: 'denied', reason: 'not without a ticket' });
    });
  });
});

describe('signed approval callbacks without stepUp.callbackSecret', () => {
  let h: GovernanceHarness;

  beforeAll(async () => {
    h = await startGovernanceHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('are not taken: 404 with how to enable them', async () => {
    const raw = JSON.stringify({ id: 'apr_0000000000000000', decision: 'approve', approver: 'sam@example.com', reason: 'anything' });
    const response = await fetch(`${h.adminUrl}/approval-callbacks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-warden-signature': sign(raw, Math.floor(Date.now() / 1000)) }, body: raw });
    expect(response.status).toBe(404);
    const problem: Json = await response.json();
    expect(problem).toMatchObject({ code: 'WARDEN_ADMIN_NOT_FOUND', detail: expect.stringContaining('stepUp.callbackSecret') });
  });
});
