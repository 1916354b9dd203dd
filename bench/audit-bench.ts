/**
 * Audit log benchmark, two figures:
 * - append throughput: realistic AuditEvents through the audit writer as `warden start` runs it —
 *   serialised on the calling thread, hashed into the Merkle tree and stored by the append
 *   worker — as records per second, the median of several rounds (target ≥ 100,000), with the
 *   request thread's CPU per record and, for comparison, the log appended on one thread;
 * - the auditor's question at scale: "who accessed customer PII on 15 March, and what did they
 *   read?" over a generated log of 10 million records spanning 90 days, answered by the same
 *   scan `warden audit query --data-class customer-pii --from … --to … --summary` runs
 *   (target < 1 s), median of several runs on a warm database.
 *
 * Usage: `npm run bench:audit [-- --records N] [--file PATH] [--json]`. The 10M-record log takes
 * a few minutes to generate and ~8 GB of disk; `--file` keeps it for later runs (it is reused
 * when it already holds the records).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkerAppender } from '../src/controlplane/audit/audit-appender.js';
import { AuditLog } from '../src/controlplane/audit/audit-log.js';
import { AuditWriter } from '../src/controlplane/audit/audit-writer.js';
import { scanAudit, summarizeAccess, type AuditFilter } from '../src/controlplane/audit/audit-query.js';
import { openSqliteStore } from '../src/controlplane/store/sqlite-store.js';
import type { AuditEvent } from '../src/model/audit-event.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
};
const RECORDS = Number(option('--records') ?? 10_000_000);
const JSON_OUTPUT = args.includes('--json');
const BATCH = 1_000;
const THROUGHPUT_RECORDS = 300_000;
const ROUNDS = 5;
const DAYS = 90;
const START = Date.UTC(2026, 2, 1);
const TARGET_RECORDS_PER_SECOND = 100_000;
const TARGET_QUERY_MS = 1_000;

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const log = (line: string) => {
  if (!JSON_OUTPUT) process.stderr.write(`${line}\n`);
};

const APIS = Array.from({ length: 20 }, (_, index) => ({
  name: `api-${index}`,
  operations: ['list', 'get', 'update', 'search'],
  dataClasses: index % 4 === 0 ? ['customer-pii', 'contact'] : index % 4 === 1 ? ['financial'] : index % 4 === 2 ? ['internal'] : [],
}));
const AGENTS = Array.from({ length: 50 }, (_, index) => `agent-${index}`);

/** Record `n` of a log of `total` spread evenly over 90 days from 1 March: a gateway's day of mixed calls. */
function generatedEvent(n: number, total: number): AuditEvent {
  const api = APIS[(n * 7) % APIS.length]!;
  const operation = api.operations[n % api.operations.length]!;
  const agent = AGENTS[(n * 13) % AGENTS.length]!;
  const denied = n % 50 === 0;
  return {
    v: 1,
    id: `01J${n.toString(36).padStart(12, '0')}`,
    time: new Date(START + Math.floor((n / total) * DAYS * 86_400_000)).toISOString(),
    requestId: `req-${n.toString(36)}`,
    traceId: undefined,
    node: 'gw-1',
    agent: { id: agent, name: agent, roles: ['support'], owner: 'owner@example.com' },
    credential: { id: `key_${agent}`, kind: 'apiKey' },
    src: { ip: `10.0.${n % 8}.${n % 250}`, country: n % 10 === 0 ? 'DE' : 'US' },
    http: { method: 'GET', rawPath: `/${api.name}/customers/${n % 100_000}`, canonicalPath: `/${api.name}/customers/${n % 100_000}`, queryParams: ['fields'], status: denied ? 403 : 200, bytesIn: 0, bytesOut: denied ? 180 : 1432, durationMs: 3.2, upstreamMs: denied ? undefined : 2.1 },
    api: { name: api.name, operation, template: `/${api.name}/customers/{id}`, sensitivity: api.dataClasses.length > 0 ? 'confidential' : 'internal', dataClasses: api.dataClasses },
    decision: { outcome: denied ? 'deny' : 'allow', reason: denied ? 'WARDEN_AUTHZ_DENIED' : 'GRANTED', rule: `support/grants/${operation}`, policyVersion: 'v42', monitored: false },
    limits: undefined,
    data: denied ? undefined : { records: 1 + (n % 20), maskedFields: [] },
    context: { customer: `C-${n % 5000}` },
  };
}

/**
 * Records per second through the audit writer as `warden start` runs it: `write()` on this
 * thread (serialising), the append worker hashing and storing, flushed in batches — and, for
 * comparison, the log appended on one thread alone.
 */
