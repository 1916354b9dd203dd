import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, parseRfc5424, SyslogReceiver } from '../../../test/audit/sink-receivers.js';
import { createTestPki, type TestPki } from '../../../test/support/test-certificates.js';
import { SyslogTransport } from '../audit/sinks/syslog-transport.js';
import type { Notification } from './notifier.js';
import { SyslogNotifier } from './syslog-notifier.js';
import { SyslogUdpTransport } from './syslog-udp-transport.js';

/** Facility 13 (log audit) × 8: PRI = 104 + severity. */
const FACILITY = 13;

function notification(severity: string | undefined, overrides: Partial<Notification> = {}): Notification {
  return {
    type: 'incident.opened',
    time: '2025-07-01T09:00:00.000Z',
    recipients: ['security'],
    summary: `returns-bot: bulk-read (${severity ?? 'no severity'})`,
    data: { ...(severity !== undefined ? { severity } : {}), agent: 'returns-bot', incident: 'inc_0123456789abcdef', note: 'quote " bracket ] backslash \\ ünïcode' },
    ...overrides,
  };
}

/** A syslog receiver on UDP (RFC 5426): each datagram is one message. */
class UdpReceiver {
  readonly messages: string[] = [];
  readonly #socket = dgram.createSocket('udp4');

  async start(): Promise<number> {
    this.#socket.on('message', (datagram) => this.messages.push(datagram.toString('utf8')));
    await new Promise<void>((resolve) => this.#socket.bind(0, '127.0.0.1', resolve));
    return (this.#socket.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

let errors: Error[];
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function syslogNotifier(transport: SyslogTransport | SyslogUdpTransport, retryDelaysMs: readonly number[] = [10, 10]): SyslogNotifier {
  errors = [];
  return new SyslogNotifier({ transport, facility: FACILITY, appName: 'warden-notify', hostname: 'gw-1.example', onError: (error) => errors.push(error), retryDelaysMs });
}

describe('SyslogNotifier over UDP', () => {
  it('sends one RFC 5424 datagram per notification, PRI from data.severity, the notification as JSON', async () => {
    const receiver = new UdpReceiver();
    const port = await receiver.start();
    stops.push(() => receiver.stop());
    const sender = syslogNotifier(new SyslogUdpTransport({ host: '127.0.0.1', port, timeoutMs: 1000 }));
    const sent = ['critical', 'high', 'medium', 'low', undefined, 'bogus'].map((severity) => notification(severity));
    for (const one of sent) sender.notify(one);
    await sender.flush();
    await eventually(() => receiver.messages.length >= 6, 'six datagrams');

    const parsed = receiver.messages.map(parseRfc5424);
    // critical→crit 2, high→err 3, medium→warning 4, low→notice 5; none (or unknown)→notice 5.
    expect(parsed.map((message) => message.pri)).toEqual([106, 107, 108, 109, 109, 109]);
    for (const [index, message] of parsed.entries()) {
      expect(message).toMatchObject({ version: 1, timestamp: '2025-07-01T09:00:00.000Z', hostname: 'gw-1.example', appName: 'warden-notify', procId: String(process.pid), msgId: 'incident.opened', structuredData: [] });
      expect(JSON.parse(message.msg)).toEqual(sent[index]);
    }
    expect(errors).toEqual([]);
  });

  it('reports a host that cannot be looked up, naming the target', async () => {
    const sender = syslogNotifier(new SyslogUdpTransport({ host: 'no-such-host.invalid', port: 514, timeoutMs: 2000 }), []);
    sender.notify(notification('high'));
    await sender.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('notification incident.opened to syslog+udp://no-such-host.invalid:514 failed');
  });
});

describe('SyslogNotifier over TCP', () => {
  it('sends octet-counted frames in order, closes when idle, and connects again for the next ones', async () => {
    const receiver = new SyslogReceiver();
    const port = await receiver.start();
    stops.push(() => receiver.stop());
    const sender = syslogNotifier(new SyslogTransport({ host: '127.0.0.1', port, transport: 'tcp', timeoutMs: 1000 }));
    for (let n = 1; n <= 5; n++) sender.notify(notification('medium', { summary: `message ${n}` }));
    await sender.flush();
    await eventually(() => receiver.messages.length >= 5, 'five messages');
    expect(receiver.messages.map((message) => JSON.parse(parseRfc5424(message).msg).summary)).toEqual(['message 1', 'message 2', 'message 3', 'message 4', 'message 5']);
    expect(parseRfc5424(receiver.messages[0]!).pri).toBe(108);
    // Idle: the connection is closed (both ends of it gone), so it cannot keep the process alive.
    await eventually(() => !process.getActiveResourcesInfo().includes('TCPSocketWrap'), 'the idle connection closed');

    sender.notify(notification('critical', { type: 'incident.escalated' }));
    await sender.flush();
    await eventually(() => receiver.messages.length >= 6, 'the sixth message');
    expect(parseRfc5424(receiver.messages[5]!)).toMatchObject({ pri: 106, msgId: 'incident.escalated' });
    expect(receiver.problems).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('retries while the receiver is down, then reports the failure once; later notifications still go', async () => {
    const receiver = new SyslogReceiver();
    const port = await receiver.start();
    await receiver.stop();
    const sender = syslogNotifier(new SyslogTransport({ host: '127.0.0.1', port, transport: 'tcp', timeoutMs: 1000 }), [10, 10]);
    sender.notify(notification('high'));
    await sender.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain(`notification incident.opened to syslog+tcp://127.0.0.1:${port} failed`);

    await receiver.start();
    stops.push(() => receiver.stop());
    sender.notify(notification('low'));
    await sender.flush();
    await eventually(() => receiver.messages.length >= 1, 'the message after the outage');
    expect(parseRfc5424(receiver.messages[0]!).pri).toBe(109);
    expect(errors).toHaveLength(1);
  });
});

describe('SyslogNotifier over TLS', () => {
  let pki: TestPki;

  beforeAll(() => {
    pki = createTestPki();
  });

  afterAll(() => pki.dispose());

  it('delivers to a receiver whose certificate the CA signed', async () => {
    const receiver = new SyslogReceiver({ cert: pki.server.cert, key: pki.server.key });
    const port = await receiver.start();
    stops.push(() => receiver.stop());
    const sender = syslogNotifier(new SyslogTransport({ host: '127.0.0.1', port, transport: 'tls', ca: pki.ca.cert, timeoutMs: 2000 }));
    sender.notify(notification('critical'));
    await sender.flush();
    await eventually(() => receiver.messages.length >= 1, 'the TLS message');
    expect(parseRfc5424(receiver.messages[0]!).pri).toBe(106);
    expect(errors).toEqual([]);
  });

  it('refuses a receiver it cannot verify', async () => {
    const receiver = new SyslogReceiver({ cert: pki.server.cert, key: pki.server.key });
    const port = await receiver.start();
    stops.push(() => receiver.stop());
    const sender = syslogNotifier(new SyslogTransport({ host: '127.0.0.1', port, transport: 'tls', timeoutMs: 2000 }), []);
    sender.notify(notification('critical'));
    await sender.flush();
    expect(receiver.messages).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/cannot connect to syslog\+tls:\/\/127\.0\.0\.1:\d+/);
  });
});
