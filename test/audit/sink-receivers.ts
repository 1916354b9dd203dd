import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { AuditLog } from '../../src/controlplane/audit/audit-log.js';
import { SinkCursors } from '../../src/controlplane/audit/sink-cursors.js';
import { exportRecord, type ExportRecord } from '../../src/controlplane/audit/sinks/export-record.js';
import { verifySignatureHeader } from '../../src/controlplane/notify/webhook-signature.js';
import { openSqliteStore } from '../../src/controlplane/store/sqlite-store.js';
import type { SqlStore } from '../../src/controlplane/store/sql-store.js';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { auditEvent } from '../support/audit-fixtures.js';

/**
 * Real receivers on loopback for the audit export tests (no mocks): a syslog receiver that reads
 * octet-counted frames over TCP or TLS, a webhook receiver that checks the HMAC signature, and
 * a throw-away store with an audit log.
 */

/** A store in a temp folder with its audit log and sink cursors. */
export interface TestAuditLog {
  readonly directory: string;
  readonly file: string;
  readonly store: SqlStore;
  readonly log: AuditLog;
  readonly cursors: SinkCursors;
  /** Appends `count` records numbered after what the log holds; returns their seqs. */
  append(count: number, overrides?: (n: number) => Partial<AuditEvent>): number[];
  close(): Promise<void>;
}

