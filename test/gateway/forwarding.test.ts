import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { startEchoUpstream, startHarness, type Harness } from '../support/gateway-harness.js';
import { send, type Answer, type SendOptions } from '../support/http-send.js';
import { uncaughtDuring } from '../support/uncaught-during.js';
import { writable } from '../support/writable.js';

// The memory checks measure what is still referenced, not garbage waiting for the collector:
// this test process runs gateway, upstream and client, whose socket reads are all garbage.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;
const KEY_ID = 'key_forward01';

const AGENT = `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: forward-bot }
spec:
  owner: owner@example.com
  purpose: Calls upstreams in the forwarding tests
  roles: [forwarder]
  state: active
  credentials: [{ type: apiKey, id: ${KEY_ID} }]
`;

/** An Api manifest; `operations` are YAML flow mappings, `extra` more spec lines. */
function apiManifest(name: string, upstream: string, basePath: string, operations: readonly string[], extra: readonly string[] = []): string {
  return `apiVersion: warden.dev/v1
kind: Api
metadata: { name: ${name} }
spec:
  owner: team@example.com
  upstream: ${upstream}
  basePath: ${basePath}
${extra.map((line) => `  ${line}\n`).join('')}  operations:
${operations.map((operation) => `    - ${operation}\n`).join('')}`;
}

/** The forwarder role; `grants` are YAML flow mappings. */
function roleManifest(grants: readonly string[]): string {
  return `apiVersion: warden.dev/v1
kind: Role
metadata: { name: forwarder }
spec:
  grants:
${grants.map((grant) => `    - ${grant}\n`).join('')}`;
}

/** Manifests as one file per kind, for startHarness. */
function manifests(apis: readonly string[], grants: readonly string[]): Record<string, string> {
  return { 'apis.yaml': apis.join('---\n'), 'role.yaml': roleManifest(grants), 'agent.yaml': AGENT };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Rejects with `message` if `promise` has not settled after `ms`: a hang becomes a readable failure. */
function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve function outside. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

interface Upstream {
  readonly url: string;
  close(): Promise<void>;
}

/** A real HTTP upstream on port 0 whose handler sees the request as a stream (startEchoUpstream buffers it). */
async function startUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A TCP upstream that answers every request head with exactly `raw`: for headers Node's server would not send. */
async function startRawUpstream(raw: string): Promise<Upstream> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      // Bodiless requests only: one answer per request head.
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        pending = pending.slice(end + 4);
        socket.write(raw);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Values of one header in raw order (repeated headers stay separate). */
function headerValues(answer: Pick<Answer, 'rawHeaders'>, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < answer.rawHeaders.length; i += 2) if (answer.rawHeaders[i] === name) values.push(answer.rawHeaders[i + 1]!);
  return values;
}

/** The problem document's code, after checking it is one. */
function problemCode(answer: Answer): string {
  expect(answer.headers['content-type']).toBe('application/problem+json');
  return (JSON.parse(answer.body.toString('utf8')) as { code: string }).code;
}

/**
 * Sends requests with the agent's key and checks each request's single audit record. Counts
 * what reached the gateway, so every lookup also proves there is one record per request.
 */
class Calls {
  sent = 0;
  constructor(readonly h: Harness) {}

  get authorization(): string {
    return `Bearer ${this.h.keys[KEY_ID]!}`;
  }

  send(target: string, options: SendOptions = {}): Promise<Answer> {
    this.sent++;
    return send(`${this.h.url}${target}`, { ...options, headers: { authorization: this.authorization, ...options.headers } });
  }

  /** The one audit record of a request, after checking every request so far has exactly one. */
  async record(requestId: string | undefined): Promise<AuditEvent> {
    expect(requestId).toBeTruthy();
    const all = await this.h.auditEvents(this.sent);
    expect(all).toHaveLength(this.sent);
    const mine = all.filter((event) => event.requestId === requestId);
    expect(mine).toHaveLength(1);
    return mine[0]!;
  }

  recordOf(answer: Answer): Promise<AuditEvent> {
    const requestId = answer.headers['x-request-id'];
    expect(typeof requestId).toBe('string');
    return this.record(requestId as string);
  }
}

