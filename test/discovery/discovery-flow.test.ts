import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeAgent, startGovernanceHarness, type GovernanceHarness, type Json } from '../support/governance-harness.js';

/**
 * Discovery end to end, as a team runs it: the gateway learns undeclared paths under an API
 * in monitor mode, `warden discover import --audit` (the built CLI, a child process) builds
 * the inventory from that audit log and a traffic file and records findings, and people
 * review them through the admin API and the CLI with their roles.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const ORDERS = `apiVersion: warden.dev/v1
kind: Api
metadata: { name: orders }
spec:
  owner: orders-team@example.com
  upstream: { url: "\${PRODUCTION}" }
  basePath: /orders
  mode: monitor
  discovery: learn
  operations:
    - { id: getOrder, method: GET, path: "/{orderId}", deprecated: true, parameters: [{ name: orderId, in: path }] }
    - { id: listOrders, method: GET, path: "/" }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: orders-reader }
spec:
  grants:
    - { id: orders-read, api: orders, operations: [getOrder, listOrders] }
`;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  json(): Json;
}

let h: GovernanceHarness;
let samTokenFile: string;
let trafficFile: string;

/** The built CLI in a child process; asynchronous, because the admin API it calls runs in this process. */
function warden(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/warden.js'), ...args], { cwd: h.directory, encoding: 'utf8', env: { ...process.env, WARDEN_DATA: h.dataDirectory, WARDEN_ADMIN_URL: h.adminUrl }, timeout: 60_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status, stdout, stderr, json: () => JSON.parse(stdout) });
    });
  });
}

function endpoint(inventory: Json, method: string, template: string): Json {
  return inventory.endpoints.find((candidate: Json) => candidate.method === method && candidate.template === template);
}

