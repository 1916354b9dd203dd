import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayRuntime, type GatewayRuntime } from '../../src/cli/gateway-runtime.js';
import { chainProblem, GENESIS_HASH } from '../../src/controlplane/audit/audit-chain.js';
import { defaultGatewayConfig } from '../../src/controlplane/config/gateway-config-file.js';
import { issueApiKey } from '../../src/controlplane/credentials/issue-api-key.js';
import { openSqliteStore, sqliteFileIn } from '../../src/controlplane/store/sqlite-store.js';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { editStoredRecord } from '../support/audit-fixtures.js';
import { startEchoUpstream } from '../support/gateway-harness.js';
import { createTestIssuer, type TestIssuer } from '../support/test-tokens.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const IDP = 'https://idp.test.example/';
const ORCHESTRATOR = 'https://orchestrator.test.example/';
const UPSTREAM_SECRET_ENV = 'WARDEN_TEST_CRM_TOKEN';
/** The credential Warden injects for the crm API: agents never hold it, records never show it. */
const UPSTREAM_SECRET = 'upstream-secret-4b1d9e77c0a2f3';
/** Marks the upstream's own answer, to tell it from anything the gateway wrote. */
const UPSTREAM_MARK = 'answer-from-the-crm-upstream';

const API = `apiVersion: warden.dev/v1
kind: Api
metadata: { name: crm }
spec:
  owner: crm-team@example.com
  upstream:
    url: "\${UPSTREAM}"
    auth: { type: bearer, secret: "env:${UPSTREAM_SECRET_ENV}" }
  basePath: /crm
  sensitivity: confidential
  dataClasses: [pii]
  operations:
    - { id: getCustomer, method: GET, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
    - { id: searchCustomers, method: GET, path: "/customers", parameters: [{ name: q, in: query }, { name: email, in: query }] }
    - { id: deleteCustomer, method: DELETE, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: ledger }
spec:
  owner: finance-team@example.com
  upstream: { url: "\${DEAD_UPSTREAM}" }
  basePath: /ledger
  operations:
    - { id: getEntry, method: GET, path: "/entries/{entryId}", parameters: [{ name: entryId, in: path }] }
`;
const ROLE = `apiVersion: warden.dev/v1
kind: Role
metadata: { name: reader }
spec:
  grants:
    - { api: crm, operations: [getCustomer, searchCustomers] }
    - { api: ledger, operations: [getEntry] }
`;
const AGENTS = `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: support-bot }
spec:
  owner: owner@example.com
  purpose: Answers customer questions in the audit record tests
  roles: [reader]
  state: active
  credentials: [{ type: apiKey, id: key_supportbot01 }]
---
apiVersion: warden.dev/v1
kind: Agent
metadata: { name: analyst-bot }
spec:
  owner: owner@example.com
  purpose: Reads customers with an OIDC access token in the audit record tests
  roles: [reader]
  state: active
  credentials: [{ type: jwt, issuer: "${IDP}", subject: analyst-svc }]
`;

/** A record as stored: its exact text (what was hashed) and the parsed event. */
interface StoredRecord {
  readonly seq: number;
  readonly text: string;
  readonly event: AuditEvent;
}

/** Every record of the SQLite file in seq order, read over a fresh connection, as an auditor would. */
function storedRecords(dbFile: string): StoredRecord[] {
  const database = new Sqlite(dbFile, { fileMustExist: true });
  try {
    return storedTexts(database).map((text, index) => ({ seq: index + 1, text, event: JSON.parse(text) as AuditEvent }));
  } finally {
    database.close();
  }
}

/** Polls the SQLite file until `done` holds for its records (or the deadline passes). */
async function recordsWhen(dbFile: string, done: (records: StoredRecord[]) => boolean, timeoutMs = 5000): Promise<StoredRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = storedRecords(dbFile);
    if (done(records) || Date.now() > deadline) return records;
    await sleep(5);
  }
}

/** Where the chain over these texts (seq 1, 2, … from the genesis hash) first breaks, if anywhere. */
function chainBreak(texts: readonly string[]): { seq: number; problem: string } | undefined {
  let prevHash = GENESIS_HASH;
  for (let index = 0; index < texts.length; index++) {
    const problem = chainProblem(texts[index]!, { seq: index + 1, prevHash });
    if (problem !== undefined) return { seq: index + 1, problem };
    prevHash = (JSON.parse(texts[index]!) as { hash: string }).hash;
  }
  return undefined;
}

/** Every record's text in seq order. */
function storedTexts(database: Sqlite.Database): string[] {
  return (database.prepare('select records from audit_blocks order by first_seq').all() as { records: string }[]).flatMap((row) => row.records.split('\n'));
}

/** Makes every append to the audit log fail, from a second connection, as a broken disk would; returns the repair. */
function breakAuditStore(dbFile: string): () => void {
  const database = new Sqlite(dbFile, { fileMustExist: true });
  database.exec("create trigger audit_store_down before insert on audit_blocks begin select raise(abort, 'audit store unavailable'); end");
  return () => {
    database.exec('drop trigger audit_store_down');
    database.close();
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A port nothing listens on: bound once, then released. */
async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What the client got: `complete` is false when the connection was cut before the body ended. */
interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly complete: boolean;
  readonly requestId: string | undefined;
}

/**
 * One request over its own connection with node:http, which sends the target as written
 * (fetch would normalise `//`). Resolves when the response ended or was cut off.
 */
function call(base: string, target: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: target, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => undefined);
      res.on('close', () => {
        const requestId = res.headers['x-request-id'];
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), complete: res.complete, requestId: typeof requestId === 'string' ? requestId : undefined });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Parsed samples of one Prometheus metric. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const found: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[label[1]!] = label[2]!;
    found.push({ labels, value: Number(match[3]) });
  }
  return found;
}

