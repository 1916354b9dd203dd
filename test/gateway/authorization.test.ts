import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gatewayState } from '../../src/dataplane/gateway-state.js';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { errorDefinition, type ErrorCode } from '../../src/model/errors.js';
import { compile } from '../../src/policy/compile.js';
import { loadManifests } from '../../src/policy/load/load-manifests.js';
import { startEchoUpstream, startHarness, type Harness } from '../support/gateway-harness.js';
import { createTestIssuer, unsecuredToken, type TestIssuer } from '../support/test-tokens.js';

/**
 * Authorization on real sockets: a gateway on port 0 in front of an echo upstream that
 * records what it receives. What an agent may do is proven by what the upstream sees (and
 * does not see), what the agent is told, and the one audit record each request leaves.
 */

const ORCHESTRATOR = 'https://orchestrator.test.example/';

// ---------------------------------------------------------------------------------------
// The fleet. Names of roles and rules are deliberately distinctive: denials must never show
// them, and the tests search every denial body for each of them.

const APIS = `apiVersion: warden.dev/v1
kind: Api
metadata: { name: crm }
spec:
  owner: crm-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /crm
  sensitivity: confidential
  dataClasses: [pii]
  operations:
    - { id: getCustomer, method: GET, path: "/customers/{customerId}", summary: "Read one customer's profile", parameters: [{ name: customerId, in: path, required: true }] }
    - { id: addCustomerNote, method: POST, path: "/customers/{customerId}/notes", summary: "Add a note to a customer", parameters: [{ name: customerId, in: path, required: true }] }
    - { id: deleteCustomer, method: DELETE, path: "/customers/{customerId}", summary: "Delete a customer", parameters: [{ name: customerId, in: path, required: true }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: payments }
spec:
  owner: payments-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /payments
  dataClasses: [financial]
  operations:
    - id: createRefund
      method: POST
      path: /refunds
      summary: Refund an order
      parameters:
        - { name: orderId, in: body, required: true }
        - { name: amount, in: body, type: number, required: true }
        - { name: currency, in: body, required: true }
    - { id: getRefund, method: GET, path: "/refunds/{refundId}", summary: "Read a refund's status", parameters: [{ name: refundId, in: path, required: true }] }
    - { id: captureCharge, method: POST, path: "/charges/{chargeId}/capture", summary: "Capture an authorised charge", parameters: [{ name: chargeId, in: path, required: true }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: finance }
spec:
  owner: finance-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /finance
  dataClasses: [financial]
  operations:
    - id: listTransactions
      method: GET
      path: /transactions
      summary: List ledger transactions in a date range
      parameters:
        - { name: from, in: query, type: date }
        - { name: to, in: query, type: date }
        - { name: limit, in: query, type: integer }
    - { id: getReport, method: GET, path: "/reports/{period}", summary: "Read a periodic report", parameters: [{ name: period, in: path, required: true }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: support }
spec:
  owner: support-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /support
  operations:
    - id: createTicket
      method: POST
      path: /tickets
      summary: Open a support ticket
      parameters:
        - { name: subject, in: body }
        - { name: priority, in: body }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: hr }
spec:
  owner: hr-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /hr
  dataClasses: [pii, hr]
  operations:
    - { id: getEmployee, method: GET, path: "/employees/{employeeId}", summary: "Read an employee record", parameters: [{ name: employeeId, in: path, required: true }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: legacy }
spec:
  owner: legacy-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /legacy
  mode: monitor
  operations:
    - { id: getRecord, method: GET, path: "/records/{recordId}", parameters: [{ name: recordId, in: path, required: true }] }
    - { id: listRecords, method: GET, path: /records, parameters: [{ name: limit, in: query, type: integer }] }
    - { id: importRecords, method: POST, path: /records, parameters: [{ name: batch, in: body }] }
    - { id: deleteRecord, method: DELETE, path: "/records/{recordId}", parameters: [{ name: recordId, in: path, required: true }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: warehouse }
spec:
  owner: logistics@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /warehouse
  lifecycle: { status: deprecated, deprecatedSince: "2026-09-01", sunset: "2999-12-31", replacement: inventory }
  operations:
    - { id: getStock, method: GET, path: "/stock/{sku}", parameters: [{ name: sku, in: path, required: true }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: archive }
spec:
  owner: records@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /archive
  lifecycle: { status: deprecated, sunset: "2001-01-01" }
  operations:
    - { id: getDocument, method: GET, path: "/documents/{documentId}", parameters: [{ name: documentId, in: path, required: true }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: fax }
spec:
  owner: office@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /fax
  lifecycle: { status: retired, replacement: email }
  operations:
    - { id: sendFax, method: POST, path: /faxes }
`;

function role(name: string, spec: string): string {
  return `apiVersion: warden.dev/v1
kind: Role
metadata: { name: ${name} }
spec:
${spec}`;
}

const ROLES: Record<string, string> = {
  'support-desk': role('support-desk', `  grants:
    - id: read-task-customer
      api: crm
      operations: [getCustomer, addCustomerNote]
      params:
        customerId: { equals: "\${context.customer}" }
`),
  'refund-clerk': role('refund-clerk', `  grants:
    - id: refunds-up-to-10000
      api: payments
      operations: [createRefund]
      params:
        amount: { min: 0.01, max: 10000 }
        currency: { enum: [EUR, USD] }
    - id: refund-lookup
      api: payments
      operations: ["GET /refunds/*"]
      params:
        refundId: { pattern: "R-[0-9]{4}" }
`),
  'refund-ceiling': role('refund-ceiling', `  forbid:
    - id: no-large-refunds
      api: payments
      operations: [createRefund]
      params:
        amount: { min: 1000.01 }
      reason: refunds above 1000 need a supervisor
`),
  'hr-viewer': role('hr-viewer', `  grants:
    - { id: read-employees, api: hr, operations: [getEmployee] }
`),
  'hr-blocker': role('hr-blocker', `  forbid:
    - id: never-hr
      api: hr
      operations: ["*"]
      reason: support never touches employee data
`),
  'ledger-analyst': role('ledger-analyst', `  grants:
    - id: ninety-day-ledger
      api: finance
      operations: [listTransactions]
      params:
        from: { maxDays: 90, rangeEnd: to }
        limit: { max: 100 }
    - id: periodic-reports
      api: finance
      operations: [getReport]
      params:
        period: { enum: [monthly, quarterly] }
`),
  'ticket-writer': role('ticket-writer', `  grants:
    - id: open-tickets
      api: support
      operations: [createTicket]
      params:
        priority: { enum: [low, normal] }
`),
  'capture-approver': role('capture-approver', `  grants:
    - { id: capture-with-approval, api: payments, operations: [captureCharge], stepUp: true }
`),
  'legacy-reader': role('legacy-reader', `  grants:
    - id: legacy-task-record
      api: legacy
      operations: [getRecord]
      params:
        recordId: { equals: "\${context.customer}" }
    - id: legacy-small-pages
      api: legacy
      operations: [listRecords]
      params:
        limit: { max: 10 }
    - id: legacy-batches
      api: legacy
      operations: [importRecords]
      params:
        batch: { pattern: "B-[0-9]+" }
`),
  'catalog-reader': role('catalog-reader', `  grants:
    - { id: stock-lookup, api: warehouse, operations: [getStock] }
    - { id: fax-sender, api: fax, operations: [sendFax] }
    - { id: archive-lookup, api: archive, operations: [getDocument] }
`),
};

