import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { errorDefinition, type ErrorCode } from '../../src/model/errors.js';
import { startEchoUpstream, startHarness, type Harness } from '../support/gateway-harness.js';
import { createTestIssuer, tamperedPayload, unsecuredToken, type TestIssuer } from '../support/test-tokens.js';

/**
 * Task-bound data on real sockets: a gateway on port 0 in front of an upstream that answers
 * with records of several customers, and an orchestrator that signs Warden-Context tokens.
 * What the agent receives, what the upstream sees and the one audit record of each request
 * show rows bound to the task's customer, purposes, data residency and the data hint.
 */

const ORCHESTRATOR = 'https://orchestrator.test.example/';

const APIS = `apiVersion: warden.dev/v1
kind: Api
metadata: { name: shop }
spec:
  owner: shop-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /shop
  sensitivity: confidential
  dataClasses: [pii]
  dataRegion: eu-west-1
  operations:
    - { id: listOrders, method: GET, path: /orders, summary: "Orders" }
    - { id: searchOrders, method: GET, path: /search, summary: "Order search" }
    - { id: getOrder, method: GET, path: "/orders/{orderId}", summary: "One order", parameters: [{ name: orderId, in: path, required: true }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: tickets }
spec:
  owner: support-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /tickets
  operations:
    - { id: listTickets, method: GET, path: /tickets, summary: "Support tickets" }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: claims }
spec:
  owner: claims-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /claims
  dataClasses: [health]
  operations:
    - { id: listClaims, method: GET, path: /claims, summary: "Insurance claims" }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: hr }
spec:
  owner: hr-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /hr
  dataClasses: [hr]
  operations:
    - { id: listSalaries, method: GET, path: /salaries, summary: "Salaries", dataClasses: [financial, pii] }
    - { id: getDepartmentBudgets, method: GET, path: /departments/budgets, summary: "Department budgets", dataClasses: [financial] }
    - { id: getHeadcount, method: GET, path: /headcount, summary: "Headcount per department" }
`;

const ROLES = `apiVersion: warden.dev/v1
kind: Role
metadata: { name: task-orders }
spec:
  grants:
    - id: task-order-rows
      api: shop
      operations: [listOrders, getOrder]
      rows: { where: "customerId == \${context.customer}" }
    - id: task-order-search
      api: shop
      operations: [searchOrders]
      rows: { where: "customerId == \${context.customer}" }
      response: { records: records }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: shop-reader }
spec:
  grants:
    - { id: all-orders, api: shop, operations: [listOrders, getOrder] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: ticket-support }
spec:
  grants:
    - { id: support-tickets, api: tickets, operations: [listTickets], purposes: [support] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: ticket-reader }
spec:
  grants:
    - { id: any-tickets, api: tickets, operations: [listTickets] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: claims-reader }
spec:
  grants:
    - { id: all-claims, api: claims, operations: [listClaims] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: hr-planning }
spec:
  grants:
    - { id: planning-data, api: hr, operations: [getDepartmentBudgets, getHeadcount] }
`;

const DATA_POLICIES = `apiVersion: warden.dev/v1
kind: DataPolicy
metadata: { name: eu-residency }
spec:
  description: EU data is read only by agents running in the EU
  residency:
    - { dataRegions: [eu], agentRegions: [eu] }
---
apiVersion: warden.dev/v1
kind: DataPolicy
metadata: { name: health-for-care }
spec:
  appliesTo: { dataClasses: [health] }
  purposes: { allow: [care, billing], deny: [training] }
---
apiVersion: warden.dev/v1
kind: DataPolicy
metadata: { name: no-training }
spec:
  appliesTo: { apis: [tickets] }
  purposes: { deny: [training] }
`;

/** Agent name → API key id, roles and the data-related spec lines. */
const AGENTS: Record<string, { key: string; roles: string[]; extra?: string }> = {
  'task-agent': { key: 'key_taskagent1', roles: ['task-orders'], extra: 'deploymentRegion: eu-west-1' },
  'purpose-agent': { key: 'key_purposeagent1', roles: ['ticket-support'], extra: 'purposes: [support, reporting]' },
  'analytics-agent': { key: 'key_analyticsagent1', roles: ['ticket-reader'] },
  'claims-agent': { key: 'key_claimsagent1', roles: ['claims-reader'] },
  'eu-agent': { key: 'key_euagent1', roles: ['shop-reader'], extra: 'deploymentRegion: eu-central-1' },
  'us-agent': { key: 'key_usagent1', roles: ['shop-reader', 'ticket-reader'], extra: 'deploymentRegion: us-east-1' },
  'roaming-agent': { key: 'key_roamingagent1', roles: ['shop-reader', 'ticket-reader'] },
  'planner-agent': { key: 'key_planneragent1', roles: ['hr-planning'] },
};