/** The value of the sample with exactly these labels; 0 when the series does not exist yet. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels);
  const match = samples(text, name).find((candidate) => Object.keys(candidate.labels).length === wanted.length && wanted.every(([key, value]) => candidate.labels[key] === value));
  return match?.value ?? 0;
}

async function metricsOf(adminUrl: string): Promise<string> {
  const response = await fetch(`${adminUrl}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** A running all-in-one Warden (the `warden start` wiring, in this process) over a temp folder. */
interface Warden {
  readonly runtime: GatewayRuntime;
  readonly url: string;
  readonly adminUrl: string;
  readonly directory: string;
  readonly dbFile: string;
  readonly keys: Readonly<Record<string, string>>;
  /** Requests sent to the agent port so far: the number of records there must be. */
  sent: number;
  call(target: string, options?: { method?: string; headers?: Record<string, string> }): Promise<Answer>;
  /** The one record of this request id, after checking there is exactly one record per request sent. */
  recordOf(requestId: string | undefined): Promise<AuditEvent>;
  /** Drains and stops Warden (once), keeping its files. */
  shutdown(): Promise<void>;
  /** Shuts down and removes the temp folder. */
  close(): Promise<void>;
}

interface WardenOptions {
  /** Replaces `${UPSTREAM}` and `${DEAD_UPSTREAM}` in the manifests; without it no policy is applied. */
  readonly upstreams?: { readonly live: string; readonly dead: string };
  readonly config?: Record<string, Record<string, unknown>>;
  readonly files?: Readonly<Record<string, string>>;
}

/**
 * Starts Warden the way `warden start` does (startGatewayRuntime: store, manifests applied,
 * audit writer with the config's JSONL file, gateway) with ports 0 and keys issued in
 * `prepare`, as the demo does. Records are read from the SQLite file, never from the writer.
 */
async function startWarden(options: WardenOptions = {}): Promise<Warden> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'warden-audit-'));
  const manifestDir = path.join(directory, 'manifests');
  await mkdir(manifestDir);
  const upstreams = options.upstreams;
  if (upstreams !== undefined) {
    const fill = (text: string) => text.replaceAll('${UPSTREAM}', upstreams.live).replaceAll('${DEAD_UPSTREAM}', upstreams.dead);
    await writeFile(path.join(manifestDir, 'apis.yaml'), fill(API));
    await writeFile(path.join(manifestDir, 'role.yaml'), ROLE);
    await writeFile(path.join(manifestDir, 'agents.yaml'), AGENTS);
  }
  for (const [name, text] of Object.entries(options.files ?? {})) await writeFile(path.join(directory, name), text);
  const base = options.config ?? {};
  const config = defaultGatewayConfig({
    ...base,
    gateway: { ...base.gateway, host: '127.0.0.1', port: 0 },
    admin: { ...base.admin, host: '127.0.0.1', port: 0 },
  });
  const dataDirectory = path.join(directory, 'data');
  const keys: Record<string, string> = {};
  const runtime = await startGatewayRuntime({
    loaded: { config, baseDirectory: directory },
    dataDirectory,
    ...(upstreams !== undefined ? { manifests: manifestDir } : {}),
    appliedBy: 'audit-records.test',
    env: { [UPSTREAM_SECRET_ENV]: UPSTREAM_SECRET },
    async prepare(store) {
      keys.key_supportbot01 = (await issueApiKey(store, 'key_supportbot01')).key;
    },
  });
  const url = `http://127.0.0.1:${runtime.addresses.agent.port}`;
  const dbFile = sqliteFileIn(dataDirectory);
  let shutdown: Promise<void> | undefined;
  const warden: Warden = {
    runtime,
    url,
    adminUrl: `http://127.0.0.1:${runtime.addresses.admin.port}`,
    directory,
    dbFile,
    keys,
    sent: 0,
    call(target, callOptions) {
      warden.sent++;
      return call(url, target, callOptions);
    },
    async recordOf(requestId) {
      expect(requestId).toBeTruthy();
      const records = await recordsWhen(dbFile, (all) => all.length >= warden.sent && all.some((record) => record.event.requestId === requestId));
      // One record per request so far: none missing, none extra.
      expect(records).toHaveLength(warden.sent);
      const mine = records.filter((record) => record.event.requestId === requestId);
      expect(mine).toHaveLength(1);
      return mine[0]!.event;
    },
    shutdown() {
      shutdown ??= runtime.close();
      return shutdown;
    },
    async close() {
      await warden.shutdown();
      await rm(directory, { recursive: true, force: true });
    },
  };
  return warden;
}

type Upstream = Awaited<ReturnType<typeof startEchoUpstream>> & {
  /** Answers every held request (200, JSON) that is still waiting. */
  release(): void;
};

/**
 * The crm upstream: answers normally, except `/crm/customers/slow`, `/leaving` and `/hold`
 * (held until `release()`, or until the gateway gives up) and `/cut` (declares 100000 bytes,
 * sends 1000, then drops the connection).
 */
