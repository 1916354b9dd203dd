import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedHttpReceiver as Receiver } from '../../../test/support/scripted-http-receiver.js';
import type { Notification } from './notifier.js';
import { WebhookNotifier } from './webhook-notifier.js';

const SECRET = 'whsec_test_0123456789abcdef';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FAST = [5, 5, 5] as const;

function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    type: 'agent.proposed',
    time: '2025-07-01T09:00:00.000Z',
    recipients: ['alice.martin@example.com', 'security'],
    summary: 'returns-bot waits for security review',
    data: { agent: 'returns-bot', template: null, risk: { score: 42, level: 'medium' } },
    ...overrides,
  };
}

/** Checks `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` as a receiver would. */
function verifySignature(header: string | string[] | undefined, body: string, secret: string): { valid: boolean; timestamp: number } {
  expect(typeof header).toBe('string');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header as string);
  expect(match).not.toBeNull();
  const timestamp = Number(match![1]);
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
  const given = Buffer.from(match![2]!, 'hex');
  return { valid: given.length === expected.length && timingSafeEqual(given, expected), timestamp };
}

let receiver: Receiver;
let origin: string;
let errors: Error[];

beforeEach(async () => {
  receiver = new Receiver();
  origin = await receiver.start();
  errors = [];
});

afterEach(async () => {
  await receiver.stop();
});

