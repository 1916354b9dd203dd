import { appendFile, readdir, readFile, stat, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, openTestAuditLog, seqOf, upTo, type TestAuditLog } from '../../../../test/audit/sink-receivers.js';
import { editStoredRecord } from '../../../../test/support/audit-fixtures.js';
import type { JsonlSinkConfig } from '../../../model/config/audit-sink-config.js';
import { chainProblem, GENESIS_HASH } from '../audit-chain.js';
import { startAuditExport, type AuditExport } from './audit-export.js';

const FAST = { minMs: 20, maxMs: 200, refusedMinMs: 200 };

let audit: TestAuditLog;
let exporter: AuditExport | undefined;
let errors: string[];
let file: string;

beforeEach(async () => {
  audit = await openTestAuditLog('warden-jsonl-sink-');
  file = path.join(audit.directory, 'export', 'audit.jsonl');
  errors = [];
});

afterEach(async () => {
  await exporter?.stop();
  exporter = undefined;
  await audit.close();
});

function start(sink: Partial<JsonlSinkConfig> = {}, now?: () => Date): AuditExport {
  return startAuditExport({
    log: audit.log,
    cursors: audit.cursors,
    // Relative to the config file's folder.
    sinks: [{ name: 'file', type: 'jsonl', file: 'export/audit.jsonl', ...sink }],
    baseDirectory: audit.directory,
    onError: (error) => errors.push(error.message),
    pollMs: 50,
    backoff: FAST,
    ...(now ? { now } : {}),
  });
}

async function lines(of = file): Promise<string[]> {
  return (await readFile(of, 'utf8')).split('\n').filter((line) => line !== '');
}