async function crmUpstream(): Promise<Upstream> {
  const held: http.ServerResponse[] = [];
  const answer = (res: http.ServerResponse, url: string) => {
    const text = JSON.stringify({ mark: UPSTREAM_MARK, url });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const upstream = await startEchoUpstream((req, res) => {
    const url = req.url ?? '';
    if (url === '/crm/customers/slow' || url === '/crm/customers/leaving' || url === '/crm/customers/hold') {
      held.push(res);
      return;
    }
    if (url === '/crm/customers/cut') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100000' });
      res.write(Buffer.alloc(1000, 0x78));
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    answer(res, url);
  });
  return {
    ...upstream,
    release() {
      for (const res of held.splice(0)) if (!res.destroyed) answer(res, 'released');
    },
  };
}

/** Waits until the upstream has received a request for `url`; returns what it saw. */
async function upstreamSaw(upstream: Upstream, url: string): Promise<Upstream['seen'][number]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const seen = upstream.seen.find((request) => request.url === url);
    if (seen !== undefined) return seen;
    if (Date.now() > deadline) throw new Error(`the upstream never received ${url}`);
    await sleep(5);
  }
}

describe('one AuditEvent per request, matched by x-request-id', () => {
  let upstream: Upstream;
  let warden: Warden;
  let idp: TestIssuer;
  let orchestrator: TestIssuer;
  let key: string;
  /** Every secret any request of this block presented or caused to be sent; none may be recorded. */
  const secrets: string[] = [UPSTREAM_SECRET];

  beforeAll(async () => {
    [idp, orchestrator] = await Promise.all([createTestIssuer(IDP, 'ES256'), createTestIssuer(ORCHESTRATOR, 'ES256')]);
    upstream = await crmUpstream();
    warden = await startWarden({
      upstreams: { live: upstream.url, dead: `http://127.0.0.1:${await deadPort()}` },
      files: { 'idp.jwks.json': JSON.stringify(idp.jwks), 'orchestrator.jwks.json': JSON.stringify(orchestrator.jwks) },
      config: {
        // A short header timeout, so the 504 case takes a moment rather than 30 s.
        gateway: { timeouts: { headersMs: 400 } },
        audit: { jsonl: 'audit.jsonl', flushIntervalMs: 10 },
        identity: {
          jwt: [{ issuer: IDP, audiences: ['warden'], keys: { jwksFile: 'idp.jwks.json' }, algorithms: ['ES256'] }],
          context: [{ issuer: ORCHESTRATOR, audiences: ['warden'], keys: { jwksFile: 'orchestrator.jwks.json' }, algorithms: ['ES256'] }],
        },
      },
    });
    key = warden.keys.key_supportbot01!;
    // wdn_<key id>_<secret>: the secret is base64url and may itself hold an underscore.
    secrets.push(key, key.slice('wdn_supportbot01_'.length));
  });
  afterAll(async () => {
    await warden?.close();
    await upstream?.close();
  });

  const auth = () => ({ authorization: `Bearer ${key}` });

  it('records an allowed call with who, what, the decision and the bytes the agent received', async () => {
    const answer = await warden.call('/crm/customers/C-1001', { headers: auth() });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(UPSTREAM_MARK);
    // The upstream's request carries the same id, so upstream logs join the audit log.
    expect((await upstreamSaw(upstream, '/crm/customers/C-1001')).headers['x-request-id']).toBe(answer.requestId);
    const event = await warden.recordOf(answer.requestId);
    expect(event).toMatchObject({
      requestId: answer.requestId,
      agent: { name: 'support-bot', owner: 'owner@example.com', roles: ['reader'] },
      credential: { id: 'key_supportbot01', kind: 'apiKey' },
      http: { method: 'GET', rawPath: '/crm/customers/C-1001', canonicalPath: '/crm/customers/C-1001', status: 200, bytesOut: Buffer.byteLength(answer.body) },
      api: { name: 'crm', operation: 'getCustomer', template: '/crm/customers/{customerId}', sensitivity: 'confidential', dataClasses: ['pii'] },
      decision: { outcome: 'allow', reason: 'GRANTED', rule: expect.stringContaining('reader') as unknown, policyVersion: warden.runtime.gateway.state!.snapshot.version },
    });
    expect(event.http.upstreamMs).toBeGreaterThanOrEqual(0);
  });

  it('records a policy denial (403) with its reason', async () => {
    const answer = await warden.call('/crm/customers/C-1001', { method: 'DELETE', headers: auth() });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'WARDEN_AUTHZ_NOT_GRANTED', requestId: answer.requestId });
    const event = await warden.recordOf(answer.requestId);
    expect(event).toMatchObject({ agent: { name: 'support-bot' }, http: { method: 'DELETE', status: 403 }, api: { operation: 'deleteCustomer' }, decision: { outcome: 'deny', reason: 'WARDEN_AUTHZ_NOT_GRANTED' } });
  });

  it('records an authentication failure (401) without an agent', async () => {
    const answer = await warden.call('/crm/customers/C-1001');
    expect(answer.status).toBe(401);
    const event = await warden.recordOf(answer.requestId);
    expect(event.agent).toBeUndefined();
    expect(event.credential).toBeUndefined();
    expect(event).toMatchObject({ http: { status: 401 }, decision: { outcome: 'deny', reason: 'WARDEN_AUTHN_MISSING' } });
  });

  it('records a hygiene refusal (400) with the raw path and no canonical path', async () => {
    const answer = await warden.call('/crm//customers/C-1001', { headers: auth() });
    expect(answer.status).toBe(400);
    const event = await warden.recordOf(answer.requestId);
    expect(event).toMatchObject({ http: { rawPath: '/crm//customers/C-1001', status: 400 }, decision: { outcome: 'deny', reason: 'WARDEN_REQUEST_NOT_CANONICAL' } });
    expect(event.http.canonicalPath).toBeUndefined();
  });

  it('records an unknown route (404) without an API', async () => {
    const answer = await warden.call('/crm/orders/O-1', { headers: auth() });
    expect(answer.status).toBe(404);
    const event = await warden.recordOf(answer.requestId);
    expect(event.api).toBeUndefined();
    expect(event).toMatchObject({ agent: { name: 'support-bot' }, http: { status: 404 }, decision: { outcome: 'deny', reason: 'WARDEN_ROUTE_NOT_FOUND' } });
  });

  it('records an upstream that cannot be reached (502) as an error', async () => {
    const answer = await warden.call('/ledger/entries/E-1', { headers: auth() });
    expect(answer.status).toBe(502);
    const event = await warden.recordOf(answer.requestId);
    expect(event).toMatchObject({ api: { name: 'ledger' }, http: { status: 502 }, decision: { outcome: 'error', reason: 'WARDEN_UPSTREAM_UNAVAILABLE' } });
  });

  it('records an upstream that does not answer in time (504) as an error', async () => {
    const answer = await warden.call('/crm/customers/slow', { headers: auth() });
    expect(answer.status).toBe(504);
    const event = await warden.recordOf(answer.requestId);
    expect(event).toMatchObject({ http: { status: 504 }, decision: { outcome: 'error', reason: 'WARDEN_UPSTREAM_TIMEOUT' } });
    expect(event.http.upstreamMs).toBeGreaterThanOrEqual(350);
  });

  it('records a client that went away before the answer with status 0 and WARDEN_CLIENT_CLOSED, once', async () => {
    const { hostname, port } = new URL(warden.url);
    warden.sent++;
    const req = http.request({ host: hostname, port, path: '/crm/customers/leaving', headers: auth(), agent: false });
    const failed = once(req, 'error');
    req.end();
    // The client never sees a response, so its request is found by the id the upstream received.
    const seen = await upstreamSaw(upstream, '/crm/customers/leaving');
    req.destroy();
    await failed;
    const requestId = seen.headers['x-request-id'] as string;
    const event = await warden.recordOf(requestId);
    // The call was allowed and forwarded; that it never completed is an error of its own kind.
    expect(event).toMatchObject({ agent: { name: 'support-bot' }, api: { operation: 'getCustomer' }, http: { status: 0, bytesOut: 0 }, decision: { outcome: 'error', reason: 'WARDEN_CLIENT_CLOSED', rule: expect.any(String) } });
    // Well past the upstream timeout: giving up on the upstream afterwards adds no second record.
    await sleep(600);
    await warden.recordOf(requestId);
  });

  it('records a response the upstream cut off mid-body as an error with the status the agent saw', async () => {
    const answer = await warden.call('/crm/customers/cut', { headers: auth() });
    expect(answer.status).toBe(200);
    expect(answer.complete).toBe(false);
    const event = await warden.recordOf(answer.requestId);
    expect(event).toMatchObject({ http: { status: 200 }, decision: { outcome: 'error', reason: 'WARDEN_UPSTREAM_UNAVAILABLE' } });
    expect(event.http.bytesOut).toBeGreaterThan(0);
    expect(event.http.bytesOut).toBeLessThan(100_000);
  });

  it('records the task context and query parameter names, but no token, key, cookie or query value', async () => {
    const querySecret = 'qv-7f3c9a1e-not-for-logs';
    const email = 'jane.doe@example.com';
    const cookie = 'ck-5e1d0b7a-session-secret';
    const context = await orchestrator.sign({ sub: 'support-bot', customer: 'C-1001', ticket: 'T-77' });
    secrets.push(querySecret, email, cookie, context, context.split('.')[2]!);
    const answer = await warden.call(`/crm/customers?q=${querySecret}&email=${email}`, {
      headers: { ...auth(), 'warden-context': context, cookie: `session=${cookie}; theme=dark` },
    });
    expect(answer.status).toBe(200);
    // The upstream got the query values and Warden's credential: the secrets were really in play.
    const seen = await upstreamSaw(upstream, `/crm/customers?q=${querySecret}&email=${email}`);
    expect(seen.headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
    const event = await warden.recordOf(answer.requestId);
    expect(event.http.queryParams).toEqual(['q', 'email']);
    expect(event.http.canonicalPath).toBe('/crm/customers');
    expect(event.context).toEqual({ customer: 'C-1001', ticket: 'T-77' });

    const token = await idp.sign({ sub: 'analyst-svc' });
    secrets.push(token, token.split('.')[2]!);
    const byToken = await warden.call('/crm/customers/C-1002', { headers: { authorization: `Bearer ${token}` } });
    expect(byToken.status).toBe(200);
    expect((await warden.recordOf(byToken.requestId)).credential).toEqual({ id: `${IDP}#analyst-svc`, kind: 'jwt' });

    // A guessed secret for a real key id is a secret too.
    const guess = 'G'.repeat(43);
    secrets.push(guess);
    const refused = await warden.call('/crm/customers/C-1001', { headers: { authorization: `Bearer wdn_supportbot01_${guess}` } });
    expect(refused.status).toBe(401);
    await warden.recordOf(refused.requestId);
  });

  it('has no secret in any record, in the store or in the JSONL file, and both hold the same records', async () => {
    const records = await recordsWhen(warden.dbFile, (all) => all.length >= warden.sent);
    expect(records).toHaveLength(warden.sent);
    const jsonlFile = path.join(warden.directory, 'audit.jsonl');
    // The JSONL line is appended right after the store commit; give it that moment.
    let jsonl = '';
    for (const deadline = Date.now() + 2000; Date.now() < deadline; await sleep(5)) {
      jsonl = await readFile(jsonlFile, 'utf8');
      if (jsonl.split('\n').length > records.length) break;
    }
    expect(jsonl.split('\n')).toEqual([...records.map((record) => record.text), '']);
    for (const secret of secrets) {
      for (const record of records) expect(record.text, `record ${record.seq}`).not.toContain(secret);
      expect(jsonl).not.toContain(secret);
    }
  });

  it('has exactly as many records as requests, one per request id', async () => {
    const records = await recordsWhen(warden.dbFile, (all) => all.length >= warden.sent);
    expect(records).toHaveLength(warden.sent);
    expect(new Set(records.map((record) => record.event.requestId)).size).toBe(warden.sent);
    expect(records.map((record) => record.seq)).toEqual(records.map((_, index) => index + 1));
  });

  it('chains the stored records so that an edited, flipped or deleted record is detected', async () => {
    const records = await recordsWhen(warden.dbFile, (all) => all.length >= warden.sent);
    expect(records.length).toBeGreaterThanOrEqual(5);
    expect(chainBreak(records.map((record) => record.text))).toBeUndefined();

    // Tampering happens on copies of the database file, the way an insider would edit it.
    const tampered = (name: string, edit: (database: Sqlite.Database) => void): string[] => {
      const copy = path.join(warden.directory, `${name}.db`);
      const live = new Sqlite(warden.dbFile, { fileMustExist: true });
      live.prepare('vacuum into ?').run(copy);
      live.close();
      const database = new Sqlite(copy);
      try {
        edit(database);
        return storedTexts(database);
      } finally {
        database.close();
      }
    };
    const denial = records.find((record) => record.event.http.status === 403)!;
    // Hiding a denial: the 403 becomes a 200, the JSON stays valid.
    const edited = tampered('edited', (database) => {
      editStoredRecord(database, denial.seq, (text) => text.replace('"status":403', '"status":200'));
    });
    expect(edited[denial.seq - 1]).not.toBe(denial.text);
    expect(chainBreak(edited)).toMatchObject({ seq: denial.seq, problem: expect.stringContaining('hash') as unknown });

    // One byte flipped in the middle of a record.
    const middle = records[Math.floor(records.length / 2)]!;
    const at = Math.floor(middle.text.length / 2);
    const flippedText = middle.text.slice(0, at) + String.fromCharCode(middle.text.charCodeAt(at) ^ 1) + middle.text.slice(at + 1);
    const flipped = tampered('flipped', (database) => {
      editStoredRecord(database, middle.seq, () => flippedText);
    });
    expect(chainBreak(flipped)?.seq).toBe(middle.seq);

    // A deleted record: the chain breaks at the record after it.
    const deleted = tampered('deleted', (database) => {
      editStoredRecord(database, denial.seq, () => undefined);
    });
    expect(deleted).not.toContain(denial.text);
    expect(chainBreak(deleted)?.seq).toBe(denial.seq);
  });
});