beforeAll(async () => {
  h = await startGovernanceHarness({ manifests: { 'orders.yaml': ORDERS } });
  samTokenFile = path.join(h.directory, 'sam-token');
  await writeFile(samTokenFile, h.tokens.sam);
  const bot = await activeAgent(h, 'orders-bot', { roles: ['orders-reader'] });
  // A deprecated operation still served, and a path nobody declared (learned, forwarded in monitor mode).
  expect((await h.agentCall(bot.key, '/orders/100234')).status).toBe(200);
  for (const id of ['100235', '100236', '100237']) expect((await h.agentCall(bot.key, `/orders/${id}/notes`)).status).toBe(200);
  await h.auditEvents((events) => events.filter((event) => event.api?.name === 'orders').length >= 4);
  // Traffic from another source: a client no agent is bound to.
  trafficFile = path.join(h.directory, 'traffic.jsonl');
  await writeFile(
    trafficFile,
    [
      { time: '2026-11-30T10:00:00Z', method: 'GET', path: '/orders/100301/notes?author=jane@example.com', status: 200, client: 'svc-billing' },
      { time: '2026-11-30T10:00:01Z', method: 'GET', path: '/orders/100302/notes', status: 200, client: 'svc-billing' },
      { time: '2026-11-30T10:00:02Z', method: 'GET', path: '/wp-login.php', status: 404, client: 'scanner' },
    ].map((line) => JSON.stringify(line)).join('\n'),
  );
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('warden discover import --audit', () => {
  let inventory: Json;

  beforeAll(async () => {
    const run = await warden('discover', 'import', '--audit', trafficFile, '--json');
    expect(run.status, run.stderr).toBe(0);
    inventory = run.json();
  }, 60_000);

  it('finds the undeclared path the gateway learned as a shadow endpoint of that API, templated, with the log file\'s calls under its base path', () => {
    expect(endpoint(inventory, 'GET', '/orders/{orderId}/notes')).toMatchObject({ classification: 'shadow', api: 'orders', hits: 5, statuses: { '200': 5 } });
    // Owned, not documented: it lowers completeness, and the owning API lists it.
    expect(inventory.apis.find((api: Json) => api.name === 'orders')).toMatchObject({ owner: 'orders-team@example.com', counts: { shadow: 1, zombie: 1 } });
  });

  it('reports traffic to the deprecated catalog operation as a zombie that still serves', () => {
    expect(endpoint(inventory, 'GET', '/orders/{orderId}')).toMatchObject({ classification: 'zombie', api: 'orders', operationId: 'getOrder', zombie: { reason: 'deprecated', state: 'serving' } });
  });

  it('lists catalog operations without traffic as orphans and unanswered probes as unknown', () => {
    expect(endpoint(inventory, 'GET', '/orders')).toMatchObject({ classification: 'orphan', hits: 0 });
    expect(endpoint(inventory, 'GET', '/crm/customers')).toMatchObject({ classification: 'orphan' });
    expect(endpoint(inventory, 'GET', '/wp-login.php')).toMatchObject({ classification: 'unknown' });
  });

  it('lists clients no agent is bound to, and not the registered agent\'s key', () => {
    const clients = inventory.unregisteredClients.map((client: Json) => client.client);
    expect(clients).toContain('svc-billing');
    expect(clients).not.toContain('orders-bot');
    expect(clients.some((client: string) => client.startsWith('key_'))).toBe(false);
    expect(inventory.unregisteredClients.find((client: Json) => client.client === 'svc-billing')).toMatchObject({ calls: 2, endpoints: ['GET /orders/{orderId}/notes'] });
  });

  it('keeps no query value of the traffic anywhere in its answer', () => {
    expect(JSON.stringify(inventory)).not.toContain('jane@example.com');
  });

  it('records the findings and the completeness it measured', async () => {
    expect(inventory.findings.added).toBeGreaterThanOrEqual(4);
    const report = await h.as('audrey').get('/reports/program-metrics?format=json');
    expect(report.status).toBe(200);
    const metric = report.body.result.metrics.find((item: Json) => item.id === 'observed-inventory-completeness');
    expect(metric).toMatchObject({ status: 'measured', denominator: inventory.completeness.observed, numerator: inventory.completeness.documentedAndOwned });
  });
});

describe('reviewing findings', () => {
  const findingOf = async (kind: string, subject: string): Promise<Json> => {
    const answer = await h.as('sam').get(`/discovery/findings?kind=${kind}`);
    expect(answer.status).toBe(200);
    const found = answer.body.findings.find((finding: Json) => finding.subject === subject);
    expect(found, `${kind} ${subject} in ${JSON.stringify(answer.body.findings.map((finding: Json) => finding.subject))}`).toBeDefined();
    return found;
  };

  it('lets auditors read findings but not decide, and keeps owners out', async () => {
    const shadow = await findingOf('shadow', 'orders: GET /orders/{orderId}/notes');
    expect((await h.as('audrey').get('/discovery/findings')).status).toBe(200);
    expect((await h.as('audrey').post(`/discovery/findings/${shadow.id}/decision`, { status: 'ignored', reason: 'not mine to decide' })).status).toBe(403);
    expect((await h.as('alice').get('/discovery/findings')).status).toBe(403);
  });

  it('gives a zombie a decommission date, refuses one for a shadow endpoint, and logs the decision', async () => {
    const zombie = await findingOf('zombie', 'orders: GET /orders/{orderId}');
    const decided = await h.as('sam').post(`/discovery/findings/${zombie.id}/decision`, { status: 'decommission', on: '2027-03-31', reason: 'CHG-1042' });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ status: 'decommission', decommissionOn: '2027-03-31', decidedBy: PEOPLE_SAM });
    const shadow = await findingOf('shadow', 'orders: GET /orders/{orderId}/notes');
    const refused = await h.as('sam').post(`/discovery/findings/${shadow.id}/decision`, { status: 'decommission', on: '2027-03-31' });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('only zombie and orphan');
    expect((await h.adminEvents()).some((event: Json) => event.action === 'discovery.decommission' && event.target === `finding/${zombie.id}`)).toBe(true);
  });

  it('keeps a decision when the same thing is imported again', async () => {
    const orphan = await findingOf('orphan', 'crm: GET /crm/exports');
    expect((await h.as('sam').post(`/discovery/findings/${orphan.id}/decision`, { status: 'ignored', reason: 'exports run monthly' })).status).toBe(200);
    const run = await warden('discover', 'import', '--audit', '--json');
    expect(run.status, run.stderr).toBe(0);
    expect(run.json().findings.updated).toBeGreaterThan(0);
    const again = await h.as('sam').get(`/discovery/findings/${orphan.id}`);
    expect(again.body).toMatchObject({ status: 'ignored', reason: 'exports run monthly' });
  }, 60_000);

  it('adopts a shadow endpoint into a catalog manifest that passes warden check', async () => {
    const shadow = await findingOf('shadow', 'orders: GET /orders/{orderId}/notes');
    const catalog = path.join(h.directory, 'adopted');
    await mkdir(catalog);
    const out = path.join(catalog, 'order-notes.yaml');
    const run = await warden('discover', 'adopt', shadow.id, '--api', 'order-notes', '--owner', 'orders-team@example.com', '--upstream', h.production.url, '--base-path', '/orders', '--out', out, '--token-file', samTokenFile);
    expect(run.status, run.stderr).toBe(0);
    const manifest = parse(readFileSync(out, 'utf8'));
    expect(manifest.spec).toMatchObject({ basePath: '/orders', mode: 'monitor', operations: [{ method: 'GET', path: '/{orderId}/notes', parameters: [{ name: 'orderId', in: 'path', required: true }] }] });
    const check = await warden('check', catalog);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect((await h.as('sam').get(`/discovery/findings/${shadow.id}`)).body).toMatchObject({ status: 'adopted', decidedBy: PEOPLE_SAM });
  }, 60_000);

  it('proposes an unregistered client as an agent in one command', async () => {
    const client = await findingOf('unregistered-client', 'svc-billing');
    const run = await warden('discover', 'propose-agent', client.id, 'billing-sync', '--purpose', 'Copies order notes into the billing system', '--role', 'orders-reader', '--owner', 'bob@example.com', '--token-file', samTokenFile, '--json');
    expect(run.status, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ agent: { name: 'billing-sync', owner: 'bob@example.com' }, finding: { status: 'adopted', reason: 'proposed as agent billing-sync' } });
    const agent = await h.as('sam').get('/agents/billing-sync');
    expect(agent.body.state).toMatch(/proposed|in_review/);
    expect(agent.body.description).toContain('svc-billing');
  }, 60_000);

  it('lets only admin or security propose a client as an agent, and creates nothing otherwise', async () => {
    const client = await findingOf('unregistered-client', 'scanner');
    const refused = await h.as('alice').post(`/discovery/findings/${client.id}/propose-agent`, { name: 'scanner-bot', purpose: 'Whatever the scanner does all day', roles: ['orders-reader'] });
    expect(refused.status).toBe(403);
    expect((await h.as('sam').get('/agents/scanner-bot')).status).toBe(404);
  });

  it('refuses to propose an agent for an endpoint finding', async () => {
    const shadow = await findingOf('shadow', 'orders: GET /orders/{orderId}/notes');
    const refused = await h.as('sam').post(`/discovery/findings/${shadow.id}/propose-agent`, { name: 'not-an-agent', purpose: 'This is not a client at all', roles: ['orders-reader'] });
    expect(refused.status).toBe(400);
  });
});

const PEOPLE_SAM = 'sam@example.com';