describe('upstream credential injection', () => {
  const SECRETS = { BEARER_SECRET: 'bearer-secret-Zk39fQ', HEADER_SECRET: 'header-secret-Pq71xW', BASIC_SECRET: 'svc-user:basic-pa55-Lm40' };
  const FILE_SECRET = 'file-secret-Hy52rT';
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let h: Harness;
  let calls: Calls;
  let secretsDir: string;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    secretsDir = await mkdtemp(path.join(os.tmpdir(), 'warden-fwd-secrets-'));
    const secretFile = path.join(secretsDir, 'upstream-token');
    // A trailing newline, as editors and `echo` write it: it is not part of the secret.
    await writeFile(secretFile, `${FILE_SECRET}\n`);
    const url = '{ url: "${UPSTREAM}", auth: %s }';
    const withAuth = (auth: string) => url.replace('%s', auth);
    const ping = '{ id: ping, method: GET, path: /ping }';
    h = await startHarness({
      manifests: manifests(
        [
          apiManifest('bearer-api', withAuth('{ type: bearer, secret: "env:BEARER_SECRET" }'), '/bearer', [ping]),
          apiManifest('header-api', withAuth('{ type: header, header: x-api-key, secret: "env:HEADER_SECRET" }'), '/header', [ping]),
          apiManifest('basic-api', withAuth('{ type: basic, secret: "env:BASIC_SECRET" }'), '/basic', [ping]),
          apiManifest('file-api', withAuth(`{ type: bearer, secret: "file:${secretFile}" }`), '/file', [ping]),
          apiManifest('unset-api', withAuth('{ type: bearer, secret: "env:WARDEN_TEST_NEVER_SET" }'), '/unset', [ping]),
          apiManifest('nofile-api', withAuth(`{ type: bearer, secret: "file:${path.join(secretsDir, 'missing')}" }`), '/nofile', [ping]),
          apiManifest('vault-api', withAuth('{ type: bearer, secret: "vault:secret/crm#token" }'), '/vault', [ping]),
        ],
        ['bearer-api', 'header-api', 'basic-api', 'file-api', 'unset-api', 'nofile-api', 'vault-api'].map((api) => `{ api: ${api}, operations: [ping] }`),
      ),
      upstreamUrl: upstream.url,
      apiKeys: [KEY_ID],
      // Only these variables exist for the gateway: WARDEN_TEST_NEVER_SET is unset by construction.
      env: { ...SECRETS },
    });
    calls = new Calls(h);
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
    if (secretsDir) await rm(secretsDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  /** No secret, Warden's or the agent's, in the answer or in any audit record so far. */
  async function expectNoSecretLeaked(answer: Answer): Promise<void> {
    const records = JSON.stringify(await h.auditEvents(calls.sent));
    const key = h.keys[KEY_ID]!;
    for (const secret of [...Object.values(SECRETS), FILE_SECRET, Buffer.from(SECRETS.BASIC_SECRET).toString('base64'), key, key.slice(-43)]) {
      expect(answer.body.toString('latin1')).not.toContain(secret);
      expect(JSON.stringify(answer.rawHeaders)).not.toContain(secret);
      expect(records).not.toContain(secret);
    }
  }

  /** The one request the upstream saw, after checking the agent's own key was not passed on. */
  function seenByUpstream() {
    expect(upstream.seen).toHaveLength(1);
    expect(JSON.stringify(upstream.seen[0]!.rawHeaders)).not.toContain(h.keys[KEY_ID]!.slice(-43));
    return upstream.seen[0]!;
  }

  it('sends the bearer secret from the environment, never the agent\'s API key', async () => {
    const answer = await calls.send('/bearer/ping');
    expect(answer.status).toBe(200);
    const seen = seenByUpstream();
    expect(seen.headers.authorization).toBe(`Bearer ${SECRETS.BEARER_SECRET}`);
    expect((await calls.recordOf(answer)).decision.outcome).toBe('allow');
    await expectNoSecretLeaked(answer);
  });

  it('sends the secret in the named header for type header, and no Authorization at all', async () => {
    const answer = await calls.send('/header/ping');
    expect(answer.status).toBe(200);
    const seen = seenByUpstream();
    expect(seen.headers['x-api-key']).toBe(SECRETS.HEADER_SECRET);
    expect(seen.headers.authorization).toBeUndefined();
    await calls.recordOf(answer);
    await expectNoSecretLeaked(answer);
  });

  it('does not let the agent add its own value of the credential header', async () => {
    // An agent that sends x-api-key itself must not reach the upstream with a credential of its
    // choosing: the upstream has to see Warden's value, once (Node would join two into "a, b").
    const answer = await calls.send('/header/ping', { headers: { 'x-api-key': 'forged-by-the-agent' } });
    expect(answer.status).toBe(200);
    const seen = seenByUpstream();
    const values = seen.rawHeaders.filter((_, i) => i % 2 === 1 && seen.rawHeaders[i - 1]!.toLowerCase() === 'x-api-key');
    expect(values).toEqual([SECRETS.HEADER_SECRET]);
    await calls.recordOf(answer);
  });

  it('sends type basic as Basic with the base64 of user:password', async () => {
    const answer = await calls.send('/basic/ping');
    expect(answer.status).toBe(200);
    expect(seenByUpstream().headers.authorization).toBe(`Basic ${Buffer.from(SECRETS.BASIC_SECRET).toString('base64')}`);
    await calls.recordOf(answer);
    await expectNoSecretLeaked(answer);
  });

  it('reads a file: secret, without its trailing newline', async () => {
    // Re-reading a rotated file happens after a 60 s cache TTL, too long for this suite: only the first read is proved here.
    const answer = await calls.send('/file/ping');
    expect(answer.status).toBe(200);
    expect(seenByUpstream().headers.authorization).toBe(`Bearer ${FILE_SECRET}`);
    await calls.recordOf(answer);
    await expectNoSecretLeaked(answer);
  });

  it.each([
    ['an unset environment variable', '/unset/ping'],
    ['a missing secret file', '/nofile/ping'],
    ['an unsupported vault: reference', '/vault/ping'],
  ])('answers 502 WARDEN_UPSTREAM_UNAVAILABLE for %s and never calls the upstream unauthenticated', async (_, target) => {
    const answer = await calls.send(target);
    expect(answer.status).toBe(502);
    expect(problemCode(answer)).toBe('WARDEN_UPSTREAM_UNAVAILABLE');
    expect(upstream.seen).toEqual([]);
    const event = await calls.recordOf(answer);
    expect(event.decision).toMatchObject({ outcome: 'error', reason: 'WARDEN_UPSTREAM_UNAVAILABLE' });
    expect(event.http.status).toBe(502);
    await expectNoSecretLeaked(answer);
  });
});

describe('response field rules', () => {
  const PII = ['ada@example.com', '+49 30 1234567', 'VIP, owes 300', '123-45-6789', '987-65-4321', 'Unter den Linden 1', 'grace@example.com', '555-12-3456'];
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let h: Harness;
  let calls: Calls;

  const customer = { id: 'c-1', name: 'Ada', email: 'ada@example.com', phone: '+49 30 1234567', internalNotes: 'VIP, owes 300', address: { city: 'Berlin', street: 'Unter den Linden 1' }, ssn: '123-45-6789' };
  const bodies: Record<string, { type?: string; encoding?: string; status?: number; body: Buffer | string }> = {
    '/crm/customers/c-1': { type: 'application/json; charset=utf-8', body: JSON.stringify(customer) },
    '/crm/orders/o-1': { type: 'application/json', body: JSON.stringify({ id: 'o-1', items: [{ sku: 'a', ssn: '123-45-6789', cost: 5 }, { sku: 'b', ssn: '987-65-4321', cost: 7 }] }) },
    '/crm/profiles/c-1': { type: 'application/json', body: JSON.stringify(customer) },
    '/crm/customers': {
      type: 'application/json',
      body: JSON.stringify([
        { id: 'c-1', email: 'ada@example.com', ssn: '123-45-6789' },
        { id: 'c-2', email: 'grace@example.com', ssn: '555-12-3456' },
        { id: 'c-3', email: null, ssn: '987-65-4321' },
      ]),
    },
    '/crm/notes/n-1': { type: 'text/plain', body: 'ada@example.com called about 123-45-6789' },
    '/crm/archive/a-1': { type: 'application/json', encoding: 'gzip', body: gzipSync(JSON.stringify(customer)) },
    '/crm/archive/a-2': { type: 'application/json', encoding: 'zstd', body: gzipSync(JSON.stringify(customer)) },
    '/crm/archive/a-3': { type: 'application/json', encoding: 'gzip', body: Buffer.concat([gzipSync(JSON.stringify(customer)).subarray(0, 20), Buffer.from('not gzip at all, but with ada@example.com')]) },
    '/crm/broken/b-1': { type: 'application/json', body: '{"email": "ada@example.com", "ssn": "123-45-6789"' },
    '/crm/partial/p-1': { type: 'application/json', status: 206, body: '150000' },
    '/crm/baskets/b-1': { type: 'application/json', body: JSON.stringify({ id: 'b-1', items: [{ id: 'i-1', ssn: '123-45-6789' }, { id: 'i-2', ssn: '987-65-4321' }] }) },
  };

  beforeAll(async () => {
    upstream = await startEchoUpstream((req, res) => {
      const path = req.url!.split('?')[0]!;
      if (path === '/crm/records/r-1') {
        // Answers without a body: nothing in them can be filtered.
        if (req.method === 'DELETE') return res.writeHead(204).end();
        if (req.method === 'HEAD') return res.writeHead(200, { 'content-type': 'application/json', 'content-length': '42' }).end();
      }
      if (path === '/crm/cut/c-1') {
        // Half a JSON document, then a reset: the upstream broke off while the gateway read it.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"email": "ada@example.com", "ssn": "123-45-6789", ');
        setTimeout(() => res.socket?.resetAndDestroy(), 20);
        return;
      }
      const answer = bodies[path];
      if (answer === undefined) return res.writeHead(404).end();
      res.writeHead(answer.status ?? 200, { 'content-type': answer.type ?? 'application/json', ...(answer.encoding ? { 'content-encoding': answer.encoding } : {}) });
      res.end(answer.body);
    });
    const get = (id: string, p: string) => `{ id: ${id}, method: GET, path: "${p}" }`;
    h = await startHarness({
      manifests: manifests(
        [apiManifest('crm', '{ url: "${UPSTREAM}" }', '/crm', [
          get('getCustomer', '/customers/{id}'), get('getOrder', '/orders/{id}'), get('getProfile', '/profiles/{id}'), get('listCustomers', '/customers'),
          get('getNote', '/notes/{id}'), get('getArchive', '/archive/{id}'), get('getBroken', '/broken/{id}'), get('getBasket', '/baskets/{id}'),
          get('getCut', '/cut/{id}'), get('getRecord', '/records/{id}'), get('getPartial', '/partial/{id}'), '{ id: headRecord, method: HEAD, path: "/records/{id}" }', '{ id: deleteRecord, method: DELETE, path: "/records/{id}" }',
        ])],
        [
          '{ api: crm, operations: [getCustomer], response: { mask: [email, phone], drop: [internalNotes, ssn] } }',
          '{ api: crm, operations: [getOrder], response: { mask: ["items[].ssn"], drop: ["items[].cost"] } }',
          '{ api: crm, operations: [getProfile], response: { allow: [id, name, address.city] } }',
          '{ api: crm, operations: [listCustomers], response: { mask: [email], drop: [ssn] } }',
          '{ api: crm, operations: [getNote, getArchive, getBroken, getCut, getPartial], response: { mask: [email, ssn] } }',
          '{ api: crm, operations: [getBasket], response: { allow: [id, items.id] } }',
          '{ api: crm, operations: [getRecord, headRecord, deleteRecord], response: { mask: [email] } }',
        ],
      ),
      upstreamUrl: upstream.url,
      apiKeys: [KEY_ID],
    });
    calls = new Calls(h);
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });

  /** The record of a filtered answer: allowed, with the data summary, and no PII in it. */
  async function filteredRecord(answer: Answer): Promise<AuditEvent> {
    const event = await calls.recordOf(answer);
    expect(event.decision).toMatchObject({ outcome: 'allow', reason: 'GRANTED' });
    for (const value of PII) expect(JSON.stringify(event)).not.toContain(value);
    return event;
  }

  function json(answer: Answer): unknown {
    expect(answer.status).toBe(200);
    expect(answer.complete).toBe(true);
    // The filtered body is sent with its own length, not the upstream's.
    expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
    return JSON.parse(answer.body.toString('utf8'));
  }

  it('answers an upstream that breaks off while its answer is being filtered with 502, as the upstream\'s failure', async () => {
    const exceptions = async () => Number(/^warden_pipeline_exceptions_total\{filter="response"\} (\d+)$/m.exec(await (await fetch(`${h.adminUrl}/metrics`)).text())?.[1] ?? 0);
    const before = await exceptions();
    const answer = await calls.send('/crm/cut/c-1');
    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.body.toString('utf8'))).toMatchObject({ code: 'WARDEN_UPSTREAM_UNAVAILABLE' });
    for (const value of PII) expect(answer.body.toString('utf8')).not.toContain(value);
    const event = await calls.recordOf(answer);
    expect(event.decision).toMatchObject({ outcome: 'error', reason: 'WARDEN_UPSTREAM_UNAVAILABLE' });
    // Not a bug of the gateway: nothing counted as a pipeline exception.
    expect(await exceptions()).toBe(before);
  });

  it('masks fields as "***" and drops fields, and records the masked field names only', async () => {
    const answer = await calls.send('/crm/customers/c-1');
    expect(json(answer)).toEqual({ id: 'c-1', name: 'Ada', email: '***', phone: '***', address: { city: 'Berlin', street: 'Unter den Linden 1' } });
    const event = await filteredRecord(answer);
    expect(event.data).toEqual({ records: 1, maskedFields: ['email', 'phone'] });
  });

  it('masks and drops fields inside every element of an array (items[].ssn)', async () => {
    const answer = await calls.send('/crm/orders/o-1');
    expect(json(answer)).toEqual({ id: 'o-1', items: [{ sku: 'a', ssn: '***' }, { sku: 'b', ssn: '***' }] });
    expect((await filteredRecord(answer)).data).toEqual({ records: 1, maskedFields: ['items[].ssn'] });
  });

  it('keeps only the allowed fields, nested ones included', async () => {
    const answer = await calls.send('/crm/profiles/c-1');
    expect(json(answer)).toEqual({ id: 'c-1', name: 'Ada', address: { city: 'Berlin' } });
    expect((await filteredRecord(answer)).data).toEqual({ records: 1, maskedFields: [] });
  });

  it('applies the rules to each record of a top-level array and counts the records', async () => {
    const answer = await calls.send('/crm/customers');
    expect(json(answer)).toEqual([{ id: 'c-1', email: '***' }, { id: 'c-2', email: '***' }, { id: 'c-3', email: null }]);
    expect((await filteredRecord(answer)).data).toEqual({ records: 3, maskedFields: ['email'] });
  });

  it('never returns a field outside the allow list, even when a listed path meets an array', async () => {
    // allow: [items.id] on a list of items: whatever the interpretation, ssn is not allowed.
    const answer = await calls.send('/crm/baskets/b-1');
    expect(answer.status).toBe(200);
    expect(answer.body.toString('utf8')).not.toContain('123-45-6789');
    expect(answer.body.toString('utf8')).not.toContain('ssn');
    await calls.recordOf(answer);
  });

  it('decodes a gzip-compressed JSON answer, filters it, and sends it on decoded', async () => {
    const answer = await calls.send('/crm/archive/a-1');
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(json(answer)).toEqual({ ...customer, email: '***', ssn: '***' });
    expect((await filteredRecord(answer)).data).toMatchObject({ records: 1, maskedFields: ['email', 'ssn'] });
  });

  it.each([
    ['a text/plain answer', '/crm/notes/n-1'],
    ['a JSON answer in an encoding the gateway cannot read', '/crm/archive/a-2'],
    ['a gzip answer whose compressed bytes are corrupt', '/crm/archive/a-3'],
    ['an answer labelled JSON that does not parse', '/crm/broken/b-1'],
  ])('withholds %s to an operation with rules: 502 WARDEN_RESPONSE_NOT_FILTERABLE', async (_, target) => {
    const { result: answer, uncaught } = await uncaughtDuring(() => calls.send(target));
    expect(answer.status).toBe(502);
    // Dropping the withheld upstream body must not raise an error nobody listens for.
    expect(uncaught).toEqual([]);
    expect(problemCode(answer)).toBe('WARDEN_RESPONSE_NOT_FILTERABLE');
    // Fail closed: not a byte of the original body reaches the agent.
    const original = bodies[target]!.body;
    expect(answer.body.includes(Buffer.from(original).subarray(0, 16))).toBe(false);
    for (const value of PII) expect(answer.body.toString('latin1')).not.toContain(value);
    const event = await calls.recordOf(answer);
    expect(event.decision).toMatchObject({ outcome: 'error', reason: 'WARDEN_RESPONSE_NOT_FILTERABLE' });
    expect(event.http.status).toBe(502);
    for (const value of PII) expect(JSON.stringify(event)).not.toContain(value);
  });

  it.each([
    ['DELETE answered 204', 'DELETE', {}, 204],
    ['HEAD answered 200 without a body', 'HEAD', {}, 200],
  ] as const)('passes %s to an operation with rules: there is nothing to filter', async (_, method, headers, status) => {
    const answer = await calls.send('/crm/records/r-1', { method, headers });
    expect(answer.status).toBe(status);
    expect(answer.body.length).toBe(0);
    const event = await calls.recordOf(answer);
    expect(event.decision.outcome).toBe('allow');
    expect(event.http.status).toBe(status);
  });

  it('asks the upstream for the whole answer, in an encoding it reads: no Range, no conditionals, its own Accept-Encoding', async () => {
    const before = upstream.seen.length;
    // A range would be a fragment no rule can judge; an ETag match would tell the agent what the unfiltered body is.
    const answer = await calls.send('/crm/customers/c-1', { headers: { range: 'bytes=40-60', 'if-none-match': '"v1"', 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT', 'accept-encoding': 'zstd' } });
    expect(json(answer)).toMatchObject({ id: 'c-1', email: '***' });
    const seen = upstream.seen.slice(before)[0]!;
    expect(seen.headers.range).toBeUndefined();
    expect(seen.headers['if-none-match']).toBeUndefined();
    expect(seen.headers['if-modified-since']).toBeUndefined();
    expect(seen.headers['accept-encoding']).toBe('gzip, deflate, br');
    await calls.recordOf(answer);
  });

  it('refuses a partial answer (206) to an operation with rules', async () => {
    const answer = await calls.send('/crm/partial/p-1');
    expect(answer.status).toBe(502);
    expect(problemCode(answer)).toBe('WARDEN_RESPONSE_NOT_FILTERABLE');
    expect(answer.body.toString('utf8')).not.toContain('150000');
    await calls.recordOf(answer);
  });
});

describe('response headers and answers without a body', () => {
  let raw: Upstream;
  let plain: Upstream;
  let h: Harness;
  let calls: Calls;
  const RAW_BODY = '{"ok":true,"via":"raw"}';

  beforeAll(async () => {
    // Every hop-by-hop header an upstream could send, one of them nominated by Connection
    // (RFC 9110 §7.6.1: a proxy removes the headers Connection names, too).
    const chunk = `${RAW_BODY.length.toString(16)}\r\n${RAW_BODY}\r\n`;
    raw = await startRawUpstream([
      'HTTP/1.1 200 OK',
      'Content-Type: application/json',
      'Connection: keep-alive, X-Hop-Secret',
      'X-Hop-Secret: only-for-the-next-hop',
      'Keep-Alive: timeout=123, max=7',
      'Proxy-Connection: keep-alive',
      'Upgrade: h2c',
      'Trailer: X-Checksum',
      'X-Request-Id: chosen-by-the-upstream',
      'X-Upstream-Header: end-to-end',
      'Transfer-Encoding: chunked',
      '',
      `${chunk}0\r\n\r\n`,
    ].join('\r\n'));
    plain = await startUpstream((req, res) => {
      if (req.method === 'HEAD') return res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1234' }).end();
      if (req.method === 'DELETE') return res.writeHead(204, { 'x-deleted': 'yes' }).end();
      if (req.headers['if-none-match'] === '"v7"') return res.writeHead(304, { etag: '"v7"' }).end();
      res.writeHead(200, { 'content-type': 'application/json', etag: '"v7"' }).end('{"doc":"full"}');
    });
    h = await startHarness({
      manifests: manifests(
        [
          apiManifest('hop', `{ url: "${raw.url}" }`, '/hop', ['{ id: ping, method: GET, path: /ping }']),
          apiManifest('docs', `{ url: "${plain.url}" }`, '/docs', [
            '{ id: getDoc, method: GET, path: /doc }', '{ id: headDoc, method: HEAD, path: /doc }', '{ id: deleteDoc, method: DELETE, path: /doc }',
          ]),
          apiManifest('legacy', `{ url: "${plain.url}" }`, '/legacy', ['{ id: getDoc, method: GET, path: /doc }'], ['lifecycle: { status: deprecated, deprecatedSince: "2024-01-15", sunset: "2099-12-31", replacement: docs }']),
        ],
        ['{ api: hop, operations: ["*"] }', '{ api: docs, operations: ["*"] }', '{ api: legacy, operations: ["*"] }'],
      ),
      upstreamUrl: plain.url,
      apiKeys: [KEY_ID],
    });
    calls = new Calls(h);
  });
  afterAll(async () => {
    await h?.close();
    await raw?.close();
    await plain?.close();
  });

  it('does not pass the upstream\'s hop-by-hop headers through, and keeps end-to-end ones', async () => {
    const answer = await calls.send('/hop/ping');
    expect(answer.status).toBe(200);
    expect(answer.complete).toBe(true);
    expect(answer.body.toString('utf8')).toBe(RAW_BODY);
    expect(answer.headers['x-upstream-header']).toBe('end-to-end');
    const names = answer.rawHeaders.filter((_, i) => i % 2 === 0);
    for (const name of ['upgrade', 'proxy-connection', 'trailer']) expect(names).not.toContain(name);
    // The gateway's own connection management may send Connection/Keep-Alive, never the upstream's values.
    expect(headerValues(answer, 'keep-alive').join()).not.toContain('timeout=123');
    expect(headerValues(answer, 'connection').join().toLowerCase()).not.toContain('x-hop-secret');
    expect(headerValues(answer, 'transfer-encoding').length).toBeLessThanOrEqual(1);
    // A header the upstream's Connection names is hop-by-hop as well.
    expect(names).not.toContain('x-hop-secret');
    await calls.recordOf(answer);
  });

  it('sends the gateway\'s x-request-id, once, replacing the upstream\'s, and it names the audit record', async () => {
    const answer = await calls.send('/hop/ping');
    const ids = headerValues(answer, 'x-request-id');
    expect(ids).toHaveLength(1);
    expect(ids[0]).not.toBe('chosen-by-the-upstream');
    expect((await calls.recordOf(answer)).requestId).toBe(ids[0]);
  });

  it('marks answers of a deprecated API with Deprecation and Sunset, and of an active API with neither', async () => {
    const legacy = await calls.send('/legacy/doc');
    expect(legacy.status).toBe(200);
    // RFC 9745: the deprecation date as @epoch-seconds; RFC 8594: the sunset as an HTTP date.
    expect(legacy.headers.deprecation).toBe(`@${Date.UTC(2024, 0, 15) / 1000}`);
    // The sunset day starts at midnight UTC: from then on calls are refused.
    expect(legacy.headers.sunset).toBe('Thu, 31 Dec 2099 00:00:00 GMT');
    await calls.recordOf(legacy);
    const active = await calls.send('/docs/doc');
    expect(active.headers.deprecation).toBeUndefined();
    expect(active.headers.sunset).toBeUndefined();
    await calls.recordOf(active);
  });

  it('passes HEAD, 204 and 304 answers without a body, and the connection stays usable afterwards', async () => {
    // One keep-alive connection for all four: a stray body byte after HEAD/204/304 would
    // corrupt the next answer on it.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const head = await calls.send('/docs/doc', { method: 'HEAD', agent });
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      // HEAD tells the length a GET would have.
      expect(head.headers['content-length']).toBe('1234');
      const deleted = await calls.send('/docs/doc', { method: 'DELETE', agent });
      expect(deleted.status).toBe(204);
      expect(deleted.body.length).toBe(0);
      expect(deleted.headers['x-deleted']).toBe('yes');
      const notModified = await calls.send('/docs/doc', { headers: { 'if-none-match': '"v7"' }, agent });
      expect(notModified.status).toBe(304);
      expect(notModified.body.length).toBe(0);
      expect(notModified.headers.etag).toBe('"v7"');
      const full = await calls.send('/docs/doc', { agent });
      expect(full.status).toBe(200);
      expect(full.body.toString('utf8')).toBe('{"doc":"full"}');
      expect(new Set([head.localPort, deleted.localPort, notModified.localPort, full.localPort]).size).toBe(1);
      for (const [answer, status] of [[head, 200], [deleted, 204], [notModified, 304], [full, 200]] as const) {
        const event = await calls.recordOf(answer);
        expect(event.http.status).toBe(status);
        expect(event.decision.outcome).toBe('allow');
      }
    } finally {
      agent.destroy();
    }
  });
});

/**
 * What the kernel may buffer on two loopback hops (a receive and a send buffer each): the most
 * data that can be "ahead" without anything in the processes holding it. Linux autotunes
 * receive buffers up to tcp_rmem's maximum, 32 MiB on some machines, so a fixed bound would
 * pass or fail by machine. Where this exceeds what is left of the transfer, the lead proves
 * nothing and the bound on live buffers below carries the proof.
 */
const KERNEL_BUFFERS = (() => {
  const maximum = (file: string, fallback: number) => {
    try {
      return Number(readFileSync(file, 'utf8').trim().split(/\s+/).at(-1)) || fallback;
    } catch {
      return fallback;
    }
  };
  return 2 * (maximum('/proc/sys/net/ipv4/tcp_rmem', 6 * MiB) + maximum('/proc/sys/net/ipv4/tcp_wmem', 4 * MiB)) + 4 * MiB;
})();

describe('streaming', () => {
  const TOTAL = 50 * MiB;
  const BLOCK = 64 * 1024;
  // Distinct random blocks, cycled: 50 MB without allocating 50 MB, and a checksum that
  // catches a lost, repeated or reordered block.
  const BLOCKS = Array.from({ length: 16 }, () => randomBytes(BLOCK));
  let upstream: Upstream;
  let h: Harness;
  let calls: Calls;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_, res) => res.writeHead(500).end();

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => handler(req, res));
    h = await startHarness({
      manifests: manifests(
        [apiManifest('big', '{ url: "${UPSTREAM}" }', '/big', [
          '{ id: download, method: GET, path: /download }', '{ id: upload, method: POST, path: /upload }',
          '{ id: slow, method: GET, path: /slow }', '{ id: endless, method: GET, path: /endless }',
        ])],
        ['{ api: big, operations: ["*"] }'],
      ),
      upstreamUrl: upstream.url,
      apiKeys: [KEY_ID],
    });
    calls = new Calls(h);
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });

  /** Live memory: what a buffering or backpressure-ignoring gateway would grow, garbage excluded. */
  function liveMemory(): { arrayBuffers: number; rss: number } {
    collectGarbage();
    const usage = process.memoryUsage();
    return { arrayBuffers: usage.arrayBuffers, rss: usage.rss };
  }

  it('streams a 50 MB answer through without buffering it, with backpressure, intact', async () => {
    const clientGotFirstBytes = signal();
    const upstreamDone = signal<string>();
    let upstreamSent = 0;
    handler = (_, res) => {
      void (async () => {
        const hash = createHash('sha256');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL) });
        for (let i = 0; upstreamSent < TOTAL && !res.destroyed; i++) {
          const block = BLOCKS[i % BLOCKS.length]!;
          hash.update(block);
          upstreamSent += block.length;
          res.write(block);
          // A gateway that buffers the whole answer never delivers this first block: deadlock.
          if (i === 0) await clientGotFirstBytes.promise;
          // Asked now, not from write()'s result: 'drain' may have come during the wait above.
          if (res.writableNeedDrain) await writable(res);
        }
        res.end();
        upstreamDone.resolve(hash.digest('hex'));
      })();
    };

    const baseline = liveMemory();
    const figures = { sentWhenFirstReceived: 0, aheadDuringPause: 0, arrayBuffersGrowth: 0, rssGrowth: 0 };
    const result = await within(new Promise<{ status: number; length: number; sha256: string; requestId: string; complete: boolean }>((resolve, reject) => {
      const req = http.get(`${h.url}/big/download`, { headers: { authorization: calls.authorization }, agent: false });
      calls.sent++;
      req.on('error', reject);
      req.on('response', (res) => {
        const hash = createHash('sha256');
        let received = 0;
        let paused = false;
        res.on('data', (chunk: Buffer) => {
          if (received === 0) {
            figures.sentWhenFirstReceived = upstreamSent;
            clientGotFirstBytes.resolve();
          }
          // Chunks are hashed and dropped, never kept: this process's memory is measured.
          hash.update(chunk);
          received += chunk.length;
          if (!paused && received >= 20 * MiB) {
            // A slow reader: the gateway must stop reading the upstream instead of queueing the rest.
            paused = true;
            res.pause();
            void sleep(400).then(() => {
              figures.aheadDuringPause = upstreamSent - received;
              const now = liveMemory();
              figures.arrayBuffersGrowth = now.arrayBuffers - baseline.arrayBuffers;
              figures.rssGrowth = now.rss - baseline.rss;
              res.resume();
            });
          }
        });
        res.on('error', () => undefined);
        res.on('close', () => resolve({ status: res.statusCode!, length: received, sha256: hash.digest('hex'), requestId: String(res.headers['x-request-id']), complete: res.complete }));
      });
    }), 10_000, 'the 50 MB download did not finish: a gateway that buffers the answer deadlocks here');

    expect(result.status).toBe(200);
    expect(result.complete).toBe(true);
    expect(figures.sentWhenFirstReceived).toBeLessThan(1 * MiB);
    expect(result.length).toBe(TOTAL);
    expect(result.sha256).toBe(await upstreamDone.promise);
    // Kernel socket buffers on the two loopback hops may hold what is ahead; the rest must wait upstream.
    expect(figures.aheadDuringPause, JSON.stringify(figures)).toBeLessThan(KERNEL_BUFFERS);
    // A gateway queueing the rest would hold ~30 MB of buffers here. RSS is only reported: the
    // allocator keeps the pages of freed socket reads, so it grows by tens of MB either way.
    expect(figures.arrayBuffersGrowth, JSON.stringify(figures)).toBeLessThan(8 * MiB);
    const event = await calls.record(result.requestId);
    expect(event.http).toMatchObject({ status: 200, bytesOut: TOTAL });
    expect(event.decision.outcome).toBe('allow');
  });

  it.each(['content-length', 'chunked'] as const)('streams a 50 MB upload (%s) to the upstream while the client is still sending, with backpressure, intact', async (framing) => {
    const upstreamGotFirstBytes = signal();
    let clientSent = 0;
    const figures = { clientSentWhenFirstReceived: 0, aheadDuringPause: 0, arrayBuffersGrowth: 0, rssGrowth: 0 };
    const baseline = liveMemory();
    handler = (req, res) => {
      const hash = createHash('sha256');
      let received = 0;
      let paused = false;
      req.on('data', (chunk: Buffer) => {
        if (received === 0) {
          figures.clientSentWhenFirstReceived = clientSent;
          upstreamGotFirstBytes.resolve();
        }
        hash.update(chunk);
        received += chunk.length;
        if (!paused && received >= 20 * MiB) {
          // A slow upstream: the gateway must stop reading the client instead of queueing.
          paused = true;
          req.pause();
          void sleep(400).then(() => {
            figures.aheadDuringPause = clientSent - received;
            const now = liveMemory();
            figures.arrayBuffersGrowth = now.arrayBuffers - baseline.arrayBuffers;
            figures.rssGrowth = now.rss - baseline.rss;
            req.resume();
          });
        }
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ length: received, sha256: hash.digest('hex') }));
      });
    };

    // Without content-length the upload is chunked: the gateway cannot know its size in advance.
    const headers = { authorization: calls.authorization, 'content-type': 'application/octet-stream', ...(framing === 'content-length' ? { 'content-length': String(TOTAL) } : {}) };
    const req = http.request(`${h.url}/big/upload`, { method: 'POST', headers, agent: false });
    calls.sent++;
    try {
      const response = new Promise<Answer>((resolve, reject) => {
        req.on('error', reject);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('close', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), complete: res.complete, localPort: undefined }));
        });
      });
      // Awaited below; if the test fails first, the destroyed request's rejection is expected.
      response.catch(() => undefined);
      const hash = createHash('sha256');
      for (let i = 0; clientSent < TOTAL; i++) {
        const block = BLOCKS[(i * 7) % BLOCKS.length]!;
        hash.update(block);
        clientSent += block.length;
        req.write(block);
        // A gateway that reads the whole body before forwarding never lets this block through.
        if (i === 0) await within(upstreamGotFirstBytes.promise, 3000, 'the upstream got no byte of the upload while the client was still sending');
        if (req.writableNeedDrain) await writable(req);
      }
      req.end();
      const answer = await within(response, 10_000, 'the upload got no answer');
      expect(answer.status).toBe(200);
      expect(figures.clientSentWhenFirstReceived).toBeLessThan(1 * MiB);
      expect(JSON.parse(answer.body.toString('utf8'))).toEqual({ length: TOTAL, sha256: hash.digest('hex') });
      // The kernel buffers of two loopback hops hold a few MB; the rest must wait in the client.
      expect(figures.aheadDuringPause, JSON.stringify(figures)).toBeLessThan(KERNEL_BUFFERS);
      // A coarse guard: these are the buffers of the whole test process (client, gateway and
      // upstream), garbage not yet collected included; under a loaded machine up to ~30 MB of
      // in-flight and spent chunks sit in them. A gateway holding the upload would add its 50 MB
      // on top, which stays far above the bound.
      expect(figures.arrayBuffersGrowth, JSON.stringify(figures)).toBeLessThan(40 * MiB);
      const event = await calls.record(String(answer.headers['x-request-id']));
      expect(event.http).toMatchObject({ status: 200, bytesIn: TOTAL });
    } finally {
      req.destroy();
    }
  });

  it('forwards a chunked upload byte for byte, its first chunk included', async () => {
    handler = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.concat(chunks)));
    };
    // An agent streaming its body: the first chunk is on the wire before the gateway has an upstream connection.
    const req = http.request(`${h.url}/big/upload`, { method: 'POST', headers: { authorization: calls.authorization, 'content-type': 'text/plain' }, agent: false });
    calls.sent++;
    const answer = new Promise<Answer>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('close', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), complete: res.complete, localPort: undefined }));
      });
    });
    req.write('first chunk, ');
    await sleep(50);
    req.end('second chunk');
    const echoed = await within(answer, 5000, 'the chunked upload got no answer');
    expect(echoed.status).toBe(200);
    expect(echoed.body.toString('utf8')).toBe('first chunk, second chunk');
    const event = await calls.record(String(echoed.headers['x-request-id']));
    expect(event.http.bytesIn).toBe('first chunk, second chunk'.length);
  });

  it('aborts the upstream request when the client goes away before the answer, and records status 0 once', async () => {
    const upstreamGotRequest = signal<string>();
    const upstreamSawClose = signal();
    handler = (req, res) => {
      upstreamGotRequest.resolve(String(req.headers['x-request-id']));
      // Never answers: a slow upstream.
      res.on('close', () => upstreamSawClose.resolve());
    };
    const req = http.get(`${h.url}/big/slow`, { headers: { authorization: calls.authorization }, agent: false });
    calls.sent++;
    req.on('error', () => undefined);
    const requestId = await within(upstreamGotRequest.promise, 5000, 'the upstream never got the request');
    req.destroy();
    // Without propagation the upstream would work on for a caller that is gone.
    await within(upstreamSawClose.promise, 3000, 'the upstream request was not aborted after the client left');
    const event = await calls.record(requestId);
    expect(event.http.status).toBe(0);
    // Whatever the forward filter does after the abort must not add a second record.
    await sleep(100);
    expect((await h.auditEvents()).filter((e) => e.requestId === requestId)).toHaveLength(1);
  });

  it('stops reading the upstream when the client leaves in the middle of a streamed answer', async () => {
    const upstreamSawClose = signal<boolean>();
    let upstreamSent = 0;
    handler = (_, res) => {
      res.on('close', () => upstreamSawClose.resolve(res.writableFinished));
      void (async () => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        // An endless answer: only the client leaving can end it.
        for (let i = 0; !res.destroyed; i++) {
          upstreamSent += BLOCK;
          if (!res.write(BLOCKS[i % BLOCKS.length]!)) await writable(res);
        }
      })();
    };
    const requestId = await new Promise<string>((resolve, reject) => {
      const req = http.get(`${h.url}/big/endless`, { headers: { authorization: calls.authorization }, agent: false });
      calls.sent++;
      req.on('error', () => undefined);
      req.on('response', (res) => {
        res.once('data', () => {
          resolve(String(res.headers['x-request-id']));
          req.destroy();
        });
      });
      setTimeout(() => reject(new Error('no answer bytes')), 5000);
    });
    expect(await within(upstreamSawClose.promise, 3000, 'the upstream kept streaming to a client that was gone')).toBe(false);
    const sentAtClose = upstreamSent;
    await sleep(100);
    expect(upstreamSent).toBe(sentAtClose);
    const event = await calls.record(requestId);
    expect(event.http.status).toBe(200);
    expect(event.http.bytesOut).toBeLessThan(sentAtClose);
  });
  it('cuts a client that stops reading after bodyMs, so the upstream connection is released', async () => {
    // undici pauses its own body timeout while the gateway is not reading: without a timer of
    // the gateway's, a client that stops reading would hold the upstream connection for ever.
    const stalling = await startHarness({
      manifests: manifests([apiManifest('big', '{ url: "${UPSTREAM}" }', '/big', ['{ id: endless, method: GET, path: /endless }'])], ['{ api: big, operations: ["*"] }']),
      upstreamUrl: upstream.url,
      apiKeys: [KEY_ID],
      config: { gateway: { timeouts: { bodyMs: 300 } } },
    });
    const upstreamSawClose = signal<boolean>();
    handler = (_, res) => {
      res.on('close', () => upstreamSawClose.resolve(res.writableFinished));
      void (async () => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let i = 0; !res.destroyed; i++) if (!res.write(BLOCKS[i % BLOCKS.length]!)) await writable(res);
      })();
    };
    let req: http.ClientRequest | undefined;
    try {
      const started = Date.now();
      req = http.get(`${stalling.url}/big/endless`, { headers: { authorization: `Bearer ${stalling.keys[KEY_ID]!}` }, agent: false });
      req.on('error', () => undefined);
      req.on('response', (res) => {
        // Read one chunk, then stop reading and keep the connection open (a paused socket
        // does not even notice being closed, so the upstream side tells what happened).
        res.once('data', () => res.pause());
        res.on('error', () => undefined);
      });
      expect(await within(upstreamSawClose.promise, 5000, 'the gateway kept streaming for a client that stopped reading')).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      const [event] = await stalling.auditEvents(1);
      expect(event).toMatchObject({ http: { status: 200 }, decision: { outcome: 'error', reason: 'WARDEN_CLIENT_CLOSED' } });
    } finally {
      req?.destroy();
      await stalling.close();
    }
  });
});

