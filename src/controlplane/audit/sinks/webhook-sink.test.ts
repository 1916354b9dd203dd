import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, openTestAuditLog, seqOf, upTo, WebhookReceiver, type TestAuditLog } from '../../../../test/audit/sink-receivers.js';
import { createTestPki, type TestPki } from '../../../../test/support/test-certificates.js';
import type { AuditSinkConfig } from '../../../model/config/audit-sink-config.js';
import { chainProblem, GENESIS_HASH } from '../audit-chain.js';
import { startAuditExport, type AuditExport } from './audit-export.js';

const SECRET = 'whsec_audit_export_test_5f0c1e9a';
const ENV = { AUDIT_HOOK_KEY: SECRET };
const FAST = { minMs: 20, maxMs: 200, refusedMinMs: 400 };

let audit: TestAuditLog;
let exporter: AuditExport | undefined;
let errors: string[];
let pki: TestPki;

beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki.dispose());

beforeEach(async () => {
  audit = await openTestAuditLog('warden-webhook-sink-');
  await writeFile(path.join(audit.directory, 'hook-ca.pem'), pki.ca.cert);
  errors = [];
});

afterEach(async () => {
  await exporter?.stop();
  exporter = undefined;
  await audit.close();
});

function start(sink: AuditSinkConfig, env: NodeJS.ProcessEnv = ENV): AuditExport {
  return startAuditExport({
    log: audit.log,
    cursors: audit.cursors,
    sinks: [sink],
    baseDirectory: audit.directory,
    env,
    onError: (error) => errors.push(error.message),
    pollMs: 50,
    backoff: FAST,
  });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

describe('webhook sink over HTTPS', () => {
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = new WebhookReceiver(SECRET, { cert: pki.server.cert, key: pki.server.key });
    await receiver.start();
  });
  afterEach(async () => {
    await receiver.stop();
  });
  const sink = (extra: Partial<AuditSinkConfig> = {}): AuditSinkConfig => ({ name: 'hook', type: 'webhook', url: receiver.url, secret: 'env:AUDIT_HOOK_KEY', caFile: 'hook-ca.pem', batchSize: 10, ...extra } as AuditSinkConfig);

  it('delivers signed batches, and after the receiver was down every record exactly once, in order', async () => {
    audit.append(25);
    exporter = start(sink());
    await eventually(() => receiver.items.length >= 25, '25 records');
    expect(receiver.items.map(seqOf)).toEqual(upTo(25));
    expect(receiver.accepted.map((batch) => batch.headers['warden-batch'])).toEqual(['1-10', '11-20', '21-25']);
    expect(receiver.accepted[0]!.headers['content-type']).toBe('application/json');
    expect(receiver.accepted[0]!.headers['user-agent']).toMatch(/^warden\//);

    await receiver.stop();
    audit.append(12);
    exporter.nudge();
    await eventually(() => exporter!.status()[0]!.failures >= 2, 'failed attempts while the receiver is down');
    expect(exporter.status()[0]).toMatchObject({ name: 'hook', type: 'webhook', target: `webhook https://127.0.0.1:${receiver.port}`, cursor: 25, lag: 12 });
    expect(exporter.status()[0]!.lastError?.message).toMatch(/POST of records 26-35 to https:\/\/127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/);

    await receiver.start();
    await eventually(() => receiver.items.length >= 37, '37 records');
    await settle();
    expect(receiver.items.map(seqOf)).toEqual(upTo(37));
    expect(receiver.problems).toEqual([]);
    expect(exporter.status()[0]).toMatchObject({ cursor: 37, lag: 0, failures: 0 });
    // Neither the secret nor the URL's query (which may hold a token) ever reaches a message.
    expect(errors.join('\n')).not.toMatch(new RegExp(`${SECRET}|do-not-log-me`));
  });

  it('retries a batch after 5xx, 429 and a cut connection with the same records and Warden-Batch', async () => {
    receiver.script.push(503, 'destroy', 429, 500);
    audit.append(4);
    exporter = start(sink());
    await eventually(() => receiver.items.length >= 4, '4 records');
    await settle();
    expect(receiver.attempts.map((batch) => batch.headers['warden-batch'])).toEqual(['1-4', '1-4', '1-4', '1-4', '1-4']);
    expect(receiver.items.map(seqOf)).toEqual(upTo(4));
    expect(errors.some((error) => /answered HTTP 503 to records 1-4; retrying/.test(error))).toBe(true);
  });

  it('keeps a batch the receiver refuses (4xx), reports it and retries it more slowly', async () => {
    receiver.script.push(400, 400);
    audit.append(3);
    exporter = start(sink());
    await eventually(() => receiver.items.length >= 3, '3 records');
    const times = receiver.attempts.map((batch) => batch.at);
    expect(times).toHaveLength(3);
    // A refusal waits at least refusedMinMs (400 ms here), not the 20 ms of a network error.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(380);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(380);
    expect(errors[0]).toMatch(/refused records 1-3 with HTTP 400: check the receiver's logs .*; the records are kept and retried/);
    expect(receiver.items.map(seqOf)).toEqual(upTo(3));
  });

  it('says what to check when the receiver refuses the signature, without showing the secret', async () => {
    await receiver.stop();
    receiver = new WebhookReceiver('another-secret', { cert: pki.server.cert, key: pki.server.key });
    await receiver.start();
    audit.append(2);
    exporter = start(sink());
    await eventually(() => errors.length >= 1, 'an error');
    expect(errors[0]).toMatch(/refused records 1-2 with HTTP 401: check that the receiver verifies X-Warden-Signature with the same secret/);
    expect(errors.join('\n')).not.toContain(SECRET);
    expect(receiver.items).toEqual([]);
    expect(audit.cursors.get('hook')).toBe(0);
  });

  it('continues from its durable cursor when the runner is restarted, and can send NDJSON with the stored bytes', async () => {
    audit.append(3);
    exporter = start(sink({ body: 'ndjson' }));
    await eventually(() => receiver.items.length >= 3, '3 records');
    await exporter.stop();
    audit.append(2);
    exporter = start(sink({ body: 'ndjson' }));
    await eventually(() => receiver.items.length >= 5, '5 records');
    await settle();
    expect(receiver.accepted[0]!.headers['content-type']).toBe('application/x-ndjson');
    // The receiver can verify the chain on its own from the bytes it got.
    let prevHash = GENESIS_HASH;
    receiver.items.forEach((text, index) => {
      expect(chainProblem(text, { seq: index + 1, prevHash })).toBeUndefined();
      prevHash = (JSON.parse(text) as { hash: string }).hash;
    });
  });

  it('stop() waits for the delivery in flight and keeps its cursor', async () => {
    receiver.script.push('slow');
    audit.append(3);
    exporter = start(sink());
    await eventually(() => receiver.attempts.length >= 1, 'a POST');
    expect(exporter.status()[0]!.delivering).toBe(true);
    await exporter.stop();
    exporter = undefined;
    expect(receiver.items.map(seqOf)).toEqual(upTo(3));
    expect(audit.cursors.get('hook')).toBe(3);
  });

  it('sends OCSF API Activity objects when configured', async () => {
    audit.append(2, () => ({ http: { method: 'POST', rawPath: '/crm/notes', canonicalPath: '/crm/notes', queryParams: [], status: 201, bytesIn: 5, bytesOut: 9, durationMs: 3, upstreamMs: 2 } }));
    exporter = start(sink({ format: 'ocsf' }));
    await eventually(() => receiver.items.length >= 2, '2 records');
    const first = JSON.parse(receiver.items[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ class_uid: 6003, activity_id: 1, type_uid: 600301, metadata: { sequence: 1 } });
  });
});

describe('webhook sink over plain HTTP to this machine', () => {
  it('delivers to a loopback receiver', async () => {
    const receiver = new WebhookReceiver(SECRET);
    await receiver.start();
    try {
      audit.append(3);
      exporter = start({ name: 'hook', type: 'webhook', url: receiver.url, secret: 'env:AUDIT_HOOK_KEY' });
      await eventually(() => receiver.items.length >= 3, '3 records');
      expect(receiver.items.map(seqOf)).toEqual(upTo(3));
    } finally {
      await receiver.stop();
    }
  });
});