describe('buffered audit (the default)', () => {
  let upstream: Upstream;
  let warden: Warden;

  beforeAll(async () => {
    upstream = await crmUpstream();
    // The default and largest flush interval: what a crash may lose.
    warden = await startWarden({ upstreams: { live: upstream.url, dead: upstream.url }, config: { audit: { flushIntervalMs: 50 } } });
  });
  afterAll(async () => {
    await warden?.close();
    await upstream?.close();
  });

  const auth = () => ({ authorization: `Bearer ${warden.keys.key_supportbot01}` });

  it('makes a record durable within the flush interval of the response, with no flush asked for', async () => {
    for (let round = 0; round < 3; round++) {
      const answer = await warden.call(`/crm/customers/C-${round}`, { headers: auth() });
      expect(answer.status).toBe(200);
      const answered = performance.now();
      const records = await recordsWhen(warden.dbFile, (all) => all.some((record) => record.event.requestId === answer.requestId), 2000);
      const waited = performance.now() - answered;
      expect(records.some((record) => record.event.requestId === answer.requestId)).toBe(true);
      // 50 ms of flush interval plus scheduling slack on a busy machine.
      expect(waited).toBeLessThan(250);
    }
  });

  it('keeps serving while the store refuses records, then writes every record once, chained', async () => {
    const before = storedRecords(warden.dbFile).length;
    expect(before).toBe(warden.sent);
    const repair = breakAuditStore(warden.dbFile);
    const ids: string[] = [];
    try {
      for (let n = 0; n < 8; n++) {
        const answer = await warden.call(`/crm/customers/D-${n}`, { headers: auth() });
        expect(answer.status).toBe(200);
        ids.push(answer.requestId!);
      }
      // Past several flush attempts: nothing reached the store, and the lag is visible.
      await sleep(150);
      expect(storedRecords(warden.dbFile)).toHaveLength(before);
      expect(sample(await metricsOf(warden.adminUrl), 'warden_audit_pending_records')).toBe(ids.length);
    } finally {
      repair();
    }
    const records = await recordsWhen(warden.dbFile, (all) => all.length >= warden.sent);
    expect(records).toHaveLength(warden.sent);
    const stored = records.map((record) => record.event.requestId);
    for (const id of ids) expect(stored.filter((candidate) => candidate === id), id).toHaveLength(1);
    expect(chainBreak(records.map((record) => record.text))).toBeUndefined();
    expect(sample(await metricsOf(warden.adminUrl), 'warden_audit_pending_records')).toBe(0);
  });
});