/** Agent name → its API key id, roles and lifecycle state. */
const AGENTS: Record<string, { key: string; roles: string[]; state: string }> = {
  'support-agent': {
    key: 'key_supportagent1',
    // Grants before the forbids that limit them; reversed-agent lists the same roles the other way round.
    roles: ['support-desk', 'refund-clerk', 'refund-ceiling', 'hr-viewer', 'hr-blocker', 'ledger-analyst', 'ticket-writer', 'capture-approver', 'legacy-reader', 'catalog-reader'],
    state: 'active',
  },
  'reversed-agent': { key: 'key_reversedagent1', roles: ['hr-blocker', 'hr-viewer', 'refund-ceiling', 'refund-clerk'], state: 'active' },
  // The grants alone, without the forbids: proves the forbids are what denies the others.
  'clerk-agent': { key: 'key_clerkagent1', roles: ['refund-clerk', 'hr-viewer'], state: 'active' },
  'payroll-bot': { key: 'key_payrollbot1', roles: ['hr-viewer'], state: 'active' },
  'paused-agent': { key: 'key_pausedagent1', roles: ['support-desk'], state: 'suspended' },
  'draft-agent': { key: 'key_draftagent1', roles: ['support-desk'], state: 'proposed' },
  'retired-agent': { key: 'key_retiredagent1', roles: ['support-desk'], state: 'decommissioned' },
};

function agentsYaml(states: Record<string, string>): string {
  return Object.entries(AGENTS)
    .map(([name, { key, roles, state }]) => `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: ${name} }
spec:
  owner: owner@example.com
  purpose: Exercises authorization in the gateway tests
  roles: [${roles.join(', ')}]
  state: ${states[name] ?? state}
  credentials: [{ type: apiKey, id: ${key} }]
`)
    .join('---\n');
}

/** The manifest files; `roles` replaces role documents and `states` agents' states, by name (for policy swaps). */
function fleet(roles: Record<string, string> = {}, states: Record<string, string> = {}): Record<string, string> {
  return { 'apis.yaml': APIS, 'roles.yaml': Object.values({ ...ROLES, ...roles }).join('---\n'), 'agents.yaml': agentsYaml(states) };
}

/** Strings that are internal policy structure: role names and rule ids. */
const INTERNAL_NAMES = [
  ...Object.keys(ROLES),
  'read-task-customer', 'refunds-up-to-10000', 'refund-lookup', 'no-large-refunds', 'read-employees', 'never-hr', 'ninety-day-ledger',
  'periodic-reports', 'open-tickets', 'capture-with-approval', 'legacy-task-record', 'legacy-small-pages', 'legacy-batches', 'stock-lookup',
  'fax-sender', 'archive-lookup',
];

function harnessOptions(upstreamUrl: string, orchestrator: TestIssuer, config: Record<string, unknown> = {}) {
  const base = config as { gateway?: Record<string, unknown> };
  return {
    manifests: fleet(),
    upstreamUrl,
    apiKeys: Object.values(AGENTS).map((agent) => agent.key),
    files: { 'orchestrator-jwks.json': JSON.stringify(orchestrator.jwks) },
    config: {
      ...config,
      // Small enough to test the size limit with small bodies (1024 is the schema's minimum).
      gateway: { ...base.gateway, limits: { maxBodyBytes: 1024 } },
      identity: { context: [{ issuer: ORCHESTRATOR, audiences: ['warden'], keys: { jwksFile: 'orchestrator-jwks.json' }, algorithms: ['RS256'] }] },
    },
  };
}

// ---------------------------------------------------------------------------------------
// Talking to the gateway.

type Upstream = Awaited<ReturnType<typeof startEchoUpstream>>;

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** Local port of the client socket, to tell whether a keep-alive connection was reused. */
  readonly localPort: number | undefined;
}

interface Call {
  /** The calling agent (its API key is sent); none sends no credential. */
  readonly as?: string;
  readonly method?: string;
  /** Sent as is, byte for byte: no URL normalisation (unlike fetch). */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Sends the body with Transfer-Encoding: chunked, in two chunks, instead of Content-Length. */
  readonly chunked?: boolean;
  readonly context?: string;
  readonly agent?: http.Agent;
}

interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  requestId: string;
  alternatives?: { api: string; operation: string; method: string; path: string; summary?: string; why: string }[];
  requestAccess?: string;
}

const PROBLEM_FIELDS = ['type', 'title', 'status', 'code', 'detail', 'requestId', 'alternatives', 'requestAccess'];
const ALTERNATIVE_FIELDS = ['api', 'operation', 'method', 'path', 'summary', 'why'];

/**
 * One client per gateway: sends requests with node:http (the raw target reaches the gateway
 * unchanged), and checks the promises every request carries: exactly one audit record per
 * request, denials never forwarded and never naming roles, rules or other agents.
 */
class Client {
  sent = 0;
  constructor(private readonly h: Harness, private readonly upstream: Upstream) {}

  send(call: Call): Promise<Reply> {
    this.upstream.seen.length = 0;
    this.sent++;
    const url = new URL(this.h.url);
    const headers: Record<string, string> = { ...call.headers };
    if (call.as !== undefined) headers.authorization = `Bearer ${this.h.keys[AGENTS[call.as]!.key]!}`;
    if (call.context !== undefined) headers['warden-context'] = call.context;
    if (call.body !== undefined) {
      if (call.chunked) headers['transfer-encoding'] = 'chunked';
      else headers['content-length'] = String(Buffer.byteLength(call.body));
    }
    return new Promise((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, method: call.method ?? 'GET', path: call.path, headers, agent: call.agent ?? false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), localPort: res.socket?.localPort }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (call.body !== undefined && call.chunked) {
        const bytes = Buffer.from(call.body);
        req.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
        req.end(bytes.subarray(Math.floor(bytes.length / 2)));
      } else req.end(call.body);
    });
  }

  /** The one audit record of this reply's request, after checking every request so far has exactly one. */
  async recordOf(reply: Reply): Promise<AuditEvent> {
    const requestId = reply.headers['x-request-id'];
    expect(requestId).toBeTruthy();
    const all = await this.h.auditEvents(this.sent);
    expect(all).toHaveLength(this.sent);
    const mine = all.filter((event) => event.requestId === requestId);
    expect(mine).toHaveLength(1);
    return mine[0]!;
  }

  /** A refusal: the problem document, nothing forwarded, no internals, and a deny record. */
  async expectDenied(reply: Reply, expected: { status: number; code: ErrorCode; caller?: string }): Promise<{ problem: Problem; event: AuditEvent }> {
    expect({ status: reply.status, body: reply.text }).toMatchObject({ status: expected.status });
    const problem = problemOf(reply);
    expect(problem.code).toBe(expected.code);
    expect(this.upstream.seen).toEqual([]);
    expectNoInternals(reply.text, expected.caller);
    const event = await this.recordOf(reply);
    expect(event.decision.outcome).toBe('deny');
    expect(event.decision.reason).toBe(expected.code);
    expect(event.http.status).toBe(expected.status);
    // The id the agent can quote is the one the security team finds.
    expect(event.requestId).toBe(problem.requestId);
    // A refused call was not let through by monitor mode. (Unidentified calls refused in
    // global monitor mode have their own test of this flag, so the others show the rest.)
    expect(event.decision.monitored).toBe(false);
    return { problem, event };
  }

  /** A forwarded call: the upstream saw exactly one request, without the agent's secrets. */
  async expectForwarded(reply: Reply, expected: { outcome: 'allow' | 'would-deny'; reason?: string; caller?: string }): Promise<{ seen: Upstream['seen'][number]; event: AuditEvent }> {
    expect({ status: reply.status, body: reply.text }).toMatchObject({ status: 200 });
    expect(this.upstream.seen).toHaveLength(1);
    const seen = this.upstream.seen[0]!;
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['warden-context']).toBeUndefined();
    if (expected.caller !== undefined) expect(seen.headers['x-warden-agent']).toBe(expected.caller);
    const event = await this.recordOf(reply);
    expect(event.decision.outcome).toBe(expected.outcome);
    expect(event.decision.reason).toBe(expected.reason ?? 'GRANTED');
    expect(event.decision.monitored).toBe(expected.outcome === 'would-deny');
    expect(event.http.status).toBe(200);
    if (expected.caller !== undefined) expect(event.agent?.name).toBe(expected.caller);
    return { seen, event };
  }
}

