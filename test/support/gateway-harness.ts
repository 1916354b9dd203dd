import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { InlineAppender } from '../../src/controlplane/audit/audit-appender.js';
import { AuditLog } from '../../src/controlplane/audit/audit-log.js';
import { AuditWriter } from '../../src/controlplane/audit/audit-writer.js';
import { defaultGatewayConfig } from '../../src/controlplane/config/gateway-config-file.js';
import { issueApiKey } from '../../src/controlplane/credentials/issue-api-key.js';
import { openSqliteStore } from '../../src/controlplane/store/sqlite-store.js';
import type { Store } from '../../src/controlplane/store/store.js';
import { UpstreamCredentials } from '../../src/dataplane/filters/forward/upstream-credentials.js';
import { Gateway } from '../../src/dataplane/gateway.js';
import { gatewayState } from '../../src/dataplane/gateway-state.js';
import type { GatewayConfig } from '../../src/model/config/gateway-config.js';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { compile } from '../../src/policy/compile.js';
import { formatProblem } from '../../src/policy/load/problem.js';
import { loadManifests } from '../../src/policy/load/load-manifests.js';

/** What an echo upstream saw of one request. */
export interface SeenRequest {
  readonly method: string;
  /** The request target exactly as received (path and query). */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

/** A real HTTP upstream on port 0 that records every request and answers with a JSON echo (or `respond`). */
export async function startEchoUpstream(respond?: (req: IncomingMessage, res: http.ServerResponse, body: Buffer) => void): Promise<{ url: string; seen: SeenRequest[]; server: Server; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body: body.toString('utf8') });
      if (respond) return respond(req, res, body);
      const text = JSON.stringify({ method: req.method, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    server,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface HarnessOptions {
  /** Manifest files by name; `${UPSTREAM}` is replaced by the upstream URL. */
  readonly manifests: Readonly<Record<string, string>>;
  readonly upstreamUrl: string;
  /** API key ids to issue; the keys come back in `keys`. */
  readonly apiKeys?: readonly string[];
  /** Config fields merged over the defaults (ports are always 0). */
  readonly config?: Record<string, unknown>;
  /** Extra files written beside the manifests (JWKS, certificates), by name. */
  readonly files?: Readonly<Record<string, string>>;
  readonly env?: NodeJS.ProcessEnv;
}

export interface Harness {
  readonly gateway: Gateway;
  /** `http://127.0.0.1:PORT` of the agent listener. */
  readonly url: string;
  readonly adminUrl: string;
  readonly keys: Readonly<Record<string, string>>;
  readonly store: Store;
  readonly writer: AuditWriter;
  readonly directory: string;
  readonly config: GatewayConfig;
  /**
   * Every audit record, oldest first, once at least `atLeast` exist (records are written
   * when a response has closed, which can be a moment after the client has read it).
   */
  auditEvents(atLeast?: number): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

/** A real gateway on port 0 over a real SQLite store, with manifests written to a temp folder. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'warden-gw-'));
  const manifestDir = path.join(directory, 'manifests');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(manifestDir);
  for (const [name, text] of Object.entries(options.manifests)) await writeFile(path.join(manifestDir, name), text.replaceAll('${UPSTREAM}', options.upstreamUrl));
  for (const [name, text] of Object.entries(options.files ?? {})) await writeFile(path.join(directory, name), text);
  const loaded = await loadManifests(manifestDir);
  if (loaded.problems.length > 0) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  const snapshot = compile(loaded.set);
  const store = await openSqliteStore(path.join(directory, 'warden.db'));
  const keys: Record<string, string> = {};
  for (const id of options.apiKeys ?? []) keys[id] = (await issueApiKey(store, id)).key;
  const base = (options.config ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const config = defaultGatewayConfig({
    ...base,
    gateway: { ...base.gateway, host: '127.0.0.1', port: 0 },
    admin: { ...base.admin, host: '127.0.0.1', port: 0 },
    audit: { flushIntervalMs: 5, ...base.audit },
  });
  const log = AuditLog.open(store.sqlite!);
  const writer = new AuditWriter(new InlineAppender(log), { flushIntervalMs: config.audit.flushIntervalMs });
  const gateway = new Gateway({
    config,
    baseDirectory: directory,
    sink: writer,
    state: gatewayState(snapshot, await store.listApiKeys()),
    credentials: new UpstreamCredentials(options.env ?? process.env),
    node: 'test-node',
  });
  const addresses = await gateway.listen();
  const protocol = config.gateway.tls ? 'https' : 'http';
  return {
    gateway,
    url: `${protocol}://127.0.0.1:${addresses.agent.port}`,
    adminUrl: `http://127.0.0.1:${addresses.admin!.port}`,
    keys,
    store,
    writer,
    directory,
    config,
    async auditEvents(atLeast = 0) {
      const deadline = Date.now() + 5000;
      for (;;) {
        await writer.flush();
        const events = log.eventsAfter(0);
        if (events.length >= atLeast || Date.now() > deadline) return events;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      await gateway.close();
      await writer.close();
      await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