function notifier(options: { url?: string; secret?: string | undefined; retryDelaysMs?: readonly number[]; timeoutMs?: number } = {}): WebhookNotifier {
  return new WebhookNotifier({
    url: options.url ?? `${origin}/hooks/warden`,
    secret: 'secret' in options ? options.secret : SECRET,
    onError: (error) => errors.push(error),
    retryDelaysMs: options.retryDelaysMs ?? FAST,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}

describe('WebhookNotifier delivery', () => {
  it('posts the notification as JSON with its event and delivery headers', async () => {
    const sender = notifier();
    const sent = notification();
    sender.notify(sent);
    await sender.flush();

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/hooks/warden');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual(sent);
    expect(request!.headers['x-warden-event']).toBe('agent.proposed');
    expect(request!.headers['x-warden-delivery']).toMatch(UUID);
    expect(errors).toEqual([]);
  });

  it('signs t.body with HMAC-SHA256 so the receiver can check origin and freshness', async () => {
    const sender = notifier();
    const before = Math.floor(Date.now() / 1000);
    sender.notify(notification());
    await sender.flush();
    const after = Math.floor(Date.now() / 1000);

    const [request] = receiver.received;
    const { valid, timestamp } = verifySignature(request!.headers['x-warden-signature'], request!.body, SECRET);
    expect(valid).toBe(true);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(after);
    // Another secret, or a changed body or time, does not verify.
    expect(verifySignature(request!.headers['x-warden-signature'], request!.body, 'another-secret').valid).toBe(false);
    expect(verifySignature(request!.headers['x-warden-signature'], request!.body.replace('returns-bot', 'evil-bot'), SECRET).valid).toBe(false);
    const forged = (request!.headers['x-warden-signature'] as string).replace(/^t=\d+/, `t=${timestamp + 3600}`);
    expect(verifySignature(forged, request!.body, SECRET).valid).toBe(false);
  });

  it('sends no signature without a secret', async () => {
    const sender = notifier({ secret: undefined });
    sender.notify(notification());
    await sender.flush();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.headers['x-warden-signature']).toBeUndefined();
    expect(receiver.received[0]!.headers['x-warden-event']).toBe('agent.proposed');
  });

  it('delivers each notification on its own, with its own delivery id', async () => {
    const sender = notifier();
    sender.notify(notification({ type: 'agent.proposed' }));
    sender.notify(notification({ type: 'access.requested', summary: 'itops-agent asks for hr.getEmployee' }));
    sender.notify(notification({ type: 'credential.expiring' }));
    await sender.flush();
    expect(receiver.received.map((request) => request.headers['x-warden-event']).sort()).toEqual(['access.requested', 'agent.proposed', 'credential.expiring']);
    expect(new Set(receiver.received.map((request) => request.headers['x-warden-delivery'])).size).toBe(3);
    for (const request of receiver.received) {
      expect(JSON.parse(request.body).type).toBe(request.headers['x-warden-event']);
      expect(verifySignature(request.headers['x-warden-signature'], request.body, SECRET).valid).toBe(true);
    }
  });
});

describe('WebhookNotifier retries', () => {
  it('retries on 5xx until the receiver accepts, with the same delivery id and a fresh valid signature', async () => {
    receiver.script.push(500, 503);
    const sender = notifier({ retryDelaysMs: [20, 20, 20] });
    sender.notify(notification());
    await sender.flush();

    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((request) => request.headers['x-warden-delivery'])).size).toBe(1);
    expect(new Set(receiver.received.map((request) => request.body)).size).toBe(1);
    for (const request of receiver.received) expect(verifySignature(request.headers['x-warden-signature'], request.body, SECRET).valid).toBe(true);
    // It paused between attempts.
    expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeGreaterThanOrEqual(15);
    expect(errors).toEqual([]);
  });

  it('gives up after the last retry and reports the failure once, naming the origin but not the path', async () => {
    receiver.script.push(502, 502, 502, 502, 502);
    const sender = notifier({ url: `${origin}/hooks/s3cr3t-token`, retryDelaysMs: [5, 5] });
    sender.notify(notification({ type: 'review.due' }));
    await sender.flush();

    expect(receiver.received).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('review.due');
    expect(errors[0]!.message).toContain('HTTP 502');
    expect(errors[0]!.message).toContain(origin);
    expect(errors[0]!.message).not.toContain('s3cr3t-token');
  });

  it('tries once without retries when retryDelaysMs is empty', async () => {
    receiver.script.push(500);
    const sender = notifier({ retryDelaysMs: [] });
    sender.notify(notification());
    await sender.flush();
    expect(receiver.received).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it.each([400, 401, 403, 404, 410, 422])('gives up at once on %i: a client error will not get better', async (status) => {
    receiver.script.push(status, 200);
    const sender = notifier();
    sender.notify(notification());
    await sender.flush();
    expect(receiver.received).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain(`HTTP ${status}`);
  });

  it('retries on 429 Too Many Requests', async () => {
    receiver.script.push(429);
    const sender = notifier();
    sender.notify(notification());
    await sender.flush();
    expect(receiver.received).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it('retries after a network error (connection cut)', async () => {
    receiver.script.push('destroy');
    const sender = notifier();
    sender.notify(notification());
    await sender.flush();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0]!.headers['x-warden-delivery']).toBe(receiver.received[1]!.headers['x-warden-delivery']);
    expect(errors).toEqual([]);
  });

  it('retries after a timeout', async () => {
    receiver.script.push('hang');
    const sender = notifier({ timeoutMs: 150 });
    sender.notify(notification());
    await sender.flush();
    expect(receiver.received).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it('reports a receiver that cannot be reached after every attempt', async () => {
    const closed = new Receiver();
    const url = await closed.start();
    await closed.stop();
    const sender = notifier({ url: `${url}/hooks/warden`, retryDelaysMs: [5, 5] });
    sender.notify(notification());
    await sender.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('failed');
    expect(errors[0]!.message).toContain(url);
  });
});

describe('WebhookNotifier never blocks or fails the caller', () => {
  it('returns from notify() before anything is sent', async () => {
    const sender = notifier();
    expect(sender.notify(notification())).toBeUndefined();
    expect(receiver.received).toHaveLength(0);
    await sender.flush();
    expect(receiver.received).toHaveLength(1);
  });

  it('does not throw on a URL it cannot use, and reports it', async () => {
    const sender = notifier({ url: 'not a url', retryDelaysMs: [] });
    expect(() => sender.notify(notification())).not.toThrow();
    await expect(sender.flush()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('swallows failures silently when no onError is given', async () => {
    receiver.script.push(500, 500);
    const sender = new WebhookNotifier({ url: `${origin}/hooks/warden`, secret: SECRET, retryDelaysMs: [5] });
    expect(() => sender.notify(notification())).not.toThrow();
    await expect(sender.flush()).resolves.toBeUndefined();
    expect(receiver.received).toHaveLength(2);
  });

  it('resolves flush() at once when nothing is pending', async () => {
    await expect(notifier().flush()).resolves.toBeUndefined();
  });

  it('makes flush() wait for every delivery, retries included', async () => {
    receiver.script.push(503, 503);
    const sender = notifier({ retryDelaysMs: [40, 40] });
    sender.notify(notification());
    sender.notify(notification({ type: 'access.requested' }));
    await sender.flush();
    // Both delivered: the first after two 5xx, the second at once (order of arrival decides who got the 503s).
    expect(receiver.received).toHaveLength(4);
    expect(errors).toEqual([]);
    // Nothing more arrives after flush() resolved.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.received).toHaveLength(4);
  });

  it('makes flush() also wait for notifications handed over while it waits', async () => {
    receiver.script.push(503);
    const sender = notifier({ retryDelaysMs: [30] });
    sender.notify(notification({ type: 'agent.proposed' }));
    const flushed = sender.flush();
    await receiver.waitFor(1);
    sender.notify(notification({ type: 'review.due' }));
    await flushed;
    expect(receiver.received.map((request) => request.headers['x-warden-event']).sort()).toEqual(['agent.proposed', 'agent.proposed', 'review.due']);
  });
});
