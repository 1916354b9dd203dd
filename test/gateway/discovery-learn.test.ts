import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { startEchoUpstream, startHarness, type Harness } from '../support/gateway-harness.js';
import { buildRawRequest, rawRequest } from '../support/raw-http.js';

/*
 * The gateway's own traffic as a discovery source (docs/gateway.md, "Learning unknown paths"):
 * under an Api with `discovery: learn`, a path no operation declares is recorded against that
 * API (`api.undeclared`); in monitor mode it is forwarded like a declared call, in enforce
 * mode it is still a 404 that never reaches the upstream. Real gateway, real upstream.
 */

const SECRET_ENV = 'WARDEN_TEST_LEARN_BILLING_KEY';
const SECRET = 'billing-upstream-secret-7c41e0';
const KEYS = { support: 'key_learnsupport1', suspended: 'key_learnsuspend1', tester: 'key_learntester01' } as const;

/** Enforce-mode crm and monitor-mode billing learn; hr (monitor) and legacy (enforce) do not. */
const APIS = `apiVersion: warden.dev/v1
kind: Api
metadata: { name: crm }
spec:
  owner: crm-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /crm
  discovery: learn
  sensitivity: confidential
  dataClasses: [pii]
  operations:
    - { id: getCustomer, method: GET, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: billing }
spec:
  owner: billing-team@example.com
  upstream:
    url: "\${UPSTREAM}"
    auth: { type: header, header: X-Api-Key, secret: "env:${SECRET_ENV}" }
    staging: "\${UPSTREAM}/staging"
  basePath: /billing
  mode: monitor
  discovery: learn
  sensitivity: restricted
  dataClasses: [financial]
  operations:
    - { id: getInvoice, method: GET, path: "/invoices/{invoiceId}", parameters: [{ name: invoiceId, in: path }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: hr }
spec:
  owner: hr-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /hr
  mode: monitor
  operations:
    - { id: getEmployee, method: GET, path: "/employees/{employeeId}", parameters: [{ name: employeeId, in: path }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: legacy }
spec:
  owner: legacy-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /legacy
  operations:
    - { id: getThing, method: GET, path: "/things/{thingId}", parameters: [{ name: thingId, in: path }] }
`;
// An API-wide limit of one call a minute on billing: undeclared calls do not count against it.
const ROLE = `apiVersion: warden.dev/v1
kind: Role
metadata: { name: reader }
spec:
  limits: [{ id: billing-overall, api: billing, rate: 1/min }]
  grants:
    - { api: crm, operations: [getCustomer] }
    - { api: billing, operations: [getInvoice] }
    - { api: hr, operations: [getEmployee] }
    - { api: legacy, operations: [getThing] }
`;

function agent(name: string, state: string, keyId: string): string {
  return `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: ${name} }
spec:
  owner: owner@example.com
  purpose: Calls undeclared paths in the discovery tests
  roles: [reader]
  state: ${state}
  credentials: [{ type: apiKey, id: ${keyId} }]
`;
}
const AGENTS = [agent('support-bot', 'active', KEYS.support), agent('suspended-bot', 'suspended', KEYS.suspended), agent('tester-bot', 'testing', KEYS.tester)].join('---\n');

type Upstream = Awaited<ReturnType<typeof startEchoUpstream>>;

