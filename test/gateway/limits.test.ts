import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { startEchoUpstream, startHarness, type Harness } from '../support/gateway-harness.js';

/**
 * Rate limits, quotas and adaptive shedding on real sockets: a gateway on port 0 in front of
 * a real upstream that counts what reaches it. A refused call must never reach the upstream,
 * must say when to come back, and must leave its audit record.
 */

const APIS = `apiVersion: warden.dev/v1
kind: Api
metadata: { name: crm }
spec:
  owner: crm-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /crm
  sensitivity: confidential
  operations:
    - { id: getCustomer, method: GET, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
    - { id: addNote, method: POST, path: "/customers/{customerId}/notes", parameters: [{ name: customerId, in: path }] }
    - { id: listCustomers, method: GET, path: "/customers" }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: payments }
spec:
  owner: payments-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /payments
  operations:
    - id: createRefund
      method: POST
      path: /refunds
      parameters:
        - { name: orderId, in: body }
        - { name: amount, in: body, type: number }
    - id: payout
      method: POST
      path: /payouts
      parameters:
        - { name: amount, in: body, type: number }
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
    - { id: getRecord, method: GET, path: "/records/{id}", parameters: [{ name: id, in: path }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: slow }
spec:
  owner: slow-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /slow
  protection: { maxLatencyMs: 40, windowSeconds: 2, minRequests: 4 }
  operations:
    - { id: work, method: GET, path: "/work" }
`;

const ROLES = `apiVersion: warden.dev/v1
kind: Role
metadata: { name: support }
spec:
  grants:
    - { id: read-customer, api: crm, operations: [getCustomer], rateLimit: 3/min }
    - { id: list-customers, api: crm, operations: [listCustomers], quotas: [{ id: records-read, limit: 5, per: hour, count: records }] }
    - { id: legacy-read, api: legacy, operations: [getRecord], rateLimit: 1/min }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: noter }
spec:
  limits:
    - { id: crm-overall, api: crm, rate: 2/min }
  grants:
    - { api: crm, operations: [getCustomer, addNote] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: refunder }
spec:
  grants:
    - id: refunds
      api: payments
      operations: [createRefund]
      quotas:
        - { id: large-refunds, limit: 2, per: day, where: { amount: { min: 100.01 } } }
    - id: payouts
      api: payments
      operations: [payout]
      quotas:
        - { id: payout-total, limit: 300, per: hour, sum: amount }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: confidential-reader }
spec:
  limits:
    - { sensitivity: confidential, rate: "1/min" }
  grants:
    - { api: crm, operations: [getCustomer] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: batch }
spec:
  priority: low
  grants:
    - { api: slow, operations: [work] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: everyday }
spec:
  grants:
    - { api: slow, operations: [work] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: incident-response }
spec:
  priority: critical
  grants:
    - { api: slow, operations: [work] }
`;

const AGENTS: Record<string, { key: string; roles: string[] }> = {
  'support-a': { key: 'key_supporta1', roles: ['support'] },
  'support-b': { key: 'key_supportb1', roles: ['support'] },
  noter: { key: 'key_noter0001', roles: ['noter'] },
  refunder: { key: 'key_refunder1', roles: ['refunder'] },
  'careful-reader': { key: 'key_careful01', roles: ['confidential-reader'] },
  'batch-bot': { key: 'key_batchbot1', roles: ['batch'] },
  'everyday-bot': { key: 'key_everyday1', roles: ['everyday'] },
  'responder-bot': { key: 'key_responder', roles: ['incident-response', 'batch'] },
};

// support-a holds a second key of its own: the limit is the agent's, whichever credential it uses.
const SECOND_KEY = 'key_supporta2';

