import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../model/audit-event.js';
import { auditEvent, storedAuditTexts } from '../../../test/support/audit-fixtures.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import type { SqlStore } from '../store/sql-store.js';
import { InlineAppender, WorkerAppender, type AuditAppender } from './audit-appender.js';
import { AuditLog } from './audit-log.js';
import { chainProblem, GENESIS_HASH } from './audit-chain.js';
import { AuditWriter } from './audit-writer.js';

let directory: string;
let file: string;
let store: SqlStore;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'warden-audit-writer-'));
  file = path.join(directory, 'warden.db');
  store = await openSqliteStore(file);
});

afterEach(async () => {
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

const event = (n: number) => auditEvent(n);
const storedTexts = () => storedAuditTexts(file);

function expectIntactChain(texts: readonly string[]): void {
  let prevHash = GENESIS_HASH;
  texts.forEach((text, index) => {
    expect(chainProblem(text, { seq: index + 1, prevHash }), `record ${index + 1}`).toBeUndefined();
    prevHash = (JSON.parse(text) as { hash: string }).hash;
  });
}

/** Makes every insert into the audit log fail, from another connection, as a broken disk would. */
function breakStore(): () => void {
  const database = new Sqlite(file);
  database.exec("create trigger refuse_audit before insert on audit_blocks begin select raise(abort, 'disk on fire'); end");
  return () => {
    database.exec('drop trigger refuse_audit');
    database.close();
  };
}

const ids = (texts: readonly string[]) => texts.map((text) => (JSON.parse(text) as AuditEvent).id);

// The worker runs the built code (dist/, built by the tests' global setup), as `warden start` does.
const WORKER_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/src/controlplane/audit/audit-append-worker.js');

const appenders: [string, (jsonlFile?: string) => AuditAppender][] = [
  ['on the request thread', (jsonlFile) => new InlineAppender(AuditLog.open(store.sqlite!), jsonlFile === undefined ? {} : { jsonlFile })],
  ['on the append worker', (jsonlFile) => new WorkerAppender(WORKER_FILE, { databaseFile: file, segmentSize: 65_536, jsonlFile })],
];

describe.each(appenders)('AuditWriter appending %s', (_, appender) => {
  it('writes buffered records on its own within the flush interval', async () => {
    const writer = new AuditWriter(appender(), { flushIntervalMs: 20 });
    writer.write(event(1));
    writer.write(event(2));
    expect(writer.pending()).toBe(2);
    const deadline = Date.now() + 2000;
    while (storedTexts().length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ids(storedTexts())).toEqual(['id-1', 'id-2']);
    expect(writer.pending()).toBe(0);
    await writer.close();
  });

  it('chains many records across chunks and continues the chain after a restart', async () => {
    const first = new AuditWriter(appender(), { flushIntervalMs: 50 });
    for (let n = 1; n <= 200; n++) first.write(event(n));
    await first.close();
    const second = new AuditWriter(appender(), { flushIntervalMs: 50 });
    second.write(event(201));
    await second.close();
    const texts = storedTexts();
    expect(ids(texts)).toEqual(Array.from({ length: 201 }, (_, index) => `id-${index + 1}`));
    expectIntactChain(texts);
  });

  it('appends the same records to the JSONL file', async () => {
    const jsonl = path.join(directory, 'logs', 'audit.jsonl');
    const writer = new AuditWriter(appender(jsonl), { flushIntervalMs: 50 });
    for (let n = 1; n <= 3; n++) writer.write(event(n));
    await writer.close();
    expect((await readFile(jsonl, 'utf8')).split('\n')).toEqual([...storedTexts(), '']);
  });

  it('keeps records while the store fails and writes each exactly once when it recovers', async () => {
    const errors: string[] = [];
    const writer = new AuditWriter(appender(), { flushIntervalMs: 5, onError: (error: Error) => errors.push(error.message) });
    writer.write(event(1));
    await writer.flush();
    const repair = breakStore();
    writer.write(event(2));
    writer.write(event(3));
    await writer.flush();
    expect(errors.at(-1)).toMatch(/disk on fire/);
    expect(writer.pending()).toBe(2);
    writer.write(event(4));
    repair();
    await writer.close();
    const texts = storedTexts();
    expect(ids(texts)).toEqual(['id-1', 'id-2', 'id-3', 'id-4']);
    expectIntactChain(texts);
  });

  it('resolves a durable write only once the record is in the store', async () => {
    const writer = new AuditWriter(appender(), { flushIntervalMs: 50 });
    await writer.writeDurably(event(1));
    expect(ids(storedTexts())).toEqual(['id-1']);
    await writer.close();
  });

  it('rejects a durable write the store refuses and withdraws its record, keeping buffered ones', async () => {
    const writer = new AuditWriter(appender(), { flushIntervalMs: 5, onError: () => undefined });
    const repair = breakStore();
    writer.write(event(1));
    await expect(writer.writeDurably(event(2))).rejects.toThrow(/disk on fire/);
    repair();
    await writer.close();
    // The strict request's caller records what it answered instead; the buffered record survives.
    expect(ids(storedTexts())).toEqual(['id-1']);
  });

  it('refuses records after close, and close reports records it could not write', async () => {
    const writer = new AuditWriter(appender(), { flushIntervalMs: 5, onError: () => undefined });
    const repair = breakStore();
    writer.write(event(1));
    await expect(writer.close()).rejects.toThrow('1 audit records could not be written');
    expect(() => writer.write(event(2))).toThrow('the audit writer is closed');
    repair();
  });
});