/** `warden start --json` in a child process, over a folder with the manifests and a config file. */
interface WardenProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly dbFile: string;
  readonly key: string;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** What the process printed so far, for failure messages. */
  output(): string;
}

/**
 * Runs the built CLI the way an operator would. `warden start` issues no API keys, so the
 * operator's key is put in the store before it starts (the store keeps only its digest).
 */
async function startWardenProcess(directory: string, upstreamUrl: string, audit: string): Promise<WardenProcess> {
  const manifests = path.join(directory, 'manifests');
  await mkdir(manifests);
  await writeFile(path.join(manifests, 'apis.yaml'), API.replaceAll('${UPSTREAM}', upstreamUrl).replaceAll('${DEAD_UPSTREAM}', upstreamUrl));
  await writeFile(path.join(manifests, 'role.yaml'), ROLE);
  await writeFile(path.join(manifests, 'agents.yaml'), AGENTS);
  const configFile = path.join(directory, 'warden.yaml');
  await writeFile(configFile, [
    'apiVersion: warden.dev/v1',
    'kind: GatewayConfig',
    'manifests: manifests',
    'data: data',
    'gateway: { host: 127.0.0.1, port: 0 }',
    'admin: { host: 127.0.0.1, port: 0 }',
    `audit: ${audit}`,
    '',
  ].join('\n'));
  const dbFile = sqliteFileIn(path.join(directory, 'data'));
  const store = await openSqliteStore(dbFile);
  const key = (await issueApiKey(store, 'key_supportbot01')).key;
  await store.close();

  const env: NodeJS.ProcessEnv = { ...process.env, [UPSTREAM_SECRET_ENV]: UPSTREAM_SECRET };
  delete env.WARDEN_DATA;
  delete env.WARDEN_DEBUG;
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/warden.js'), 'start', '--config', configFile, '--json'], { cwd: directory, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const output = () => `--- stdout\n${stdout}--- stderr\n${stderr}`;
  const ready = await new Promise<{ agent: { port: number }; policyVersion: string | null }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`warden start did not print its addresses\n${output()}`)), 10_000);
    child.stdout!.on('data', () => {
      try {
        const parsed = JSON.parse(stdout) as { agent: { port: number }; policyVersion: string | null };
        clearTimeout(timer);
        resolve(parsed);
      } catch {
        // Not the whole document yet.
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`warden start exited early\n${output()}`));
    });
  });
  expect(ready.policyVersion).toMatch(/^sha256:/);
  return { child, url: `http://127.0.0.1:${ready.agent.port}`, dbFile, key, exited, output };
}

