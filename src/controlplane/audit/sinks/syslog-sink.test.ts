import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, openTestAuditLog, parseRfc5424, seqOf, SyslogReceiver, upTo, type TestAuditLog } from '../../../../test/audit/sink-receivers.js';
import { createTestPki, type TestPki } from '../../../../test/support/test-certificates.js';
import type { AuditSinkConfig, SyslogSinkConfig } from '../../../model/config/audit-sink-config.js';
import { startAuditExport, type AuditExport } from './audit-export.js';

const FAST = { minMs: 20, maxMs: 200, refusedMinMs: 200 };

let audit: TestAuditLog;
let exporter: AuditExport | undefined;
let errors: string[];

beforeEach(async () => {
  audit = await openTestAuditLog('warden-syslog-sink-');
  errors = [];
});

afterEach(async () => {
  await exporter?.stop();
  exporter = undefined;
  await audit.close();
});

function start(sink: AuditSinkConfig): AuditExport {
  return startAuditExport({
    log: audit.log,
    cursors: audit.cursors,
    sinks: [sink],
    baseDirectory: audit.directory,
    env: {},
    onError: (error, name) => errors.push(`${name}: ${error.message}`),
    pollMs: 50,
    backoff: FAST,
  });
}

/** The seqs of the records the receiver got, each frame checked against the RFC 5424 grammar. */
function receivedSeqs(receiver: SyslogReceiver): number[] {
  return receiver.messages.map((message) => {
    const parsed = parseRfc5424(message);
    expect(Number(parsed.structuredData[0]!.params.seq)).toBe(seqOf(parsed.msg));
    return seqOf(parsed.msg);
  });
}

/** Delivers, loses the receiver, gets it back on the same port: every record arrives exactly once, in order. */
async function survivesAnOutage(receiver: SyslogReceiver, sink: SyslogSinkConfig): Promise<void> {
  audit.append(25);
  exporter = start(sink);
  await eventually(() => receiver.messages.length >= 25, '25 records at the receiver');
  expect(receivedSeqs(receiver)).toEqual(upTo(25));
  expect(exporter.status()[0]).toMatchObject({ name: 'siem', type: 'syslog', cursor: 25, lag: 0, failures: 0 });

  await receiver.stop();
  audit.append(30);
  exporter.nudge();
  await eventually(() => exporter!.status()[0]!.failures >= 2, 'failed attempts while the receiver is down');
  const down = exporter.status()[0]!;
  expect(down.lag).toBe(30);
  expect(down.lastError?.message).toMatch(new RegExp(`cannot connect to syslog\\+${sink.transport}://127\\.0\\.0\\.1:${receiver.port}: .*ECONNREFUSED`));
  expect(errors.some((error) => error.startsWith('siem: audit sink siem: cannot connect'))).toBe(true);

  await receiver.start();
  await eventually(() => receiver.messages.length >= 55, '55 records at the receiver');
  // Anything sent twice would arrive within a few more polls.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(receivedSeqs(receiver)).toEqual(upTo(55));
  expect(receiver.problems).toEqual([]);
  expect(exporter.status()[0]).toMatchObject({ cursor: 55, lag: 0, failures: 0 });
  expect(audit.cursors.get('siem')).toBe(55);
}