export async function openTestAuditLog(prefix = 'warden-sinks-'): Promise<TestAuditLog> {
  const directory = await mkdtemp(path.join(os.tmpdir(), prefix));
  const file = path.join(directory, 'warden.db');
  const store = await openSqliteStore(file);
  const log = AuditLog.open(store.sqlite!);
  const cursors = new SinkCursors(store.sqlite!);
  return {
    directory,
    file,
    store,
    log,
    cursors,
    append(count, overrides) {
      const first = log.size() + 1;
      const events = Array.from({ length: count }, (_, index) => {
        const n = first + index;
        return { ...auditEvent(n, { agent: 'support-bot', api: { name: 'crm', operation: 'getCustomer' } }), ...(overrides?.(n) ?? {}) } as AuditEvent;
      });
      return log.append(events).map((record) => record.seq);
    },
    async close() {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A record as the log stores it (the event between `seq`/`prevHash` and `hash`), for format tests; the hashes are made up. */
export function exportRecordOf(event: AuditEvent, seq: number): ExportRecord {
  const prevHash = `sha256:${'0'.repeat(64)}`;
  const hash = `sha256:${createHash('sha256').update(`record ${seq}`).digest('hex')}`;
  const body = JSON.stringify(event);
  return exportRecord({ seq, json: `{"seq":${seq},"prevHash":"${prevHash}",${body.slice(1, -1)},"hash":"${hash}"}` });
}

/** Resolves once `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The `seq` of each record text (stored JSON) or OCSF object. */
export function seqOf(text: string): number {
  const record = JSON.parse(text) as { seq?: number; metadata?: { sequence?: number } };
  return record.seq ?? record.metadata!.sequence!;
}

/** 1..n */
export function upTo(n: number): number[] {
  return Array.from({ length: n }, (_, index) => index + 1);
}

/**
 * A syslog receiver (RFC 6587 / RFC 5425): reads `MSG-LEN SP MSG` frames and keeps every
 * message. Frames must be octet-counted; anything else fails the receiver (`problems`).
 * `stop()` closes the listener and every connection, `start()` listens again on the same port.
 */
export class SyslogReceiver {
  readonly messages: string[] = [];
  readonly problems: string[] = [];
  port = 0;
  #server: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();

  constructor(private readonly tlsOptions?: { readonly cert: string; readonly key: string }) {}

  async start(): Promise<number> {
    const onConnection = (socket: net.Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
      let buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const space = buffer.indexOf(0x20);
          if (space < 0) break;
          const lengthText = buffer.subarray(0, space).toString('latin1');
          if (!/^[1-9]\d{0,8}$/.test(lengthText)) {
            this.problems.push(`not an octet-counted frame: ${JSON.stringify(buffer.subarray(0, 40).toString('utf8'))}`);
            socket.destroy();
            return;
          }
          const length = Number(lengthText);
          if (buffer.length < space + 1 + length) break;
          this.messages.push(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
          buffer = buffer.subarray(space + 1 + length);
        }
      });
    };
    const server = this.tlsOptions ? tls.createServer({ cert: this.tlsOptions.cert, key: this.tlsOptions.key }, onConnection) : net.createServer(onConnection);
    server.on('tlsClientError', () => {});
    this.port = await listenOnLoopback(server, this.port);
    this.#server = server;
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** What the webhook receiver does with one POST: answer with a status, cut the connection, or answer 204 after 300 ms. */
export type WebhookBehaviour = number | 'destroy' | 'slow';

export interface ReceivedBatch {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly items: string[];
  /** When it arrived (Date.now()). */
  readonly at: number;
}

/**
 * A webhook receiver over HTTP or HTTPS that checks `X-Warden-Signature` with the shared secret
 * and `Warden-Batch` against the body, and keeps the records of every batch it accepted (2xx).
 * A batch with a bad signature gets 401 and counts as a problem.
 */
export class WebhookReceiver {
  /** Batches answered with 2xx, in arrival order. */
  readonly accepted: ReceivedBatch[] = [];
  /** Every POST, whatever the answer. */
  readonly attempts: ReceivedBatch[] = [];
  readonly problems: string[] = [];
  /** Behaviours for the next POSTs, in order; 204 once it is empty. */
  readonly script: WebhookBehaviour[] = [];
  port = 0;
  #server: http.Server | undefined;

  constructor(
    private readonly secret: string,
    private readonly tlsOptions?: { readonly cert: string; readonly key: string },
  ) {}

  /** The records accepted, flattened in order. */
  get items(): string[] {
    return this.accepted.flatMap((batch) => batch.items);
  }

  get url(): string {
    return `${this.tlsOptions ? 'https' : 'http'}://127.0.0.1:${this.port}/hooks/audit?token=do-not-log-me`;
  }

  async start(): Promise<number> {
    const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = raw.toString('utf8');
        const ndjson = request.headers['content-type'] === 'application/x-ndjson';
        let items: string[];
        try {
          items = ndjson ? body.split('\n').filter((line) => line !== '') : (JSON.parse(body) as unknown[]).map((item) => JSON.stringify(item));
        } catch {
          this.problems.push('the body is not JSON');
          response.writeHead(400).end();
          return;
        }
        const batch = { headers: request.headers, body, items, at: Date.now() };
        this.attempts.push(batch);
        const check = verifySignatureHeader(request.headers['x-warden-signature'] as string | undefined, raw, this.secret, Math.floor(Date.now() / 1000));
        if (!check.ok) {
          this.problems.push(`signature: ${check.why}`);
          response.writeHead(401).end();
          return;
        }
        const range = `${seqOf(items[0]!)}-${seqOf(items[items.length - 1]!)}`;
        if (request.headers['warden-batch'] !== range) this.problems.push(`Warden-Batch ${String(request.headers['warden-batch'])} does not match the body (${range})`);
        const behaviour = this.script.shift() ?? 204;
        if (behaviour === 'destroy') {
          request.socket.destroy();
          return;
        }
        if (behaviour === 'slow') {
          setTimeout(() => {
            this.accepted.push(batch);
            response.writeHead(204).end();
          }, 300);
          return;
        }
        if (behaviour >= 200 && behaviour < 300) this.accepted.push(batch);
        response.writeHead(behaviour, behaviour === 429 ? { 'retry-after': '0' } : {}).end();
      });
    };
    const server = this.tlsOptions ? https.createServer({ cert: this.tlsOptions.cert, key: this.tlsOptions.key }, handler) : http.createServer(handler);
    this.port = await listenOnLoopback(server, this.port);
    this.#server = server;
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** An RFC 5424 message taken apart by the ABNF of §6; throws where the text breaks the grammar. */
export interface Rfc5424Message {
  readonly pri: number;
  readonly version: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly structuredData: { readonly id: string; readonly params: Record<string, string> }[];
  readonly msg: string;
}

export function parseRfc5424(text: string): Rfc5424Message {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`RFC 5424: ${what} at offset ${at}: ${JSON.stringify(text.slice(at, at + 40))}`);
  };
  const expect = (char: string) => (text[at] === char ? at++ : fail(`expected ${JSON.stringify(char)}`));
  const printusascii = (max: number, name: string, extraForbidden = ''): string => {
    const start = at;
    while (at < text.length && text.charCodeAt(at) >= 33 && text.charCodeAt(at) <= 126 && !extraForbidden.includes(text[at]!)) at++;
    const value = text.slice(start, at);
    if (value.length === 0 || value.length > max) fail(`${name} must be 1–${max} printable ASCII characters`);
    return value;
  };
  expect('<');
  const priStart = at;
  while (/\d/.test(text[at] ?? '')) at++;
  const priText = text.slice(priStart, at);
  if (!/^(0|[1-9]\d{0,2})$/.test(priText) || Number(priText) > 191) fail('PRI must be 0–191');
  expect('>');
  const versionStart = at;
  while (/\d/.test(text[at] ?? '')) at++;
  const version = Number(text.slice(versionStart, at));
  if (version !== 1) fail('VERSION must be 1');
  expect(' ');
  const timestamp = printusascii(64, 'TIMESTAMP');
  if (timestamp !== '-' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/.test(timestamp)) fail('TIMESTAMP is not RFC 3339 as RFC 5424 restricts it');
  expect(' ');
  const hostname = printusascii(255, 'HOSTNAME');
  expect(' ');
  const appName = printusascii(48, 'APP-NAME');
  expect(' ');
  const procId = printusascii(128, 'PROCID');
  expect(' ');
  const msgId = printusascii(32, 'MSGID');
  expect(' ');
  const structuredData: Rfc5424Message['structuredData'] = [];
  if (text[at] === '-') at++;
  else {
    if (text[at] !== '[') fail('STRUCTURED-DATA must be - or [');
    while (text[at] === '[') {
      at++;
      const id = printusascii(32, 'SD-ID', '= ]"');
      const params: Record<string, string> = {};
      while (text[at] === ' ') {
        at++;
        const name = printusascii(32, 'PARAM-NAME', '= ]"');
        expect('=');
        expect('"');
        let value = '';
        for (;;) {
          const char = text[at];
          if (char === undefined) fail('PARAM-VALUE is not closed');
          if (char === '\\' && ['"', '\\', ']'].includes(text[at + 1] ?? '')) {
            value += text[at + 1];
            at += 2;
          } else if (char === '"') {
            at++;
            break;
          } else if (char === ']') {
            fail('an unescaped ] inside PARAM-VALUE');
          } else {
            value += char;
            at++;
          }
        }
        params[name] = value;
      }
      expect(']');
      structuredData.push({ id, params });
    }
  }
  let msg = '';
  if (at < text.length) {
    expect(' ');
    msg = text.slice(at);
  }
  return { pri: Number(priText), version, timestamp, hostname, appName, procId, msgId, structuredData, msg };
}

/**
 * Listens on 127.0.0.1 at `port` (0 for a free one) and returns the port: a receiver that comes
 * back after going down listens on the port it had, as a real SIEM would.
 */
async function listenOnLoopback(server: net.Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