async function throughput(): Promise<{ recordsPerSecond: number; rounds: number[]; oneThreadRecordsPerSecond: number; recordBytes: number; requestThreadMicros: number }> {
  const events = Array.from({ length: THROUGHPUT_RECORDS }, (_, index) => generatedEvent(index + 1, THROUGHPUT_RECORDS));
  const rounds: number[] = [];
  const oneThread: number[] = [];
  const requestThread: number[] = [];
  const workerFile = fileURLToPath(new URL('../src/controlplane/audit/audit-append-worker.js', import.meta.url));
  for (let round = 0; round < ROUNDS; round++) {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'warden-audit-bench-'));
    const store = await openSqliteStore(path.join(directory, 'warden.db'));
    const appender = new WorkerAppender(workerFile, { databaseFile: path.join(directory, 'warden.db'), segmentSize: 65_536, jsonlFile: undefined });
    await appender.start();
    const writer = new AuditWriter(appender, { flushIntervalMs: 50 });
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    // As a busy gateway would: a few thousand records, then a turn of the event loop; the
    // writer's own timer flushes, so serialising here overlaps with the worker storing.
    for (let index = 0; index < events.length; index += 2_000) {
      for (const event of events.slice(index, index + 2_000)) writer.write(event);
      await new Promise((resolve) => setImmediate(resolve));
      while (writer.pending() > 50_000) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await writer.flush();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rounds.push(Math.round(events.length / seconds));
    requestThread.push(process.cpuUsage(cpu).user / events.length);
    await writer.close();
    await store.close();
    rmSync(directory, { recursive: true, force: true });

    const single = mkdtempSync(path.join(os.tmpdir(), 'warden-audit-bench-'));
    const singleStore = await openSqliteStore(path.join(single, 'warden.db'));
    const auditLog = AuditLog.open(singleStore.sqlite!);
    const singleStarted = process.hrtime.bigint();
    for (let index = 0; index < events.length; index += BATCH) auditLog.append(events.slice(index, index + BATCH));
    oneThread.push(Math.round(events.length / (Number(process.hrtime.bigint() - singleStarted) / 1e9)));
    await singleStore.close();
    rmSync(single, { recursive: true, force: true });
    log(`  round ${round + 1}: writer + worker ${rounds.at(-1)!.toLocaleString('en-US')} records/s; one thread ${oneThread.at(-1)!.toLocaleString('en-US')} records/s`);
  }
  return { recordsPerSecond: median(rounds), rounds, oneThreadRecordsPerSecond: median(oneThread), recordBytes: JSON.stringify(events[0]).length, requestThreadMicros: Number(median(requestThread).toFixed(1)) };
}

async function queryAtScale(): Promise<{ records: number; queryMs: number; runs: number[]; matches: number; agents: number; databaseBytes: number; generatedPerSecond?: number }> {
  const file = option('--file') ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'warden-audit-10m-')), 'warden.db');
  const keep = option('--file') !== undefined;
  const store = await openSqliteStore(file);
  const auditLog = AuditLog.open(store.sqlite!);
  let generatedPerSecond: number | undefined;
  if (auditLog.size() < RECORDS) {
    log(`generating ${RECORDS.toLocaleString('en-US')} records in ${file} …`);
    const started = Date.now();
    for (let n = auditLog.size() + 1; n <= RECORDS; n += BATCH) {
      const events = [];
      for (let index = n; index < n + BATCH && index <= RECORDS; index++) events.push(generatedEvent(index, RECORDS));
      auditLog.append(events);
      if ((n - 1) % 500_000 === 0) log(`  ${(n - 1).toLocaleString('en-US')} / ${RECORDS.toLocaleString('en-US')} (${Math.round((n - 1) / Math.max(1, (Date.now() - started) / 1000)).toLocaleString('en-US')} records/s)`);
    }
    generatedPerSecond = Math.round(RECORDS / ((Date.now() - started) / 1000));
  }
  const filter: AuditFilter = { dataClass: 'customer-pii', from: new Date('2026-03-15T00:00:00Z'), to: new Date('2026-03-16T00:00:00Z') };
  const runs: number[] = [];
  let matches = 0;
  let agents = 0;
  for (let run = 0; run < ROUNDS; run++) {
    const started = process.hrtime.bigint();
    const found = [...scanAudit(auditLog, filter)];
    const summary = summarizeAccess(found);
    runs.push(Number(process.hrtime.bigint() - started) / 1e6);
    matches = found.length;
    agents = summary.length;
    log(`  query run ${run + 1}: ${runs.at(-1)!.toFixed(0)} ms, ${matches.toLocaleString('en-US')} records by ${agents} agents`);
  }
  const databaseBytes = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
  await store.close();
  if (!keep) rmSync(path.dirname(file), { recursive: true, force: true });
  return { records: RECORDS, queryMs: Math.round(median(runs)), runs: runs.map(Math.round), matches, agents, databaseBytes, ...(generatedPerSecond !== undefined ? { generatedPerSecond } : {}) };
}

log('append throughput:');
const append = await throughput();
log(`query at ${RECORDS.toLocaleString('en-US')} records:`);
const query = await queryAtScale();
const result = {
  append: { ...append, target: TARGET_RECORDS_PER_SECOND, met: append.recordsPerSecond >= TARGET_RECORDS_PER_SECOND },
  query: { ...query, question: 'customer-pii on 2026-03-15, grouped by agent and operation', target: TARGET_QUERY_MS, met: query.queryMs < TARGET_QUERY_MS },
};
if (JSON_OUTPUT) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`append: median ${append.recordsPerSecond.toLocaleString('en-US')} records/s through the writer and its worker (records of ${append.recordBytes} bytes; target ≥ ${TARGET_RECORDS_PER_SECOND.toLocaleString('en-US')}: ${result.append.met ? 'met' : 'NOT met'}); request thread ${append.requestThreadMicros} µs CPU per record; the log on one thread alone ${append.oneThreadRecordsPerSecond.toLocaleString('en-US')} records/s`);
  console.log(`query: median ${query.queryMs} ms over ${query.records.toLocaleString('en-US')} records (${query.matches.toLocaleString('en-US')} matches, ${query.agents} agents; database ${(query.databaseBytes / 1e9).toFixed(2)} GB; target < ${TARGET_QUERY_MS} ms: ${result.query.met ? 'met' : 'NOT met'})`);
}
