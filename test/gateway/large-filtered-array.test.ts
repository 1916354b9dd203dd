import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import v8 from 'node:v8';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { startEchoUpstream, startHarness, type Harness } from '../support/gateway-harness.js';
import { send, type Answer } from '../support/http-send.js';
import { writable } from '../support/writable.js';

// Large answers under field rules: a top-level JSON array is filtered record by record as it
// arrives, so a 50 MB export streams through the gateway in bounded memory; anything else is
// filtered whole up to gateway.limits.maxFilteredResponseBytes and withheld beyond.

// As in forwarding.test.ts: memory checks measure what is still referenced, not garbage
// waiting for the collector (this process runs gateway, upstream and client).
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;
const KEY_ID = 'key_bulkread01';

const MANIFESTS = {
  'api.yaml': `apiVersion: warden.dev/v1
kind: Api
metadata: { name: bulk }
spec:
  owner: data-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /bulk
  operations:
    - { id: exportCustomers, method: GET, path: "/export/{variant}" }
    - { id: getDossier, method: GET, path: "/dossier" }
`,
  'role.yaml': `apiVersion: warden.dev/v1
kind: Role
metadata: { name: bulk-reader }
spec:
  grants:
    - { api: bulk, operations: ["*"], response: { mask: [email], drop: [notes], pii: { default: redact } } }
`,
  'agent.yaml': `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: export-bot }
spec:
  owner: owner@example.com
  purpose: Exports customer lists
  roles: [bulk-reader]
  state: active
  credentials: [{ type: apiKey, id: ${KEY_ID} }]
`,
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---- The export: ~50 MB of ~1 KB records, made per chunk, never whole ----------------------

const RECORDS = 50_000;
const BATCH = 64;
const CITY = 'Zürich 東京'; // multi-byte: network chunks will cut some of these characters in two
const FILLER = 'lorem ipsum dolor sit amet consectetur '.repeat(24).slice(0, 900);

function recordText(i: number): string {
  return JSON.stringify({ id: `r-${i}`, email: `user${i}@example.com`, customerId: `cust-${i}`, city: CITY, notes: `${FILLER} ${i}`, n: i });
}
const RECORD_BYTES = Buffer.byteLength(recordText(0));
const EXPORT_BYTES = (() => {
  let total = 2 + RECORDS - 1; // [ ] and the commas
  for (let i = 0; i < RECORDS; i++) total += Buffer.byteLength(recordText(i));
  return total;
})();


/** Writes records [0, count) as a JSON array in batches, waiting whenever the sink is full; `tail` replaces the closing `]`. */
async function writeArray(sink: NodeJS.WritableStream & { destroyed: boolean; writableNeedDrain: boolean }, count: number, tail = ']'): Promise<void> {
  for (let i = 0; i < count && !sink.destroyed; i += BATCH) {
    let text = i === 0 ? '[' : ',';
    for (let j = i; j < Math.min(i + BATCH, count); j++) text += (j === i ? '' : ',') + recordText(j);
    sink.write(text);
    if (sink.writableNeedDrain) await writable(sink);
  }
  if (!sink.destroyed) sink.end(tail);
}

/** A ~3 MB JSON object (not an array): one record, with emails nested in a list. */
function dossier(): Buffer {
  const history = Array.from({ length: 3000 }, (_, i) => ({ at: i, contact: `user${i}@example.com`, text: FILLER }));
  return Buffer.from(JSON.stringify({ id: 'd-1', email: 'ada@example.com', notes: 'internal only', history }));
}

function respond(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url!.split('?')[0]!;
  if (path === '/bulk/dossier') {
    const body = dossier();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    return void res.end(body);
  }
  // Chunked: no content-length.
  res.writeHead(200, { 'content-type': 'application/json', ...(path === '/bulk/export/gzip' ? { 'content-encoding': 'gzip' } : {}) });
  if (path === '/bulk/export/plain') return void writeArray(res, RECORDS);
  if (path === '/bulk/export/gzip') {
    const gzip = zlib.createGzip({ level: 1 });
    gzip.pipe(res);
    res.on('close', () => gzip.destroy());
    return void writeArray(gzip, RECORDS);
  }
  // ~2 MB of records (past the 1 MiB read whole), then half a record and the end.
  if (path === '/bulk/export/broken') return void writeArray(res, 2000, ',{"id":"r-2000","email":"user2000@exa');
  // A first record of ~3 MB, larger than what the gateway filters per record (2 MiB there).
  if (path === '/bulk/export/huge-record') return void res.end(`[${JSON.stringify({ id: 'r-0', email: 'ada@example.com', notes: 'x'.repeat(3 * MiB) })}]`);
  res.end('[]');
}

// ---- The client: reads the answer as it streams, one record at a time ----------------------

interface Streamed {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly complete: boolean;
  readonly bytes: number;
  readonly records: number;
  /** The first record that was not what the rules make of record n, if any. */
  readonly wrong: string | undefined;
  readonly sawClose: boolean;
  /** Growth of live memory over the baseline, at the pauses (max). */
  readonly growth: { arrayBuffers: number; heapUsed: number; rss: number };
}

function liveMemory(): NodeJS.MemoryUsage {
  collectGarbage();
  return process.memoryUsage();
}

/**
 * Gets `target` and checks each record as it arrives: the gateway writes `[`, the records
 * separated by `,`, then `]`, and these records hold no braces inside strings, so a record is
 * the text from one `{` to the next `}`. Only the unfinished record is kept between chunks.
 * With `pauseEvery`, the reader pauses after that many records, lets the pipeline fill up, and
 * samples live memory against the baseline taken before the request.
 */
function readExport(h: Harness, target: string, pauseEvery?: number): Promise<Streamed> {
  const baseline = liveMemory();
  const growth = { arrayBuffers: 0, heapUsed: 0, rss: 0 };
  return new Promise((resolve, reject) => {
    const req = http.get(`${h.url}${target}`, { headers: { authorization: `Bearer ${h.keys[KEY_ID]!}` }, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      const decoder = new StringDecoder('utf8');
      let carry = '';
      let opened = false;
      let sawClose = false;
      let records = 0;
      let bytes = 0;
      let wrong: string | undefined;
      const check = (text: string) => {
        const record = JSON.parse(text) as Record<string, unknown>;
        const n = records++;
        const expected = { id: `r-${n}`, email: '***', customerId: `cust-${n}`, city: CITY, n };
        if (wrong === undefined && JSON.stringify(record) !== JSON.stringify(expected)) wrong = `record ${n}: ${text.slice(0, 300)}`;
      };
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        const text = carry + decoder.write(chunk);
        let at = 0;
        if (!opened && text.length > 0) {
          if (text[0] !== '[') wrong ??= `the answer starts with ${text.slice(0, 20)}`;
          opened = true;
          at = 1;
        }
        for (;;) {
          while (text[at] === ',') at++;
          if (text[at] === ']') {
            sawClose = true;
            at++;
            continue;
          }
          if (at >= text.length) break;
          if (text[at] !== '{') {
            wrong ??= `unexpected ${text.slice(at, at + 20)}`;
            at = text.length;
            break;
          }
          const end = text.indexOf('}', at);
          if (end === -1) break;
          const before = records;
          check(text.slice(at, end + 1));
          at = end + 1;
          if (pauseEvery !== undefined && Math.floor(records / pauseEvery) > Math.floor(before / pauseEvery)) {
            // A slow reader: the gateway must hold back, not read the rest of the upstream into memory.
            res.pause();
            void sleep(300).then(() => {
              const now = liveMemory();
              growth.arrayBuffers = Math.max(growth.arrayBuffers, now.arrayBuffers - baseline.arrayBuffers);
              growth.heapUsed = Math.max(growth.heapUsed, now.heapUsed - baseline.heapUsed);
              growth.rss = Math.max(growth.rss, now.rss - baseline.rss);
              res.resume();
            });
          }
        }
        carry = text.slice(at);
      });
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode!, headers: res.headers, complete: res.complete, bytes, records, wrong, sawClose, growth }));
    });
  });
}