/** Whether the child process is still running. */
function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

describe('`warden start` in a child process', () => {
  let upstream: Upstream;
  const directories: string[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    upstream = await crmUpstream();
  });
  afterAll(async () => {
    for (const child of children) if (running(child)) child.kill('SIGKILL');
    await upstream?.close();
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  const scratch = async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'warden-cli-audit-'));
    directories.push(directory);
    return directory;
  };

  it('loses no record that was flushed before SIGKILL', async () => {
    const warden = await startWardenProcess(await scratch(), upstream.url, '{ mode: buffered, flushIntervalMs: 50 }');
    children.push(warden.child);
    const ids: string[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const answers = await Promise.all(Array.from({ length: 5 }, (_, n) => call(warden.url, `/crm/customers/K-${batch}-${n}`, { headers: { authorization: `Bearer ${warden.key}` } })));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        ids.push(answer.requestId!);
      }
    }
    // Longer than the 50 ms flush interval after the last answer, then no chance to clean up.
    await sleep(200);
    warden.child.kill('SIGKILL');
    const [code, signal] = await warden.exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });

    const records = storedRecords(warden.dbFile);
    const stored = new Set(records.map((record) => record.event.requestId));
    expect(ids.filter((id) => !stored.has(id))).toEqual([]);
    expect(records).toHaveLength(ids.length);
    expect(chainBreak(records.map((record) => record.text))).toBeUndefined();
  });

  it('keeps running in strict mode while the audit store refuses records, answering 503', async () => {
    const warden = await startWardenProcess(await scratch(), upstream.url, '{ mode: strict }');
    children.push(warden.child);
    const repair = breakAuditStore(warden.dbFile);
    let answer: Answer;
    try {
      answer = await call(warden.url, '/crm/customers/P-1', { headers: { authorization: `Bearer ${warden.key}` } }).catch((error: Error) => {
        throw new Error(`the connection failed (${error.message})\n${warden.output()}`);
      });
      // An outage of the audit store must not take the gateway down with it.
      await sleep(200);
      expect(running(warden.child), warden.output()).toBe(true);
    } finally {
      repair();
    }
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'WARDEN_AUDIT_UNAVAILABLE' });
    const records = await recordsWhen(warden.dbFile, (all) => all.length >= 1);
    expect(records.map((record) => [record.event.requestId, record.event.http.status])).toEqual([[answer.requestId, 503]]);
    warden.child.kill('SIGTERM');
    expect((await warden.exited)[0]).toBe(0);
  });
});