function agentsYaml(): string {
  return Object.entries(AGENTS)
    .map(([name, { key, roles }]) => `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: ${name} }
spec:
  owner: owner@example.com
  purpose: Exercises limits in the gateway tests
  roles: [${roles.join(', ')}]
  state: active
  credentials: [{ type: apiKey, id: ${key} }${name === 'support-a' ? `, { type: apiKey, id: ${SECOND_KEY} }` : ''}]
`)
    .join('---\n');
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

describe('limits at the gateway', () => {
  let h: Harness;
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let slowMs = 0;
  const hits = (pathPrefix: string) => upstream.seen.filter((seen) => seen.url.startsWith(pathPrefix)).length;

  async function call(agent: string, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; key?: string } = {}): Promise<Answer> {
    const response = await fetch(`${h.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${h.keys[init.key ?? AGENTS[agent]!.key]}`,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text.length > 0 ? JSON.parse(text) : {} };
  }

  const lastRecord = async (requestId: string): Promise<AuditEvent> => {
    const events = await h.auditEvents();
    const deadline = Date.now() + 5000;
    let found = events.find((event) => event.requestId === requestId);
    while (found === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      found = (await h.auditEvents()).find((event) => event.requestId === requestId);
    }
    return found!;
  };

  beforeAll(async () => {
    upstream = await startEchoUpstream((req, res) => {
      const answer = (text: string) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.url === '/crm/customers') return answer(JSON.stringify([{ id: 'C-1' }, { id: 'C-2' }, { id: 'C-3' }]));
      if (req.url === '/slow/work') return void setTimeout(() => answer('{"done":true}'), slowMs);
      answer(JSON.stringify({ url: req.url }));
    });
    h = await startHarness({
      manifests: { 'apis.yaml': APIS, 'roles.yaml': ROLES, 'agents.yaml': agentsYaml() },
      upstreamUrl: upstream.url,
      apiKeys: [...Object.values(AGENTS).map((agent) => agent.key), SECOND_KEY],
    });
  });

  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });

  describe('a grant rate limit (3/min)', () => {
    it('lets the burst through, counting down in the RateLimit headers', async () => {
      for (const left of [2, 1, 0]) {
        const answer = await call('support-a', '/crm/customers/C-1');
        expect(answer.status).toBe(200);
        expect(answer.headers.get('ratelimit-policy')).toBe('"rate";q=3;w=60');
        expect(answer.headers.get('ratelimit')).toMatch(new RegExp(`^"rate";r=${left};t=\\d+$`));
      }
      expect(hits('/crm/customers/C-1')).toBe(3);
    });

    it('refuses the next call with 429, Retry-After and the RateLimit headers, without reaching the upstream', async () => {
      const before = hits('/crm/customers/C-1');
      const refused = await call('support-a', '/crm/customers/C-1');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(refused.body).toMatchObject({ code: 'WARDEN_RATE_LIMITED', status: 429 });
      // 3/min: one unit every 20 s; the bucket was emptied a moment ago.
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(19);
      expect(retryAfter).toBeLessThanOrEqual(20);
      expect(refused.headers.get('ratelimit-policy')).toBe('"rate";q=3;w=60');
      expect(refused.headers.get('ratelimit')).toBe(`"rate";r=0;t=${retryAfter}`);
      expect(hits('/crm/customers/C-1')).toBe(before);
      const record = await lastRecord(refused.body.requestId as string);
      expect(record.decision).toMatchObject({ outcome: 'deny', reason: 'WARDEN_RATE_LIMITED' });
      expect(record.limits).toEqual({ bucket: 'support/grants/read-customer', remaining: 0 });
    });

    it('keys the limit on the identified agent: spoofed forwarding and identity headers, another of its keys, another path change nothing', async () => {
      const spoofs: Record<string, string>[] = [
        { 'x-forwarded-for': '203.0.113.9' },
        { 'x-real-ip': '198.51.100.7', forwarded: 'for=192.0.2.60;proto=https' },
        { 'x-warden-agent': 'support-b', 'x-agent-id': 'support-b', 'x-client-id': 'support-b' },
      ];
      for (const headers of spoofs) {
        const answer = await call('support-a', '/crm/customers/C-2', { headers });
        expect([answer.status, answer.body.code]).toEqual([429, 'WARDEN_RATE_LIMITED']);
      }
      const otherKey = await call('support-a', '/crm/customers/C-3', { key: SECOND_KEY });
      expect([otherKey.status, otherKey.body.code]).toEqual([429, 'WARDEN_RATE_LIMITED']);
      expect(hits('/crm/customers/C-2') + hits('/crm/customers/C-3')).toBe(0);
    });

    it("never lets one agent's calls spend another's budget", async () => {
      for (let i = 0; i < 3; i++) expect((await call('support-b', '/crm/customers/C-1')).status).toBe(200);
      expect((await call('support-b', '/crm/customers/C-1')).status).toBe(429);
    });

    it('answers operations without limits without RateLimit headers', async () => {
      const answer = await call('refunder', '/payments/refunds', { method: 'POST', body: { orderId: 'O-1', amount: 10 } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit')).toBeNull();
    });
  });

  describe('a quota on a parameter value (at most 2 refunds over 100 a day)', () => {
    it('counts only the calls whose parameters match, and refuses the third large refund until the UTC day ends', async () => {
      for (let i = 0; i < 4; i++) expect((await call('refunder', '/payments/refunds', { method: 'POST', body: { orderId: `small-${i}`, amount: 100 } })).status).toBe(200);
      for (const orderId of ['large-1', 'large-2']) expect((await call('refunder', '/payments/refunds', { method: 'POST', body: { orderId, amount: 250 } })).status).toBe(200);
      const before = upstream.seen.length;
      const refused = await call('refunder', '/payments/refunds', { method: 'POST', body: { orderId: 'large-3', amount: 100.5 } });
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('WARDEN_QUOTA_EXCEEDED');
      const untilMidnight = Math.ceil((Math.ceil(Date.now() / 86_400_000) * 86_400_000 - Date.now()) / 1000);
      expect(Math.abs(Number(refused.headers.get('retry-after')) - untilMidnight)).toBeLessThanOrEqual(2);
      expect(refused.headers.get('ratelimit-policy')).toBe('"quota-1";q=2;w=86400');
      expect(upstream.seen.length).toBe(before);
      // Small refunds still pass: the quota counts only amounts over 100.
      expect((await call('refunder', '/payments/refunds', { method: 'POST', body: { orderId: 'small-5', amount: 20 } })).status).toBe(200);
      const record = await lastRecord(refused.body.requestId as string);
      expect(record.decision.reason).toBe('WARDEN_QUOTA_EXCEEDED');
      expect(record.limits).toEqual({ bucket: 'refunder/grants/refunds/quotas/large-refunds', remaining: 0 });
    });

    it('counts a call whose amount is missing: leaving a parameter out never dodges a quota', async () => {
      const refused = await call('refunder', '/payments/refunds', { method: 'POST', body: { orderId: 'no-amount' } });
      expect([refused.status, refused.body.code]).toEqual([429, 'WARDEN_QUOTA_EXCEEDED']);
    });
  });

  describe('a quota summing a parameter (at most 300 paid out an hour)', () => {
    it('adds the amounts and refuses the payout that would pass the total', async () => {
      expect((await call('refunder', '/payments/payouts', { method: 'POST', body: { amount: 100 } })).status).toBe(200);
      const second = await call('refunder', '/payments/payouts', { method: 'POST', body: { amount: 150 } });
      expect(second.status).toBe(200);
      expect(second.headers.get('ratelimit')).toMatch(/^"quota-1";r=50;t=\d+$/);
      const refused = await call('refunder', '/payments/payouts', { method: 'POST', body: { amount: 100 } });
      expect([refused.status, refused.body.code]).toEqual([429, 'WARDEN_QUOTA_EXCEEDED']);
      expect((await call('refunder', '/payments/payouts', { method: 'POST', body: { amount: 50 } })).status).toBe(200);
    });

    it('refuses a payout whose amount cannot be counted', async () => {
      for (const amount of ['lots', -5, null]) {
        const refused = await call('refunder', '/payments/payouts', { method: 'POST', body: { amount } });
        expect(refused.status, String(amount)).toBe(403);
        expect(refused.body.code).toBe('WARDEN_AUTHZ_PARAM_VIOLATION');
      }
    });
  });

  describe('a quota on records read (5 an hour)', () => {
    it('counts the records each answer returned and refuses once they are used up', async () => {
      // Each answer holds 3 records: 0 → 3 → 6 used; the third call finds nothing left.
      expect((await call('support-a', '/crm/customers')).status).toBe(200);
      const second = await call('support-a', '/crm/customers');
      expect(second.status).toBe(200);
      await h.auditEvents();
      const deadline = Date.now() + 2000;
      let refused = await call('support-a', '/crm/customers');
      while (refused.status === 200 && Date.now() < deadline) refused = await call('support-a', '/crm/customers');
      expect([refused.status, refused.body.code]).toEqual([429, 'WARDEN_QUOTA_EXCEEDED']);
      expect(hits('/crm/customers') - hits('/crm/customers/')).toBeLessThanOrEqual(3);
    });
  });

  describe("a role's limit over a whole API and over a sensitivity class", () => {
    it('counts every operation of the API together (2/min over crm)', async () => {
      expect((await call('noter', '/crm/customers/C-1')).status).toBe(200);
      expect((await call('noter', '/crm/customers/C-1/notes', { method: 'POST', body: { text: 'called back' } })).status).toBe(200);
      const refused = await call('noter', '/crm/customers/C-2');
      expect([refused.status, refused.body.code]).toEqual([429, 'WARDEN_RATE_LIMITED']);
      expect(refused.headers.get('ratelimit-policy')).toBe('"api-1";q=2;w=60');
      expect((await lastRecord(refused.body.requestId as string)).limits).toEqual({ bucket: 'noter/limits/crm-overall', remaining: 0 });
    });

    it('applies a limit on confidential APIs to crm', async () => {
      expect((await call('careful-reader', '/crm/customers/C-1')).status).toBe(200);
      const refused = await call('careful-reader', '/crm/customers/C-1');
      expect([refused.status, refused.body.code]).toEqual([429, 'WARDEN_RATE_LIMITED']);
      expect((await lastRecord(refused.body.requestId as string)).limits).toEqual({ bucket: 'confidential-reader/limits[0]', remaining: 0 });
    });
  });

  describe('monitor mode', () => {
    it('lets a call over the limit pass, recorded as would-deny', async () => {
      expect((await call('support-a', '/legacy/records/R-1')).status).toBe(200);
      const over = await call('support-a', '/legacy/records/R-2');
      expect(over.status).toBe(200);
      const record = await lastRecord(over.headers.get('x-request-id')!);
      expect(record.decision).toMatchObject({ outcome: 'would-deny', reason: 'WARDEN_RATE_LIMITED', monitored: true });
    });
  });

  describe('adaptive protection of a slow upstream', () => {
    it('sheds low and normal priority agents while it is overloaded, never critical ones, and resumes once it recovers', async () => {
      slowMs = 150;
      // Four slow answers (minRequests) in the two-second window (two, so a second boundary right
      // after them cannot empty it): 150 ms average, 3.75× the 40 ms threshold.
      await Promise.all([0, 1, 2, 3].map(() => call('everyday-bot', '/slow/work')));
      const low = await call('batch-bot', '/slow/work');
      expect([low.status, low.body.code]).toEqual([503, 'WARDEN_UPSTREAM_OVERLOADED']);
      expect(low.headers.get('retry-after')).toBe('2');
      const normal = await call('everyday-bot', '/slow/work');
      expect([normal.status, normal.body.code]).toEqual([503, 'WARDEN_UPSTREAM_OVERLOADED']);
      // The responder holds a low-priority role too: an agent has the highest priority of its roles.
      expect((await call('responder-bot', '/slow/work')).status).toBe(200);
      // A 503, so an error in the record like every 5xx; the reason says it was shed.
      expect((await lastRecord(low.body.requestId as string)).decision).toMatchObject({ outcome: 'error', reason: 'WARDEN_UPSTREAM_OVERLOADED' });
      // Fast again: once the slow seconds have left the window, everyone is served.
      slowMs = 0;
      await new Promise((resolve) => setTimeout(resolve, 2600));
      expect((await call('batch-bot', '/slow/work')).status).toBe(200);
    });
  });
});
