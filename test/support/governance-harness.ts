import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { startGatewayRuntime, type GatewayRuntime } from '../../src/cli/gateway-runtime.js';
import { defaultGatewayConfig } from '../../src/controlplane/config/gateway-config-file.js';
import { sqliteFileIn } from '../../src/controlplane/store/sqlite-store.js';
import type { Store } from '../../src/controlplane/store/store.js';
import type { AuditEvent } from '../../src/model/audit-event.js';

/** Answers are read as loosely typed JSON: the tests assert their shape. */
export type Json = any;

/** Where bin/warden.js is. */
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DAY_MS = 86_400_000;
export const DAY = DAY_MS;
export const HOUR = 3_600_000;

/**
 * The governance clock the runtime is started with: real time plus an offset the test moves.
 * Real time keeps flowing, so durations measured in the gateway stay true; only what the
 * control plane calls "now" (expiry, reviews, jobs, token checks) jumps.
 */
export class TestClock {
  #offsetMs = 0;

  readonly now = (): Date => new Date(Date.now() + this.#offsetMs);

  advance(ms: number): void {
    this.#offsetMs += ms;
  }

  /** Puts the governance clock at `date` (it keeps running from there). */
  set(date: Date): void {
    this.#offsetMs = date.getTime() - Date.now();
  }

  /** Back to real time. */
  reset(): void {
    this.#offsetMs = 0;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }
}

/** What an upstream saw of one request. */
export interface UpstreamHit {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A real HTTP upstream on port 0 that names itself in every answer and records what it saw. */
export interface TestUpstream {
  readonly name: string;
  readonly url: string;
  readonly hits: UpstreamHit[];
  close(): Promise<void>;
}

export async function startUpstream(name: string): Promise<TestUpstream> {
  const hits: UpstreamHit[] = [];
  const server: Server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      hits.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const text = JSON.stringify({ upstream: name, method: req.method, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A notification as a webhook receiver got it: the exact body bytes and the headers. */
export interface ReceivedWebhook {
  readonly headers: IncomingMessage['headers'];
  readonly raw: string;
  readonly body: Json;
  readonly receivedAt: number;
}

/** A real HTTP server on port 0 that takes webhook POSTs and answers 204. */
export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** Waits until a notification matching `match` has arrived (or fails after `timeoutMs`). */
  waitFor(match: (hook: ReceivedWebhook) => boolean, timeoutMs?: number): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Json;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      received.push({ headers: req.headers, raw, body, receivedAt: Date.now() });
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/warden`,
    received,
    async waitFor(match, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(match);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no matching webhook within ${timeoutMs} ms; received: ${received.map((hook) => hook.body?.type).join(', ') || 'nothing'}`);
        await sleep(5);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The people of the test organisation: each gets an admin token through POST /tokens. */
export const PEOPLE = {
  /** Owns agents; nothing else. */
  alice: { subject: 'alice@example.com', roles: ['owner'] },
  /** Owns other agents. */
  bob: { subject: 'bob@example.com', roles: ['owner'] },
  /** Security reviewer. */
  sam: { subject: 'sam@example.com', roles: ['security'] },
  /** Security reviewer who also owns agents of their own. */
  sue: { subject: 'sue@example.com', roles: ['security', 'owner'] },
  /** Admin and security: may do either approval, never both for one agent. */
  ada: { subject: 'ada@example.com', roles: ['admin', 'security'] },
  /** Reads everything, changes nothing. */
  audrey: { subject: 'audrey@example.com', roles: ['auditor'] },
} as const;
export type Person = keyof typeof PEOPLE;

/**
 * The test fleet. `${PRODUCTION}` and `${STAGING}` are the two upstream servers.
 * - crm (confidential, pii): production and staging upstreams.
 * - helpdesk: production only, so agents in acceptance testing may not call it.
 * - support-bot is a pre-approved template of support-reader + support-writer;
 *   analyst-bot is a template that is always reviewed.
 */
export const FLEET_MANIFESTS: Readonly<Record<string, string>> = {
  'apis.yaml': `apiVersion: warden.dev/v1
kind: Api
metadata: { name: crm }
spec:
  owner: crm-team@example.com
  upstream: { url: "\${PRODUCTION}", staging: "\${STAGING}" }
  basePath: /crm
  sensitivity: confidential
  dataClasses: [pii]
  operations:
    - { id: getCustomer, method: GET, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
    - { id: searchCustomers, method: GET, path: "/customers", parameters: [{ name: q, in: query }] }
    - { id: updateCustomer, method: PATCH, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
    - { id: exportCustomers, method: GET, path: "/exports" }
    - { id: deleteCustomer, method: DELETE, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: helpdesk }
spec:
  owner: helpdesk-team@example.com
  upstream: { url: "\${PRODUCTION}" }
  basePath: /helpdesk
  operations:
    - { id: listTickets, method: GET, path: "/tickets" }
    - { id: createTicket, method: POST, path: "/tickets" }
`,
  'roles.yaml': `apiVersion: warden.dev/v1
kind: Role
metadata: { name: support-reader }
spec:
  grants:
    - { id: crm-read, api: crm, operations: [getCustomer, searchCustomers] }
    - { id: tickets-read, api: helpdesk, operations: [listTickets] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: support-writer }
spec:
  grants:
    - { id: tickets-write, api: helpdesk, operations: [createTicket] }
    - { id: crm-update, api: crm, operations: [updateCustomer] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: crm-exporter }
spec:
  grants:
    - { id: crm-export, api: crm, operations: [exportCustomers] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: no-deletes }
spec:
  forbid:
    - { api: crm, operations: [deleteCustomer], reason: customers are deleted by the CRM team only }
`,
  'templates.yaml': `apiVersion: warden.dev/v1
kind: AgentTemplate
metadata: { name: support-bot }
spec:
  description: The standard support bot
  roles: [support-reader, support-writer]
  preApproved: true
---
apiVersion: warden.dev/v1
kind: AgentTemplate
metadata: { name: analyst-bot }
spec:
  description: Reads and exports customers; always reviewed
  roles: [support-reader, crm-exporter]
  preApproved: false
`,
};

export interface AdminAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Json;
}

/** The admin API as one person sees it. */
export interface AdminClient {
  get(pathAndQuery: string): Promise<AdminAnswer>;
  post(pathAndQuery: string, body?: unknown): Promise<AdminAnswer>;
  delete(pathAndQuery: string): Promise<AdminAnswer>;
  request(method: string, pathAndQuery: string, body?: unknown): Promise<AdminAnswer>;
}

export interface AgentAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Json;
  readonly text: string;
}

export interface HarnessOptions {
  /** Extra manifest files (e.g. Agent manifests), by name; `${PRODUCTION}`/`${STAGING}` are filled in. */
  readonly manifests?: Readonly<Record<string, string>>;
  /** Config sections merged over the defaults (ports are always 0). */
  readonly config?: Record<string, Record<string, unknown>>;
  readonly env?: NodeJS.ProcessEnv;
  /** Where the governance clock starts (default: real time). */
  readonly clockStart?: Date;
  /** Runs on the store before each start, as `warden start --demo` issues its keys (e.g. to seed persisted baselines). */
  readonly prepare?: (store: Store) => Promise<void>;
}

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly json: Json;
}

export interface GovernanceHarness {
  readonly clock: TestClock;
  readonly runtime: GatewayRuntime;
  readonly directory: string;
  readonly dataDirectory: string;
  readonly dbFile: string;
  readonly gatewayUrl: string;
  readonly adminUrl: string;
  readonly production: TestUpstream;
  readonly staging: TestUpstream;
  /** The first admin token, read from `<data>/admin-token` (admin@localhost, role admin). */
  readonly rootToken: string;
  /** Admin tokens of PEOPLE, issued with POST /tokens by the root token. */
  readonly tokens: Readonly<Record<Person, string>>;
  admin(token: string): AdminClient;
  /** The admin API as `person` (or as the root admin). */
  as(person: Person | 'root'): AdminClient;
  /** One call of an agent on the gateway with its API key. */
  agentCall(key: string | undefined, pathAndQuery: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<AgentAnswer>;
  /** Every audit record in the SQLite file, oldest first, once `until` holds (or after 5 s). */
  auditEvents(until?: (events: AuditEvent[]) => boolean): Promise<AuditEvent[]>;
  /** The audit record of one request, once it is stored. */
  auditRecord(requestId: string): Promise<AuditEvent>;
  /**
   * Runs the built `warden` CLI against this harness's admin API and data folder, without
   * blocking this process (which serves the API it talks to); `json` is stdout parsed, if it is JSON.
   */
  cli(args: readonly string[], token?: string): Promise<CliRun>;
  /** The admin action log, newest first, as GET /admin-events gives it. */
  adminEvents(query?: string): Promise<Json[]>;
  /** Rows of a store table, read over a fresh connection. */
  rows(sql: string, ...params: unknown[]): Json[];
  /**
   * Stops the runtime (which flushes usage counts and the audit log to the store) and starts
   * it again on the same data folder, manifests, clock and upstreams: the deterministic way
   * to get the usage the runtime otherwise writes every 5 s.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const HARNESS_CONFIG = (options: HarnessOptions) => {
  const base = options.config ?? {};
  return defaultGatewayConfig({
    ...base,
    gateway: { ...base.gateway, host: '127.0.0.1', port: 0 },
    admin: { ...base.admin, host: '127.0.0.1', port: 0 },
    audit: { flushIntervalMs: 5, ...base.audit },
  });
};

/**
 * Starts the all-in-one Warden (`startGatewayRuntime`, as `warden start` does) in this process
 * over a temp folder: the fleet's manifests, a fresh SQLite store, ports 0, a movable governance
 * clock, real production and staging upstreams, and admin tokens for the test's people.
 */
export async function startGovernanceHarness(options: HarnessOptions = {}): Promise<GovernanceHarness> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'warden-gov-'));
  const manifestDir = path.join(directory, 'manifests');
  const dataDirectory = path.join(directory, 'data');
  await mkdir(manifestDir);
  const [production, staging] = await Promise.all([startUpstream('production'), startUpstream('staging')]);
  const fill = (text: string) => text.replaceAll('${PRODUCTION}', production.url).replaceAll('${STAGING}', staging.url);
  for (const [name, text] of Object.entries({ ...FLEET_MANIFESTS, ...options.manifests })) await writeFile(path.join(manifestDir, name), fill(text));
  const clock = new TestClock();
  if (options.clockStart !== undefined) clock.set(options.clockStart);
  const config = HARNESS_CONFIG(options);
  const start = () =>
    startGatewayRuntime({
      loaded: { config, baseDirectory: directory },
      dataDirectory,
      manifests: manifestDir,
      appliedBy: 'governance-harness',
      env: options.env ?? {},
      now: clock.now,
      ...(options.prepare !== undefined ? { prepare: options.prepare } : {}),
    });

  let runtime = await start();
  let gatewayUrl = `http://127.0.0.1:${runtime.addresses.agent.port}`;
  let adminUrl = `http://127.0.0.1:${runtime.addresses.admin.port}`;
  const dbFile = sqliteFileIn(dataDirectory);
  const rootToken = (await readFile(path.join(dataDirectory, 'admin-token'), 'utf8')).trim();

  const admin = (token: string): AdminClient => {
    const request = async (method: string, pathAndQuery: string, body?: unknown): Promise<AdminAnswer> => {
      const response = await fetch(`${adminUrl}${pathAndQuery}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text.length > 0 ? JSON.parse(text) : undefined };
    };
    return {
      request,
      get: (p) => request('GET', p),
      post: (p, body) => request('POST', p, body ?? {}),
      delete: (p) => request('DELETE', p),
    };
  };

  const tokens = {} as Record<Person, string>;
  for (const [person, { subject, roles }] of Object.entries(PEOPLE) as [Person, (typeof PEOPLE)[Person]][]) {
    const issued = await admin(rootToken).post('/tokens', { subject, roles, ttlDays: 365 });
    if (issued.status !== 201) throw new Error(`POST /tokens for ${subject}: ${issued.status} ${JSON.stringify(issued.body)}`);
    tokens[person] = issued.body.token;
  }

  const harness: GovernanceHarness = {
    clock,
    get runtime() {
      return runtime;
    },
    directory,
    dataDirectory,
    dbFile,
    get gatewayUrl() {
      return gatewayUrl;
    },
    get adminUrl() {
      return adminUrl;
    },
    production,
    staging,
    rootToken,
    tokens,
    admin,
    as: (person) => admin(person === 'root' ? rootToken : tokens[person]),
    async agentCall(key, pathAndQuery, init = {}) {
      const headers: Record<string, string> = { ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}), ...init.headers };
      if (init.body !== undefined) headers['content-type'] ??= 'application/json';
      const response = await fetch(`${gatewayUrl}${pathAndQuery}`, {
        method: init.method ?? 'GET',
        headers,
        ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
      });
      const text = await response.text();
      let body: Json;
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return { status: response.status, headers: response.headers, body, text };
    },
    async auditEvents(until = () => true) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const events = (harness.rows('select records from audit_blocks order by first_seq') as { records: string }[]).flatMap((row) => row.records.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as AuditEvent));
        if (until(events) || Date.now() > deadline) return events;
        await sleep(5);
      }
    },
    async auditRecord(requestId) {
      const events = await harness.auditEvents((all) => all.some((event) => event.requestId === requestId));
      const event = events.find((candidate) => candidate.requestId === requestId);
      if (event === undefined) throw new Error(`no audit record for ${requestId}`);
      return event;
    },
    cli(args, token = rootToken) {
      return new Promise((resolve) => {
        execFile(process.execPath, [path.join(PACKAGE_ROOT, 'bin/warden.js'), ...args], { encoding: 'utf8', env: { ...process.env, WARDEN_DATA: dataDirectory, WARDEN_ADMIN_URL: adminUrl, WARDEN_ADMIN_TOKEN: token }, timeout: 60_000 }, (error, stdout, stderr) => {
          let json: Json;
          try {
            json = JSON.parse(stdout);
          } catch {
            json = undefined;
          }
          resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr, json });
        });
      });
    },
    async adminEvents(query = '') {
      const answer = await admin(rootToken).get(`/admin-events?limit=1000${query}`);
      if (answer.status !== 200) throw new Error(`GET /admin-events: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body.events;
    },
    rows(sql, ...params) {
      const database = new Sqlite(dbFile, { fileMustExist: true, readonly: true });
      try {
        return database.prepare(sql).all(...params) as Json[];
      } finally {
        database.close();
      }
    },
    async restart() {
      await runtime.close();
      runtime = await start();
      gatewayUrl = `http://127.0.0.1:${runtime.addresses.agent.port}`;
      adminUrl = `http://127.0.0.1:${runtime.addresses.admin.port}`;
    },
    async close() {
      await runtime.close();
      await Promise.all([production.close(), staging.close()]);
      await rm(directory, { recursive: true, force: true });
    },
  };
  return harness;
}

/** How an agent is registered and brought to a state by the usual people. */
export interface AgentSetup {
  /** The owner who proposes it (default alice). */
  readonly owner?: Person;
  readonly roles?: readonly string[];
  readonly template?: string;
  readonly purpose?: string;
}

/**
 * Proposes `name` as its owner and takes it through review (sam), business approval (root
 * admin), acceptance test and activation (the owner), then issues it a key. Returns the key.
 */
export async function activeAgent(h: GovernanceHarness, name: string, setup: AgentSetup = {}): Promise<{ key: string; keyId: string }> {
  const owner = setup.owner ?? 'alice';
  const proposed = await h.as(owner).post('/agents', {
    name,
    purpose: setup.purpose ?? `Helps the support team with customer questions (${name})`,
    ...(setup.roles !== undefined ? { roles: setup.roles } : {}),
    ...(setup.template !== undefined ? { template: setup.template } : {}),
  });
  expectStatus(proposed, 201, `propose ${name}`);
  const steps: [Person | 'root', string][] = [];
  if (proposed.body.state === 'proposed') steps.push(['sam', 'approve'], ['root', 'approve']);
  steps.push([owner, 'test'], [owner, 'activate']);
  for (const [who, action] of steps) expectStatus(await h.as(who).post(`/agents/${name}/actions/${action}`, { reason: `${action} for the test` }), 200, `${action} ${name}`);
  const key = await h.as(owner).post('/keys', { agent: name });
  expectStatus(key, 201, `issue a key for ${name}`);
  return { key: key.body.key, keyId: key.body.record.id };
}

function expectStatus(answer: AdminAnswer, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** A lifecycle action's body. */
export const because = (reason: string) => ({ reason });