/** The RFC 9457 document of a refusal, checked for the fields every refusal carries. */
function problemOf(reply: Reply): Problem {
  expect(reply.headers['content-type']).toBe('application/problem+json');
  const problem = JSON.parse(reply.text) as Problem;
  for (const field of Object.keys(problem)) expect(PROBLEM_FIELDS).toContain(field);
  expect(problem.type).toBe(`https://warden.dev/errors/${problem.code}`);
  expect(problem.title).toBe(errorDefinition(problem.code as ErrorCode).meaning);
  expect(problem.status).toBe(reply.status);
  expect(problem.detail).toEqual(expect.any(String));
  expect(problem.detail.length).toBeGreaterThan(0);
  expect(problem.requestId).toBe(reply.headers['x-request-id']);
  for (const alternative of problem.alternatives ?? []) {
    for (const field of Object.keys(alternative)) expect(ALTERNATIVE_FIELDS).toContain(field);
    expect(alternative).toMatchObject({ api: expect.any(String), operation: expect.any(String), method: expect.any(String), path: expect.any(String), why: expect.any(String) });
  }
  return problem;
}

/** Denials name what to do, never the roles, rules or other agents behind them. */
function expectNoInternals(text: string, caller?: string): void {
  for (const name of INTERNAL_NAMES) expect(text).not.toContain(name);
  for (const agent of Object.keys(AGENTS)) if (agent !== caller) expect(text).not.toContain(agent);
  expect(text).not.toMatch(/\/grants\b|grants\[|\/forbid\b|forbid\[/);
}

// ---------------------------------------------------------------------------------------

describe('authorization in enforce mode', () => {
  let upstream: Upstream;
  let h: Harness;
  let client: Client;
  let orchestrator: TestIssuer;
  let impostor: TestIssuer;

  beforeAll(async () => {
    // The impostor claims to be the orchestrator but signs with its own key.
    [orchestrator, impostor] = await Promise.all([createTestIssuer(ORCHESTRATOR), createTestIssuer(ORCHESTRATOR)]);
    upstream = await startEchoUpstream();
    h = await startHarness(harnessOptions(upstream.url, orchestrator));
    client = new Client(h, upstream);
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  const task = (claims: Record<string, unknown>, options?: Parameters<TestIssuer['sign']>[1]) => orchestrator.sign({ sub: 'support-agent', ...claims }, options);

  describe('BOLA: parameters bound to the task context', () => {
    it('forwards a call for the task\'s customer, without the context token, and records the verified claims', async () => {
      const context = await task({ customer: 'C-1', ticket: 'T-42' });
      const reply = await client.send({ as: 'support-agent', path: '/crm/customers/C-1', context });
      const { seen, event } = await client.expectForwarded(reply, { outcome: 'allow', caller: 'support-agent' });
      expect(seen.method).toBe('GET');
      expect(seen.url).toBe('/crm/customers/C-1');
      // The task token is for the gateway only: no header of the upstream's request carries it.
      expect(seen.rawHeaders.join('\n')).not.toContain(context.split('.')[2]!);
      expect(event.context).toEqual({ customer: 'C-1', ticket: 'T-42' });
      expect(event.decision.rule).toBe('support-desk/grants/read-task-customer');
      const record = JSON.stringify(event);
      expect(record).not.toContain(context);
      expect(record).not.toContain(context.split('.')[2]!);
    });

    it('refuses another customer than the task\'s with WARDEN_AUTHZ_CONTEXT_MISMATCH and does not forward it', async () => {
      const context = await task({ customer: 'C-1' });
      const reply = await client.send({ as: 'support-agent', path: '/crm/customers/C-2', context });
      const { event } = await client.expectDenied(reply, { status: 403, code: 'WARDEN_AUTHZ_CONTEXT_MISMATCH', caller: 'support-agent' });
      // The record shows what the agent was working on when it asked for someone else.
      expect(event.context).toEqual({ customer: 'C-1' });
      expect(event.http.canonicalPath).toBe('/crm/customers/C-2');
      expect(JSON.stringify(event)).not.toContain(context.split('.')[2]!);
    });

    it('refuses a context-bound call without a Warden-Context header with WARDEN_AUTHZ_CONTEXT_MISSING', async () => {
      const reply = await client.send({ as: 'support-agent', path: '/crm/customers/C-1' });
      const { event } = await client.expectDenied(reply, { status: 403, code: 'WARDEN_AUTHZ_CONTEXT_MISSING', caller: 'support-agent' });
      expect(event.context).toBeUndefined();
    });

    it('refuses a valid context token that lacks the bound claim with WARDEN_AUTHZ_CONTEXT_MISSING', async () => {
      const reply = await client.send({ as: 'support-agent', path: '/crm/customers/C-1', context: await task({ ticket: 'T-42' }) });
      await client.expectDenied(reply, { status: 403, code: 'WARDEN_AUTHZ_CONTEXT_MISSING', caller: 'support-agent' });
    });

    it('refuses a second customerId in the query, which an upstream might read instead of the path', async () => {
      const reply = await client.send({ as: 'support-agent', path: '/crm/customers/C-1?customerId=C-2', context: await task({ customer: 'C-1' }) });
      await client.expectDenied(reply, { status: 400, code: 'WARDEN_AUTHZ_PARAM_AMBIGUOUS', caller: 'support-agent' });
    });

    const invalidContexts: [string, () => Promise<string>][] = [
      ['signed by an untrusted key claiming the orchestrator', () => impostor.sign({ sub: 'support-agent', customer: 'C-1' })],
      ['expired', () => task({ customer: 'C-1' }, { expiresIn: -3600 })],
      ['unsigned (alg: none)', () => Promise.resolve(unsecuredToken(ORCHESTRATOR, { sub: 'support-agent', customer: 'C-1' }))],
      ['issued for another agent', () => orchestrator.sign({ sub: 'payroll-bot', customer: 'C-1' })],
      ['issued for another audience', () => task({ customer: 'C-1' }, { audience: 'some-other-gateway' })],
      ['not a JWT at all', () => Promise.resolve('customer=C-1')],
    ];
    it.each(invalidContexts)('refuses a context token %s with 401 WARDEN_CONTEXT_INVALID, even for the right customer', async (_, token) => {
      const context = await token();
      const reply = await client.send({ as: 'support-agent', path: '/crm/customers/C-1', context });
      const { event } = await client.expectDenied(reply, { status: 401, code: 'WARDEN_CONTEXT_INVALID', caller: 'support-agent' });
      // Unverified claims are not evidence: nothing of the token reaches the record.
      expect(event.context).toBeUndefined();
      expect(JSON.stringify(event)).not.toContain(context);
    });
  });

  describe('forbids win over grants', () => {
    it.each(['support-agent', 'reversed-agent'])('refuses hr.getEmployee to %s although one of its roles grants it', async (caller) => {
      const reply = await client.send({ as: caller, path: '/hr/employees/E-7' });
      const { problem, event } = await client.expectDenied(reply, { status: 403, code: 'WARDEN_AUTHZ_FORBIDDEN', caller });
      // The agent learns the reason the policy author wrote, not which rule said it.
      expect(problem.detail).toContain('support never touches employee data');
      expect(event.decision.rule).toBe('hr-blocker/forbid/never-hr');
    });

    it('allows hr.getEmployee to an agent with the granting role but without the forbid', async () => {
      const reply = await client.send({ as: 'clerk-agent', path: '/hr/employees/E-7' });
      await client.expectForwarded(reply, { outcome: 'allow', caller: 'clerk-agent' });
    });

    it.each(['support-agent', 'reversed-agent'])('lets %s refund 50 and 1000 (the forbid does not apply) but not 1000.01, 5000 or 20000', async (caller) => {
      for (const amount of ['50', '1000']) {
        const body = `{"orderId":"O-1","amount":${amount},"currency":"EUR"}`;
        const { seen } = await client.expectForwarded(await client.send({ as: caller, method: 'POST', path: '/payments/refunds', headers: { 'content-type': 'application/json' }, body }), { outcome: 'allow', caller });
        expect(seen.body).toBe(body);
      }
      // 5000 is within the grant's max of 10000; 20000 is outside it, and the forbid still decides.
      for (const amount of ['1000.01', '5000', '20000']) {
        const body = `{"orderId":"O-1","amount":${amount},"currency":"EUR"}`;
        const reply = await client.send({ as: caller, method: 'POST', path: '/payments/refunds', headers: { 'content-type': 'application/json' }, body });
        const { problem, event } = await client.expectDenied(reply, { status: 403, code: 'WARDEN_AUTHZ_FORBIDDEN', caller });
        expect(problem.detail).toContain('refunds above 1000 need a supervisor');
        expect(event.decision.rule).toBe('refund-ceiling/forbid/no-large-refunds');
      }
    });

    it('allows a 5000 refund to an agent with the grant up to 10000 and no forbid', async () => {
      const body = '{"orderId":"O-1","amount":5000,"currency":"EUR"}';
      const reply = await client.send({ as: 'clerk-agent', method: 'POST', path: '/payments/refunds', headers: { 'content-type': 'application/json' }, body });
      await client.expectForwarded(reply, { outcome: 'allow', caller: 'clerk-agent' });
    });

    it.each([
      ['without an amount', '{"orderId":"O-1","currency":"EUR"}'],
      ['with the amount as an object', '{"orderId":"O-1","amount":{"value":5000},"currency":"EUR"}'],
      ['with the amount spelt in another letter case', '{"orderId":"O-1","AMOUNT":5000,"currency":"EUR"}'],
      ['with the amount as a string the forbid cannot read as a number', '{"orderId":"O-1","amount":"5e3","currency":"EUR"}'],
    ])('applies a conditional forbid to a refund %s: it cannot be evaluated, so it fails closed', async (_, body) => {
      const reply = await client.send({ as: 'support-agent', method: 'POST', path: '/payments/refunds', headers: { 'content-type': 'application/json' }, body });
      await client.expectDenied(reply, { status: 403, code: 'WARDEN_AUTHZ_FORBIDDEN', caller: 'support-agent' });
    });
  });

  describe('parameter constraints', () => {
    const refund = (body: string | Buffer, extra: Partial<Call> = {}): Call => ({ as: 'clerk-agent', method: 'POST', path: '/payments/refunds', headers: { 'content-type': 'application/json', ...extra.headers }, body, ...extra });

    it('forwards an allowed JSON body byte for byte, not re-serialised', async () => {
      // Whitespace, key order and `50.00` would all change if the gateway re-encoded the JSON.
      const body = '{ "currency" : "USD",\n  "amount": 50.00, "orderId": "O-7", "note": "caf\\u00e9 ☕" }';
      const { seen, event } = await client.expectForwarded(await client.send(refund(body)), { outcome: 'allow', caller: 'clerk-agent' });
      expect(seen.body).toBe(body);
      expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(body)));
      expect(seen.headers['content-type']).toBe('application/json');
      expect(event.http.bytesIn).toBe(Buffer.byteLength(body));
    });

    it('forwards a chunked JSON body byte for byte with its length', async () => {
      const body = '{"orderId":"O-8","amount":10000,"currency":"EUR"}';
      const { seen } = await client.expectForwarded(await client.send(refund(body, { chunked: true })), { outcome: 'allow', caller: 'clerk-agent' });
      expect(seen.body).toBe(body);
      expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(body)));
      expect(seen.headers['transfer-encoding']).toBeUndefined();
    });

    it.each([
      ['an amount above the max', '{"orderId":"O-1","amount":10000.5,"currency":"EUR"}', 'amount must be at most 10000'],
      ['an amount below the min', '{"orderId":"O-1","amount":0,"currency":"EUR"}', 'amount must be at least 0.01'],
      ['a currency outside the enum', '{"orderId":"O-1","amount":50,"currency":"GBP"}', 'currency must be one of EUR, USD'],
      ['a non-numeric amount', '{"orderId":"O-1","amount":"fifty","currency":"EUR"}', 'amount must be a number'],
    ])('refuses a JSON body with %s with WARDEN_AUTHZ_PARAM_VIOLATION', async (_, body, detail) => {
      const { problem } = await client.expectDenied(await client.send(refund(body)), { status: 403, code: 'WARDEN_AUTHZ_PARAM_VIOLATION', caller: 'clerk-agent' });
      expect(problem.detail).toBe(detail);
    });

    it('refuses a JSON body without a constrained parameter with WARDEN_AUTHZ_PARAM_MISSING', async () => {
      const { problem } = await client.expectDenied(await client.send(refund('{"orderId":"O-1","amount":50}')), { status: 403, code: 'WARDEN_AUTHZ_PARAM_MISSING', caller: 'clerk-agent' });
      expect(problem.detail).toContain('currency');
    });

    it('refuses a body without any content as missing its parameters', async () => {
      await client.expectDenied(await client.send({ as: 'clerk-agent', method: 'POST', path: '/payments/refunds' }), { status: 403, code: 'WARDEN_AUTHZ_PARAM_MISSING', caller: 'clerk-agent' });
    });

    it('forwards an allowed form body byte for byte', async () => {
      const body = 'subject=Printer+on+fire%21&priority=low';
      const reply = await client.send({ as: 'support-agent', method: 'POST', path: '/support/tickets', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      const { seen } = await client.expectForwarded(reply, { outcome: 'allow', caller: 'support-agent' });
      expect(seen.body).toBe(body);
    });

    it('refuses a form body outside the enum, and one without the constrained field', async () => {
      const form = (body: string): Call => ({ as: 'support-agent', method: 'POST', path: '/support/tickets', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      await client.expectDenied(await client.send(form('subject=Down&priority=urgent')), { status: 403, code: 'WARDEN_AUTHZ_PARAM_VIOLATION', caller: 'support-agent' });
      await client.expectDenied(await client.send(form('subject=Down')), { status: 403, code: 'WARDEN_AUTHZ_PARAM_MISSING', caller: 'support-agent' });
    });

    it('refuses a constrained parameter sent in both the query and the body', async () => {
      const reply = await client.send({ as: 'support-agent', method: 'POST', path: '/support/tickets?priority=low', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'priority=urgent' });
      await client.expectDenied(reply, { status: 400, code: 'WARDEN_AUTHZ_PARAM_AMBIGUOUS', caller: 'support-agent' });
    });

    it('checks path parameters against an enum and an anchored pattern', async () => {
      const get = (target: string) => client.send({ as: 'support-agent', path: target });
      const { seen } = await client.expectForwarded(await get('/finance/reports/quarterly'), { outcome: 'allow', caller: 'support-agent' });
      expect(seen.url).toBe('/finance/reports/quarterly');
      await client.expectDenied(await get('/finance/reports/daily'), { status: 403, code: 'WARDEN_AUTHZ_PARAM_VIOLATION', caller: 'support-agent' });
      await client.expectForwarded(await get('/payments/refunds/R-1234'), { outcome: 'allow', caller: 'support-agent' });
      // The pattern must match the whole value, not a part of it.
      await client.expectDenied(await get('/payments/refunds/R-12345'), { status: 403, code: 'WARDEN_AUTHZ_PARAM_VIOLATION', caller: 'support-agent' });
      await client.expectDenied(await get('/payments/refunds/xR-1234'), { status: 403, code: 'WARDEN_AUTHZ_PARAM_VIOLATION', caller: 'support-agent' });
    });

    it('checks query parameters: a date range of at most 90 days and a max page size', async () => {
      const get = (query: string) => client.send({ as: 'support-agent', path: `/finance/transactions?${query}` });
      const { seen } = await client.expectForwarded(await get('from=2025-01-01&to=2025-03-31&limit=100'), { outcome: 'allow', caller: 'support-agent' });
      expect(seen.url).toBe('/finance/transactions?from=2025-01-01&to=2025-03-31&limit=100');
      const tooLong = await client.expectDenied(await get('from=2025-01-01&to=2025-06-30&limit=10'), { status: 403, code: 'WARDEN_AUTHZ_PARAM_VIOLATION', caller: 'support-agent' });
      expect(tooLong.problem.detail).toMatch(/at most 90/);
      // A reversed range is not a short one.
      await client.expectDenied(await get('from=2025-06-30&to=2025-01-01&limit=10'), { status: 403, code: 'WARDEN_AUTHZ_PARAM_VIOLATION', caller: 'support-agent' });
      // Without `to` the range ends now, which is far more than 90 days after 2020.
      await client.expectDenied(await get('from=2020-01-01&limit=10'), { status: 403, code: 'WARDEN_AUTHZ_PARAM_VIOLATION', caller: 'support-agent' });
      await client.expectDenied(await get('from=2025-01-01&to=2025-02-01&limit=101'), { status: 403, code: 'WARDEN_AUTHZ_PARAM_VIOLATION', caller: 'support-agent' });
      await client.expectDenied(await get('to=2025-02-01&limit=10'), { status: 403, code: 'WARDEN_AUTHZ_PARAM_MISSING', caller: 'support-agent' });
    });

    it('accepts a body of exactly maxBodyBytes and refuses one byte more with 413 WARDEN_REQUEST_TOO_LARGE', async () => {
      const padded = (size: number) => {
        const head = '{"orderId":"O-1","amount":50,"currency":"EUR","note":"';
        return `${head}${'x'.repeat(size - head.length - 2)}"}`;
      };
      const fits = padded(1024);
      expect(Buffer.byteLength(fits)).toBe(1024);
      const { seen } = await client.expectForwarded(await client.send(refund(fits)), { outcome: 'allow', caller: 'clerk-agent' });
      expect(seen.body).toBe(fits);
      await client.expectDenied(await client.send(refund(padded(1025))), { status: 413, code: 'WARDEN_REQUEST_TOO_LARGE', caller: 'clerk-agent' });
      // Without a Content-Length the limit is enforced while reading.
      await client.expectDenied(await client.send(refund(padded(1025), { chunked: true })), { status: 413, code: 'WARDEN_REQUEST_TOO_LARGE', caller: 'clerk-agent' });
    });

    it('refuses JSON nested deeper than maxJsonDepth with 400 WARDEN_REQUEST_BODY_MALFORMED', async () => {
      const body = `{"orderId":"O-1","amount":50,"currency":"EUR","meta":${'['.repeat(40)}${']'.repeat(40)}}`;
      await client.expectDenied(await client.send(refund(body)), { status: 400, code: 'WARDEN_REQUEST_BODY_MALFORMED', caller: 'clerk-agent' });
    });

    it('refuses a JSON body with a repeated key, which parsers read differently', async () => {
      const body = '{"orderId":"O-1","amount":50,"currency":"EUR","amount":20000}';
      await client.expectDenied(await client.send(refund(body)), { status: 400, code: 'WARDEN_REQUEST_BODY_MALFORMED', caller: 'clerk-agent' });
    });

    it('refuses a gzip-encoded body on an inspected operation: it cannot be checked', async () => {
      const body = gzipSync('{"orderId":"O-1","amount":50,"currency":"EUR"}');
      await client.expectDenied(await client.send(refund(body, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })), { status: 400, code: 'WARDEN_REQUEST_BODY_MALFORMED', caller: 'clerk-agent' });
    });

    it('refuses a text/plain body on an inspected operation, even when it holds valid JSON', async () => {
      const reply = await client.send(refund('{"orderId":"O-1","amount":50,"currency":"EUR"}', { headers: { 'content-type': 'text/plain' } }));
      await client.expectDenied(reply, { status: 400, code: 'WARDEN_REQUEST_BODY_MALFORMED', caller: 'clerk-agent' });
    });

    it('streams the body of an operation without body constraints through unparsed', async () => {
      // Invalid JSON: had the gateway parsed it, it would have refused it.
      const body = '{"note": "unterminated, "nested": [1, 2';
      const reply = await client.send({ as: 'support-agent', method: 'POST', path: '/crm/customers/C-1/notes', headers: { 'content-type': 'application/json' }, body, context: await task({ customer: 'C-1' }) });
      const { seen } = await client.expectForwarded(reply, { outcome: 'allow', caller: 'support-agent' });
      expect(seen.url).toBe('/crm/customers/C-1/notes');
      expect(seen.body).toBe(body);
    });
  });

  describe('helpful denials', () => {
    it('answers an ungranted operation with alternatives the agent may call and where to ask for access, never the policy behind it', async () => {
      const reply = await client.send({ as: 'support-agent', method: 'DELETE', path: '/crm/customers/C-1' });
      const { problem, event } = await client.expectDenied(reply, { status: 403, code: 'WARDEN_AUTHZ_NOT_GRANTED', caller: 'support-agent' });
      expect(problem.detail).toContain('crm.deleteCustomer');
      expect(problem.alternatives).toContainEqual({ api: 'crm', operation: 'getCustomer', method: 'GET', path: '/crm/customers/{customerId}', summary: 'Read one customer\'s profile', why: expect.stringContaining('same API') });
      const offered = problem.alternatives!.map((alternative) => `${alternative.api}.${alternative.operation}`);
      // Only operations the agent can actually call: not the denied one, not a forbidden one, not a retired API.
      expect(offered).not.toContain('crm.deleteCustomer');
      expect(offered).not.toContain('hr.getEmployee');
      expect(offered).not.toContain('fax.sendFax');
      expect(problem.requestAccess).toBe('/.warden/access-requests');
      // Internals go to the audit log, not to the agent.
      expect(event.agent?.roles).toContain('support-desk');
      expect(event.api).toMatchObject({ name: 'crm', operation: 'deleteCustomer', template: '/crm/customers/{customerId}' });
    });

    it('points requestAccess to the gateway\'s own access-request endpoint, relative to the URL the agent called', async () => {
      const reply = await client.send({ as: 'support-agent', method: 'DELETE', path: '/crm/customers/C-1' });
      const { problem } = await client.expectDenied(reply, { status: 403, code: 'WARDEN_AUTHZ_NOT_GRANTED', caller: 'support-agent' });
      // The agent resolves it against the gateway it called: no host name, no admin port to reach.
      expect(new URL(problem.requestAccess!, h.url).href).toBe(`${h.url}/.warden/access-requests`);
    });

    it('answers a forbidden operation with the forbid\'s reason and alternatives, never the role or rule', async () => {
      const reply = await client.send({ as: 'support-agent', path: '/hr/employees/E-7' });
      const { problem } = await client.expectDenied(reply, { status: 403, code: 'WARDEN_AUTHZ_FORBIDDEN', caller: 'support-agent' });
      // The forbid's reason, then the data the agent can read instead (hr.getEmployee holds pii and hr data).
      expect(problem.detail).toMatch(/^hr\.getEmployee is forbidden for this agent: support never touches employee data; no access to an employee record \(pii, hr\); .+ (is|are) available$/);
      expect(problem.detail).not.toContain('hr-blocker');
      expect(problem.alternatives?.length).toBeGreaterThan(0);
      expect(problem.requestAccess).toBe('/.warden/access-requests');
    });

    it('answers a parameter violation with what to change and where to ask for access', async () => {
      const reply = await client.send({ as: 'support-agent', path: '/finance/reports/daily' });
      const { problem } = await client.expectDenied(reply, { status: 403, code: 'WARDEN_AUTHZ_PARAM_VIOLATION', caller: 'support-agent' });
      expect(problem.detail).toBe('period must be one of monthly, quarterly');
      expect(problem.requestAccess).toBe('/.warden/access-requests');
    });

    it('answers an unknown path of an identified agent with 404 and operations it may call instead', async () => {
      const reply = await client.send({ as: 'support-agent', path: '/crm/customer/C-1' });
      const { problem, event } = await client.expectDenied(reply, { status: 404, code: 'WARDEN_ROUTE_NOT_FOUND', caller: 'support-agent' });
      expect(problem.alternatives).toContainEqual(expect.objectContaining({ api: 'crm', operation: 'getCustomer', method: 'GET', path: '/crm/customers/{customerId}' }));
      expect(event.api).toBeUndefined();
      expect(event.agent?.name).toBe('support-agent');
    });
  });

  describe('lifecycle', () => {
    it.each(['paused-agent', 'draft-agent', 'retired-agent'])('refuses %s, which is not active, with WARDEN_AGENT_NOT_ACTIVE', async (caller) => {
      // A valid context token for the right customer: only the agent's state stands in the way.
      const context = await orchestrator.sign({ sub: caller, customer: 'C-1' });
      const reply = await client.send({ as: caller, path: '/crm/customers/C-1', context });
      const { event } = await client.expectDenied(reply, { status: 403, code: 'WARDEN_AGENT_NOT_ACTIVE', caller });
      expect(event.agent?.name).toBe(caller);
    });

    it('refuses a step-up grant without an approval with WARDEN_STEP_UP_REQUIRED and does not forward it', async () => {
      const reply = await client.send({ as: 'support-agent', method: 'POST', path: '/payments/charges/CH-1/capture' });
      const { problem, event } = await client.expectDenied(reply, { status: 403, code: 'WARDEN_STEP_UP_REQUIRED', caller: 'support-agent' });
      expect(problem.requestAccess).toBe('/.warden/access-requests');
      expect(event.decision.rule).toBe('capture-approver/grants/capture-with-approval');
    });

    it('answers a retired API with 410 WARDEN_API_RETIRED', async () => {
      const reply = await client.send({ as: 'support-agent', method: 'POST', path: '/fax/faxes' });
      const { problem } = await client.expectDenied(reply, { status: 410, code: 'WARDEN_API_RETIRED', caller: 'support-agent' });
      expect(problem.detail).toContain('email');
    });

    it('answers a deprecated API past its sunset date with 410 WARDEN_API_RETIRED', async () => {
      await client.expectDenied(await client.send({ as: 'support-agent', path: '/archive/documents/D-1' }), { status: 410, code: 'WARDEN_API_RETIRED', caller: 'support-agent' });
    });

    it('forwards a deprecated API before its sunset with Deprecation and Sunset headers', async () => {
      const reply = await client.send({ as: 'support-agent', path: '/warehouse/stock/SKU-1' });
      await client.expectForwarded(reply, { outcome: 'allow', caller: 'support-agent' });
      // RFC 9745: the day it was deprecated, as @epoch-seconds (2026-09-01T00:00:00Z).
      expect(reply.headers.deprecation).toBe(`@${Date.UTC(2026, 8, 1) / 1000}`);
      // 2999-12-31 is a Tuesday; the sunset is the start of that day, UTC (RFC 8594 HTTP-date).
      expect(reply.headers.sunset).toBe('Tue, 31 Dec 2999 00:00:00 GMT');
    });

    it('sends no Deprecation header for an active API', async () => {
      const reply = await client.send({ as: 'support-agent', path: '/finance/reports/monthly' });
      await client.expectForwarded(reply, { outcome: 'allow', caller: 'support-agent' });
      expect(reply.headers.deprecation).toBeUndefined();
      expect(reply.headers.sunset).toBeUndefined();
    });
  });

  describe('policy swaps', () => {
    async function swapTo(folder: string, roles: Record<string, string>, states: Record<string, string> = {}): Promise<void> {
      const directory = path.join(h.directory, folder);
      await mkdir(directory);
      for (const [name, text] of Object.entries(fleet(roles, states))) await writeFile(path.join(directory, name), text.replaceAll('${UPSTREAM}', upstream.url));
      const loaded = await loadManifests(directory);
      expect(loaded.problems).toEqual([]);
      h.gateway.update(gatewayState(compile(loaded.set), await h.store.listApiKeys()));
    }

    it('applies a removed grant from the next request on, on the same keep-alive connection, and a restored one likewise', async () => {
      const original = h.gateway.state!;
      const connection = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const ticket = (): Call => ({ as: 'support-agent', method: 'POST', path: '/support/tickets', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'subject=Hi&priority=low', agent: connection });
      try {
        const before = await client.send(ticket());
        const allowed = await client.expectForwarded(before, { outcome: 'allow', caller: 'support-agent' });

        await swapTo('manifests-without-tickets', { 'ticket-writer': role('ticket-writer', '  grants: []\n') });
        const after = await client.send(ticket());
        // The connection the agent keeps open does not pin the old policy.
        expect(after.localPort).toBe(before.localPort);
        const { event } = await client.expectDenied(after, { status: 403, code: 'WARDEN_AUTHZ_NOT_GRANTED', caller: 'support-agent' });
        expect(event.decision.policyVersion).not.toBe(allowed.event.decision.policyVersion);
        expect(event.decision.policyVersion).toBe(h.gateway.state!.snapshot.version);

        h.gateway.update(original);
        const restored = await client.send(ticket());
        const again = await client.expectForwarded(restored, { outcome: 'allow', caller: 'support-agent' });
        expect(again.event.decision.policyVersion).toBe(allowed.event.decision.policyVersion);
      } finally {
        h.gateway.update(original);
        connection.destroy();
      }
    });

    it('suspending an agent through a new snapshot refuses its next call', async () => {
      const original = h.gateway.state!;
      try {
        await client.expectForwarded(await client.send({ as: 'payroll-bot', path: '/hr/employees/E-1' }), { outcome: 'allow', caller: 'payroll-bot' });
        await swapTo('manifests-payroll-suspended', {}, { 'payroll-bot': 'suspended' });
        await client.expectDenied(await client.send({ as: 'payroll-bot', path: '/hr/employees/E-1' }), { status: 403, code: 'WARDEN_AGENT_NOT_ACTIVE', caller: 'payroll-bot' });
      } finally {
        h.gateway.update(original);
      }
    });
  });
});

describe('per-API monitor mode', () => {
  let upstream: Upstream;
  let h: Harness;
  let client: Client;
  let orchestrator: TestIssuer;

  beforeAll(async () => {
    orchestrator = await createTestIssuer(ORCHESTRATOR);
    upstream = await startEchoUpstream();
    h = await startHarness(harnessOptions(upstream.url, orchestrator));
    client = new Client(h, upstream);
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  it('lets an ungranted call to the monitored API pass and records it as would-deny', async () => {
    const reply = await client.send({ as: 'support-agent', method: 'DELETE', path: '/legacy/records/R-1' });
    const { seen, event } = await client.expectForwarded(reply, { outcome: 'would-deny', reason: 'WARDEN_AUTHZ_NOT_GRANTED', caller: 'support-agent' });
    expect(seen.method).toBe('DELETE');
    expect(event.api).toMatchObject({ name: 'legacy', operation: 'deleteRecord' });
  });

  it('lets a parameter violation on the monitored API pass and records it as would-deny', async () => {
    const reply = await client.send({ as: 'support-agent', path: '/legacy/records?limit=500' });
    const { seen } = await client.expectForwarded(reply, { outcome: 'would-deny', reason: 'WARDEN_AUTHZ_PARAM_VIOLATION', caller: 'support-agent' });
    expect(seen.url).toBe('/legacy/records?limit=500');
  });

  it('lets a context mismatch on the monitored API pass and records it as would-deny with the context', async () => {
    const context = await orchestrator.sign({ sub: 'support-agent', customer: 'C-1' });
    const reply = await client.send({ as: 'support-agent', path: '/legacy/records/C-2', context });
    const { event } = await client.expectForwarded(reply, { outcome: 'would-deny', reason: 'WARDEN_AUTHZ_CONTEXT_MISMATCH', caller: 'support-agent' });
    expect(event.context).toEqual({ customer: 'C-1' });
  });

  it('records an allowed call on the monitored API as allow, not monitored', async () => {
    const reply = await client.send({ as: 'support-agent', path: '/legacy/records?limit=5' });
    await client.expectForwarded(reply, { outcome: 'allow', caller: 'support-agent' });
  });

  it('still denies on an API in enforce mode', async () => {
    await client.expectDenied(await client.send({ as: 'support-agent', method: 'DELETE', path: '/crm/customers/C-1' }), { status: 403, code: 'WARDEN_AUTHZ_NOT_GRANTED', caller: 'support-agent' });
    const context = await orchestrator.sign({ sub: 'support-agent', customer: 'C-1' });
    await client.expectDenied(await client.send({ as: 'support-agent', path: '/crm/customers/C-2', context }), { status: 403, code: 'WARDEN_AUTHZ_CONTEXT_MISMATCH', caller: 'support-agent' });
  });

  it('does not let an unidentified caller reach the monitored API', async () => {
    const reply = await client.send({ path: '/legacy/records/R-1' });
    await client.expectDenied(reply, { status: 401, code: 'WARDEN_AUTHN_MISSING' });
  });

  it('refuses hygiene violations and unknown routes of the monitored API and never forwards them', async () => {
    await client.expectDenied(await client.send({ as: 'support-agent', path: '/legacy/records/R%2F1' }), { status: 400, code: 'WARDEN_REQUEST_NOT_CANONICAL', caller: 'support-agent' });
    await client.expectDenied(await client.send({ as: 'support-agent', path: '/legacy/records?limit=1&limit=2' }), { status: 400, code: 'WARDEN_REQUEST_DUPLICATE_PARAM', caller: 'support-agent' });
    await client.expectDenied(await client.send({ as: 'support-agent', path: '/legacy/archive/R-1' }), { status: 404, code: 'WARDEN_ROUTE_NOT_FOUND', caller: 'support-agent' });
    const batch = (body: string) => client.send({ as: 'support-agent', method: 'POST', path: '/legacy/records', headers: { 'content-type': 'application/json' }, body });
    await client.expectDenied(await batch('{"batch":"B-1","batch":"B-2"}'), { status: 400, code: 'WARDEN_REQUEST_BODY_MALFORMED', caller: 'support-agent' });
    await client.expectDenied(await batch('{"batch":"B-1","_method":"DELETE"}'), { status: 400, code: 'WARDEN_REQUEST_METHOD_OVERRIDE', caller: 'support-agent' });
  });

  it.each([
    ['a repeated key', '{"batch":"B-1","batch":"B-2"}', 'WARDEN_REQUEST_BODY_MALFORMED'],
    ['a `_method` field', '{"batch":"B-1","_method":"DELETE"}', 'WARDEN_REQUEST_METHOD_OVERRIDE'],
  ] as const)('refuses a body with %s on the monitored API also when the context token is not accepted', async (_, body, code) => {
    // The would-deny for the token must not skip the body checks: the upstream would receive
    // a body with two different `batch` values, or a `_method` that turns the POST into a DELETE.
    const foreign = await orchestrator.sign({ sub: 'payroll-bot', customer: 'C-1' });
    const reply = await client.send({ as: 'support-agent', method: 'POST', path: '/legacy/records', headers: { 'content-type': 'application/json' }, body, context: foreign });
    await client.expectDenied(reply, { status: 400, code, caller: 'support-agent' });
  });
});

describe('global monitor mode', () => {
  let upstream: Upstream;
  let h: Harness;
  let client: Client;

  beforeAll(async () => {
    const orchestrator = await createTestIssuer(ORCHESTRATOR);
    upstream = await startEchoUpstream();
    h = await startHarness(harnessOptions(upstream.url, orchestrator, { gateway: { mode: 'monitor' } }));
    client = new Client(h, upstream);
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  it('lets a request without credentials pass and records it as would-deny WARDEN_AUTHN_MISSING', async () => {
    const reply = await client.send({ path: '/crm/customers/C-1' });
    const { seen, event } = await client.expectForwarded(reply, { outcome: 'would-deny', reason: 'WARDEN_AUTHN_MISSING' });
    // No agent was verified, so the gateway asserts none to the upstream.
    expect(seen.headers['x-warden-agent']).toBeUndefined();
    expect(event.agent).toBeUndefined();
    expect(event.credential).toBeUndefined();
  });

  it('lets denied calls of identified agents pass and records the reason', async () => {
    await client.expectForwarded(await client.send({ as: 'support-agent', method: 'DELETE', path: '/crm/customers/C-1' }), { outcome: 'would-deny', reason: 'WARDEN_AUTHZ_NOT_GRANTED', caller: 'support-agent' });
    const body = '{"orderId":"O-1","amount":5000,"currency":"EUR"}';
    const { seen, event } = await client.expectForwarded(await client.send({ as: 'support-agent', method: 'POST', path: '/payments/refunds', headers: { 'content-type': 'application/json' }, body }), { outcome: 'would-deny', reason: 'WARDEN_AUTHZ_FORBIDDEN', caller: 'support-agent' });
    expect(seen.body).toBe(body);
    // The audit record still names the rule that would have denied.
    expect(event.decision.rule).toBe('refund-ceiling/forbid/no-large-refunds');
    await client.expectForwarded(await client.send({ as: 'paused-agent', path: '/crm/customers/C-1' }), { outcome: 'would-deny', reason: 'WARDEN_AGENT_NOT_ACTIVE', caller: 'paused-agent' });
  });

  it.each([
    ['dot segments', { path: '/crm/customers/../customers/C-1' }, 'WARDEN_REQUEST_NOT_CANONICAL'],
    ['an encoded slash', { path: '/crm/customers/C%2F1' }, 'WARDEN_REQUEST_NOT_CANONICAL'],
    ['a query parameter sent twice in different case', { path: '/finance/transactions?limit=1&LIMIT=2' }, 'WARDEN_REQUEST_DUPLICATE_PARAM'],
    ['a method-override header', { method: 'POST', path: '/crm/customers/C-1', headers: { 'x-http-method-override': 'DELETE' } }, 'WARDEN_REQUEST_METHOD_OVERRIDE'],
    ['a Connection header naming another header', { path: '/crm/customers/C-1', headers: { connection: 'close, x-forwarded-for' } }, 'WARDEN_REQUEST_HEADER_REJECTED'],
  ] as const)('refuses %s without credentials, as in every mode, and never forwards it', async (_, call, code) => {
    await client.expectDenied(await client.send(call), { status: 400, code });
  });

  it('refuses hygiene violations of identified agents and never forwards them', async () => {
    await client.expectDenied(await client.send({ as: 'support-agent', path: '/crm/customers/C-1/./notes' }), { status: 400, code: 'WARDEN_REQUEST_NOT_CANONICAL', caller: 'support-agent' });
    await client.expectDenied(await client.send({ as: 'support-agent', path: '/finance/transactions?_method=DELETE' }), { status: 400, code: 'WARDEN_REQUEST_METHOD_OVERRIDE', caller: 'support-agent' });
  });

  it('refuses unknown routes in every mode and never forwards them', async () => {
    await client.expectDenied(await client.send({ path: '/admin/secrets' }), { status: 404, code: 'WARDEN_ROUTE_NOT_FOUND' });
    await client.expectDenied(await client.send({ as: 'support-agent', path: '/CRM/customers/C-1' }), { status: 404, code: 'WARDEN_ROUTE_NOT_FOUND', caller: 'support-agent' });
  });

  it('records a refused call without credentials as denied, not as let through by monitor mode', async () => {
    // AuditDecision.monitored means "monitor mode let a would-deny call pass"; this one was refused.
    const { event } = await client.expectDenied(await client.send({ path: '/crm/customers/C%2F1' }), { status: 400, code: 'WARDEN_REQUEST_NOT_CANONICAL' });
    expect(event.decision.monitored).toBe(false);
  });

  it('refuses an uninspectable body of an identified agent on an inspected operation', async () => {
    const reply = await client.send({ as: 'support-agent', method: 'POST', path: '/payments/refunds', headers: { 'content-type': 'text/plain' }, body: '{"orderId":"O-1","amount":50,"currency":"EUR"}' });
    await client.expectDenied(reply, { status: 400, code: 'WARDEN_REQUEST_BODY_MALFORMED', caller: 'support-agent' });
  });

  it.each([
    ['a repeated key', '{"orderId":"O-1","amount":50,"currency":"EUR","amount":20000}', 'WARDEN_REQUEST_BODY_MALFORMED'],
    ['a `_method` field', '{"orderId":"O-1","amount":50,"currency":"EUR","_method":"DELETE"}', 'WARDEN_REQUEST_METHOD_OVERRIDE'],
    ['a text/plain content type', null, 'WARDEN_REQUEST_BODY_MALFORMED'],
  ] as const)('refuses a body with %s on an inspected operation without credentials too', async (_, body, code) => {
    // An identified agent's such body is refused (above); the same body without credentials
    // must not be forwarded either, or the upstream executes what the would-deny record does not describe.
    const reply = await client.send(body === null
      ? { method: 'POST', path: '/payments/refunds', headers: { 'content-type': 'text/plain' }, body: '{"orderId":"O-1","amount":50,"currency":"EUR"}' }
      : { method: 'POST', path: '/payments/refunds', headers: { 'content-type': 'application/json' }, body });
    await client.expectDenied(reply, { status: 400, code });
  });
});