const AGENTS_YAML = Object.entries(AGENTS)
  .map(([name, { key, roles, extra }]) => `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: ${name} }
spec:
  owner: owner@example.com
  purpose: Reads task-bound data in the gateway tests
  roles: [${roles.join(', ')}]
  state: active
  credentials: [{ type: apiKey, id: ${key} }]
${extra === undefined ? '' : `  ${extra}\n`}`)
  .join('---\n');

// ---------------------------------------------------------------------------------------
// The upstream's answers: records of the task's customer C-1 and of others.

const OTHER_CUSTOMER = { orderId: 'O-77', customerId: 'C-2', name: 'Zelda Quartermaine', email: 'zelda.quartermaine@other.example', street: '17 Wisteria Lane', total: 991.37 };

const ORDERS = [
  { orderId: 'O-1', customerId: 'C-1', total: 10 },
  { orderId: 'O-2', customerId: 'C-2', total: 20 },
  { orderId: 'O-3', customerId: 'C-1', total: 30 },
  { orderId: 'O-4', customerId: 'C-3', total: 40 },
  // Not shown to be the task's: no field, null, an object.
  { orderId: 'O-5', total: 50 },
  { orderId: 'O-6', customerId: null, total: 60 },
  { orderId: 'O-7', customerId: { id: 'C-1' }, total: 70 },
];

/** Upstream answers by request target; anything else is a JSON echo of the request line. */
const ANSWERS: Record<string, unknown> = {
  '/shop/orders': ORDERS,
  '/shop/search': { records: ORDERS.slice(0, 4), total: 4, nextCursor: 'cursor-2' },
  '/shop/orders/O-1': ORDERS[0],
  '/shop/orders/O-77': OTHER_CUSTOMER,
  '/shop/orders/O-404': { error: 'not_found', message: 'there is no such order' },
};

/** Answers that are not 200, by request target. */
const STATUSES: Record<string, number> = { '/shop/orders/O-404': 404 };

type Upstream = Awaited<ReturnType<typeof startEchoUpstream>>;

interface Problem {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly requestId: string;
  readonly alternatives?: readonly { api: string; operation: string; method: string; path: string; summary?: string; why: string }[];
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/**
 * Calls as one agent (its API key, and a Warden-Context token when given) and finds each
 * request's single audit record, after checking every request so far left exactly one.
 */
class Client {
  sent = 0;
  constructor(private readonly h: Harness, private readonly upstream: Upstream) {}