/** Rotated files, oldest first. */
async function rotated(): Promise<string[]> {
  return (await readdir(path.dirname(file))).filter((name) => name.startsWith('audit.jsonl.')).sort().map((name) => path.join(path.dirname(file), name));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

describe('JSONL file sink', () => {
  it('appends the stored records byte for byte to a file of mode 0640, and continues after a restart', async () => {
    audit.append(20);
    exporter = start();
    await eventually(() => exporter!.status()[0]!.cursor === 20, 'cursor 20');
    await exporter.stop();
    audit.append(5);
    exporter = start();
    await eventually(() => exporter!.status()[0]!.cursor === 25, 'cursor 25');
    await settle();
    const texts = await lines();
    expect(texts).toEqual(audit.log.readAfter(0, 100).map((record) => record.json));
    let prevHash = GENESIS_HASH;
    texts.forEach((text, index) => {
      expect(chainProblem(text, { seq: index + 1, prevHash })).toBeUndefined();
      prevHash = (JSON.parse(text) as { hash: string }).hash;
    });
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(exporter.status()[0]).toMatchObject({ type: 'jsonl', target: `jsonl ${file}`, lag: 0 });
  });

  it('rotates by size between batches and keeps the newest rotated files', async () => {
    audit.append(1);
    const lineBytes = Buffer.byteLength(audit.log.readAfter(0, 1)[0]!.json) + 1;
    // Two records per batch, and a file holds at most two and a half records: each batch gets a file.
    exporter = start({ batchSize: 2, maxBytes: Math.floor(lineBytes * 2.5), keep: 3 });
    audit.append(19);
    await eventually(() => exporter!.status()[0]!.cursor === 20, 'cursor 20');
    await settle();
    const files = await rotated();
    expect(files).toHaveLength(3);
    const kept = [...(await Promise.all(files.map((name) => lines(name)))).flat(), ...(await lines())].map(seqOf);
    // The newest records, contiguous and in order; the oldest files were deleted.
    expect(kept).toEqual(upTo(20).slice(20 - kept.length));
    expect(kept.length).toBeGreaterThanOrEqual(7);
    for (const name of [...files, file]) {
      expect((await lines(name)).length).toBeLessThanOrEqual(2);
      expect((await stat(name)).mode & 0o777).toBe(0o640);
    }
  });

  it('rotates at the first write of a new UTC day', async () => {
    let now = new Date('2026-03-15T23:59:59.000Z');
    audit.append(3);
    exporter = start({ rotateDaily: true, maxBytes: 0 }, () => now);
    await eventually(() => exporter!.status()[0]!.cursor === 3, 'cursor 3');
    now = new Date('2026-03-16T00:00:01.000Z');
    audit.append(2);
    exporter.nudge();
    await eventually(() => exporter!.status()[0]!.cursor === 5, 'cursor 5');
    const files = await rotated();
    expect(files.map((name) => path.basename(name))).toEqual(['audit.jsonl.20260316T000001000Z']);
    expect((await lines(files[0])).map(seqOf)).toEqual([1, 2, 3]);
    expect((await lines()).map(seqOf)).toEqual([4, 5]);
  });

  it('keeps records while the disk refuses writes and delivers each exactly once when it takes them again', async () => {
    audit.append(5);
    exporter = start();
    await eventually(() => exporter!.status()[0]!.cursor === 5, 'cursor 5');
    await exporter.stop();
    // The same path now leads to a device that fails every write with ENOSPC.
    await appendFile(file, '');
    const before = await lines();
    await unlink(file);
    await symlink('/dev/full', file);
    audit.append(4);
    exporter = start();
    await eventually(() => exporter!.status()[0]!.failures >= 2, 'failed writes');
    expect(exporter.status()[0]!.lastError?.message).toMatch(/appending records 6–9 to .*audit\.jsonl failed: ENOSPC/);
    expect(exporter.status()[0]).toMatchObject({ cursor: 5, lag: 4 });
    // Space again: the path is a plain file once more.
    await unlink(file);
    await appendFile(file, before.map((line) => `${line}\n`).join(''));
    await eventually(() => exporter!.status()[0]!.cursor === 9, 'cursor 9');
    await settle();
    expect((await lines()).map(seqOf)).toEqual(upTo(9));
  });

  it('after a crash drops a torn last line and does not write again what the file already holds', async () => {
    audit.append(5);
    exporter = start();
    await eventually(() => exporter!.status()[0]!.cursor === 5, 'cursor 5');
    await exporter.stop();
    exporter = undefined;
    // A crash after writing 4 and 5 but before the cursor moved, in the middle of writing 6.
    audit.cursors.set('file', 3);
    audit.append(3);
    await appendFile(file, audit.log.get(6)!.json.slice(0, 40));
    exporter = start();
    await eventually(() => exporter!.status()[0]!.cursor === 8, 'cursor 8');
    await settle();
    expect((await lines()).map(seqOf)).toEqual(upTo(8));
    expect(errors).toEqual([]);
  });

  it('does not skip records because a file of another log ends with a higher seq', async () => {
    const other = await openTestAuditLog('warden-jsonl-other-');
    try {
      other.append(9, () => ({ node: 'another-gateway' }));
      await appendFile(path.join(audit.directory, 'stale.jsonl'), `${other.log.get(9)!.json}\n`);
    } finally {
      await other.close();
    }
    audit.append(10);
    exporter = startAuditExport({ log: audit.log, cursors: audit.cursors, sinks: [{ name: 'file', type: 'jsonl', file: 'stale.jsonl' }], baseDirectory: audit.directory, onError: (error) => errors.push(error.message), pollMs: 50, backoff: FAST });
    await eventually(() => exporter!.status()[0]!.cursor === 10, 'cursor 10');
    expect((await lines(path.join(audit.directory, 'stale.jsonl'))).slice(1).map(seqOf)).toEqual(upTo(10));
    expect(errors[0]).toMatch(/ends with record 9, which is not this log's record 9; appending after the cursor \(0\)/);
  });

  it('looks at the log at once when nudged, instead of at the next poll', async () => {
    exporter = startAuditExport({ log: audit.log, cursors: audit.cursors, sinks: [{ name: 'file', type: 'jsonl', file: 'export/audit.jsonl' }], baseDirectory: audit.directory, pollMs: 60_000, backoff: FAST });
    await settle();
    audit.append(2);
    exporter.nudge();
    await eventually(() => exporter!.status()[0]!.cursor === 2, 'cursor 2', 2000);
    expect(exporter.status()[0]!.lastSuccessAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('says so when retention pruned records before the sink exported them, and goes on', async () => {
    audit.append(5);
    editStoredRecord(audit.store.sqlite!, 1, () => '');
    editStoredRecord(audit.store.sqlite!, 2, () => '');
    exporter = start();
    await eventually(() => exporter!.status()[0]!.cursor === 5, 'cursor 5');
    expect((await lines()).map(seqOf)).toEqual([3, 4, 5]);
    expect(errors).toEqual(['audit sink file: records 1–2 were pruned by retention before this sink exported them; it goes on with 3. Keep records longer (audit.retention) or fix the sink sooner']);
  });

  it('writes OCSF objects when configured, one per line', async () => {
    audit.append(3);
    exporter = start({ format: 'ocsf' });
    await eventually(() => exporter!.status()[0]!.cursor === 3, 'cursor 3');
    const objects = (await lines()).map((line) => JSON.parse(line) as { class_uid: number; metadata: { sequence: number } });
    expect(objects.map((object) => [object.class_uid, object.metadata.sequence])).toEqual([[6003, 1], [6003, 2], [6003, 3]]);
    // An OCSF file resumes after its last record too.
    await exporter.stop();
    audit.cursors.set('file', 1);
    audit.append(1);
    exporter = start({ format: 'ocsf' });
    await eventually(() => exporter!.status()[0]!.cursor === 4, 'cursor 4');
    expect((await lines()).map(seqOf)).toEqual(upTo(4));
  });
});