describe('upstream failures and timeouts', () => {
  // Short timeouts so each failure shows within a second; the slow cases stay in their own upstreams.
  const TIMEOUTS = { connectMs: 300, headersMs: 300, bodyMs: 300 };
  let silent: Upstream;
  let stalling: Upstream;
  let resetting: Upstream;
  let silentClosed: ReturnType<typeof signal<void>>;
  let h: Harness;
  let calls: Calls;
  let downUrl: string;
  // The connect-timeout upstream: a listening socket whose accept queue is full.
  let blackhole: { url: string; close(): Promise<void> };

  /** Listens with backlog 1 in a worker whose event loop is blocked, then fills the accept queue: new SYNs are dropped. */
  async function startBlackhole(): Promise<{ url: string; close(): Promise<void> }> {
    const wake = new SharedArrayBuffer(4);
    const worker = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const server = require('node:net').createServer();
      server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
        parentPort.postMessage(server.address().port);
        Atomics.wait(new Int32Array(workerData), 0, 0);
        process.exit(0);
      });`, { eval: true, workerData: wake });
    const port = await new Promise<number>((resolve) => worker.once('message', resolve));
    const fillers: net.Socket[] = [];
    for (let i = 0; i < 16; i++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      const connected = await new Promise<boolean>((resolve) => {
        socket.once('connect', () => resolve(true));
        setTimeout(() => resolve(false), 300);
      });
      if (!connected) {
        socket.destroy();
        break;
      }
      // Kept open until close(): each one occupies the accept queue nobody drains.
      fillers.push(socket);
    }
    return {
      url: `http://127.0.0.1:${port}`,
      async close() {
        for (const socket of fillers) socket.destroy();
        Atomics.store(new Int32Array(wake), 0, 1);
        Atomics.notify(new Int32Array(wake), 0);
        await new Promise((resolve) => worker.once('exit', resolve));
      },
    };
  }

  beforeAll(async () => {
    silentClosed = signal();
    silent = await startUpstream((_, res) => {
      res.on('close', () => silentClosed.resolve());
    });
    stalling = await startUpstream((_, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1000, 'a'));
      // ... and nothing more.
    });
    resetting = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1000, 'b'));
      // Let the partial body reach the client first, then a TCP RST mid-body.
      setTimeout(() => req.socket.resetAndDestroy(), 150);
    });
    const closed = await startUpstream(() => undefined);
    downUrl = closed.url;
    await closed.close();
    blackhole = await startBlackhole();
    const ping = ['{ id: ping, method: GET, path: /ping }'];
    h = await startHarness({
      manifests: manifests(
        [
          apiManifest('silent', `{ url: "${silent.url}" }`, '/silent', ping),
          apiManifest('stalling', `{ url: "${stalling.url}" }`, '/stalling', ping),
          apiManifest('resetting', `{ url: "${resetting.url}" }`, '/resetting', ping),
          apiManifest('down', `{ url: "${downUrl}" }`, '/down', ping),
          apiManifest('blackhole', `{ url: "${blackhole.url}" }`, '/blackhole', ping),
        ],
        ['silent', 'stalling', 'resetting', 'down', 'blackhole'].map((api) => `{ api: ${api}, operations: [ping] }`),
      ),
      upstreamUrl: silent.url,
      apiKeys: [KEY_ID],
      config: { gateway: { timeouts: TIMEOUTS } },
    });
    calls = new Calls(h);
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all([silent?.close(), stalling?.close(), resetting?.close(), blackhole?.close()]);
  });

  async function expectFailure(target: string, status: number, code: string): Promise<{ answer: Answer; event: AuditEvent; ms: number; detail: string }> {
    const started = performance.now();
    const answer = await calls.send(target);
    const ms = performance.now() - started;
    expect(answer.status).toBe(status);
    expect(problemCode(answer)).toBe(code);
    const event = await calls.recordOf(answer);
    expect(event.decision).toMatchObject({ outcome: 'error', reason: code });
    expect(event.http.status).toBe(status);
    return { answer, event, ms, detail: (JSON.parse(answer.body.toString('utf8')) as { detail: string }).detail };
  }

  it('answers 504 WARDEN_UPSTREAM_TIMEOUT when the upstream accepts but never answers, and drops that upstream request', async () => {
    const { ms } = await expectFailure('/silent/ping', 504, 'WARDEN_UPSTREAM_TIMEOUT');
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3000);
    await within(silentClosed.promise, 2000, 'the timed-out upstream request was left open');
  });

  it('cuts the client connection when the upstream stalls mid-body, and records the timeout as an error', async () => {
    const answer = await calls.send('/stalling/ping');
    // The status line was already out: only a cut connection tells the client the body is incomplete.
    expect(answer.status).toBe(200);
    expect(answer.complete).toBe(false);
    expect(answer.body.toString('latin1')).toBe('a'.repeat(1000));
    const event = await calls.recordOf(answer);
    expect(event.decision).toMatchObject({ outcome: 'error', reason: 'WARDEN_UPSTREAM_TIMEOUT' });
  });

  it('cuts the client connection when the upstream resets mid-body, and records an error', async () => {
    const answer = await calls.send('/resetting/ping');
    expect(answer.status).toBe(200);
    expect(answer.complete).toBe(false);
    expect(answer.body.toString('latin1')).toBe('b'.repeat(1000));
    const event = await calls.recordOf(answer);
    expect(event.decision).toMatchObject({ outcome: 'error', reason: 'WARDEN_UPSTREAM_UNAVAILABLE' });
  });

  it('answers 502 WARDEN_UPSTREAM_UNAVAILABLE when nothing listens on the upstream port', async () => {
    const { ms } = await expectFailure('/down/ping', 502, 'WARDEN_UPSTREAM_UNAVAILABLE');
    expect(ms).toBeLessThan(2000);
  });

  it('answers 504 WARDEN_UPSTREAM_TIMEOUT when the upstream does not accept the connection in time', async () => {
    // The SYN is dropped (full accept queue): only connectMs can end the wait; undici's own default is 10 s.
    const { ms, detail } = await expectFailure('/blackhole/ping', 504, 'WARDEN_UPSTREAM_TIMEOUT');
    expect(detail).toMatch(/did not accept a connection/);
    expect(ms).toBeLessThan(3000);
  });
});