  async send(as: string, target: string, context?: string): Promise<Answer> {
    this.upstream.seen.length = 0;
    this.sent++;
    const headers: Record<string, string> = { authorization: `Bearer ${this.h.keys[AGENTS[as]!.key]!}` };
    if (context !== undefined) headers['warden-context'] = context;
    const response = await fetch(`${this.h.url}${target}`, { headers });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  async recordOf(answer: Answer): Promise<AuditEvent> {
    const requestId = answer.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const all = await this.h.auditEvents(this.sent);
    expect(all).toHaveLength(this.sent);
    const mine = all.filter((event) => event.requestId === requestId);
    expect(mine).toHaveLength(1);
    return mine[0]!;
  }

  /** A forwarded answer: 200, the upstream saw the call once, allowed in the record. */
  async expectForwarded(answer: Answer, caller: string): Promise<{ body: unknown; event: AuditEvent }> {
    expect({ status: answer.status, body: answer.text }).toMatchObject({ status: 200 });
    expect(this.upstream.seen).toHaveLength(1);
    expect(this.upstream.seen[0]!.headers['warden-context']).toBeUndefined();
    const event = await this.recordOf(answer);
    expect(event.decision).toMatchObject({ outcome: 'allow', reason: 'GRANTED' });
    expect(event.agent?.name).toBe(caller);
    return { body: JSON.parse(answer.text) as unknown, event };
  }

  /**
   * A refusal: the problem document with this code, and a deny record. `forwarded` says
   * whether the upstream was asked (a refused answer) or not (a refused call).
   */
  async expectRefused(answer: Answer, expected: { status: number; code: ErrorCode; forwarded?: boolean }): Promise<{ problem: Problem; event: AuditEvent }> {
    expect({ status: answer.status, body: answer.text }).toMatchObject({ status: expected.status });
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    const problem = JSON.parse(answer.text) as Problem;
    expect(problem).toMatchObject({ code: expected.code, status: expected.status, title: errorDefinition(expected.code).meaning, requestId: answer.headers.get('x-request-id') });
    expect(this.upstream.seen).toHaveLength(expected.forwarded === true ? 1 : 0);
    const event = await this.recordOf(answer);
    expect(event.decision).toMatchObject({ outcome: 'deny', reason: expected.code, monitored: false });
    expect(event.http.status).toBe(expected.status);
    return { problem, event };
  }
}

describe('task-bound data through the gateway', () => {
  let upstream: Upstream;
  let h: Harness;
  let client: Client;
  let orchestrator: TestIssuer;
  let impostor: TestIssuer;

  beforeAll(async () => {
    [orchestrator, impostor] = await Promise.all([createTestIssuer(ORCHESTRATOR), createTestIssuer(ORCHESTRATOR)]);
    upstream = await startEchoUpstream((req, res) => {
      const known = ANSWERS[req.url!];
      const text = JSON.stringify(known ?? { method: req.method, url: req.url });
      res.writeHead(STATUSES[req.url!] ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    h = await startHarness({
      manifests: { 'apis.yaml': APIS, 'roles.yaml': ROLES, 'agents.yaml': AGENTS_YAML, 'data-policies.yaml': DATA_POLICIES },
      upstreamUrl: upstream.url,
      apiKeys: Object.values(AGENTS).map((agent) => agent.key),
      files: { 'orchestrator-jwks.json': JSON.stringify(orchestrator.jwks) },
      config: { identity: { context: [{ issuer: ORCHESTRATOR, audiences: ['warden'], keys: { jwksFile: 'orchestrator-jwks.json' }, algorithms: ['RS256'] }] } },
    });
    client = new Client(h, upstream);
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  /** A Warden-Context token for `agent`, signed by the trusted orchestrator. */
  const token = (agent: string, claims: Record<string, unknown>) => orchestrator.sign({ sub: agent, ...claims });

  describe('rows bound to the task\'s customer', () => {
    it('keeps only the task customer\'s records of a list answer and counts the rest as withheld in the audit record', async () => {
      const answer = await client.send('task-agent', '/shop/orders', await token('task-agent', { customer: 'C-1' }));
      const { body, event } = await client.expectForwarded(answer, 'task-agent');
      expect(body).toEqual([ORDERS[0], ORDERS[2]]);
      // Two of other customers, and three not shown to be anyone's: none reaches the agent.
      expect(event.data).toMatchObject({ records: 2, withheld: 5 });
      expect(event.context).toEqual({ customer: 'C-1' });
      expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength(answer.text)));
    });

    it('filters the records field of an envelope and leaves the envelope\'s other fields', async () => {
      const answer = await client.send('task-agent', '/shop/search', await token('task-agent', { customer: 'C-1' }));
      const { body, event } = await client.expectForwarded(answer, 'task-agent');
      expect(body).toEqual({ records: [ORDERS[0], ORDERS[2]], total: 4, nextCursor: 'cursor-2' });
      expect(event.data).toMatchObject({ records: 2, withheld: 2 });
    });

    it('binds another customer with another token: the same answer shows only that customer\'s records', async () => {
      const answer = await client.send('task-agent', '/shop/orders', await token('task-agent', { customer: 'C-3' }));
      const { body, event } = await client.expectForwarded(answer, 'task-agent');
      expect(body).toEqual([ORDERS[3]]);
      expect(event.data).toMatchObject({ records: 1, withheld: 6 });
    });

    it('compares numbers by their text: a numeric claim matches a numeric or a string field of the same digits', async () => {
      ANSWERS['/shop/orders'] = [{ orderId: 'N-1', customerId: 1042 }, { orderId: 'N-2', customerId: '1042' }, { orderId: 'N-3', customerId: 10420 }, { orderId: 'N-4', customerId: '01042' }];
      try {
        const answer = await client.send('task-agent', '/shop/orders', await token('task-agent', { customer: 1042 }));
        const { body, event } = await client.expectForwarded(answer, 'task-agent');
        expect(body).toEqual([{ orderId: 'N-1', customerId: 1042 }, { orderId: 'N-2', customerId: '1042' }]);
        expect(event.data).toMatchObject({ records: 2, withheld: 2 });
      } finally {
        ANSWERS['/shop/orders'] = ORDERS;
      }
    });

    it('returns an empty list, not a refusal, when no record is the task\'s', async () => {
      const answer = await client.send('task-agent', '/shop/orders', await token('task-agent', { customer: 'C-9' }));
      const { body, event } = await client.expectForwarded(answer, 'task-agent');
      expect(body).toEqual([]);
      expect(event.data).toMatchObject({ records: 0, withheld: 7 });
    });

    it('passes a single record of the task\'s customer unchanged', async () => {
      const answer = await client.send('task-agent', '/shop/orders/O-1', await token('task-agent', { customer: 'C-1' }));
      const { body } = await client.expectForwarded(answer, 'task-agent');
      expect(body).toEqual(ORDERS[0]);
    });

    it('refuses a single record of another customer with 403 WARDEN_DATA_ROW_NOT_BOUND: the record never reaches the agent', async () => {
      const answer = await client.send('task-agent', '/shop/orders/O-77', await token('task-agent', { customer: 'C-1' }));
      // The upstream was asked; its answer is what is refused.
      const { problem, event } = await client.expectRefused(answer, { status: 403, code: 'WARDEN_DATA_ROW_NOT_BOUND', forwarded: true });
      expect(problem.detail).toContain('customerId == ${context.customer}');
      expect(event.api).toMatchObject({ name: 'shop', operation: 'getOrder' });
      expect(event.context).toEqual({ customer: 'C-1' });
      for (const value of [OTHER_CUSTOMER.customerId, OTHER_CUSTOMER.name, OTHER_CUSTOMER.email, OTHER_CUSTOMER.street, String(OTHER_CUSTOMER.total)]) {
        expect(answer.text).not.toContain(value);
      }
    });

    it('keeps every field value of the other customer\'s record out of the audit record of the refusal', async () => {
      const answer = await client.send('task-agent', '/shop/orders/O-77', await token('task-agent', { customer: 'C-1' }));
      const { event } = await client.expectRefused(answer, { status: 403, code: 'WARDEN_DATA_ROW_NOT_BOUND', forwarded: true });
      const record = JSON.stringify(event);
      // The order id is in the path the agent asked for; nothing of the answer is recorded.
      for (const value of [OTHER_CUSTOMER.customerId, OTHER_CUSTOMER.name, OTHER_CUSTOMER.email, OTHER_CUSTOMER.street, String(OTHER_CUSTOMER.total), 'Zelda', 'other.example']) {
        expect(record).not.toContain(value);
      }
      expect(event.data?.withheld).toBeUndefined();
    });

    it('passes on the upstream\'s 404 for a missing record: an error document is no record of another customer', async () => {
      const answer = await client.send('task-agent', '/shop/orders/O-404', await token('task-agent', { customer: 'C-1' }));
      // Refusing it as WARDEN_DATA_ROW_NOT_BOUND hides the 404 from the agent and records (and
      // alerts on) a cross-customer read that never happened.
      expect({ status: answer.status, body: answer.text }).toMatchObject({ status: 404 });
      const event = await client.recordOf(answer);
      expect(event.decision.reason).not.toBe('WARDEN_DATA_ROW_NOT_BOUND');
      expect(event.http.status).toBe(404);
    });

    it('refuses a rows-bound call whose context token lacks the customer claim, or that has no token, with WARDEN_AUTHZ_CONTEXT_MISSING', async () => {
      const withoutCustomer = await client.send('task-agent', '/shop/orders', await token('task-agent', { ticket: 'T-42' }));
      const { problem } = await client.expectRefused(withoutCustomer, { status: 403, code: 'WARDEN_AUTHZ_CONTEXT_MISSING' });
      expect(problem.detail).toContain('customer');
      await client.expectRefused(await client.send('task-agent', '/shop/orders'), { status: 403, code: 'WARDEN_AUTHZ_CONTEXT_MISSING' });
      await client.expectRefused(await client.send('task-agent', '/shop/orders/O-1'), { status: 403, code: 'WARDEN_AUTHZ_CONTEXT_MISSING' });
    });

    const forged: [string, () => Promise<string>][] = [
      ['unsigned (alg: none)', () => Promise.resolve(unsecuredToken(ORCHESTRATOR, { sub: 'task-agent', customer: 'C-2' }))],
      ['signed by a key the gateway does not trust', () => impostor.sign({ sub: 'task-agent', customer: 'C-2' })],
      ['with the customer claim changed after signing', async () => tamperedPayload(await token('task-agent', { customer: 'C-1' }), { customer: 'C-2' })],
    ];
    it.each(forged)('binds nothing with a context token %s: 401 WARDEN_CONTEXT_INVALID, nothing forwarded, no claims recorded', async (_, make) => {
      const context = await make();
      for (const target of ['/shop/orders', '/shop/orders/O-77']) {
        const answer = await client.send('task-agent', target, context);
        expect(answer.headers.get('www-authenticate')).toContain('Warden-Context');
        const { event } = await client.expectRefused(answer, { status: 401, code: 'WARDEN_CONTEXT_INVALID' });
        expect(event.context).toBeUndefined();
      }
    });
  });

  describe('purposes', () => {
    it('refuses an agent with declared purposes that names none, or another one, and names the purposes it may declare', async () => {
      const none = await client.expectRefused(await client.send('purpose-agent', '/tickets/tickets'), { status: 403, code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED' });
      expect(none.problem.detail).toBe('agent purpose-agent must declare its purpose (support, reporting) in the purpose claim of its Warden-Context token');
      const other = await client.expectRefused(await client.send('purpose-agent', '/tickets/tickets', await token('purpose-agent', { purpose: 'marketing' })), { status: 403, code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED' });
      expect(other.problem.detail).toBe('agent purpose-agent may act only for support, reporting, not for marketing');
      expect(other.event.context).toEqual({ purpose: 'marketing' });
    });

    it('refuses a purpose the agent may declare but the grant does not serve, and forwards the one it serves', async () => {
      const reporting = await client.send('purpose-agent', '/tickets/tickets', await token('purpose-agent', { purpose: 'reporting' }));
      const { problem } = await client.expectRefused(reporting, { status: 403, code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED' });
      expect(problem.detail).toBe('this grant serves only support; not for reporting');
      // The grant's rule stays internal.
      expect(reporting.text).not.toContain('support-tickets');
      expect(reporting.text).not.toContain('ticket-support');

      const support = await client.send('purpose-agent', '/tickets/tickets', await token('purpose-agent', { purpose: 'support' }));
      const { event } = await client.expectForwarded(support, 'purpose-agent');
      expect(event.context).toEqual({ purpose: 'support' });
    });

    it('applies a data policy\'s allow list over a grant that allows the call, naming the policy and the allowed purposes', async () => {
      const none = await client.expectRefused(await client.send('claims-agent', '/claims/claims'), { status: 403, code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED' });
      expect(none.problem.detail).toMatch(/^data policy health-for-care allows claims\.listClaims only for care, billing; the call declares no purpose/);
      const marketing = await client.expectRefused(await client.send('claims-agent', '/claims/claims', await token('claims-agent', { purpose: 'marketing' })), { status: 403, code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED' });
      expect(marketing.problem.detail).toMatch(/^data policy health-for-care allows claims\.listClaims only for care, billing; not for marketing/);
      await client.expectForwarded(await client.send('claims-agent', '/claims/claims', await token('claims-agent', { purpose: 'billing' })), 'claims-agent');
    });

    it('refuses a purpose a data policy denies, and only that one', async () => {
      const training = await client.expectRefused(await client.send('claims-agent', '/claims/claims', await token('claims-agent', { purpose: 'training' })), { status: 403, code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED' });
      expect(training.problem.detail).toMatch(/^data policy health-for-care never allows claims\.listClaims for training/);

      // A deny list alone: every other purpose, and none at all, still passes.
      const denied = await client.expectRefused(await client.send('analytics-agent', '/tickets/tickets', await token('analytics-agent', { purpose: 'training' })), { status: 403, code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED' });
      expect(denied.problem.detail).toBe('data policy no-training never allows tickets.listTickets for training');
      await client.expectForwarded(await client.send('analytics-agent', '/tickets/tickets', await token('analytics-agent', { purpose: 'analytics' })), 'analytics-agent');
      await client.expectForwarded(await client.send('analytics-agent', '/tickets/tickets'), 'analytics-agent');
    });

    it('does not take the purpose from a context token the gateway cannot verify', async () => {
      const forged = unsecuredToken(ORCHESTRATOR, { sub: 'claims-agent', purpose: 'care' });
      await client.expectRefused(await client.send('claims-agent', '/claims/claims', forged), { status: 401, code: 'WARDEN_CONTEXT_INVALID' });
    });
  });

  describe('data residency', () => {
    it('refuses an agent deployed outside the regions that may read the API\'s data, naming the rule, the regions and where it runs', async () => {
      const { problem, event } = await client.expectRefused(await client.send('us-agent', '/shop/orders'), { status: 403, code: 'WARDEN_DATA_REGION_NOT_ALLOWED' });
      expect(problem.detail).toMatch(/^shop\.listOrders reads data kept in eu-west-1, which data policy eu-residency lets only agents deployed in eu read, not in us-east-1/);
      expect(event.api).toMatchObject({ name: 'shop', operation: 'listOrders' });
    });

    it('refuses an agent that declares no deployment region where residency applies', async () => {
      const { problem } = await client.expectRefused(await client.send('roaming-agent', '/shop/orders'), { status: 403, code: 'WARDEN_DATA_REGION_NOT_ALLOWED' });
      expect(problem.detail).toMatch(/^shop\.listOrders reads data kept in eu-west-1, which data policy eu-residency lets only agents deployed in eu read; agent roaming-agent declares no deploymentRegion/);
    });

    it('allows an agent deployed in a sub-region of an allowed region', async () => {
      const { body } = await client.expectForwarded(await client.send('eu-agent', '/shop/orders'), 'eu-agent');
      // Without a rows rule the whole answer passes.
      expect(body).toEqual(ORDERS);
    });

    it('does not govern an API without a dataRegion, for any agent', async () => {
      await client.expectForwarded(await client.send('us-agent', '/tickets/tickets'), 'us-agent');
      await client.expectForwarded(await client.send('roaming-agent', '/tickets/tickets'), 'roaming-agent');
    });

    it('offers no alternative that the same residency rule refuses', async () => {
      // shop.getOrder keeps its data in the same region: the agent is refused it as well ...
      await client.expectRefused(await client.send('us-agent', '/shop/orders/O-1'), { status: 403, code: 'WARDEN_DATA_REGION_NOT_ALLOWED' });
      // ... so the denial of shop.listOrders must not send the agent there.
      const { problem } = await client.expectRefused(await client.send('us-agent', '/shop/orders'), { status: 403, code: 'WARDEN_DATA_REGION_NOT_ALLOWED' });
      expect(problem.alternatives?.map((alternative) => `${alternative.api}.${alternative.operation}`) ?? []).not.toContain('shop.getOrder');
      expect(problem.detail).not.toMatch(/one order.* available/);
      // What it can read from where it runs: the tickets, which keep no data region.
      expect(problem.detail).toMatch(/; no access to orders \(pii\); support tickets is available$/);
      expect(problem.alternatives?.map((alternative) => `${alternative.api}.${alternative.operation}`)).toEqual(['tickets.listTickets']);
    });
  });

  describe('the data hint of a denial', () => {
    it('names the data withheld with its classes and the readable data the agent can have instead', async () => {
      const { problem } = await client.expectRefused(await client.send('planner-agent', '/hr/salaries'), { status: 403, code: 'WARDEN_AUTHZ_NOT_GRANTED' });
      expect(problem.detail).toBe('this agent has no grant for hr.listSalaries; no access to salaries (financial, pii); department budgets and headcount per department are available');
      expect(problem.alternatives).toEqual([
        { api: 'hr', operation: 'getDepartmentBudgets', method: 'GET', path: '/hr/departments/budgets', summary: 'Department budgets', why: 'same API; also financial' },
        { api: 'hr', operation: 'getHeadcount', method: 'GET', path: '/hr/headcount', summary: 'Headcount per department', why: expect.stringContaining('same API') },
      ]);
      // What it points to is really there for this agent.
      await client.expectForwarded(await client.send('planner-agent', '/hr/departments/budgets'), 'planner-agent');
      await client.expectForwarded(await client.send('planner-agent', '/hr/headcount'), 'planner-agent');
    });

    it('ends a data-policy refusal of an operation with data classes with the hint as well', async () => {
      const { problem } = await client.expectRefused(await client.send('claims-agent', '/claims/claims'), { status: 403, code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED' });
      // claims-agent can read nothing else: the hint says how to get it instead.
      expect(problem.detail).toMatch(/; no access to insurance claims \(health\); request access if the task needs it$/);
    });

    it('adds no data hint to the denial of an operation that holds no data classes', async () => {
      const { problem } = await client.expectRefused(await client.send('purpose-agent', '/tickets/tickets'), { status: 403, code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED' });
      expect(problem.detail).not.toContain('no access to');
    });
  });
});
