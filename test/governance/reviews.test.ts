import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { because, DAY, startGovernanceHarness, type GovernanceHarness, type Json } from '../support/governance-harness.js';

/** Two agents of the same role, registered (by manifest) a hundred days before the review. */
const AGENTS = `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: busy-bot }
spec:
  owner: alice@example.com
  purpose: Answers customer questions all day long
  roles: [support-reader]
  state: active
---
apiVersion: warden.dev/v1
kind: Agent
metadata: { name: idle-bot }
spec:
  owner: bob@example.com
  purpose: Answered customer questions for a campaign that ended
  roles: [support-reader]
  state: active
`;

const CRM_READ = 'grant:support-reader/grants/crm-read';
const TICKETS_READ = 'grant:support-reader/grants/tickets-read';
const BUSY_CALLS = 3;

type Review = { agent: string; owner: string; state: string; items: { item: string; kind: string; detail: string; revoke: string }[] };

describe('access reviews from real usage: unused grants, idle agents, keys near expiry, owners who left', () => {
  let h: GovernanceHarness;
  let busyKey: string;
  let busyKeyId: string;
  let idleKey: string;
  let idleKeyId: string;
  let runtimeGrant: string;
  const review = async (query = ''): Promise<Review[]> => {
    const answer = await h.as('sam').get(`/reviews${query}`);
    expect(answer.status).toBe(200);
    return answer.body.reviews;
  };
  const itemsOf = (reviews: Review[], agent: string) => reviews.find((candidate) => candidate.agent === agent)?.items.map((item) => item.item).sort() ?? [];
  const decide = (who: 'alice' | 'bob' | 'sam' | 'audrey', agent: string, item: string, decision: 'confirm' | 'revoke', reason: string) =>
    h.as(who).post('/reviews/decisions', { agent, item, decision, reason });

  beforeAll(async () => {
    // The fleet was registered a hundred days ago; the test then runs today.
    h = await startGovernanceHarness({ manifests: { 'agents.yaml': AGENTS }, clockStart: new Date(Date.now() - 100 * DAY) });
    h.clock.reset();
    const busy = await h.as('alice').post('/keys', { agent: 'busy-bot' });
    const idle = await h.as('bob').post('/keys', { agent: 'idle-bot', ttlDays: 10 });
    busyKey = busy.body.key;
    busyKeyId = busy.body.record.id;
    idleKey = idle.body.key;
    idleKeyId = idle.body.record.id;
    // A runtime grant busy-bot asked for and never used.
    const asked = await h.agentCall(busyKey, '/.warden/access-requests', { method: 'POST', body: { api: 'helpdesk', operation: 'createTicket', reason: 'might open tickets one day' } });
    expect(asked.body.status).toBe('granted');
    runtimeGrant = `grant:~runtime/busy-bot/grants/${(await h.as('alice').get('/agents/busy-bot')).body.runtimeRules[0].id}`;
    // Real calls: busy-bot reads customers; idle-bot calls nothing.
    for (let i = 0; i < BUSY_CALLS; i++) expect((await h.agentCall(busyKey, `/crm/customers/C-${i}`)).status).toBe(200);
    // A denied call is no use of any grant.
    expect((await h.agentCall(busyKey, '/crm/exports')).status).toBe(403);
    // The runtime writes usage every 5 s and when it stops: stop it and start it again on the same store.
    await h.restart();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('counts usage from the calls the gateway saw, per agent, operation and allowing grant', () => {
    const usage = h.rows('select agent, api, operation, rule, calls from usage order by agent, operation');
    expect(usage).toEqual([{ agent: 'busy-bot', api: 'crm', operation: 'getCustomer', rule: 'support-reader/grants/crm-read', calls: BUSY_CALLS }]);
  });

  it('shows when each key was last used', async () => {
    const keys = (await h.as('audrey').get('/keys')).body.keys;
    const busy = keys.find((key: Json) => key.id === busyKeyId);
    const idle = keys.find((key: Json) => key.id === idleKeyId);
    expect(Date.now() - Date.parse(busy.lastUsedAt)).toBeLessThan(60_000);
    expect(idle.lastUsedAt).toBeUndefined();
  });

  it('lists unused grants, idle agents and keys near expiry, and nothing that is in use', async () => {
    const reviews = await review();
    const busy = reviews.find((candidate) => candidate.agent === 'busy-bot')!;
    expect(busy).toMatchObject({ owner: 'alice@example.com', state: 'active' });
    // crm-read was used today; tickets-read never, in the hundred days since busy-bot was registered.
    expect(itemsOf(reviews, 'busy-bot')).toContain(TICKETS_READ);
    expect(itemsOf(reviews, 'busy-bot')).not.toContain(CRM_READ);
    expect(itemsOf(reviews, 'busy-bot')).not.toContain('idle');
    expect(busy.items.find((item) => item.item === TICKETS_READ)).toMatchObject({ kind: 'unused-grant', detail: 'grant support-reader/grants/tickets-read has not been used since the agent was registered', revoke: expect.stringContaining('forbids its operations for busy-bot') });

    const idle = reviews.find((candidate) => candidate.agent === 'idle-bot')!;
    expect(itemsOf(reviews, 'idle-bot')).toEqual([CRM_READ, TICKETS_READ, `credential:${idleKeyId}`, 'idle'].sort());
    expect(idle.items.find((item) => item.item === 'idle')).toMatchObject({ kind: 'idle-agent', detail: 'no call since it was registered', revoke: 'suspends the agent' });
    expect(idle.items.find((item) => item.item === `credential:${idleKeyId}`)).toMatchObject({ kind: 'expiring-credential', detail: expect.stringMatching(new RegExp(`^API key ${idleKeyId} expires `)) });

    // A shorter horizon: nothing registered 100 days ago is unused for 200 days yet.
    const longer = await review('?unusedDays=200&idleDays=200&expiryDays=5');
    expect(longer.map((candidate) => candidate.agent)).toEqual([]);
  });

  it('counts a runtime grant as unused from when it was granted, not from when the agent was registered', async () => {
    // Unused for a whole period after it was granted: an item, which revoking removes.
    h.clock.advance(91 * DAY);
    try {
      const later = (await review()).find((candidate) => candidate.agent === 'busy-bot')!;
      expect(later.items.find((item) => item.item === runtimeGrant)).toMatchObject({ kind: 'unused-grant', revoke: 'removes this runtime grant' });
    } finally {
      h.clock.reset();
    }
    // Granted today: it cannot have been unused for 90 days.
    expect(itemsOf(await review(), 'busy-bot')).not.toContain(runtimeGrant);
  });

  it('lists agents whose owner left', async () => {
    const left = await h.as('sam').post('/owners/bob@example.com/leave', because('left the company on Friday'));
    expect(left.status).toBe(200);
    expect(left.body).toMatchObject({ email: 'bob@example.com', active: false });
    const idle = (await review()).find((candidate) => candidate.agent === 'idle-bot')!;
    expect(idle.items.find((item) => item.item === 'owner')).toMatchObject({ kind: 'owner-left', detail: 'its owner bob@example.com has left', revoke: 'suspends the agent until someone takes it over' });
    expect((await h.as('audrey').get('/owners')).body.owners).toMatchObject([{ email: 'bob@example.com', active: false, updatedBy: 'sam@example.com' }]);
    // Someone who left keeps no admin token: bob cannot confirm his own agent's owner-left item.
    expect(left.body).toMatchObject({ email: 'bob@example.com' });
    expect((await decide('bob', 'idle-bot', 'owner', 'confirm', 'I still look after it')).status).toBe(401);
  });

  it('lets only the agent\'s owner, security and admins decide, and only on the agent\'s own items', async () => {
    const byAuditor = await decide('audrey', 'busy-bot', TICKETS_READ, 'confirm', 'looks fine to me');
    expect(byAuditor.status).toBe(403);
    // (bob, the other owner, left above and has no token any more: his refusal is shown in roles.test.ts.)
    const notAnItem = await decide('sam', 'busy-bot', `credential:${idleKeyId}`, 'revoke', 'not busy-bot\'s key');
    expect(notAnItem.status).toBe(400);
    expect(notAnItem.body.detail).toBe(`credential:${idleKeyId} is not a review item of busy-bot; run \`warden review\` for the items`);
    // Nothing changed.
    expect(itemsOf(await review(), 'busy-bot')).toContain(TICKETS_READ);
    expect((await h.as('audrey').get('/agents/busy-bot')).body.runtimeRules).toHaveLength(1);
  });

  it('confirms an item in one action: it stays quiet for another period', async () => {
    const confirmed = await decide('alice', 'busy-bot', TICKETS_READ, 'confirm', 'needed for the year-end ticket sweep');
    expect(confirmed.status).toBe(201);
    expect(confirmed.body).toMatchObject({ agent: 'busy-bot', item: TICKETS_READ, decision: 'confirm', actor: 'alice@example.com', reason: 'needed for the year-end ticket sweep' });
    expect(itemsOf(await review(), 'busy-bot')).not.toContain(TICKETS_READ);
    // The grant itself is untouched.
    expect((await h.agentCall(busyKey, '/helpdesk/tickets')).status).toBe(200);
    // A period later it comes up again.
    h.clock.advance(91 * DAY);
    try {
      expect(itemsOf(await review(), 'busy-bot')).toContain(TICKETS_READ);
    } finally {
      h.clock.reset();
    }
  });

  it('revokes an unused manifest grant in one action: forbidden for that agent only, at once, and off the review', async () => {
    expect(itemsOf(await review(), 'idle-bot')).toContain(CRM_READ);
    const revoked = await decide('sam', 'idle-bot', CRM_READ, 'revoke', 'the campaign is over');
    expect(revoked.status).toBe(201);
    const refused = await h.agentCall(idleKey, '/crm/customers/C-1');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('WARDEN_AUTHZ_FORBIDDEN');
    // busy-bot holds the same role and keeps the grant.
    expect((await h.agentCall(busyKey, '/crm/customers/C-1')).status).toBe(200);
    const rules = (await h.as('audrey').get('/agents/idle-bot')).body.runtimeRules;
    expect(rules).toMatchObject([{ kind: 'forbid', api: 'crm', operations: ['getCustomer', 'searchCustomers'] }]);
    // Decided: the revoked grant does not come up again for a reviewer to revoke once more.
    expect(itemsOf(await review(), 'idle-bot')).not.toContain(CRM_READ);
  });

  it('revokes an unused runtime grant in one action: the grant is removed', async () => {
    expect((await decide('alice', 'busy-bot', runtimeGrant, 'revoke', 'never used it')).status).toBe(201);
    expect((await h.as('audrey').get('/agents/busy-bot')).body.runtimeRules).toEqual([]);
    const refused = await h.agentCall(busyKey, '/helpdesk/tickets', { method: 'POST', body: {} });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('WARDEN_AUTHZ_NOT_GRANTED');
    expect(itemsOf(await review(), 'busy-bot')).toEqual([]);
  });

  it('revokes a key near expiry, and suspends an agent whose owner left, in one action each', async () => {
    expect((await decide('sam', 'idle-bot', `credential:${idleKeyId}`, 'revoke', 'the key is not needed any more')).status).toBe(201);
    const keyRefused = await h.agentCall(idleKey, '/helpdesk/tickets');
    expect(keyRefused.status).toBe(401);
    expect(keyRefused.body.detail).toBe(`API key ${idleKeyId} was revoked`);

    expect((await decide('sam', 'idle-bot', 'owner', 'revoke', 'nobody took it over')).status).toBe(201);
    const agent = (await h.as('audrey').get('/agents/idle-bot')).body;
    expect(agent.state).toBe('suspended');
    expect(agent.history.at(-1)).toMatchObject({ action: 'suspend', actor: 'sam@example.com', reason: 'access review: nobody took it over' });
    // A suspended agent is not idle (only active agents are), its revoked key is no item; the owner item stays until confirmed.
    const items = itemsOf(await review(), 'idle-bot');
    expect(items).toContain('owner');
    expect(items).not.toContain('idle');
    expect(items).not.toContain(`credential:${idleKeyId}`);
  });

  it('keeps every decision across a restart: manifests set only the initial state', async () => {
    await h.restart();
    expect((await h.as('audrey').get('/agents/idle-bot')).body.state).toBe('suspended');
    expect((await h.agentCall(idleKey, '/helpdesk/tickets')).status).toBe(401);
    expect((await h.agentCall(busyKey, '/crm/customers/C-1')).status).toBe(200);
    expect((await h.agentCall(busyKey, '/helpdesk/tickets', { method: 'POST', body: {} })).status).toBe(403);
    expect((await h.as('audrey').get('/diff')).body.differences).toEqual(expect.arrayContaining([{ agent: 'idle-bot', kind: 'state', manifest: 'active', runtime: 'suspended' }]));
  });

  it('records every decision in the admin log with who decided and why', async () => {
    const events = (await h.adminEvents()).filter((event: Json) => event.action.startsWith('review.'));
    const ok = events.filter((event: Json) => event.outcome === 'ok').map((event: Json) => [event.action, event.target, event.actor, event.after?.item, event.detail]).reverse();
    expect(ok).toEqual([
      ['review.confirm', 'agent/busy-bot', 'alice@example.com', TICKETS_READ, 'needed for the year-end ticket sweep'],
      ['review.revoke', 'agent/idle-bot', 'sam@example.com', CRM_READ, 'the campaign is over'],
      ['review.revoke', 'agent/busy-bot', 'alice@example.com', runtimeGrant, 'never used it'],
      ['review.revoke', 'agent/idle-bot', 'sam@example.com', `credential:${idleKeyId}`, 'the key is not needed any more'],
      ['review.revoke', 'agent/idle-bot', 'sam@example.com', 'owner', 'nobody took it over'],
    ]);
    expect(events.filter((event: Json) => event.outcome === 'refused').map((event: Json) => event.actor).sort()).toEqual(['audrey@example.com', 'sam@example.com']);
  });
});
