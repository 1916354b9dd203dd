import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GatewayConfig, NotifySeverity } from '../../model/config/gateway-config.js';
import { SyslogTransport } from '../audit/sinks/syslog-transport.js';
import { resolveSecret } from '../config/secret-ref.js';
import { DEFAULT_TIMEOUT_MS } from './background-deliveries.js';
import { FanoutNotifier } from './fanout-notifier.js';
import { MinSeverityNotifier } from './notification-severity.js';
import { NO_NOTIFIER, type Notifier } from './notifier.js';
import { SlackNotifier } from './slack-notifier.js';
import { SyslogNotifier } from './syslog-notifier.js';
import { SyslogUdpTransport } from './syslog-udp-transport.js';
import { WebhookNotifier } from './webhook-notifier.js';

/**
 * The notifier of the `notify` config section: every configured channel (webhook, Slack, syslog),
 * each behind its `minSeverity` filter, or {@link NO_NOTIFIER} when none is. Secrets are resolved
 * here, at start, and relative `file:` paths start at `baseDirectory` (the config file's folder);
 * a secret or CA file that cannot be had throws an Error naming the field, so a misconfigured
 * channel stops the start instead of dropping every notification later. Delivery failures go to
 * `onError`.
 */
export function notifierFromConfig(notify: GatewayConfig['notify'], env: NodeJS.ProcessEnv, onError: (error: Error) => void, baseDirectory = process.cwd()): Notifier {
  const channels: Notifier[] = [];
  const { webhook, slack, syslog } = notify;
  if (webhook !== undefined) {
    const secret = webhook.secret === undefined ? undefined : secretOf('notify.webhook.secret', webhook.secret, env, baseDirectory);
    channels.push(filtered(new WebhookNotifier({ url: webhook.url, secret, onError }), webhook.minSeverity));
  }
  if (slack !== undefined) {
    const url = /^(env|file):/.test(slack.url) ? secretOf('notify.slack.url', slack.url, env, baseDirectory) : slack.url;
    checkSlackUrl(url, slack.url);
    channels.push(filtered(new SlackNotifier({ url, onError }), slack.minSeverity));
  }
  if (syslog !== undefined) {
    const transport = syslog.transport === 'udp'
      ? new SyslogUdpTransport({ host: syslog.host, port: syslog.port, timeoutMs: DEFAULT_TIMEOUT_MS })
      : new SyslogTransport({
        host: syslog.host,
        port: syslog.port,
        transport: syslog.transport,
        ...(syslog.caFile !== undefined ? { ca: readCaFile(syslog.caFile, baseDirectory) } : {}),
        ...(syslog.serverName !== undefined ? { serverName: syslog.serverName } : {}),
        timeoutMs: DEFAULT_TIMEOUT_MS,
      });
    channels.push(filtered(new SyslogNotifier({ transport, facility: syslog.facility, appName: syslog.appName, hostname: os.hostname(), onError }), syslog.minSeverity));
  }
  if (channels.length === 0) return NO_NOTIFIER;
  return channels.length === 1 ? channels[0]! : new FanoutNotifier(channels);
}

function filtered(notifier: Notifier, minSeverity: NotifySeverity | undefined): Notifier {
  return minSeverity === undefined ? notifier : new MinSeverityNotifier(notifier, minSeverity);
}

/** The secret behind `reference`, or an Error naming the field and what to do; never the secret. */
function secretOf(field: string, reference: string, env: NodeJS.ProcessEnv, baseDirectory: string): string {
  const resolved = resolveSecret(reference.startsWith('file:') ? `file:${path.resolve(baseDirectory, reference.slice(5))}` : reference, env);
  if (typeof resolved === 'string') return resolved;
  const fix = reference.startsWith('env:') ? `set environment variable ${reference.slice(4)}` : 'write it into that file';
  throw new Error(`${field}: ${resolved.unavailable}; ${fix}, or remove the notify channel`);
}

/**
 * The schema checks a URL written in the config, not one behind env: or file:, so it is checked
 * again here: https, plain http only to this machine (the URL is the channel's credential), and
 * no user:password. Messages never echo the URL.
 */
function checkSlackUrl(url: string, reference: string): void {
  const from = url === reference ? '' : ` (from ${reference})`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`notify.slack.url${from} is not a URL: give the incoming-webhook URL, https://hooks.slack.com/services/…`);
  }
  if (parsed.username !== '' || parsed.password !== '') throw new Error(`notify.slack.url${from} holds a user name or password: remove it`);
  const loopback = parsed.hostname === 'localhost' || parsed.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new Error(`notify.slack.url${from} is not https: the URL is the channel's credential and must not cross a network in clear text (http:// is accepted for localhost only)`);
  }
}

function readCaFile(file: string, baseDirectory: string): Buffer {
  const absolute = path.resolve(baseDirectory, file);
  try {
    return readFileSync(absolute);
  } catch (error) {
    throw new Error(`notify.syslog.caFile ${absolute} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): give the path of a PEM CA bundle, relative to the config file`);
  }
}