/** Echoes method and target, except `…/teapot`, which answers 418: the agent must get the upstream's status. */
function startUpstream(): Promise<Upstream> {
  return startEchoUpstream((req, res) => {
    const text = JSON.stringify({ method: req.method, url: req.url });
    res.writeHead(req.url!.endsWith('/teapot') ? 418 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}

interface Sent {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  readonly requestId: string;
}

/** Calls the gateway as the agent holding `key` (none: no credential). */
async function call(h: Harness, path: string, options: { key?: string | undefined; method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Sent> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  const response = await fetch(h.url + path, { method: options.method ?? 'GET', headers, ...(options.body !== undefined ? { body: options.body } : {}) });
  return { status: response.status, headers: response.headers, body: await response.text(), requestId: response.headers.get('x-request-id') ?? '' };
}

/** The audit record of one request (written once its response closed). */
async function recordOf(h: Harness, requestId: string): Promise<AuditEvent> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const event = (await h.auditEvents()).find((candidate) => candidate.requestId === requestId);
    if (event !== undefined) return event;
    if (Date.now() > deadline) throw new Error(`no audit record for request ${requestId}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const undeclared = (name: string, sensitivity: string, dataClasses: string[]) => ({ name, operation: '', template: '', sensitivity, dataClasses, undeclared: true });

describe('learning unknown paths (gateway in enforce mode)', () => {
  let upstream: Upstream;
  let h: Harness;

  beforeAll(async () => {
    upstream = await startUpstream();
    h = await startHarness({ manifests: { 'apis.yaml': APIS, 'role.yaml': ROLE, 'agents.yaml': AGENTS }, upstreamUrl: upstream.url, apiKeys: Object.values(KEYS), env: { [SECRET_ENV]: SECRET } });
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  describe('an API in enforce mode refuses the undeclared path but names itself in the record', () => {
    it.each([
      ['a deeper path', 'GET', '/crm/customers/C-1/orders'],
      ['the base path itself', 'GET', '/crm'],
      ['another method on a declared path', 'DELETE', '/crm/customers/C-1'],
    ])('%s: 404 WARDEN_ROUTE_NOT_FOUND, nothing forwarded, recorded as undeclared crm', async (_, method, path) => {
      const sent = await call(h, path, { key: h.keys[KEYS.support], method });
      const problem = JSON.parse(sent.body) as { code: string; alternatives: { operation: string }[]; requestAccess: string };
      expect({ status: sent.status, code: problem.code }).toEqual({ status: 404, code: 'WARDEN_ROUTE_NOT_FOUND' });
      // The same answer as without discovery: what the agent may call instead, and where to ask.
      expect(problem.alternatives.map((alternative) => alternative.operation)).toContain('getCustomer');
      expect(problem.requestAccess).toBe('/.warden/access-requests');
      expect(upstream.seen).toEqual([]);
      const event = await recordOf(h, sent.requestId);
      expect(event.api).toEqual(undeclared('crm', 'confidential', ['pii']));
      expect(event.decision).toMatchObject({ outcome: 'deny', reason: 'WARDEN_ROUTE_NOT_FOUND', monitored: false });
      expect(event.http).toMatchObject({ method, canonicalPath: path, status: 404 });
      expect(event.agent?.name).toBe('support-bot');
    });

    it('a suspended agent gets the 404 too, and nothing is forwarded', async () => {
      const sent = await call(h, '/crm/exports', { key: h.keys[KEYS.suspended] });
      expect(sent.status).toBe(404);
      expect(upstream.seen).toEqual([]);
      expect((await recordOf(h, sent.requestId)).api).toEqual(undeclared('crm', 'confidential', ['pii']));
    });
  });

  it.each([
    ['outside every base path', '/nowhere/at/all'],
    ['/crmx, which only starts with /crm', '/crmx/customers'],
    ['under an enforce-mode API that does not learn', '/legacy/unknown'],
    ['under a monitor-mode API that does not learn', '/hr/unknown'],
  ])('a path %s stays an anonymous 404', async (_, path) => {
    const sent = await call(h, path, { key: h.keys[KEYS.support] });
    expect({ status: sent.status, code: (JSON.parse(sent.body) as { code: string }).code }).toEqual({ status: 404, code: 'WARDEN_ROUTE_NOT_FOUND' });
    expect(upstream.seen).toEqual([]);
    const event = await recordOf(h, sent.requestId);
    expect(event.api).toBeUndefined();
    expect(event.decision.outcome).toBe('deny');
  });

  describe('an API in monitor mode forwards the undeclared path like a declared call', () => {
    it('sends the canonical path with the gateway\'s upstream credential, without the agent\'s identity headers', async () => {
      const sent = await call(h, '/billing/inv%6fices/%c3%a9/lines?page=2', {
        key: h.keys[KEYS.support],
        headers: { 'x-api-key': 'agent-chosen-key', 'x-warden-agent': 'someone-else', 'x-forwarded-for': '203.0.113.9', 'warden-context': 'not-a-token' },
      });
      expect(sent.status).toBe(200);
      expect(upstream.seen.map((seen) => `${seen.method} ${seen.url}`)).toEqual(['GET /billing/invoices/%C3%A9/lines?page=2']);
      const seen = upstream.seen[0]!;
      expect(seen.headers['x-api-key']).toBe(SECRET);
      expect(seen.headers['x-warden-agent']).toBe('support-bot');
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen.headers.authorization).toBeUndefined();
      expect(seen.headers['warden-context']).toBeUndefined();
      expect(JSON.stringify(seen.rawHeaders)).not.toContain(h.keys[KEYS.support]);

      const event = await recordOf(h, sent.requestId);
      expect(event.api).toEqual(undeclared('billing', 'restricted', ['financial']));
      expect(event.decision).toMatchObject({ outcome: 'would-deny', reason: 'WARDEN_ROUTE_NOT_FOUND', monitored: true });
      expect(event.http).toMatchObject({ rawPath: '/billing/inv%6fices/%c3%a9/lines', canonicalPath: '/billing/invoices/%C3%A9/lines', queryParams: ['page'], status: 200 });
      expect(event.http.upstreamMs).toBeTypeOf('number');
      expect(JSON.stringify(event)).not.toContain(SECRET);
    });

    it('returns the upstream\'s status to the agent', async () => {
      const sent = await call(h, '/billing/teapot', { key: h.keys[KEYS.support] });
      expect(sent.status).toBe(418);
      expect(upstream.seen).toHaveLength(1);
      expect((await recordOf(h, sent.requestId)).http.status).toBe(418);
    });

    it('streams a body through, and still refuses a body without a Content-Type', async () => {
      const sent = await call(h, '/billing/payments', { key: h.keys[KEYS.support], method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":12}' });
      expect(sent.status).toBe(200);
      expect(upstream.seen.map((seen) => [seen.method, seen.url, seen.body])).toEqual([['POST', '/billing/payments', '{"amount":12}']]);
      upstream.seen.length = 0;
      // fetch() always sends a Content-Type with a body: written by hand.
      const untyped = await rawRequest(h.url, buildRawRequest(h.url, { method: 'POST', target: '/billing/payments', headers: [['Authorization', `Bearer ${h.keys[KEYS.support]}`]], body: 'amount=12' }));
      expect({ status: untyped.status, code: (JSON.parse(untyped.body) as { code: string }).code }).toEqual({ status: 400, code: 'WARDEN_REQUEST_BODY_MALFORMED' });
      expect(upstream.seen).toEqual([]);
    });

    it('counts against no limit: the role\'s API-wide limit on billing is left for declared calls', async () => {
      for (const path of ['/billing/a', '/billing/b']) {
        const sent = await call(h, path, { key: h.keys[KEYS.support] });
        expect(sent.status).toBe(200);
        expect(sent.headers.get('ratelimit')).toBeNull();
        expect((await recordOf(h, sent.requestId)).limits).toBeUndefined();
      }
      const declared = await call(h, '/billing/invoices/I-1', { key: h.keys[KEYS.support] });
      expect(declared.headers.get('ratelimit')).toContain('"api-1";r=0');
    });

    it('sends an agent in acceptance testing to the staging upstream', async () => {
      const sent = await call(h, '/billing/reports', { key: h.keys[KEYS.tester] });
      expect(sent.status).toBe(200);
      expect(upstream.seen.map((seen) => seen.url)).toEqual(['/staging/billing/reports']);
    });

    it('refuses an unidentified caller before anything is learned', async () => {
      const sent = await call(h, '/billing/reports', { key: undefined });
      expect(sent.status).toBe(401);
      expect(upstream.seen).toEqual([]);
      expect((await recordOf(h, sent.requestId)).api).toBeUndefined();
    });
  });

  it.each([
    ['an encoded slash', '/billing/a%2Fb'],
    ['a dot segment', '/billing/a/../b'],
  ])('refuses %s with 400 before routing, learning API or not', async (_, target) => {
    const response = await rawRequest(h.url, buildRawRequest(h.url, { target, headers: [['Authorization', `Bearer ${h.keys[KEYS.support]}`]] }));
    expect({ status: response.status, code: (JSON.parse(response.body) as { code: string }).code }).toEqual({ status: 400, code: 'WARDEN_REQUEST_NOT_CANONICAL' });
    expect(upstream.seen).toEqual([]);
    const event = await recordOf(h, response.headers['x-request-id']!);
    expect(event.api).toBeUndefined();
    expect(event.http.canonicalPath).toBeUndefined();
  });
});

describe('learning unknown paths (gateway in monitor mode)', () => {
  let upstream: Upstream;
  let h: Harness;

  beforeAll(async () => {
    upstream = await startUpstream();
    h = await startHarness({
      manifests: { 'apis.yaml': APIS, 'role.yaml': ROLE, 'agents.yaml': AGENTS },
      upstreamUrl: upstream.url,
      apiKeys: Object.values(KEYS),
      env: { [SECRET_ENV]: SECRET },
      config: { gateway: { mode: 'monitor' } },
    });
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  it('forwards the undeclared path of an API in enforce mode', async () => {
    const sent = await call(h, '/crm/customers/C-1/orders', { key: h.keys[KEYS.support] });
    expect(sent.status).toBe(200);
    expect(upstream.seen.map((seen) => seen.url)).toEqual(['/crm/customers/C-1/orders']);
    const event = await recordOf(h, sent.requestId);
    expect(event.api).toEqual(undeclared('crm', 'confidential', ['pii']));
    expect(event.decision).toMatchObject({ outcome: 'would-deny', reason: 'WARDEN_ROUTE_NOT_FOUND', monitored: true });
  });

  it('lets an unidentified caller through as global monitor mode does, with the identity failure as the reason', async () => {
    const sent = await call(h, '/crm/exports', { key: undefined });
    expect(sent.status).toBe(200);
    expect(upstream.seen).toHaveLength(1);
    const event = await recordOf(h, sent.requestId);
    expect(event.api).toEqual(undeclared('crm', 'confidential', ['pii']));
    expect(event.agent).toBeUndefined();
    expect(event.decision).toMatchObject({ outcome: 'would-deny', reason: 'WARDEN_AUTHN_MISSING' });
  });

  it.each([
    ['outside every base path', '/nowhere'],
    ['under an API that does not learn', '/hr/unknown'],
  ])('still refuses a path %s: there is nothing to forward it to', async (_, path) => {
    const sent = await call(h, path, { key: h.keys[KEYS.support] });
    expect(sent.status).toBe(404);
    expect(upstream.seen).toEqual([]);
    expect((await recordOf(h, sent.requestId)).api).toBeUndefined();
  });
});

describe('learning APIs that nest (`/` and `/crm`)', () => {
  let upstream: Upstream;
  let h: Harness;

  beforeAll(async () => {
    upstream = await startUpstream();
    // The upstream path prefixes tell which API a call was forwarded for.
    const apis = `apiVersion: warden.dev/v1
kind: Api
metadata: { name: edge }
spec:
  owner: platform@example.com
  upstream: { url: "\${UPSTREAM}/edge-service" }
  basePath: /
  mode: monitor
  discovery: learn
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: crm }
spec:
  owner: crm-team@example.com
  upstream: { url: "\${UPSTREAM}/crm-service" }
  basePath: /crm
  mode: monitor
  discovery: learn
  operations:
    - { id: getCustomer, method: GET, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
`;
    const role = 'apiVersion: warden.dev/v1\nkind: Role\nmetadata: { name: reader }\nspec:\n  grants: [{ api: crm, operations: [getCustomer] }]\n';
    h = await startHarness({ manifests: { 'apis.yaml': apis, 'role.yaml': role, 'agents.yaml': agent('support-bot', 'active', KEYS.support) }, upstreamUrl: upstream.url, apiKeys: [KEYS.support] });
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  it.each([
    ['/crm/segments', 'crm', '/crm-service/crm/segments'],
    ['/crm', 'crm', '/crm-service/crm'],
    ['/crmx', 'edge', '/edge-service/crmx'],
    ['/status/deep/path', 'edge', '/edge-service/status/deep/path'],
  ])('%s is learned by %s, the longest base path on a segment boundary', async (path, api, forwarded) => {
    const sent = await call(h, path, { key: h.keys[KEYS.support] });
    expect(sent.status).toBe(200);
    expect(upstream.seen.map((seen) => seen.url)).toEqual([forwarded]);
    const event = await recordOf(h, sent.requestId);
    expect(event.api).toMatchObject({ name: api, undeclared: true });
  });

  it('routes a declared operation as before', async () => {
    const sent = await call(h, '/crm/customers/C-1', { key: h.keys[KEYS.support] });
    expect(sent.status).toBe(200);
    expect(upstream.seen.map((seen) => seen.url)).toEqual(['/crm-service/crm/customers/C-1']);
    const event = await recordOf(h, sent.requestId);
    expect(event.api).toEqual({ name: 'crm', operation: 'getCustomer', template: '/crm/customers/{customerId}', sensitivity: 'internal', dataClasses: [] });
    expect(event.decision).toMatchObject({ outcome: 'allow', reason: 'GRANTED', monitored: false });
  });
});
