import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIFECYCLE_ACTIONS } from '../../src/controlplane/agents/lifecycle.js';
import { activeAgent, because, startGovernanceHarness, type GovernanceHarness, type Json, type Person } from '../support/governance-harness.js';

/** The legal actions per state, as the state machine has them. */
const LEGAL: Readonly<Record<string, readonly string[]>> = {
  proposed: ['approve', 'reject', 'decommission'],
  in_review: ['approve', 'reject', 'decommission'],
  approved: ['reject', 'test', 'decommission'],
  testing: ['reject', 'activate', 'suspend', 'quarantine', 'decommission'],
  active: ['suspend', 'quarantine', 'decommission'],
  suspended: ['quarantine', 'reinstate', 'decommission'],
  quarantined: ['reinstate', 'decommission'],
  decommissioned: [],
};

const PROPAGATION_BOUND_MS = 100;

describe('an agent\'s whole lifecycle through the admin API, as the gateway enforces it', () => {
  let h: GovernanceHarness;
  let key: string;
  let keyId: string;
  const act = (who: Person | 'root', action: string, reason = `${action}: lifecycle test`) => h.as(who).post(`/agents/orders-bot/actions/${action}`, because(reason));
  const call = () => h.agentCall(key, '/crm/customers/C-1001');
  const state = async () => (await h.as('audrey').get('/agents/orders-bot')).body.state;

  beforeAll(async () => {
    h = await startGovernanceHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('registers a proposal in state proposed, with a risk assessment, in the review queue', async () => {
    const proposed = await h.as('alice').post('/agents', { name: 'orders-bot', purpose: 'Looks up customers to answer questions about their orders', roles: ['support-reader'] });
    expect(proposed.status).toBe(201);
    expect(proposed.body).toMatchObject({ name: 'orders-bot', source: 'api', owner: 'alice@example.com', state: 'proposed', roles: ['support-reader'], actions: LEGAL.proposed });
    expect(proposed.body.risk).toMatchObject({ level: expect.stringMatching(/^(low|medium|high)$/), score: expect.any(Number) });
    expect(proposed.body.history).toMatchObject([{ to: 'proposed', action: 'propose', actor: 'alice@example.com' }]);
    const queue = await h.as('sam').get('/review-queue');
    expect(queue.body.agents.map((agent: Json) => agent.name)).toContain('orders-bot');
    // A second proposal of the same name is a conflict.
    const again = await h.as('bob').post('/agents', { name: 'orders-bot', purpose: 'Another bot with the same name as the first', roles: ['support-reader'] });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('WARDEN_ADMIN_CONFLICT');
  });

  it('lets the owner issue a key, which the gateway refuses while the agent is not approved', async () => {
    const issued = await h.as('alice').post('/keys', { agent: 'orders-bot' });
    expect(issued.status).toBe(201);
    key = issued.body.key;
    keyId = issued.body.record.id;
    const before = h.production.hits.length;
    const denied = await call();
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'WARDEN_AGENT_NOT_ACTIVE', detail: expect.stringContaining('proposed') });
    expect(h.production.hits.length).toBe(before);
  });

  it('needs a security review, then a business approval by another person; never the owner', async () => {
    const byOwner = await act('alice', 'approve');
    expect(byOwner.status).toBe(403);
    expect(byOwner.body).toMatchObject({ code: 'WARDEN_ADMIN_FORBIDDEN', detail: expect.stringContaining('owns this agent and cannot approve it') });
    const reviewByAdminOnly = await act('root', 'approve');
    expect(reviewByAdminOnly.status).toBe(403);
    expect(reviewByAdminOnly.body.detail).toMatch(/first approval is the security review/);
    expect(await state()).toBe('proposed');

    const review = await act('ada', 'approve', 'security review passed: read-only access to customers');
    expect(review.status).toBe(200);
    expect(review.body).toMatchObject({ from: 'proposed', agent: { name: 'orders-bot', state: 'in_review', actions: LEGAL.in_review } });
    // The security reviewer (who is also an admin) may not give the business approval too.
    const sameReviewer = await act('ada', 'approve');
    expect(sameReviewer.status).toBe(403);
    expect(sameReviewer.body.detail).toMatch(/did the security review; the business approval must come from another person/);
    const bySecurityOnly = await act('sam', 'approve');
    expect(bySecurityOnly.status).toBe(403);
    expect(bySecurityOnly.body.detail).toMatch(/business approval: it needs the admin role/);
    expect(await state()).toBe('in_review');

    const approval = await act('root', 'approve', 'the support team needs it');
    expect(approval.status).toBe(200);
    expect(approval.body).toMatchObject({ from: 'in_review', agent: { state: 'approved' } });
    expect((await call()).body.code).toBe('WARDEN_AGENT_NOT_ACTIVE');
  });

  it('sends the acceptance test to the staging upstream, and refuses APIs that have none', async () => {
    const tested = await act('alice', 'test');
    expect(tested.status).toBe(200);
    expect(tested.body.agent.state).toBe('testing');
    const production = h.production.hits.length;
    const answer = await call();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ upstream: 'staging', url: '/crm/customers/C-1001' });
    expect(h.production.hits.length).toBe(production);
    const noStaging = await h.agentCall(key, '/helpdesk/tickets');
    expect(noStaging.status).toBe(403);
    expect(noStaging.body).toMatchObject({ code: 'WARDEN_AGENT_NOT_ACTIVE', detail: expect.stringContaining('helpdesk has no staging upstream') });
  });

  it('puts an activated agent\'s calls through to production', async () => {
    const activated = await act('alice', 'activate');
    expect(activated.status).toBe(200);
    expect(activated.body.agent.state).toBe('active');
    const answer = await call();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ upstream: 'production', url: '/crm/customers/C-1001' });
    expect((await h.agentCall(key, '/helpdesk/tickets')).body).toMatchObject({ upstream: 'production' });
  });

  it('refuses the next call of a suspended agent: the new snapshot is in force within 100 ms of the change', async () => {
    // Warm the connection pools, so the figures measure Warden rather than connection setup.
    expect((await call()).status).toBe(200);
    const started = performance.now();
    const suspension = act('sam', 'suspend', 'odd access pattern at night');
    let answered: number | undefined;
    let deniedAt: number | undefined;
    void suspension.then(() => (answered = performance.now()));
    let calls = 0;
    while (deniedAt === undefined && performance.now() - started < 5000) {
      const answer = await call();
      calls++;
      if (answer.status === 403) {
        expect(answer.body.code).toBe('WARDEN_AGENT_NOT_ACTIVE');
        deniedAt = performance.now();
      } else expect(answer.status).toBe(200);
    }
    const result = await suspension;
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ from: 'active', agent: { state: 'suspended' } });
    const measured = deniedAt! - started;
    console.log(`[propagation] suspend: first denied agent request ${measured.toFixed(1)} ms after the admin call started (${calls} agent calls; admin call answered after ${(answered! - started).toFixed(1)} ms); API propagationMs=${result.body.propagationMs.toFixed(2)}`);
    expect(deniedAt).toBeDefined();
    expect(measured).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
    expect(result.body.propagationMs).toBeGreaterThanOrEqual(0);
    expect(result.body.propagationMs).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
    // In force when the call returns: every call after it is refused, none reaches the upstream.
    const production = h.production.hits.length;
    for (let i = 0; i < 5; i++) expect((await call()).body.code).toBe('WARDEN_AGENT_NOT_ACTIVE');
    expect(h.production.hits.length).toBe(production);
  });

  it('reinstates only by security or admin, and the next call passes again', async () => {
    const byOwner = await act('alice', 'reinstate');
    expect(byOwner.status).toBe(403);
    expect(byOwner.body).toMatchObject({ code: 'WARDEN_ADMIN_FORBIDDEN', detail: expect.stringMatching(/^reinstate needs one of: security, admin; alice@example.com has owner/) });
    const reinstated = await act('sam', 'reinstate', 'the night runs were a scheduled batch');
    expect(reinstated.status).toBe(200);
    expect(reinstated.body).toMatchObject({ from: 'suspended', agent: { state: 'active' } });
    expect(reinstated.body.propagationMs).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
    expect((await call()).status).toBe(200);
  });

  it('quarantines (security only) and reinstates', async () => {
    expect((await act('alice', 'quarantine')).status).toBe(403);
    const quarantined = await act('sue', 'quarantine', 'incident INC-42 under investigation');
    expect(quarantined.status).toBe(200);
    expect(quarantined.body.agent.state).toBe('quarantined');
    expect((await call()).body.code).toBe('WARDEN_AGENT_NOT_ACTIVE');
    expect((await act('sue', 'reinstate', 'INC-42 closed: false positive')).body.agent.state).toBe('active');
    expect((await call()).status).toBe(200);
  });

  it('decommissions for good: keys revoked at once, nothing applies any more, history kept', async () => {
    const decommissioned = await act('alice', 'decommission', 'replaced by the new orders assistant');
    expect(decommissioned.status).toBe(200);
    expect(decommissioned.body).toMatchObject({ from: 'active', agent: { state: 'decommissioned', actions: [] } });
    const denied = await call();
    expect(denied.status).toBe(401);
    expect(denied.body).toMatchObject({ code: 'WARDEN_AUTHN_EXPIRED', detail: `API key ${keyId} was revoked` });
    const keys = await h.as('alice').get('/keys?agent=orders-bot');
    expect(keys.body.keys).toMatchObject([{ id: keyId, status: 'revoked' }]);

    for (const action of LIFECYCLE_ACTIONS) {
      const refused = await act('ada', action);
      expect(refused.status, action).toBe(409);
      expect(refused.body).toMatchObject({ code: 'WARDEN_LIFECYCLE_ILLEGAL_TRANSITION', legal: [], detail: `cannot ${action} an agent that is decommissioned; from decommissioned the actions are: nothing; it is final` });
    }
    const newKey = await h.as('alice').post('/keys', { agent: 'orders-bot' });
    expect(newKey.status).toBe(409);
    expect(newKey.body.detail).toMatch(/decommissioned; it gets no new credentials/);

    const detail = await h.as('audrey').get('/agents/orders-bot');
    expect(detail.body.history.map((transition: Json) => [transition.from ?? null, transition.action, transition.to, transition.actor])).toEqual([
      [null, 'propose', 'proposed', 'alice@example.com'],
      ['proposed', 'approve', 'in_review', 'ada@example.com'],
      ['in_review', 'approve', 'approved', 'admin@localhost'],
      ['approved', 'test', 'testing', 'alice@example.com'],
      ['testing', 'activate', 'active', 'alice@example.com'],
      ['active', 'suspend', 'suspended', 'sam@example.com'],
      ['suspended', 'reinstate', 'active', 'sam@example.com'],
      ['active', 'quarantine', 'quarantined', 'sue@example.com'],
      ['quarantined', 'reinstate', 'active', 'sue@example.com'],
      ['active', 'decommission', 'decommissioned', 'alice@example.com'],
    ]);
    expect(detail.body.history.find((transition: Json) => transition.action === 'suspend').reason).toBe('odd access pattern at night');
    // The admin log has the decommission with what it revoked.
    const event = (await h.adminEvents('&target=agent/orders-bot')).find((candidate: Json) => candidate.action === 'agent.decommission' && candidate.outcome === 'ok');
    expect(event).toMatchObject({ action: 'agent.decommission', actor: 'alice@example.com', outcome: 'ok', before: { state: 'active' }, after: { state: 'decommissioned', revokedKeys: [keyId] } });
  });

  it('approves a proposal with a pre-approved template at once, recorded as approved by the template', async () => {
    const proposed = await h.as('bob').post('/agents', { name: 'faq-bot', purpose: 'Answers frequently asked questions about tickets', template: 'support-bot' });
    expect(proposed.status).toBe(201);
    expect(proposed.body).toMatchObject({ state: 'approved', template: 'support-bot', roles: ['support-reader', 'support-writer'] });
    expect(proposed.body.history.map((transition: Json) => [transition.action, transition.to, transition.actor])).toEqual([
      ['propose', 'proposed', 'bob@example.com'],
      ['approve', 'approved', 'template:support-bot'],
    ]);
    // A template that is not pre-approved waits for review like any proposal.
    const reviewed = await h.as('bob').post('/agents', { name: 'export-bot', purpose: 'Exports customers for the quarterly analysis', template: 'analyst-bot' });
    expect(reviewed.body).toMatchObject({ state: 'proposed', template: 'analyst-bot' });
    // A template cannot be used to ask for roles beyond it.
    const beyond = await h.as('bob').post('/agents', { name: 'sneaky-bot', purpose: 'Support bot that also exports customers', template: 'support-bot', roles: ['crm-exporter'] });
    expect(beyond.status).toBe(400);
    expect(beyond.body.detail).toMatch(/template support-bot does not include role\(s\) crm-exporter/);
  });

  it('ends a proposal that is not fit to run with reject (security or admin, not the owner)', async () => {
    await h.as('bob').post('/agents', { name: 'unfit-bot', purpose: 'Deletes customers it considers inactive', roles: ['support-reader'] });
    expect((await h.as('bob').post('/agents/unfit-bot/actions/reject', because('changed my mind'))).status).toBe(403);
    const rejected = await h.as('sam').post('/agents/unfit-bot/actions/reject', because('purpose does not match the roles'));
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ from: 'proposed', agent: { state: 'decommissioned' } });
  });

  it('refuses every illegal transition with WARDEN_LIFECYCLE_ILLEGAL_TRANSITION, the legal actions and no change', async () => {
    // One agent walked through every state; at each, every action that does not apply is tried.
    const path: [string, Person | 'root', string][] = [
      ['proposed', 'sam', 'approve'],
      ['in_review', 'root', 'approve'],
      ['approved', 'bob', 'test'],
      ['testing', 'bob', 'activate'],
      ['active', 'bob', 'suspend'],
      ['suspended', 'sam', 'quarantine'],
      ['quarantined', 'bob', 'decommission'],
      ['decommissioned', 'bob', ''],
    ];
    const created = await h.as('bob').post('/agents', { name: 'walker-bot', purpose: 'Walks through every lifecycle state for the test', roles: ['support-reader'] });
    expect(created.status).toBe(201);
    let refusals = 0;
    for (const [current, who, next] of path) {
      const shown = await h.as('audrey').get('/agents/walker-bot');
      expect(shown.body.state).toBe(current);
      expect(shown.body.actions).toEqual(LEGAL[current]);
      for (const action of LIFECYCLE_ACTIONS.filter((candidate) => !LEGAL[current]!.includes(candidate))) {
        // Admin and security: whatever refuses it is the state machine, not the roles.
        const refused = await h.as('ada').post(`/agents/walker-bot/actions/${action}`, because('trying an illegal transition'));
        refusals++;
        expect(refused.status, `${action} from ${current}`).toBe(409);
        expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const options = LEGAL[current]!.length === 0 ? 'nothing; it is final' : LEGAL[current]!.join(', ');
        expect(refused.body).toMatchObject({
          code: 'WARDEN_LIFECYCLE_ILLEGAL_TRANSITION',
          status: 409,
          state: current,
          legal: LEGAL[current],
          detail: `cannot ${action} an agent that is ${current}; from ${current} the actions are: ${options}`,
        });
        expect((await h.as('audrey').get('/agents/walker-bot')).body.state).toBe(current);
      }
      if (next !== '') expect((await h.as(who).post(`/agents/walker-bot/actions/${next}`, because('walking on'))).status, `${next} from ${current}`).toBe(200);
    }
    expect(refusals).toBe(Object.values(LEGAL).reduce((sum, legal) => sum + LIFECYCLE_ACTIONS.length - legal.length, 0));
    // Every refusal is in the admin log.
    const refused = (await h.adminEvents('&target=agent/walker-bot')).filter((event: Json) => event.outcome === 'refused');
    expect(refused).toHaveLength(refusals);
    expect(refused.every((event: Json) => event.actor === 'ada@example.com' && /^cannot \w+ an agent that is/.test(event.detail))).toBe(true);
  });

  it('refuses unknown actions, unknown agents and changes without a reason', async () => {
    const unknownAction = await h.as('ada').post('/agents/faq-bot/actions/promote', because('no such action'));
    expect(unknownAction.status).toBe(400);
    expect(unknownAction.body.code).toBe('WARDEN_ADMIN_INVALID');
    const unknownAgent = await h.as('ada').post('/agents/ghost-bot/actions/suspend', because('no such agent'));
    expect(unknownAgent.status).toBe(404);
    expect(unknownAgent.body).toMatchObject({ code: 'WARDEN_ADMIN_NOT_FOUND', detail: 'no agent is called ghost-bot' });
    const noReason = await h.as('ada').post('/agents/faq-bot/actions/test', {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.code).toBe('WARDEN_ADMIN_INVALID');
    const blankReason = await h.as('ada').post('/agents/faq-bot/actions/test', because('   '));
    expect(blankReason.status).toBe(400);
    expect(blankReason.body.detail).toMatch(/say why/);
    expect((await h.as('audrey').get('/agents/faq-bot')).body.state).toBe('approved');
  });

  it('revokes every credential on decommission, identity bindings too: a successor can take the identity over', async () => {
    await activeAgent(h, 'old-sync-bot', { owner: 'bob', template: 'support-bot' });
    await activeAgent(h, 'new-sync-bot', { owner: 'bob', template: 'support-bot' });
    const identity = { type: 'jwt', issuer: 'https://idp.example.com/', subject: 'sync-service' };
    expect((await h.as('bob').post('/agents/old-sync-bot/bindings', identity)).status).toBe(201);
    expect((await h.as('bob').post('/agents/old-sync-bot/actions/decommission', because('replaced by new-sync-bot'))).status).toBe(200);
    // Retired for good, it gets no new credential of any kind: no key (as above) and no identity.
    const bindRetired = await h.as('bob').post('/agents/old-sync-bot/bindings', { type: 'jwt', issuer: 'https://idp.example.com/', subject: 'another-service' });
    const takeOver = await h.as('bob').post('/agents/new-sync-bot/bindings', identity);
    expect({ takeOver: takeOver.status, bindRetired: bindRetired.status }).toEqual({ takeOver: 201, bindRetired: 409 });
  });

  it('measures the propagation of a decommission too', async () => {
    const { key: faqKey } = await activeAgent(h, 'relay-bot', { owner: 'bob', template: 'support-bot' });
    expect((await h.agentCall(faqKey, '/helpdesk/tickets')).status).toBe(200);
    const started = performance.now();
    const change = h.as('bob').post('/agents/relay-bot/actions/decommission', because('retired'));
    let deniedAt: number | undefined;
    while (deniedAt === undefined && performance.now() - started < 5000) {
      const answer = await h.agentCall(faqKey, '/helpdesk/tickets');
      if (answer.status !== 200) {
        expect(answer.status).toBe(401);
        deniedAt = performance.now();
      }
    }
    const result = await change;
    const measured = deniedAt! - started;
    console.log(`[propagation] decommission: first denied agent request ${measured.toFixed(1)} ms after the admin call started; API propagationMs=${result.body.propagationMs.toFixed(2)}`);
    expect(measured).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
    expect(result.body.propagationMs).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
  });
});
