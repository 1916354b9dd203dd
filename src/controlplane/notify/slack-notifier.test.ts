import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedHttpReceiver } from '../../../test/support/scripted-http-receiver.js';
import type { Notification } from './notifier.js';
import { SlackNotifier, slackMessage } from './slack-notifier.js';

const HOOK_PATH = '/services/T0001/B0002/s3cr3tT0k3n';

function incident(overrides: Partial<Notification> = {}): Notification {
  return {
    type: 'incident.opened',
    time: '2025-07-01T09:00:00.000Z',
    recipients: ['alice.martin@example.com', 'security'],
    summary: 'bulk-read: returns-bot read 40× its usual volume of customer records',
    data: { severity: 'high', agent: 'returns-bot', incident: 'inc_0123456789abcdef', detectors: ['bulk-read', 'off-hours'], score: 87, reasons: ['40× baseline'], nested: { a: 1 } },
    ...overrides,
  };
}

let receiver: ScriptedHttpReceiver;
let url: string;
let errors: Error[];

beforeEach(async () => {
  receiver = new ScriptedHttpReceiver();
  url = `${await receiver.start()}${HOOK_PATH}`;
  errors = [];
});

afterEach(async () => {
  await receiver.stop();
});

function notifier(retryDelaysMs: readonly number[] = [5, 5, 5]): SlackNotifier {
  return new SlackNotifier({ url, onError: (error) => errors.push(error), retryDelaysMs });
}

describe('SlackNotifier payload', () => {
  it('posts { text, blocks } with severity, summary, agent, incident and a few fields', async () => {
    const sender = notifier();
    sender.notify(incident());
    await sender.flush();

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(HOOK_PATH);
    expect(request!.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request!.body);
    expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
    expect(body.text).toBe('[HIGH] bulk-read: returns-bot read 40× its usual volume of customer records (incident inc_0123456789abcdef)');
    expect(body.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: '*[HIGH]* bulk-read: returns-bot read 40× its usual volume of customer records' } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Severity*\nhigh' },
          { type: 'mrkdwn', text: '*Agent*\nreturns-bot' },
          { type: 'mrkdwn', text: '*Incident*\ninc_0123456789abcdef' },
          { type: 'mrkdwn', text: '*Detectors*\nbulk-read, off-hours' },
          { type: 'mrkdwn', text: '*Score*\n87' },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'incident.opened · 2025-07-01T09:00:00.000Z · for alice.martin@example.com, security' }] },
    ]);
    expect(errors).toEqual([]);
  });

  it('shows a notification without severity or fields as its summary, naming the agent it does not mention', () => {
    const message = slackMessage({ type: 'credential.expiring', time: '2025-07-01T09:00:00.000Z', recipients: [], summary: 'key key_01 expires in 14 days', data: { agent: 'returns-bot', key: 'key_01', expiresAt: '2025-07-15' } });
    expect(message.text).toBe('key key_01 expires in 14 days (agent returns-bot)');
    expect(message.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'key key_01 expires in 14 days' } });
    expect(message.blocks).toHaveLength(3);
    expect(message.blocks[2]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'credential.expiring · 2025-07-01T09:00:00.000Z' }] });
  });

  it('escapes <, > and & so an agent-chosen text cannot ping a channel or hide a link', () => {
    const message = slackMessage(incident({ summary: 'agent <!channel> says <https://evil.example|click> & more', data: { severity: 'critical', agent: '<@U123>' } }));
    const all = JSON.stringify(message);
    expect(all).not.toMatch(/<[!@h]/);
    expect(message.text).toBe('[CRITICAL] agent &lt;!channel&gt; says &lt;https://evil.example|click&gt; &amp; more (agent &lt;@U123&gt;)');
  });

  it('keeps long summaries within Slack\'s block limits', () => {
    const message = slackMessage(incident({ summary: 'x'.repeat(5000) }));
    const section = message.blocks[0] as { text: { text: string } };
    expect(section.text.text.length).toBeLessThanOrEqual(3000);
    expect(section.text.text.endsWith('…')).toBe(true);
  });
});

describe('SlackNotifier delivery', () => {
  it('retries on 5xx and 429 until Slack accepts', async () => {
    receiver.script.push(500, 429);
    const sender = notifier([20, 20]);
    sender.notify(incident());
    await sender.flush();
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((request) => request.body)).size).toBe(1);
    expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeGreaterThanOrEqual(15);
    expect(errors).toEqual([]);
  });

  it('gives up at once on a 4xx (a revoked hook) and reports it without the URL\'s secret path', async () => {
    receiver.script.push(404);
    const sender = notifier();
    sender.notify(incident());
    await sender.flush();
    expect(receiver.received).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('incident.opened');
    expect(errors[0]!.message).toContain('HTTP 404');
    expect(errors[0]!.message).not.toContain('s3cr3tT0k3n');
  });

  it('reports an unreachable receiver after every attempt, never naming the token', async () => {
    await receiver.stop();
    const sender = notifier([5]);
    expect(() => sender.notify(incident())).not.toThrow();
    await sender.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/failed: .*ECONNREFUSED/);
    expect(errors[0]!.message).not.toContain('s3cr3tT0k3n');
  });

  it('retries after a timeout and makes flush() wait for it', async () => {
    receiver.script.push('hang');
    const sender = new SlackNotifier({ url, onError: (error) => errors.push(error), retryDelaysMs: [5], timeoutMs: 150 });
    sender.notify(incident());
    await sender.flush();
    expect(receiver.received).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it('does not show the URL when inspected or serialised', () => {
    const sender = notifier();
    expect(inspect(sender)).not.toContain('s3cr3tT0k3n');
    expect(JSON.stringify(sender)).not.toContain('s3cr3tT0k3n');
  });
});