async function recordOf(h: Harness, answer: { headers: http.IncomingHttpHeaders }): Promise<AuditEvent> {
  const requestId = answer.headers['x-request-id'];
  expect(typeof requestId).toBe('string');
  const deadline = Date.now() + 5000;
  for (;;) {
    const event = (await h.auditEvents()).find((candidate) => candidate.requestId === requestId);
    if (event !== undefined) return event;
    expect(Date.now() < deadline, `no audit record for ${String(requestId)}`).toBe(true);
    await sleep(20);
  }
}


/** One whole answer (for the small and refused ones), on its own connection, with the agent's key. */
function get(h: Harness, target: string): Promise<Answer> {
  return send(`${h.url}${target}`, { headers: { authorization: `Bearer ${h.keys[KEY_ID]!}` } });
}

describe('large answers under field rules', () => {
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let h: Harness;
  /** The same policy, filtering at most 2 MiB whole (and per record). */
  let small: Harness;

  beforeAll(async () => {
    upstream = await startEchoUpstream(respond);
    h = await startHarness({ manifests: MANIFESTS, upstreamUrl: upstream.url, apiKeys: [KEY_ID] });
    small = await startHarness({ manifests: MANIFESTS, upstreamUrl: upstream.url, apiKeys: [KEY_ID], config: { gateway: { limits: { maxFilteredResponseBytes: 2 * MiB } } } });
  });
  afterAll(async () => {
    await h?.close();
    await small?.close();
    await upstream?.close();
  });

  it('filters a 50 MB JSON array record by record as it streams, in bounded memory', async () => {
    expect(RECORD_BYTES).toBeGreaterThan(1000);
    expect(EXPORT_BYTES).toBeGreaterThan(50_000_000);
    const answer = await readExport(h, '/bulk/export/plain', 12_000);
    console.info(`50 MB filtered export: live memory growth while streaming ${JSON.stringify(answer.growth)} (MiB: arrayBuffers ${(answer.growth.arrayBuffers / MiB).toFixed(1)}, heapUsed ${(answer.growth.heapUsed / MiB).toFixed(1)}, rss ${(answer.growth.rss / MiB).toFixed(1)})`);
    expect(answer.status).toBe(200);
    expect(answer.complete).toBe(true);
    expect(answer.wrong).toBeUndefined();
    expect(answer.records).toBe(RECORDS);
    expect(answer.sawClose).toBe(true);
    expect(answer.headers['content-length']).toBeUndefined();
    // A gateway holding the export would hold ~50 MB here; it may hold 1 MiB and a record, plus socket buffers.
    expect(answer.growth.arrayBuffers, JSON.stringify(answer.growth)).toBeLessThan(40 * MiB);
    expect(answer.growth.heapUsed, JSON.stringify(answer.growth)).toBeLessThan(40 * MiB);
    const event = await recordOf(h, answer);
    expect(event.decision).toMatchObject({ outcome: 'allow', reason: 'GRANTED' });
    expect(event.data).toMatchObject({ records: RECORDS, maskedFields: ['email'] });
    expect(event.http).toMatchObject({ status: 200, bytesOut: answer.bytes });
  });

  it('decodes, filters and streams a gzip-compressed 50 MB array, sent on decoded', async () => {
    const answer = await readExport(h, '/bulk/export/gzip');
    expect(answer.status).toBe(200);
    expect(answer.complete).toBe(true);
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.wrong).toBeUndefined();
    expect(answer.records).toBe(RECORDS);
    expect(answer.sawClose).toBe(true);
    const event = await recordOf(h, answer);
    expect(event.data).toMatchObject({ records: RECORDS, maskedFields: ['email'] });
  });

  it('filters a 3 MB JSON object whole when it is under maxFilteredResponseBytes', async () => {
    const answer = await get(h, '/bulk/dossier');
    expect(answer.status).toBe(200);
    expect(answer.complete).toBe(true);
    expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
    const body = JSON.parse(answer.body.toString('utf8')) as { id: string; email: string; notes?: string; history: { at: number; contact: string; text: string }[] };
    expect(body.id).toBe('d-1');
    expect(body.email).toBe('***');
    expect(body).not.toHaveProperty('notes');
    expect(body.history).toHaveLength(3000);
    // The nested addresses are not named by the mask rule: the PII rule finds them.
    expect(body.history.every((entry, i) => entry.at === i && entry.contact === '***' && entry.text === FILLER)).toBe(true);
    const event = await recordOf(h, answer);
    expect(event.data?.records).toBe(1);
    expect([...(event.data?.maskedFields ?? [])].sort()).toEqual(['email', 'history[].contact']);
    expect(event.data?.piiClasses).toEqual(['email']);
  });

  it('withholds the 3 MB JSON object with 502 WARDEN_RESPONSE_NOT_FILTERABLE when it is over maxFilteredResponseBytes', async () => {
    const answer = await get(small, '/bulk/dossier');
    expect(answer.status).toBe(502);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body.toString('utf8'))).toMatchObject({ code: 'WARDEN_RESPONSE_NOT_FILTERABLE' });
    expect(answer.body.toString('utf8')).not.toMatch(/(?:user\d+|ada)@example\.com/);
    const event = await recordOf(small, answer);
    expect(event.decision).toMatchObject({ outcome: 'error', reason: 'WARDEN_RESPONSE_NOT_FILTERABLE' });
    expect(event.http.status).toBe(502);
  });

  it.each([
    ['whose JSON breaks off midway', () => h, '/bulk/export/broken', 2000],
    ['whose record is larger than maxFilteredResponseBytes', () => small, '/bulk/export/huge-record', 0],
  ])('cuts off a streamed array %s and records WARDEN_RESPONSE_NOT_FILTERABLE', async (_, gateway, target, complete) => {
    const answer = await readExport(gateway(), target);
    // The status line went out with the first records: the agent learns of the failure from
    // the cut connection (an incomplete chunked answer), never from a well-formed end.
    expect(answer.status).toBe(200);
    expect(answer.complete).toBe(false);
    expect(answer.sawClose).toBe(false);
    // What did arrive is only whole, filtered records, in order.
    expect(answer.wrong).toBeUndefined();
    expect(answer.records).toBeLessThanOrEqual(complete);
    const event = await recordOf(gateway(), answer);
    expect(event.decision).toMatchObject({ outcome: 'error', reason: 'WARDEN_RESPONSE_NOT_FILTERABLE' });
    expect(event.data?.records).toBe(complete);
    // The agent's owner is an address too; none of the customers' is in the record.
    expect(JSON.stringify(event)).not.toMatch(/(?:user\d+|ada)@example\.com/);
  });
});