describe('strict audit', () => {
  let upstream: Upstream;
  let warden: Warden;

  beforeAll(async () => {
    upstream = await crmUpstream();
    // A long flush interval: a record found right after the answer was not written by the timer.
    warden = await startWarden({ upstreams: { live: upstream.url, dead: upstream.url }, config: { audit: { mode: 'strict', flushIntervalMs: 50 } } });
  });
  afterAll(async () => {
    await warden?.close();
    await upstream?.close();
  });

  const auth = () => ({ authorization: `Bearer ${warden.keys.key_supportbot01}` });

  /** Sends a request and reads the store the moment the response headers arrive. */
  function callAndLook(target: string, options: { method?: string; headers?: Record<string, string> }): Promise<{ status: number; requestId: string; storedThen: StoredRecord[] }> {
    const { hostname, port } = new URL(warden.url);
    warden.sent++;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: hostname, port, path: target, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
        const storedThen = storedRecords(warden.dbFile);
        res.resume();
        resolve({ status: res.statusCode!, requestId: res.headers['x-request-id'] as string, storedThen });
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('has the record in the store before the agent sees the answer, allowed or denied', async () => {
    for (const [target, method, status] of [['/crm/customers/C-1001', 'GET', 200], ['/crm/customers/C-1001', 'DELETE', 403]] as const) {
      const answer = await callAndLook(target, { method, headers: auth() });
      expect(answer.status).toBe(status);
      const mine = answer.storedThen.filter((record) => record.event.requestId === answer.requestId);
      expect(mine, `${method} ${target}`).toHaveLength(1);
      expect(mine[0]!.event.http.status).toBe(status);
    }
    const records = await recordsWhen(warden.dbFile, (all) => all.length >= warden.sent);
    expect(records).toHaveLength(warden.sent);
  });

  it('withholds the upstream\'s answer with 503 WARDEN_AUDIT_UNAVAILABLE when the store fails, and records that answer once', async () => {
    const repair = breakAuditStore(warden.dbFile);
    let answer: Answer;
    let denied: Answer;
    try {
      answer = await warden.call('/crm/customers/S-1', { headers: auth() });
      denied = await warden.call('/crm/customers/S-2');
    } finally {
      repair();
    }
    // The call reached the upstream, but its answer never reached the agent.
    expect((await upstreamSaw(upstream, '/crm/customers/S-1')).method).toBe('GET');
    expect(answer.status).toBe(503);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'WARDEN_AUDIT_UNAVAILABLE', requestId: answer.requestId });
    expect(answer.body).not.toContain(UPSTREAM_MARK);
    // A refusal cannot be answered without its record either.
    expect(denied.status).toBe(503);
    expect(JSON.parse(denied.body)).toMatchObject({ code: 'WARDEN_AUDIT_UNAVAILABLE' });

    // Once the store works again, each request has exactly one record, of what the agent got.
    const event = await warden.recordOf(answer.requestId);
    expect(event).toMatchObject({ agent: { name: 'support-bot' }, http: { status: 503 }, decision: { outcome: 'error', reason: 'WARDEN_AUDIT_UNAVAILABLE' } });
    const deniedEvent = await warden.recordOf(denied.requestId);
    expect(deniedEvent).toMatchObject({ http: { status: 503 }, decision: { reason: 'WARDEN_AUDIT_UNAVAILABLE' } });
    expect(chainBreak(storedRecords(warden.dbFile).map((record) => record.text))).toBeUndefined();
  });

  it('counts a request refused for want of its record once in warden_requests_total', async () => {
    const before = await metricsOf(warden.adminUrl);
    const repair = breakAuditStore(warden.dbFile);
    let answer: Answer;
    try {
      answer = await warden.call('/crm/customers/S-3', { headers: auth() });
    } finally {
      repair();
    }
    expect(answer.status).toBe(503);
    await warden.recordOf(answer.requestId);
    // Dashboards and alerts count requests: one request, one count, whatever it took to record it.
    const after = await metricsOf(warden.adminUrl);
    const total = (text: string) => samples(text, 'warden_requests_total').reduce((sum, series) => sum + series.value, 0);
    expect(total(after) - total(before)).toBe(1);
    const errors = (text: string) => sample(text, 'warden_requests_total', { agent: 'support-bot', api: 'crm', outcome: 'error' });
    expect(errors(after) - errors(before)).toBe(1);
  });
});

