import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeAgent, because, DAY, PEOPLE, startGovernanceHarness, type GovernanceHarness, type Json, type Person } from '../support/governance-harness.js';

/** A refused attempt as the admin log must show it. */
interface Refusal {
  readonly actor: string;
  readonly action: string;
  readonly target: string;
}

/** Changes that create something: there was nothing before. */
const CREATIONS = new Set(['agent.propose', 'key.issue', 'token.issue', 'access.request', 'agent.bind', 'review.confirm', 'owner.leave', 'owner.return']);
/** Changes that remove something: there is nothing after. */
const REMOVALS = new Set(['agent.unbind', 'rule.expire']);

describe('who may do what: owners, security, admins and auditors', () => {
  let h: GovernanceHarness;
  let aliceKeyId: string;
  let bobKeyId: string;
  let bindingId: string;
  let pendingRequest: string;
  /** Every refusal this file caused, to find in the admin log. */
  const refusals: Refusal[] = [];

  /** Makes an attempt that must be refused with `status`, and remembers it. */
  async function refused(who: Person, method: string, path: string, body: unknown, expected: { status?: number; action: string; target: string; detail?: RegExp | string }): Promise<Json> {
    const answer = await h.as(who).request(method, path, body);
    expect(answer.status, `${who} ${method} ${path}`).toBe(expected.status ?? 403);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    if ((expected.status ?? 403) === 403) expect(answer.body.code).toBe('WARDEN_ADMIN_FORBIDDEN');
    if (expected.detail !== undefined) expect(answer.body.detail).toMatch(expected.detail);
    refusals.push({ actor: PEOPLE[who].subject, action: expected.action, target: expected.target });
    return answer.body;
  }

  beforeAll(async () => {
    h = await startGovernanceHarness();
    aliceKeyId = (await activeAgent(h, 'alice-bot', { owner: 'alice', template: 'support-bot' })).keyId;
    bobKeyId = (await activeAgent(h, 'bob-bot', { owner: 'bob', template: 'support-bot' })).keyId;
    const bound = await h.as('alice').post('/agents/alice-bot/bindings', { type: 'jwt', issuer: 'https://idp.example.com/', subject: 'alice-bot-client' });
    expect(bound.status).toBe(201);
    bindingId = bound.body.id;
    const asked = await h.as('alice').post('/access-requests', { agent: 'alice-bot', api: 'crm', operation: 'exportCustomers', reason: 'quarterly report of open orders' });
    expect(asked.body.status).toBe('pending');
    pendingRequest = asked.body.id;
  });

  afterAll(async () => {
    await h?.close();
  });

  it('lets nobody approve their own agent or its access, whatever their roles', async () => {
    // sue is a security reviewer who owns agents too.
    const proposed = await h.as('sue').post('/agents', { name: 'sue-bot', purpose: 'Triages security tickets for the SOC team', roles: ['support-reader'] });
    expect(proposed.status).toBe(201);
    await refused('sue', 'POST', '/agents/sue-bot/actions/approve', because('looks fine to me'), { action: 'agent.approve', target: 'agent/sue-bot', detail: 'sue@example.com owns this agent and cannot approve it; another security reviewer or approver must' });
    expect((await h.as('sam').post('/agents/sue-bot/actions/approve', because('reviewed'))).status).toBe(200);
    expect((await h.as('ada').post('/agents/sue-bot/actions/approve', because('business approval'))).status).toBe(200);
    const asked = await h.as('sue').post('/access-requests', { agent: 'sue-bot', api: 'crm', operation: 'exportCustomers', reason: 'export of customers hit by the incident' });
    expect(asked.body.status).toBe('pending');
    await refused('sue', 'POST', `/access-requests/${asked.body.id}/approve`, because('my own bot'), { action: 'access.approve', target: `access-request/${asked.body.id}`, detail: 'sue@example.com owns sue-bot and cannot approve its access; another security reviewer must' });
    expect((await h.as('sam').post(`/access-requests/${asked.body.id}/approve`, because('incident response'))).body.status).toBe('granted');
  });

  it('lets an owner run their own agents, and nothing else', async () => {
    await refused('alice', 'POST', '/agents', { name: 'gift-bot', owner: 'bob@example.com', purpose: 'An agent alice wants bob to own' }, { action: 'agent.propose', target: 'agent/gift-bot', detail: /needs admin or security \(to propose an agent someone else owns\)/ });
    expect((await h.as('ada').post('/agents', { name: 'gift-bot', owner: 'bob@example.com', purpose: 'An agent the admin registers for bob', roles: ['support-reader'] })).body.owner).toBe('bob@example.com');

    expect((await h.as('alice').post('/agents/alice-bot/actions/suspend', because('pausing my bot'))).status).toBe(200);
    await refused('alice', 'POST', '/agents/alice-bot/actions/reinstate', because('resuming my bot'), { action: 'agent.reinstate', target: 'agent/alice-bot' });
    await refused('alice', 'POST', '/agents/alice-bot/actions/quarantine', because('quarantining my bot'), { action: 'agent.quarantine', target: 'agent/alice-bot' });
    expect((await h.as('sam').post('/agents/alice-bot/actions/reinstate', because('resume'))).status).toBe(200);

    await refused('alice', 'POST', '/agents/bob-bot/actions/suspend', because('I do not like it'), { action: 'agent.suspend', target: 'agent/bob-bot', detail: 'suspend needs one of: security, admin, the agent\'s owner; alice@example.com has owner' });
    await refused('alice', 'POST', '/keys', { agent: 'bob-bot' }, { action: 'key.issue', target: 'agent/bob-bot' });
    await refused('alice', 'POST', `/keys/${bobKeyId}/revoke`, because('not mine'), { action: 'key.revoke', target: `key/${bobKeyId}` });
    await refused('alice', 'POST', '/agents/bob-bot/bindings', { type: 'jwt', issuer: 'https://idp.example.com/', subject: 'stolen' }, { action: 'agent.bind', target: 'agent/bob-bot' });
    await refused('alice', 'POST', `/access-requests/${pendingRequest}/approve`, because('approving my own request'), { action: 'access.approve', target: `access-request/${pendingRequest}` });
    await refused('alice', 'POST', '/owners/bob@example.com/leave', because('bob left'), { action: 'owner.leave', target: 'owner/bob@example.com' });
    await refused('alice', 'POST', '/tokens', { subject: 'mallory@example.com', roles: ['admin'] }, { action: 'token.issue', target: 'token/mallory@example.com' });
    await refused('alice', 'GET', '/tokens', undefined, { action: 'token.list', target: 'tokens' });
  });

  it('lets security review, suspend and revoke any agent\'s access, but not issue admin tokens', async () => {
    expect((await h.as('sam').post('/agents/bob-bot/actions/quarantine', because('incident INC-7'))).status).toBe(200);
    expect((await h.as('sam').post('/agents/bob-bot/actions/reinstate', because('INC-7 closed'))).status).toBe(200);
    const key = await h.as('sam').post('/keys', { agent: 'bob-bot', ttlDays: 1 });
    expect(key.status).toBe(201);
    expect((await h.as('sam').post(`/keys/${key.body.record.id}/revoke`, because('only needed for the test'))).status).toBe(200);
    await refused('sam', 'POST', '/tokens', { subject: 'sam2@example.com', roles: ['admin'] }, { action: 'token.issue', target: 'token/sam2@example.com', detail: 'token.issue on token/sam2@example.com needs admin; sam@example.com has security' });
    await refused('sam', 'GET', '/tokens', undefined, { action: 'token.list', target: 'tokens' });
  });

  it('lets admins manage admin tokens: a revoked or expired token is nobody', async () => {
    const issued = await h.as('root').post('/tokens', { subject: 'temp@example.com', roles: ['auditor'], ttlDays: 1 });
    expect(issued.status).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const temp = h.admin(issued.body.token);
    expect((await temp.get('/whoami')).body).toEqual({ subject: 'temp@example.com', roles: ['auditor'] });
    // Two days on, the one-day token has expired.
    h.clock.advance(2 * DAY);
    try {
      const expired = await temp.get('/whoami');
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe('WARDEN_ADMIN_UNAUTHENTICATED');
    } finally {
      h.clock.reset();
    }
    expect((await temp.get('/whoami')).status).toBe(200);
    const revoked = await h.as('root').post(`/tokens/${issued.body.record.id}/revoke`, because('temporary access ended'));
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    const after = await temp.get('/whoami');
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toBe('Bearer realm="warden-admin"');
    const listed = (await h.as('audrey').get('/tokens')).body.tokens;
    expect(JSON.stringify(listed)).not.toContain(issued.body.token);
    expect(listed.find((token: Json) => token.id === issued.body.record.id)).toMatchObject({ subject: 'temp@example.com', revokedAt: revoked.body.revokedAt });
  });

  it('lets nobody in without a valid admin token; agents\' keys and the agent port do not reach the admin API', async () => {
    const anonymous = await fetch(`${h.adminUrl}/agents`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'WARDEN_ADMIN_UNAUTHENTICATED' });
    expect((await h.admin('wda_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').get('/agents')).status).toBe(401);
    const { key } = await activeAgent(h, 'probe-bot', { owner: 'bob', template: 'support-bot' });
    expect((await h.admin(key).get('/agents')).status).toBe(401);
    const onAgentPort = await h.agentCall(undefined, '/agents', { headers: { authorization: `Bearer ${h.rootToken}` } });
    expect(onAgentPort.status).toBe(401);
    expect(onAgentPort.body.code).toMatch(/^WARDEN_AUTHN_/);
    expect(onAgentPort.text).not.toContain('alice-bot');
  });

  it('lets an auditor read everything and change nothing', async () => {
    for (const path of ['/agents', '/agents/alice-bot', '/review-queue', '/keys', '/access-requests', '/reviews', '/tokens', '/owners', '/admin-events', '/diff', '/whoami']) {
      expect((await h.as('audrey').get(path)).status, path).toBe(200);
    }
    const attempts: [string, string, unknown, string, string][] = [
      ['POST', '/agents', { name: 'audit-bot', purpose: 'An agent the auditor would like to have', roles: ['support-reader'] }, 'agent.propose', 'agent/audit-bot'],
      ['POST', '/keys', { agent: 'alice-bot' }, 'key.issue', 'agent/alice-bot'],
      ['POST', `/keys/${aliceKeyId}/rotate`, {}, 'key.rotate', `key/${aliceKeyId}`],
      ['POST', `/keys/${aliceKeyId}/revoke`, because('auditor test'), 'key.revoke', `key/${aliceKeyId}`],
      ['POST', '/agents/alice-bot/bindings', { type: 'jwt', issuer: 'https://idp.example.com/', subject: 'auditor-bound' }, 'agent.bind', 'agent/alice-bot'],
      ['DELETE', `/agents/alice-bot/bindings/${bindingId}`, undefined, 'agent.unbind', 'agent/alice-bot'],
      ['POST', '/access-requests', { agent: 'alice-bot', api: 'crm', operation: 'deleteCustomer', reason: 'the auditor would like to delete' }, 'access.request', 'agent/alice-bot'],
      ['POST', `/access-requests/${pendingRequest}/approve`, because('auditor test'), 'access.approve', `access-request/${pendingRequest}`],
      ['POST', `/access-requests/${pendingRequest}/deny`, because('auditor test'), 'access.deny', `access-request/${pendingRequest}`],
      ['POST', '/reviews/decisions', { agent: 'alice-bot', item: 'idle', decision: 'confirm', reason: 'auditor test' }, 'review.confirm', 'agent/alice-bot'],
      ['POST', '/reviews/decisions', { agent: 'alice-bot', item: 'idle', decision: 'revoke', reason: 'auditor test' }, 'review.revoke', 'agent/alice-bot'],
      ['POST', '/owners/alice@example.com/leave', because('auditor test'), 'owner.leave', 'owner/alice@example.com'],
      ['POST', '/owners/alice@example.com/return', because('auditor test'), 'owner.return', 'owner/alice@example.com'],
      ['POST', '/tokens', { subject: 'audrey@example.com', roles: ['admin'] }, 'token.issue', 'token/audrey@example.com'],
      ['POST', `/tokens/tok_0123456789abcdef/revoke`, because('auditor test'), 'token.revoke', 'token/tok_0123456789abcdef'],
    ];
    // Each lifecycle action on an agent in a state where it applies, so only the role refuses it.
    expect((await h.as('bob').post('/agents', { name: 'pending-bot', purpose: 'Waits for its security review', roles: ['support-reader'] })).status).toBe(201);
    // ada proposed gift-bot, so the security review is sam's (nobody approves what they proposed).
    expect((await h.as('sam').post('/agents/gift-bot/actions/approve', because('review'))).status).toBe(200);
    expect((await h.as('root').post('/agents/gift-bot/actions/approve', because('approval'))).status).toBe(200);
    expect((await h.as('sue').post('/agents/sue-bot/actions/test', because('acceptance test'))).status).toBe(200);
    expect((await h.as('sam').post('/agents/alice-bot/actions/suspend', because('for the auditor test'))).status).toBe(200);
    const inState: Record<string, string> = { approve: 'pending-bot', reject: 'pending-bot', test: 'gift-bot', activate: 'sue-bot', suspend: 'bob-bot', quarantine: 'bob-bot', reinstate: 'alice-bot', decommission: 'bob-bot' };
    for (const [action, agent] of Object.entries(inState)) attempts.push(['POST', `/agents/${agent}/actions/${action}`, because('auditor test'), `agent.${action}`, `agent/${agent}`]);

    const snapshot = await Promise.all(['/agents', '/keys', '/access-requests', '/tokens', '/owners'].map(async (path) => JSON.stringify((await h.as('root').get(path)).body)));
    for (const [method, path, body, action, target] of attempts) {
      const problem = await refused('audrey', method, path, body, { action, target });
      expect(problem.detail, `${method} ${path}`).toMatch(/audrey@example.com has auditor/);
    }
    const after = await Promise.all(['/agents', '/keys', '/access-requests', '/tokens', '/owners'].map(async (path) => JSON.stringify((await h.as('root').get(path)).body)));
    expect(after).toEqual(snapshot);
    expect(attempts.length).toBeGreaterThanOrEqual(22);
  });

  it('has every refused attempt in GET /admin-events with outcome refused', async () => {
    const events = await h.adminEvents();
    const logged = events.filter((event: Json) => event.outcome === 'refused').map((event: Json) => ({ actor: event.actor, action: event.action, target: event.target }));
    const key = (refusal: Refusal) => `${refusal.actor} ${refusal.action} ${refusal.target}`;
    expect(logged.map(key).sort()).toEqual(refusals.map(key).sort());
    for (const event of events.filter((candidate: Json) => candidate.outcome === 'refused')) {
      expect(event.detail, JSON.stringify(event)).toEqual(expect.any(String));
      expect(event.roles).toEqual(expect.any(Array));
      expect(event.before).toBeUndefined();
      expect(event.after).toBeUndefined();
    }
    // An auditor may read the log, filtered by who acted.
    const audrey = await h.as('audrey').get(`/admin-events?actor=${encodeURIComponent('audrey@example.com')}&limit=1000`);
    expect(audrey.body.events.length).toBe(refusals.filter((refusal) => refusal.actor === 'audrey@example.com').length);
    expect(audrey.body.events.every((event: Json) => event.outcome === 'refused' && event.roles.join() === 'auditor')).toBe(true);
  });

  it('has every change in GET /admin-events with the actor, what was before and what is after', async () => {
    // Decisions of an access review, so they are among the changes too.
    h.clock.advance(91 * DAY);
    try {
      const reviews = (await h.as('sam').get('/reviews')).body.reviews;
      const bob = reviews.find((review: Json) => review.agent === 'bob-bot');
      expect(bob.items.map((item: Json) => item.item)).toContain('grant:support-reader/grants/tickets-read');
      expect((await h.as('bob').post('/reviews/decisions', { agent: 'bob-bot', item: 'grant:support-reader/grants/crm-read', decision: 'confirm', reason: 'still needed' })).status).toBe(201);
      expect((await h.as('sam').post('/reviews/decisions', { agent: 'bob-bot', item: 'grant:support-reader/grants/tickets-read', decision: 'revoke', reason: 'never used' })).status).toBe(201);
    } finally {
      h.clock.reset();
    }
    expect((await h.as('alice').delete(`/agents/alice-bot/bindings/${bindingId}`)).status).toBe(204);

    const changes = (await h.adminEvents()).filter((event: Json) => event.outcome === 'ok');
    const actions = new Set(changes.map((event: Json) => event.action));
    for (const action of ['agent.propose', 'agent.approve', 'agent.suspend', 'agent.reinstate', 'key.issue', 'key.revoke', 'token.issue', 'token.revoke', 'access.request', 'access.approve', 'agent.bind', 'agent.unbind', 'review.confirm', 'review.revoke']) {
      expect(actions, action).toContain(action);
    }
    const incomplete: string[] = [];
    for (const event of changes) {
      expect(event.actor, JSON.stringify(event)).toMatch(/^(\S+@\S+|template:\S+|agent:\S+|warden start|warden jobs)$/);
      expect(event.roles).toEqual(expect.any(Array));
      expect(Date.parse(event.time)).not.toBeNaN();
      const needsBefore = !CREATIONS.has(event.action);
      const needsAfter = !REMOVALS.has(event.action);
      if ((needsBefore && event.before === undefined) || (needsAfter && event.after === undefined)) incomplete.push(`${event.action} ${event.target}: before=${JSON.stringify(event.before)} after=${JSON.stringify(event.after)}`);
    }
    expect(incomplete).toEqual([]);
  });

  it('logs a refused attempt under the action that was attempted', async () => {
    // A blank reason passes the body schema (3 characters) and is refused by the service.
    const blank = await h.as('sam').post('/owners/alice@example.com/return', because('   '));
    expect(blank.status).toBe(400);
    expect(blank.body.detail).toMatch(/say why/);
    const notAnEmail = await h.as('sam').post('/owners/not-an-email/return', because('back from leave'));
    expect(notAnEmail.status).toBe(400);
    const logged = (await h.adminEvents()).filter((event: Json) => event.outcome === 'refused' && event.actor === 'sam@example.com' && event.target.startsWith('owner/'));
    expect(logged.map((event: Json) => [event.action, event.target])).toEqual([
      ['owner.return', 'owner/not-an-email'],
      ['owner.return', 'owner/alice@example.com'],
    ]);
  });
});
