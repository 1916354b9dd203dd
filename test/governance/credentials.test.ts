import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { activeAgent, because, DAY, HOUR, startGovernanceHarness, type GovernanceHarness, type Json } from '../support/governance-harness.js';

const KEY_SHAPE = /^wdn_[A-Za-z0-9]+_[A-Za-z0-9_-]{43}$/;

describe('API keys of agents: issue, expiry, rotation with overlap, revocation', () => {
  let h: GovernanceHarness;
  const call = (key: string) => h.agentCall(key, '/crm/customers/C-7');
  const issue = async (ttlDays?: number) => {
    const issued = await h.as('alice').post('/keys', { agent: 'keys-bot', ...(ttlDays !== undefined ? { ttlDays } : {}) });
    expect(issued.status).toBe(201);
    return { key: issued.body.key as string, id: issued.body.record.id as string, record: issued.body.record };
  };
  const listed = async (id: string) => (await h.as('alice').get('/keys?agent=keys-bot')).body.keys.find((key: Json) => key.id === id);

  beforeAll(async () => {
    h = await startGovernanceHarness();
    await activeAgent(h, 'keys-bot', { owner: 'alice', template: 'support-bot' });
    await activeAgent(h, 'other-bot', { owner: 'bob', template: 'support-bot' });
  });

  beforeEach(() => h.clock.reset());

  afterAll(async () => {
    await h?.close();
  });

  it('shows a new key once: listings, the admin log and audit records never hold the secret', async () => {
    const before = Date.now();
    const issued = await h.as('alice').post('/keys', { agent: 'keys-bot' });
    expect(issued.status).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const { key, record } = issued.body;
    expect(key).toMatch(KEY_SHAPE);
    expect(record).toMatchObject({ agent: 'keys-bot', status: 'active', createdBy: 'alice@example.com' });
    // 90 days by default.
    const lifetime = Date.parse(record.expiresAt) - Date.parse(record.createdAt);
    expect(lifetime).toBe(90 * DAY);
    expect(Date.parse(record.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect((await call(key)).status).toBe(200);

    const list = await h.as('audrey').get('/keys');
    expect(JSON.stringify(list.body)).not.toContain(key);
    expect(JSON.stringify(list.body)).not.toContain(key.slice(-43));
    expect(list.body.keys.find((candidate: Json) => candidate.id === record.id)).not.toHaveProperty('digest');
    expect((await h.as('audrey').get('/agents/keys-bot')).body.credentials.apiKeys).toContain(record.id);
    expect(JSON.stringify(await h.adminEvents())).not.toContain(key.slice(-43));
    const events = await h.auditEvents((all) => all.some((event) => event.credential?.id === record.id));
    const mine = events.filter((event) => event.credential?.id === record.id);
    expect(mine).toMatchObject([{ credential: { id: record.id, kind: 'apiKey' }, agent: { name: 'keys-bot' }, decision: { outcome: 'allow' } }]);
    expect(JSON.stringify(events)).not.toContain(key.slice(-43));
  });

  it('takes the lifetime from ttlDays, 1 to 365 days', async () => {
    const short = await issue(7);
    expect(Date.parse(short.record.expiresAt) - Date.parse(short.record.createdAt)).toBe(7 * DAY);
    for (const ttlDays of [0, 366, 1.5]) {
      const refused = await h.as('alice').post('/keys', { agent: 'keys-bot', ttlDays });
      expect(refused.status, String(ttlDays)).toBe(400);
      expect(refused.body.code).toBe('WARDEN_ADMIN_INVALID');
    }
    const unknown = await h.as('ada').post('/keys', { agent: 'ghost-bot' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toBe('no agent is called ghost-bot');
  });

  it('lists a key as expiring within the warning period and expired after its end, as the clock moves', async () => {
    const { id } = await issue(30);
    expect((await listed(id)).status).toBe('active');
    h.clock.advance(15 * DAY);
    expect((await listed(id)).status).toBe('active');
    h.clock.advance(2 * DAY); // 13 days left: within the 14-day warning period
    expect((await listed(id)).status).toBe('expiring');
    h.clock.advance(14 * DAY);
    expect((await listed(id)).status).toBe('expired');
    const rotate = await h.as('alice').post(`/keys/${id}/rotate`, {});
    expect(rotate.status).toBe(409);
    expect(rotate.body.detail).toBe(`${id} is expired; issue a new key instead`);
  });

  it('refuses a key at the gateway once its lifetime has ended', async () => {
    // Issued by a clock that stood two days back, for one day: it ended a day ago.
    h.clock.set(new Date(Date.now() - 2 * DAY));
    const { key, id, record } = await issue(1);
    h.clock.reset();
    expect(Date.parse(record.expiresAt)).toBeLessThan(Date.now());
    const refused = await call(key);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'WARDEN_AUTHN_EXPIRED', detail: `API key ${id} expired on ${record.expiresAt}` });
    expect((await listed(id)).status).toBe('expired');
    const events = await h.auditEvents((all) => all.some((event) => event.credential?.id === id));
    expect(events.filter((event) => event.credential?.id === id)).toMatchObject([{ decision: { outcome: 'deny', reason: 'WARDEN_AUTHN_EXPIRED' }, http: { status: 401 } }]);
  });

  it('rotates with an overlap during which both keys work; the old one stops at the overlap\'s end', async () => {
    const old = await issue();
    const rotated = await h.as('alice').post(`/keys/${old.id}/rotate`, {});
    expect(rotated.status).toBe(201);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    const { next, previous } = rotated.body;
    expect(next.key).toMatch(KEY_SHAPE);
    expect(next.record).toMatchObject({ agent: 'keys-bot', status: 'active' });
    expect(previous).toMatchObject({ id: old.id, replacedBy: next.record.id });
    // The default overlap is 24 hours from the rotation.
    expect(Date.parse(previous.expiresAt) - Date.parse(next.record.createdAt)).toBe(24 * HOUR);
    expect((await call(old.key)).status).toBe(200);
    expect((await call(next.key)).status).toBe(200);
    const again = await h.as('alice').post(`/keys/${old.id}/rotate`, {});
    expect(again.status).toBe(409);
    expect(again.body.detail).toBe(`${old.id} was rotated already (to ${next.record.id})`);
    const event = (await h.adminEvents(`&target=key/${old.id}`)).find((candidate: Json) => candidate.outcome === 'ok');
    expect(event).toMatchObject({ action: 'key.rotate', outcome: 'ok', actor: 'alice@example.com', before: { expiresAt: old.record.expiresAt }, after: { expiresAt: previous.expiresAt, replacedBy: next.record.id } });

    // A rotation an hour-long overlap ago (by a clock two hours back): the old key has stopped.
    const earlier = await issue();
    h.clock.set(new Date(Date.now() - 2 * HOUR));
    const past = await h.as('alice').post(`/keys/${earlier.id}/rotate`, { overlapHours: 1 });
    h.clock.reset();
    expect(past.status).toBe(201);
    expect(Date.parse(past.body.previous.expiresAt)).toBeLessThan(Date.now());
    const stopped = await call(earlier.key);
    expect(stopped.status).toBe(401);
    expect(stopped.body.code).toBe('WARDEN_AUTHN_EXPIRED');
    expect((await call(past.body.next.key)).status).toBe(200);
  });

  it('rotates without overlap (the old key stops at once), and never lets an overlap outlive the old key', async () => {
    const old = await issue();
    const rotated = await h.as('alice').post(`/keys/${old.id}/rotate`, { overlapHours: 0, ttlDays: 30 });
    expect(rotated.status).toBe(201);
    expect((await call(old.key)).body.code).toBe('WARDEN_AUTHN_EXPIRED');
    expect((await call(rotated.body.next.key)).status).toBe(200);
    expect(Date.parse(rotated.body.next.record.expiresAt) - Date.parse(rotated.body.next.record.createdAt)).toBe(30 * DAY);

    const shortLived = await issue(1);
    const long = await h.as('alice').post(`/keys/${shortLived.id}/rotate`, { overlapHours: 48 });
    expect(long.body.previous.expiresAt).toBe(shortLived.record.expiresAt);
    expect((await h.as('alice').post(`/keys/${shortLived.id}/rotate`, { overlapHours: 721 })).status).toBe(400);
  });

  it('revokes a key at once: the next request is refused', async () => {
    const { key, id } = await issue();
    expect((await call(key)).status).toBe(200);
    const started = performance.now();
    const revocation = h.as('alice').post(`/keys/${id}/revoke`, because('the key was pasted into a ticket'));
    let deniedAt: number | undefined;
    while (deniedAt === undefined && performance.now() - started < 5000) {
      const answer = await call(key);
      if (answer.status !== 200) {
        expect(answer.status).toBe(401);
        expect(answer.body).toMatchObject({ code: 'WARDEN_AUTHN_EXPIRED', detail: `API key ${id} was revoked` });
        deniedAt = performance.now();
      }
    }
    const revoked = await revocation;
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id, status: 'revoked', revokedAt: expect.any(String) });
    console.log(`[propagation] key revocation: first refused agent request ${(deniedAt! - started).toFixed(1)} ms after the admin call started`);
    expect(deniedAt! - started).toBeLessThanOrEqual(100);
    expect((await call(key)).status).toBe(401);
    expect((await listed(id)).status).toBe('revoked');
    const event = (await h.adminEvents(`&target=key/${id}`)).find((candidate: Json) => candidate.action === 'key.revoke');
    expect(event).toMatchObject({ action: 'key.revoke', actor: 'alice@example.com', outcome: 'ok', detail: 'the key was pasted into a ticket', before: { revokedAt: null }, after: { revokedAt: revoked.body.revokedAt } });

    // Revoking again changes nothing; a revoked key cannot be rotated back to life.
    const again = await h.as('sam').post(`/keys/${id}/revoke`, because('making sure'));
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    const rotate = await h.as('alice').post(`/keys/${id}/rotate`, {});
    expect(rotate.status).toBe(409);
    expect(rotate.body.detail).toBe(`${id} is revoked; issue a new key instead`);
    expect((await h.as('alice').post(`/keys/${id}/revoke`, {})).status).toBe(400);
    expect((await h.as('alice').post('/keys/key_doesnotexist/revoke', because('no such key'))).status).toBe(404);
  });

  it('lets only the agent\'s owner, security and admins manage its keys', async () => {
    const { id } = await issue();
    const byOtherOwner = await h.as('bob').post('/keys', { agent: 'keys-bot' });
    expect(byOtherOwner.status).toBe(403);
    expect(byOtherOwner.body.detail).toBe('key.issue on agent/keys-bot needs admin, security or the agent\'s owner; bob@example.com has owner');
    expect((await h.as('bob').post(`/keys/${id}/rotate`, {})).status).toBe(403);
    expect((await h.as('bob').post(`/keys/${id}/revoke`, because('not mine'))).status).toBe(403);
    expect((await h.as('audrey').post(`/keys/${id}/revoke`, because('auditors only read'))).status).toBe(403);
    expect((await listed(id)).status).toBe('active');
    expect((await h.as('sam').post('/keys', { agent: 'keys-bot', ttlDays: 2 })).status).toBe(201);
    expect((await h.as('sam').post(`/keys/${id}/revoke`, because('security revokes any key'))).status).toBe(200);
  });
});
