import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeAgent, DAY, startGovernanceHarness, startWebhookReceiver, type GovernanceHarness, type ReceivedWebhook, type WebhookReceiver } from '../support/governance-harness.js';

const SECRET = 'whsec-test-7d0c5b2e9a41f683';
/** How old a signed timestamp a receiver accepts, as docs/governance.md tells receivers to check. */
const TOLERANCE_S = 300;

/**
 * What a receiver does with `X-Warden-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`:
 * true only for the exact body, signed with `secret`, at a fresh timestamp.
 */
function verifySignature(hook: Pick<ReceivedWebhook, 'headers' | 'raw'>, secret: string, nowMs = Date.now()): boolean {
  const header = hook.headers['x-warden-signature'];
  if (typeof header !== 'string') return false;
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowMs / 1000 - t) > TOLERANCE_S || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${hook.raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(parts.v1!, 'hex'));
}

describe('notifications to a signed webhook', () => {
  let h: GovernanceHarness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    h = await startGovernanceHarness({
      config: { notify: { webhook: { url: receiver.url, secret: 'env:WARDEN_TEST_WEBHOOK_SECRET' } } },
      env: { WARDEN_TEST_WEBHOOK_SECRET: SECRET },
    });
  });

  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('tells security about a proposal waiting for review, as signed JSON', async () => {
    const proposed = await h.as('alice').post('/agents', { name: 'invoice-bot', purpose: 'Reads customers to prepare invoice reminders', roles: ['support-reader'] });
    expect(proposed.status).toBe(201);
    const hook = await receiver.waitFor((candidate) => candidate.body?.type === 'agent.proposed' && candidate.body.data?.agent === 'invoice-bot');
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.headers['x-warden-event']).toBe('agent.proposed');
    expect(hook.headers['x-warden-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(verifySignature(hook, SECRET)).toBe(true);
    expect(hook.body).toEqual({
      type: 'agent.proposed',
      time: expect.any(String),
      recipients: ['security'],
      summary: `alice@example.com proposed agent invoice-bot (risk ${proposed.body.risk.level}, ${proposed.body.risk.score}): it waits for security review`,
      data: { agent: 'invoice-bot', owner: 'alice@example.com', roles: ['support-reader'], risk: { score: proposed.body.risk.score, level: proposed.body.risk.level } },
    });
    expect(Math.abs(Date.parse(hook.body.time) - Date.now())).toBeLessThan(60_000);
    // A receiver checking the signature refuses a changed body, another key and an old timestamp.
    expect(verifySignature({ ...hook, raw: hook.raw.replace('invoice-bot', 'invoice-bop') }, SECRET)).toBe(false);
    expect(verifySignature(hook, 'another-secret')).toBe(false);
    expect(verifySignature(hook, SECRET, Date.now() + 2 * TOLERANCE_S * 1000)).toBe(false);
  });

  it('sends no review notice for a proposal its pre-approved template approved', async () => {
    expect((await h.as('alice').post('/agents', { name: 'standard-bot', purpose: 'The standard support bot for the shop', template: 'support-bot' })).body.state).toBe('approved');
    await h.runtime.governance.context.notifier.flush();
    expect(receiver.received.filter((hook) => hook.body?.type === 'agent.proposed' && hook.body.data?.agent === 'standard-bot')).toEqual([]);
  });

  it('warns the owner once when a key nears its expiry, when the jobs run after the clock moved', async () => {
    await activeAgent(h, 'reminder-bot', { owner: 'bob', template: 'support-bot' });
    const issued = await h.as('bob').post('/keys', { agent: 'reminder-bot', ttlDays: 30 });
    const keyId: string = issued.body.record.id;
    const expiresAt: string = issued.body.record.expiresAt;
    // 30 days left: outside the 14-day warning period.
    expect((await h.runtime.jobs.runOnce()).warnedKeys).not.toContain(keyId);
    h.clock.advance(20 * DAY);
    try {
      const report = await h.runtime.jobs.runOnce();
      expect(report.warnedKeys).toContain(keyId);
      const hook = await receiver.waitFor((candidate) => candidate.body?.type === 'credential.expiring' && candidate.body.data?.key === keyId);
      expect(hook.headers['x-warden-event']).toBe('credential.expiring');
      expect(verifySignature(hook, SECRET)).toBe(true);
      expect(hook.body).toEqual({
        type: 'credential.expiring',
        time: expect.any(String),
        recipients: ['bob@example.com'],
        summary: `API key ${keyId} of reminder-bot expires in 10 day(s), on ${expiresAt}; rotate it with \`warden keys rotate ${keyId}\``,
        data: { agent: 'reminder-bot', key: keyId, expiresAt },
      });
      // Stamped with the governance clock: twenty days on.
      expect(Math.abs(Date.parse(hook.body.time) - (Date.now() + 20 * DAY))).toBeLessThan(60_000);
      expect(hook.raw).not.toMatch(/wdn_/);
      // Once per key: the next run stays quiet about it.
      expect((await h.runtime.jobs.runOnce()).warnedKeys).not.toContain(keyId);
      await h.runtime.governance.context.notifier.flush();
      expect(receiver.received.filter((candidate) => candidate.body?.type === 'credential.expiring' && candidate.body.data?.key === keyId)).toHaveLength(1);
    } finally {
      h.clock.reset();
    }
  });
});