describe('health and metrics on the admin port', () => {
  let upstream: Upstream;
  let warden: Warden;

  beforeAll(async () => {
    upstream = await crmUpstream();
    warden = await startWarden({ upstreams: { live: upstream.url, dead: upstream.url }, config: { audit: { flushIntervalMs: 5 } } });
  });
  afterAll(async () => {
    await warden?.close();
    await upstream?.close();
  });

  const auth = () => ({ authorization: `Bearer ${warden.keys.key_supportbot01}` });

  it('answers /healthz, and /readyz with the policy version in force', async () => {
    const health = await fetch(`${warden.adminUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${warden.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    const current = await warden.runtime.store.currentPolicyVersion();
    expect(await ready.json()).toEqual({ status: 'ready', policyVersion: current!.version });
  });

  it('counts requests by agent, API and outcome, as the audit records say', async () => {
    const answers = [
      ...(await Promise.all([1, 2, 3].map((n) => warden.call(`/crm/customers/M-${n}`, { headers: auth() })))),
      await warden.call('/crm/customers/M-1', { method: 'DELETE', headers: auth() }),
      await warden.call('/crm/orders/O-1', { headers: auth() }),
      await warden.call('/crm/customers/M-1'),
      await warden.call('/crm/customers/M-2'),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 403, 404, 401, 401]);
    // Counted when the record is made: once the records are there, so are the counts.
    const records = await recordsWhen(warden.dbFile, (all) => all.length >= warden.sent);
    expect(records).toHaveLength(warden.sent);
    const text = await metricsOf(warden.adminUrl);
    expect(sample(text, 'warden_requests_total', { agent: 'support-bot', api: 'crm', outcome: 'allow' })).toBe(3);
    expect(sample(text, 'warden_requests_total', { agent: 'support-bot', api: 'crm', outcome: 'deny' })).toBe(1);
    expect(sample(text, 'warden_requests_total', { agent: 'support-bot', api: '-', outcome: 'deny' })).toBe(1);
    expect(sample(text, 'warden_requests_total', { agent: '-', api: '-', outcome: 'deny' })).toBe(2);
    expect(samples(text, 'warden_requests_total').reduce((sum, series) => sum + series.value, 0)).toBe(warden.sent);
    expect(sample(text, 'warden_request_duration_seconds_count', { api: 'crm' })).toBe(4);
    expect(sample(text, 'warden_request_duration_seconds_count', { api: '-' })).toBe(3);
    expect(samples(text, 'warden_audit_pending_records')).toHaveLength(1);
    expect(sample(text, 'warden_requests_in_flight')).toBe(0);
  });

  it('shows a request in flight while the upstream is answering', async () => {
    const pending = warden.call('/crm/customers/hold', { headers: auth() });
    await upstreamSaw(upstream, '/crm/customers/hold');
    expect(sample(await metricsOf(warden.adminUrl), 'warden_requests_in_flight')).toBe(1);
    upstream.release();
    expect((await pending).status).toBe(200);
    const deadline = Date.now() + 2000;
    while (sample(await metricsOf(warden.adminUrl), 'warden_requests_in_flight') !== 0 && Date.now() < deadline) await sleep(5);
    expect(sample(await metricsOf(warden.adminUrl), 'warden_requests_in_flight')).toBe(0);
  });

  it('does not serve health or metrics on the agent port, with or without a credential', async () => {
    for (const target of ['/healthz', '/readyz', '/metrics']) {
      const anonymous = await warden.call(target);
      expect(anonymous.status, target).toBe(401);
      expect(JSON.parse(anonymous.body)).toMatchObject({ code: 'WARDEN_AUTHN_MISSING' });
      const identified = await warden.call(target, { headers: auth() });
      expect(identified.status, target).toBe(404);
      expect(JSON.parse(identified.body)).toMatchObject({ code: 'WARDEN_ROUTE_NOT_FOUND' });
      for (const answer of [anonymous, identified]) {
        expect(answer.body).not.toContain('warden_requests_total');
        expect(answer.body).not.toContain('"status":"ok"');
      }
    }
    // And agent calls are not served on the admin port: an agent's key is no admin credential.
    const seenBefore = upstream.seen.length;
    const onAdmin = await call(warden.adminUrl, '/crm/customers/C-1001', { headers: auth() });
    expect(onAdmin.status).toBe(401);
    expect(JSON.parse(onAdmin.body)).toMatchObject({ code: 'WARDEN_ADMIN_UNAUTHENTICATED' });
    expect(upstream.seen).toHaveLength(seenBefore);
  });
});

describe('readiness without a policy and while draining', () => {
  let upstream: Upstream;
  const started: Warden[] = [];

  beforeAll(async () => {
    upstream = await crmUpstream();
  });
  afterAll(async () => {
    for (const warden of started) await warden.close();
    await upstream?.close();
  });

  it('is not ready without a policy snapshot, and tells agents to retry', async () => {
    // An empty store and no manifests: the runtime starts the gateway without a snapshot.
    const warden = await startWarden();
    started.push(warden);
    expect((await fetch(`${warden.adminUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${warden.adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', reason: 'no policy snapshot yet' });
    const answer = await warden.call('/crm/customers/C-1001', { headers: { authorization: 'Bearer wdn_supportbot01_x' } });
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBeDefined();
    const problem = JSON.parse(answer.body) as { code: string; requestId: string };
    expect(problem.code).toBe('WARDEN_GATEWAY_NOT_READY');
    expect(problem.requestId).toBe(answer.headers['x-request-id']);
    expect(upstream.seen).toHaveLength(0);
    // Even a gateway with nothing to decide with records every request it refused.
    const event = await warden.recordOf(problem.requestId);
    expect(event).toMatchObject({ http: { status: 503, rawPath: '/crm/customers/C-1001' }, decision: { outcome: 'error', reason: 'WARDEN_GATEWAY_NOT_READY' } });
    expect(JSON.stringify(event)).not.toContain('wdn_supportbot01_x');
  });

  it('is not ready while draining, finishes the request in flight and records it', async () => {
    const warden = await startWarden({ upstreams: { live: upstream.url, dead: upstream.url }, config: { audit: { flushIntervalMs: 50 } } });
    started.push(warden);
    expect((await fetch(`${warden.adminUrl}/readyz`)).status).toBe(200);
    // The upstream answers /slow only when released.
    const inFlight = warden.call('/crm/customers/slow', { headers: { authorization: `Bearer ${warden.keys.key_supportbot01}` } });
    await upstreamSaw(upstream, '/crm/customers/slow');
    const closing = warden.shutdown();
    const ready = await fetch(`${warden.adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', reason: 'draining for shutdown' });
    // No new agent connections while draining.
    await expect(call(warden.url, '/crm/customers/C-1001')).rejects.toThrow();
    // The upstream finally answers the request in flight, which the agent still receives.
    upstream.release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(UPSTREAM_MARK);
    await closing;
    // Flushed on close: the record of the request that drained is in the store.
    const records = storedRecords(warden.dbFile);
    expect(records.map((record) => [record.event.requestId, record.event.http.status])).toEqual([[answer.requestId, 200]]);
  });
});