describe('graceful shutdown', () => {
  const PING = ['{ id: ping, method: GET, path: /ping }'];

  /** A harness over an upstream that holds each request until `release` is called. */
  async function slowSetup(drainMs: number) {
    const got = signal<string>();
    const release = signal();
    const upstreamSawClose = signal<boolean>();
    const upstream = await startUpstream((req, res) => {
      got.resolve(String(req.headers['x-request-id']));
      res.on('close', () => upstreamSawClose.resolve(res.writableFinished));
      void release.promise.then(() => {
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'text/plain' }).end('finished while draining');
      });
    });
    const h = await startHarness({
      manifests: manifests([apiManifest('slow', '{ url: "${UPSTREAM}" }', '/slow', PING)], ['{ api: slow, operations: [ping] }']),
      upstreamUrl: upstream.url,
      apiKeys: [KEY_ID],
      config: { gateway: { timeouts: { drainMs } } },
    });
    return { h, upstream, got, release, upstreamSawClose, calls: new Calls(h) };
  }

  /** Whether a new TCP connection to the gateway's agent port is accepted. */
  function connects(url: string): Promise<boolean> {
    const { port } = new URL(url);
    return new Promise((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }

  it('stops accepting connections but lets the request in flight finish, then resolves close()', async () => {
    const { h, upstream, got, release, calls } = await slowSetup(10_000);
    try {
      const inFlight = calls.send('/slow/ping');
      await within(got.promise, 5000, 'the upstream never got the request');
      let closed = false;
      const closing = h.gateway.close().then(() => {
        closed = true;
      });
      expect(await connects(h.url)).toBe(false);
      await sleep(100);
      // Still waiting for the request in flight.
      expect(closed).toBe(false);
      release.resolve();
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.complete).toBe(true);
      expect(answer.body.toString('utf8')).toBe('finished while draining');
      await within(closing, 2000, 'close() did not resolve after the last request finished');
      const event = await calls.recordOf(answer);
      expect(event.http.status).toBe(200);
      expect(event.decision.outcome).toBe('allow');
    } finally {
      release.resolve();
      await h.close();
      await upstream.close();
    }
  });

  it('cuts a request that outlasts drainMs and aborts its upstream request', async () => {
    const { h, upstream, got, release, upstreamSawClose, calls } = await slowSetup(300);
    try {
      const inFlight = calls.send('/slow/ping').then(() => 'answered', (error: Error) => `cut: ${error.message}`);
      const requestId = await within(got.promise, 5000, 'the upstream never got the request');
      const started = performance.now();
      await within(h.gateway.close(), 3000, 'close() did not resolve after drainMs');
      const ms = performance.now() - started;
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(await inFlight).toMatch(/^cut: /);
      expect(await within(upstreamSawClose.promise, 2000, 'the upstream request outlived the gateway')).toBe(false);
      const event = await calls.record(requestId);
      expect(event.http.status).toBe(0);
    } finally {
      release.resolve();
      await h.close();
      await upstream.close();
    }
  });
});
