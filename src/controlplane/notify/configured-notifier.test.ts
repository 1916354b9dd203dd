import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, parseRfc5424 } from '../../../test/audit/sink-receivers.js';
import { ScriptedHttpReceiver } from '../../../test/support/scripted-http-receiver.js';
import { defaultGatewayConfig } from '../config/gateway-config-file.js';
import { notifierFromConfig } from './configured-notifier.js';
import { FanoutNotifier } from './fanout-notifier.js';
import { NO_NOTIFIER, type Notification } from './notifier.js';
import { verifySignatureHeader } from './webhook-signature.js';

const SECRET = 'whsec_configured_0123456789';

/** The `notify` section as the config loader hands it over: validated, defaults filled in. */
function notifyConfig(notify: Record<string, unknown>) {
  return defaultGatewayConfig({ notify }).notify;
}

function notification(severity?: string, type = 'incident.opened'): Notification {
  return { type, time: '2025-07-01T09:00:00.000Z', recipients: ['security'], summary: `an incident (${severity ?? 'none'})`, data: severity === undefined ? { agent: 'returns-bot' } : { severity, agent: 'returns-bot' } };
}

let directory: string;
let errors: Error[];
const onError = (error: Error) => errors.push(error);

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'warden-notify-config-'));
  errors = [];
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('notifierFromConfig', () => {
  it('is NO_NOTIFIER when no channel is configured', () => {
    expect(notifierFromConfig(notifyConfig({}), {}, onError, directory)).toBe(NO_NOTIFIER);
  });

  it('sends to every channel, each behind its own minSeverity, and flush waits for all', async () => {
    const webhook = new ScriptedHttpReceiver();
    const slack = new ScriptedHttpReceiver();
    const udp = dgram.createSocket('udp4');
    const datagrams: string[] = [];
    udp.on('message', (datagram) => datagrams.push(datagram.toString('utf8')));
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    try {
      const webhookUrl = `${await webhook.start()}/hooks/warden`;
      const slackUrl = `${await slack.start()}/services/T1/B2/secret-token`;
      // The webhook's first answer is a 503: flush must also wait for the retry.
      webhook.script.push(503);
      const notifier = notifierFromConfig(
        notifyConfig({
          webhook: { url: webhookUrl, secret: 'env:WARDEN_TEST_HOOK_SECRET' },
          slack: { url: 'env:WARDEN_TEST_SLACK_URL', minSeverity: 'high' },
          syslog: { host: '127.0.0.1', port: (udp.address() as AddressInfo).port, transport: 'udp', minSeverity: 'medium' },
        }),
        { WARDEN_TEST_HOOK_SECRET: SECRET, WARDEN_TEST_SLACK_URL: slackUrl },
        onError,
        directory,
      );
      expect(notifier).toBeInstanceOf(FanoutNotifier);
      for (const severity of ['low', 'medium', 'high', 'critical', undefined]) notifier.notify(notification(severity));
      await notifier.flush();

      const summaries = (bodies: string[]) => bodies.map((body) => JSON.parse(body).summary ?? JSON.parse(body).text).sort();
      // The webhook has no filter: all five, the one answered 503 retried.
      expect(webhook.received).toHaveLength(6);
      expect(new Set(summaries(webhook.received.map((request) => request.body)))).toEqual(new Set(['an incident (low)', 'an incident (medium)', 'an incident (high)', 'an incident (critical)', 'an incident (none)']));
      for (const request of webhook.received) expect(verifySignatureHeader(request.headers['x-warden-signature'] as string, Buffer.from(request.body), SECRET, Math.floor(Date.now() / 1000)).ok).toBe(true);
      // Slack (high and up): high, critical, and the notification without a severity.
      expect(summaries(slack.received.map((request) => request.body))).toEqual(['[CRITICAL] an incident (critical) (agent returns-bot)', '[HIGH] an incident (high) (agent returns-bot)', 'an incident (none) (agent returns-bot)']);
      // Syslog (medium and up): medium, high, critical, none; facility 13 and app name by default.
      await eventually(() => datagrams.length >= 4, 'four syslog datagrams');
      const parsed = datagrams.map(parseRfc5424);
      expect(parsed.map((message) => message.pri).sort()).toEqual([106, 107, 108, 109]);
      expect(new Set(parsed.map((message) => message.appName))).toEqual(new Set(['warden']));
      expect(errors).toEqual([]);
    } finally {
      await webhook.stop();
      await slack.stop();
      udp.close();
    }
  });

  it('reads file: secrets relative to the config folder', async () => {
    const webhook = new ScriptedHttpReceiver();
    try {
      const url = `${await webhook.start()}/hooks/warden`;
      await writeFile(path.join(directory, 'hook-secret'), `${SECRET}\n`);
      const notifier = notifierFromConfig(notifyConfig({ webhook: { url, secret: 'file:hook-secret', minSeverity: 'critical' } }), {}, onError, directory);
      notifier.notify(notification('high'));
      notifier.notify(notification('critical'));
      await notifier.flush();
      expect(webhook.received).toHaveLength(1);
      expect(verifySignatureHeader(webhook.received[0]!.headers['x-warden-signature'] as string, Buffer.from(webhook.received[0]!.body), SECRET, Math.floor(Date.now() / 1000)).ok).toBe(true);
    } finally {
      await webhook.stop();
    }
  });

  it.each([
    [{ webhook: { url: 'https://hooks.example.com/w', secret: 'env:WARDEN_MISSING_SECRET' } }, /^notify\.webhook\.secret: environment variable WARDEN_MISSING_SECRET is not set; set environment variable WARDEN_MISSING_SECRET/],
    [{ webhook: { url: 'https://hooks.example.com/w', secret: 'file:missing-secret' } }, /^notify\.webhook\.secret: secret file .*missing-secret cannot be read \(ENOENT\)/],
    [{ slack: { url: 'env:WARDEN_MISSING_SLACK_URL' } }, /^notify\.slack\.url: environment variable WARDEN_MISSING_SLACK_URL is not set/],
    [{ slack: { url: 'file:missing-slack-url' } }, /^notify\.slack\.url: secret file .*missing-slack-url cannot be read/],
    [{ syslog: { host: 'siem.example.com', port: 6514, caFile: 'missing-ca.pem' } }, /^notify\.syslog\.caFile .*missing-ca\.pem cannot be read \(ENOENT\)/],
  ])('refuses to start a channel whose secret or file is unavailable: %j', (notify, message) => {
    expect(() => notifierFromConfig(notifyConfig(notify), {}, onError, directory)).toThrow(message);
  });

  it.each([
    ['not a url at all', /notify\.slack\.url \(from env:WARDEN_SLACK\) is not a URL/],
    ['http://hooks.example.com/services/T1/B2/token-xyz', /is not https/],
    ['https://user:pw-xyz@hooks.example.com/services/T1', /holds a user name or password/],
  ])('checks a Slack URL taken from env: without showing it: %s', (value, message) => {
    let thrown: Error | undefined;
    try {
      notifierFromConfig(notifyConfig({ slack: { url: 'env:WARDEN_SLACK' } }), { WARDEN_SLACK: value }, onError, directory);
    } catch (error) {
      thrown = error as Error;
    }
    expect(thrown?.message).toMatch(message);
    expect(thrown?.message).not.toContain(value);
    expect(thrown?.message).not.toMatch(/xyz|at all/);
  });
});
