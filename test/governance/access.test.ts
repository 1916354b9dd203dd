import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { activeAgent, because, DAY, startGovernanceHarness, type GovernanceHarness, type Json } from '../support/governance-harness.js';

const REQUESTS = '/.warden/access-requests';

describe('access requests: agents ask on the gateway, templates grant at once, people decide the rest', () => {
  let h: GovernanceHarness;
  /** alice's agent, roles [support-reader]: a standard support bot of the support-bot template's kind. */
  let helper: string;
  /** bob's agent, same roles. */
  let peer: string;
  /** alice's agent whose roles forbid deleting customers. */
  let guarded: string;
  const ask = (key: string, body: unknown) => h.agentCall(key, REQUESTS, { method: 'POST', body });

  beforeAll(async () => {
    h = await startGovernanceHarness();
    helper = (await activeAgent(h, 'helper-bot', { owner: 'alice', roles: ['support-reader'] })).key;
    peer = (await activeAgent(h, 'peer-bot', { owner: 'bob', roles: ['support-reader'] })).key;
    guarded = (await activeAgent(h, 'guarded-bot', { owner: 'alice', roles: ['support-reader', 'no-deletes'] })).key;
  });

  beforeEach(() => h.clock.reset());

  afterAll(async () => {
    await h?.close();
  });

  it('tells a denied agent where to ask for access, on the gateway it called', async () => {
    const denied = await h.agentCall(helper, '/helpdesk/tickets', { method: 'POST', body: { subject: 'printer on fire' } });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(denied.body).toMatchObject({ code: 'WARDEN_AUTHZ_NOT_GRANTED', requestAccess: REQUESTS });
    expect(denied.body.alternatives.map((alternative: Json) => `${alternative.api}.${alternative.operation}`)).toContain('helpdesk.listTickets');
    // The link resolves against the URL the agent called: the gateway itself, not the admin port.
    expect(new URL(denied.body.requestAccess, `${h.gatewayUrl}/helpdesk/tickets`).href).toBe(`${h.gatewayUrl}${REQUESTS}`);
    // A caller the gateway could not identify gets no link: it has nobody to ask for.
    const anonymous = await h.agentCall(undefined, '/helpdesk/tickets');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).not.toHaveProperty('requestAccess');
  });

  it('grants at once what a pre-approved template of the agent\'s kind grants, asked with the agent\'s own key', async () => {
    const denied = await h.agentCall(helper, '/helpdesk/tickets', { method: 'POST', body: { subject: 'printer on fire' } });
    const link = new URL(denied.body.requestAccess, `${h.gatewayUrl}/helpdesk/tickets`);
    const response = await fetch(link, {
      method: 'POST',
      headers: { authorization: `Bearer ${helper}`, 'content-type': 'application/json' },
      body: JSON.stringify({ api: 'helpdesk', operation: 'createTicket', reason: 'customers ask me to open tickets for them' }),
    });
    expect(response.status).toBe(201);
    const granted: Json = await response.json();
    expect(granted).toMatchObject({
      agent: 'helper-bot',
      api: 'helpdesk',
      operation: 'createTicket',
      status: 'granted',
      decisionReason: 'fits pre-approved template support-bot',
    });
    expect(granted.grantExpiresAt).toBeUndefined();
    // The agent learns the outcome, not who decided (staff e-mails) nor how its risk was weighed.
    expect(granted).not.toHaveProperty('decidedBy');
    expect(granted).not.toHaveProperty('requestedBy');
    expect(Object.keys(granted.risk).sort()).toEqual(['level', 'score']);
    // Humans see both on the admin API.
    expect((await h.as('sam').get(`/access-requests/${granted.id}`)).body).toMatchObject({ requestedBy: 'agent:helper-bot', decidedBy: 'template:support-bot' });
    // In force when the answer arrives.
    const created = await h.agentCall(helper, '/helpdesk/tickets', { method: 'POST', body: { subject: 'printer on fire' } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ upstream: 'production', method: 'POST', url: '/helpdesk/tickets' });
    const agent = await h.as('alice').get('/agents/helper-bot');
    expect(agent.body.runtimeRules).toMatchObject([{ kind: 'grant', api: 'helpdesk', operations: ['createTicket'] }]);
    const log = await h.adminEvents(`&target=access-request/${granted.id}`);
    expect(log.map((event: Json) => [event.action, event.actor, event.outcome])).toEqual([
      ['access.approve', 'template:support-bot', 'ok'],
      ['access.request', 'agent:helper-bot', 'ok'],
    ]);
    // Only this agent got it: its peer of the same roles did not.
    expect((await h.agentCall(peer, '/helpdesk/tickets', { method: 'POST', body: {} })).status).toBe(403);
  });

  it('waits for a security reviewer for anything else; the agent follows its request; another agent cannot see it', async () => {
    const asked = await ask(helper, { api: 'crm', operation: 'exportCustomers', reason: 'the monthly churn report needs all customers', durationDays: 1 });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ status: 'pending', agent: 'helper-bot', durationDays: 1 });
    expect(asked.body.risk).toEqual({ level: expect.any(String), score: expect.any(Number) });
    const id: string = asked.body.id;
    expect((await h.agentCall(helper, '/crm/exports')).body.code).toBe('WARDEN_AUTHZ_NOT_GRANTED');

    const mine = await h.agentCall(helper, `${REQUESTS}/${id}`);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ id, status: 'pending' });
    const theirs = await h.agentCall(peer, `${REQUESTS}/${id}`);
    expect(theirs.status).toBe(404);
    expect(theirs.body).toMatchObject({ code: 'WARDEN_ROUTE_NOT_FOUND', detail: `no access request has the id ${id}` });
    expect(theirs.text).not.toContain('helper-bot');
    expect(theirs.text).not.toContain('churn');
    expect((await h.agentCall(helper, `${REQUESTS}/ar_0000000000000000`)).status).toBe(404);

    const pending = await h.as('sam').get('/access-requests?status=pending');
    expect(pending.body.requests.map((request: Json) => request.id)).toContain(id);
    const byOwner = await h.as('alice').post(`/access-requests/${id}/approve`, because('my bot needs it'));
    expect(byOwner.status).toBe(403);
    expect(byOwner.body.detail).toMatch(/needs security or admin/);
    expect((await h.as('audrey').post(`/access-requests/${id}/approve`, because('auditors only read'))).status).toBe(403);
  });

  it('grants on approval, time-boxed; the grant ends when the clock passes its end and the jobs run', async () => {
    const [request] = (await h.as('sam').get('/access-requests?status=pending&agent=helper-bot')).body.requests.filter((candidate: Json) => candidate.operation === 'exportCustomers');
    const approved = await h.as('sue').post(`/access-requests/${request.id}/approve`, because('report approved by the data owner'));
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'granted', decidedBy: 'sue@example.com', decisionReason: 'report approved by the data owner' });
    expect(Date.parse(approved.body.grantExpiresAt) - Date.parse(approved.body.decidedAt)).toBe(DAY);
    const exported = await h.agentCall(helper, '/crm/exports');
    expect(exported.status).toBe(200);
    expect(exported.body.upstream).toBe('production');
    expect((await h.agentCall(helper, `${REQUESTS}/${request.id}`)).body.status).toBe('granted');
    expect((await h.as('sam').post(`/access-requests/${request.id}/approve`, because('twice'))).status).toBe(409);

    // Half a day on, the jobs leave it alone; past its end, they remove it and the gateway refuses.
    h.clock.advance(DAY / 2);
    expect((await h.runtime.jobs.runOnce()).expiredRules).toEqual([]);
    expect((await h.agentCall(helper, '/crm/exports')).status).toBe(200);
    h.clock.advance(DAY);
    const report = await h.runtime.jobs.runOnce();
    const rule = (await h.as('alice').get('/agents/helper-bot')).body.runtimeRules;
    expect(rule.some((candidate: Json) => candidate.operations.includes('exportCustomers'))).toBe(false);
    expect(report.expiredRules).toHaveLength(1);
    const ended = await h.agentCall(helper, '/crm/exports');
    expect(ended.status).toBe(403);
    expect(ended.body.code).toBe('WARDEN_AUTHZ_NOT_GRANTED');
    const [expiry] = await h.adminEvents('&actor=warden jobs');
    expect(expiry).toMatchObject({ action: 'rule.expire', outcome: 'ok', before: { rules: report.expiredRules } });
    // The grant given without an end stays.
    expect((await h.agentCall(helper, '/helpdesk/tickets', { method: 'POST', body: {} })).status).toBe(200);
  });

  it('refuses a time-boxed grant at the gateway from the moment it ends, before any job removes it', async () => {
    // Asked and approved by a clock three days back, for one day: it ended two days ago.
    h.clock.set(new Date(Date.now() - 3 * DAY));
    const asked = await ask(peer, { api: 'crm', operation: 'exportCustomers', reason: 'one-off export for the auditors', durationDays: 1 });
    const approved = await h.as('sam').post(`/access-requests/${asked.body.id}/approve`, because('one-off'));
    h.clock.reset();
    expect(Date.parse(approved.body.grantExpiresAt)).toBeLessThan(Date.now());
    const ended = await h.agentCall(peer, '/crm/exports');
    expect(ended.status).toBe(403);
    expect(ended.body.code).toBe('WARDEN_AUTHZ_GRANT_EXPIRED');
  });

  it('takes requests from the agent\'s owner too; the owner or security may deny them', async () => {
    const byOther = await h.as('bob').post('/access-requests', { agent: 'helper-bot', api: 'crm', operation: 'deleteCustomer', reason: 'bob wants alice\'s bot to delete customers' });
    expect(byOther.status).toBe(403);
    const asked = await h.as('alice').post('/access-requests', { agent: 'helper-bot', api: 'crm', operation: 'deleteCustomer', reason: 'GDPR erasure requests come in through support' });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ status: 'pending', requestedBy: 'alice@example.com' });
    // The agent sees what its owner asked for on its behalf.
    expect((await h.agentCall(helper, `${REQUESTS}/${asked.body.id}`)).body.status).toBe('pending');
    // Asking twice for the same operation while one is pending is refused.
    const twice = await ask(helper, { api: 'crm', operation: 'deleteCustomer', reason: 'GDPR erasure requests, asked again' });
    expect(twice.status).toBe(400);
    expect(twice.body).toMatchObject({ code: 'WARDEN_ACCESS_REQUEST_INVALID', detail: `helper-bot asked for crm.deleteCustomer already (${asked.body.id}, pending)` });

    expect((await h.as('bob').post(`/access-requests/${asked.body.id}/deny`, because('not my bot'))).status).toBe(403);
    const denied = await h.as('alice').post(`/access-requests/${asked.body.id}/deny`, because('erasure goes through the CRM team'));
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({ status: 'denied', decidedBy: 'alice@example.com', decisionReason: 'erasure goes through the CRM team' });
    expect((await h.agentCall(helper, '/crm/customers/C-1', { method: 'DELETE' })).body.code).toBe('WARDEN_AUTHZ_NOT_GRANTED');
    expect((await h.as('sam').post(`/access-requests/${asked.body.id}/approve`, because('overrule'))).status).toBe(409);
    expect((await h.agentCall(helper, `${REQUESTS}/${asked.body.id}`)).body.status).toBe('denied');
  });

  it('refuses requests that name nothing declared, give no reason, ask for what the agent has or what a forbid excludes', async () => {
    const cases: [unknown, RegExp][] = [
      [{ api: 'crm', operation: 'getCustomer', reason: 'I need to read customers' }, /^helper-bot may already call crm.getCustomer$/],
      [{ api: 'crm', operation: 'launchRockets', reason: 'it would be useful for the task' }, /^crm.launchRockets is not a declared operation$/],
      [{ api: 'crm', operation: 'exportCustomers', reason: 'need it' }, /reason, at least 10 characters/],
      [{ api: 'crm', operation: 'exportCustomers', reason: 'for the monthly report', durationDays: 400 }, /durationDays must be a whole number from 1 to 365/],
      [{ agent: 'peer-bot', api: 'crm', operation: 'exportCustomers', reason: 'asking on behalf of my peer' }, /^unknown field\(s\) agent/],
      [{ api: 'crm' }, /api and operation must name a declared operation/],
      [[1, 2], /send a JSON object/],
    ];
    for (const [body, detail] of cases) {
      const refused = await ask(helper, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.code).toBe('WARDEN_ACCESS_REQUEST_INVALID');
      expect(refused.body.detail).toMatch(detail);
    }
    const forbidden = await ask(guarded, { api: 'crm', operation: 'deleteCustomer', reason: 'GDPR erasure requests come in through support' });
    expect(forbidden.status).toBe(400);
    expect(forbidden.body.detail).toBe('crm.deleteCustomer is forbidden for guarded-bot by policy; an access request cannot lift a forbid');
    const notJson = await h.agentCall(helper, REQUESTS, { method: 'POST', body: 'api=crm', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe('WARDEN_ACCESS_REQUEST_INVALID');
    const anonymous = await h.agentCall(undefined, REQUESTS, { method: 'POST', body: { api: 'crm', operation: 'exportCustomers', reason: 'who am I anyway' } });
    expect(anonymous.status).toBe(401);
    // None of these reached the store.
    const requests = (await h.as('audrey').get('/access-requests?agent=helper-bot')).body.requests;
    expect(requests.every((request: Json) => ['createTicket', 'exportCustomers', 'deleteCustomer'].includes(request.operation))).toBe(true);
  });

  it('grants nothing to an agent that was decommissioned while its request waited', async () => {
    const { key } = await activeAgent(h, 'short-lived-bot', { owner: 'bob', roles: ['support-reader'] });
    const asked = await ask(key, { api: 'crm', operation: 'exportCustomers', reason: 'export for the campaign report' });
    expect(asked.body.status).toBe('pending');
    expect((await h.as('bob').post('/agents/short-lived-bot/actions/decommission', because('campaign over'))).status).toBe(200);
    const approved = await h.as('sam').post(`/access-requests/${asked.body.id}/approve`, because('looks reasonable'));
    expect(approved.status).toBe(409);
    expect((await h.as('audrey').get('/agents/short-lived-bot')).body.runtimeRules).toEqual([]);
  });

  it('takes no requests from an agent that is not running', async () => {
    expect((await h.as('sam').post('/agents/peer-bot/actions/suspend', because('paused'))).status).toBe(200);
    const asked = await ask(peer, { api: 'helpdesk', operation: 'createTicket', reason: 'customers ask me to open tickets' });
    expect(asked.status).toBe(400);
    expect(asked.body).toMatchObject({ code: 'WARDEN_ACCESS_REQUEST_INVALID', detail: 'peer-bot is suspended; only approved, testing and active agents may ask for more access' });
  });
});