describe('syslog sink over TCP', () => {
  let receiver: SyslogReceiver;
  beforeEach(async () => {
    receiver = new SyslogReceiver();
    await receiver.start();
  });
  afterEach(async () => {
    await receiver.stop();
  });
  const sink = (): SyslogSinkConfig => ({ name: 'siem', type: 'syslog', host: '127.0.0.1', port: receiver.port, transport: 'tcp' });

  it('delivers every record, and after the receiver was down every record exactly once, in order', async () => {
    await survivesAnOutage(receiver, sink());
  });

  it('notices a receiver that went away while the sink was idle before writing to the dead connection', async () => {
    audit.append(5);
    exporter = start(sink());
    await eventually(() => receiver.messages.length >= 5, '5 records');
    // No pause between the receiver going away and new records: the FIN has not been read yet.
    const stopping = receiver.stop();
    audit.append(5);
    exporter.nudge();
    await stopping;
    await eventually(() => exporter!.status()[0]!.failures >= 1, 'a failed attempt');
    await receiver.start();
    await eventually(() => receiver.messages.length >= 10, '10 records');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receivedSeqs(receiver)).toEqual(upTo(10));
  });

  it('continues from its durable cursor when the runner is restarted', async () => {
    audit.append(10);
    exporter = start(sink());
    await eventually(() => receiver.messages.length >= 10, '10 records');
    await exporter.stop();
    expect(audit.cursors.get('siem')).toBe(10);

    audit.append(5);
    exporter = start(sink());
    await eventually(() => receiver.messages.length >= 15, '15 records');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receivedSeqs(receiver)).toEqual(upTo(15));
  });

  it('works off a backlog larger than a batch, in order', async () => {
    audit.append(1200);
    exporter = start({ ...sink(), batchSize: 500 });
    await eventually(() => receiver.messages.length >= 1200, '1200 records');
    expect(receivedSeqs(receiver)).toEqual(upTo(1200));
  });

  it('sends CEF as the MSG when configured', async () => {
    audit.append(2, () => ({ decision: { outcome: 'deny', reason: 'WARDEN_AUTHZ_NOT_GRANTED', rule: undefined, policyVersion: undefined, monitored: false } }));
    exporter = start({ ...sink(), format: 'cef', facility: 10 });
    await eventually(() => receiver.messages.length >= 2, '2 records');
    const parsed = parseRfc5424(receiver.messages[0]!);
    expect(parsed.pri).toBe(10 * 8 + 4);
    expect(parsed.msgId).toBe('deny');
    expect(parsed.msg).toMatch(/^CEF:0\|Warden\|Warden\|[^|]+\|WARDEN_AUTHZ_NOT_GRANTED\|API call denied\|6\|.*cn1=1 cn1Label=Audit Seq/);
  });
});

describe('syslog sink over TLS', () => {
  let pki: TestPki;
  let receiver: SyslogReceiver;
  beforeAll(() => {
    pki = createTestPki();
  });
  afterAll(() => pki.dispose());
  beforeEach(async () => {
    receiver = new SyslogReceiver({ cert: pki.server.cert, key: pki.server.key });
    await receiver.start();
    await writeFile(path.join(audit.directory, 'siem-ca.pem'), pki.ca.cert);
  });
  afterEach(async () => {
    await receiver.stop();
  });
  const sink = (): SyslogSinkConfig => ({ name: 'siem', type: 'syslog', host: '127.0.0.1', port: receiver.port, transport: 'tls', caFile: 'siem-ca.pem' });

  it('delivers every record, and after the receiver was down every record exactly once, in order', async () => {
    await survivesAnOutage(receiver, sink());
  });

  it('sends nothing to a receiver whose certificate the configured CAs did not sign', async () => {
    audit.append(3);
    const { caFile: _unused, ...withoutCa } = sink();
    exporter = start(withoutCa);
    await eventually(() => exporter!.status()[0]!.failures >= 1, 'a failed attempt');
    expect(exporter.status()[0]!.lastError?.message).toMatch(/cannot connect to syslog\+tls:\/\/127\.0\.0\.1:\d+: .*(self-signed|unable to (get|verify)|UNABLE_TO)/i);
    expect(receiver.messages).toEqual([]);
    expect(audit.cursors.get('siem')).toBe(0);
  });

  it('sends nothing when the certificate does not carry the expected server name', async () => {
    audit.append(3);
    exporter = start({ ...sink(), serverName: 'siem.example.com' });
    await eventually(() => exporter!.status()[0]!.failures >= 1, 'a failed attempt');
    expect(exporter.status()[0]!.lastError?.message).toMatch(/siem\.example\.com/);
    expect(receiver.messages).toEqual([]);
  });
});
