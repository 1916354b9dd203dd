import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `warden discover import` and `scan` as an operator runs them: the built CLI in a child
 * process, on log files and specs written here and a real HTTP server to scan.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SAMPLES = path.join(ROOT, 'test/discovery/samples');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let scratch: string;

function warden(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/warden.js'), ...args], { cwd: scratch, encoding: 'utf8', env: { ...process.env, WARDEN_DATA: path.join(scratch, 'no-data') }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

/** Two versions of one API: 2.0.0 removes the fax operation and deprecates a new invoice read, sunset already past. */
const specVersion = (version: string, last: string) => `openapi: 3.0.3
info: { title: Orders API, version: ${version} }
servers: [{ url: https://orders.example.com/v1 }]
paths:
  /orders:
    get: { operationId: listOrders, responses: { '200': { description: ok } } }
  /orders/{orderId}:
    get: { operationId: getOrder, parameters: [{ name: orderId, in: path, required: true, schema: { type: string } }], responses: { '200': { description: ok } } }
${last}`;
const SPEC_V1 = specVersion('1.4.0', `  /orders/{orderId}/fax:
    post: { operationId: faxOrder, parameters: [{ name: orderId, in: path, required: true, schema: { type: string } }], responses: { '200': { description: ok } } }
`);
const SPEC_V2 = specVersion('2.0.0', `  /orders/{orderId}/invoice:
    get: { operationId: getInvoice, deprecated: true, x-sunset: '2026-06-30', parameters: [{ name: orderId, in: path, required: true, schema: { type: string } }], responses: { '200': { description: ok } } }
`);

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'warden-discover-cli-'));
  await writeFile(path.join(scratch, 'orders-v1.yaml'), SPEC_V1);
  await writeFile(path.join(scratch, 'orders-v2.yaml'), SPEC_V2);
  const lines: string[] = [];
  const at = (i: number) => new Date(Date.UTC(2026, 10, 20, 9, 0, i)).toISOString().replace('T', ' ').slice(0, 19);
  const nginx = (i: number, request: string, status: number) => `10.1.2.3 - - [${at(i).slice(8, 10)}/Nov/2026:${at(i).slice(11)} +0000] "${request} HTTP/1.1" ${status} 120 "-" "agent/1.0"`;
  for (let i = 0; i < 30; i++) lines.push(nginx(i, `GET /v1/orders/${700100 + i}`, 200));
  for (let i = 0; i < 6; i++) lines.push(nginx(40 + i, `POST /v1/orders/${700200 + i}/fax`, i < 3 ? 200 : 410));
  for (let i = 0; i < 5; i++) lines.push(nginx(50 + i, `GET /v1/orders/${700300 + i}/invoice`, 200));
  for (let i = 0; i < 8; i++) lines.push(nginx(60 + i, `GET /v1/orders/${700400 + i}/shipments`, 200));
  lines.push(nginx(70, 'GET /.env', 404));
  await writeFile(path.join(scratch, 'access.log'), `${lines.join('\n')}\n`);
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('warden discover import', () => {
  it('classifies a log against two versions of a spec: documented, shadow, removed and sunset zombies, orphan, unknown', async () => {
    const run = await warden('discover', 'import', 'access.log', '--spec', 'orders-v1.yaml', '--spec', 'orders-v2.yaml', '--json');
    expect(run.status, run.stderr).toBe(0);
    const inventory = JSON.parse(run.stdout);
    const byTemplate = (method: string, template: string) => inventory.endpoints.find((endpoint: { method: string; template: string }) => endpoint.method === method && endpoint.template === template);
    expect(byTemplate('GET', '/v1/orders/{orderId}')).toMatchObject({ classification: 'documented', hits: 30, operationId: 'getOrder' });
    expect(byTemplate('GET', '/v1/orders/{orderId}/shipments')).toMatchObject({ classification: 'shadow', hits: 8 });
    expect(byTemplate('POST', '/v1/orders/{orderId}/fax')).toMatchObject({ classification: 'zombie', zombie: { reason: 'removed', state: 'serving' }, statuses: { '200': 3, '410': 3 } });
    expect(byTemplate('GET', '/v1/orders/{orderId}/invoice')).toMatchObject({ classification: 'zombie', zombie: { reason: 'sunset', state: 'serving' } });
    expect(byTemplate('GET', '/v1/orders')).toMatchObject({ classification: 'orphan', hits: 0 });
    expect(byTemplate('GET', '/.env')).toMatchObject({ classification: 'unknown' });
    expect(inventory.imports).toEqual([expect.objectContaining({ format: 'nginx', calls: 50, skipped: 0 })]);
    // No store in --data: nothing is recorded.
    expect(inventory.findings).toBeUndefined();
  }, 60_000);

  it('prints a readable inventory and writes the inferred OpenAPI document, which validates', async () => {
    const run = await warden('discover', 'import', 'access.log', '--openapi', 'inferred.json');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/shadow\s+GET\s+\/v1\/orders\/\{orderId\}\/shipments\s+8\s+200×8/);
    expect(run.stdout).toContain('documentation: none');
    const document = JSON.parse(await readFile(path.join(scratch, 'inferred.json'), 'utf8'));
    await expect(validate(path.join(scratch, 'inferred.json'))).resolves.toMatchObject({ valid: true });
    expect(document.paths['/v1/orders/{orderId}/shipments'].get).toMatchObject({ 'x-warden-classification': 'shadow', 'x-warden-hits': 8, parameters: [{ name: 'orderId', in: 'path', required: true }] });
  }, 60_000);

  it('refuses what it cannot read with what to do next, exit 2', async () => {
    const missing = await warden('discover', 'import', 'nope.log');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no file nope.log');
    await writeFile(path.join(scratch, 'not-a-spec.yaml'), 'hello: world\n');
    const badSpec = await warden('discover', 'import', 'access.log', '--spec', 'not-a-spec.yaml');
    expect(badSpec.status).toBe(2);
    expect(badSpec.stderr).toContain('is not OpenAPI 3.x or Swagger 2.0');
    await writeFile(path.join(scratch, 'mystery.txt'), 'just some words\nmore words\n');
    const unknown = await warden('discover', 'import', 'mystery.txt');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--format');
    const noSource = await warden('discover', 'import');
    expect(noSource.status).toBe(2);
    expect(noSource.stderr).toContain('--audit');
    const fromAlone = await warden('discover', 'import', 'access.log', '--from', '2026-11-01');
    expect(fromAlone.status).toBe(2);
    expect(fromAlone.stderr).toContain('--from picks records of the gateway\'s audit log');
  }, 60_000);

  it('reads every sample format with auto-detection', async () => {
    const files = (await readdir(SAMPLES)).map((file) => path.join(SAMPLES, file));
    const run = await warden('discover', 'import', ...files, '--json');
    expect(run.status, run.stderr).toBe(0);
    const formats = JSON.parse(run.stdout).imports.map((summary: { format: string }) => summary.format).sort();
    expect(formats).toEqual(['audit', 'envoy', 'har', 'har', 'jsonl', 'nginx']);
  }, 60_000);
});

describe('warden discover scan', () => {
  let server: http.Server;
  let origin: string;
  const authorizations: (string | undefined)[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      authorizations.push(req.headers.authorization);
      if (req.url === '/openapi.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ openapi: '3.0.3', info: { title: 'Hidden Inventory', version: '0.9' }, paths: { '/items': { get: { operationId: 'listItems', responses: { '200': { description: 'ok' } } } } } }));
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not here');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('finds the OpenAPI document, saves it for import, and never prints the header it was given', async () => {
    const specs = path.join(scratch, 'specs');
    await import('node:fs/promises').then((fs) => fs.mkdir(specs));
    const run = await warden('discover', 'scan', origin, '--delay-ms', '0', '--max-requests', '5', '--header', 'Authorization: Bearer scan-secret-123', '--save-specs', specs);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`openapi "Hidden Inventory 0.9" at ${origin}/openapi.json: 1 operation`);
    expect(run.stdout + run.stderr).not.toContain('scan-secret-123');
    expect(authorizations).toContain('Bearer scan-secret-123');
    const saved = await readdir(specs);
    expect(saved).toHaveLength(1);
    const imported = await warden('discover', 'import', 'access.log', '--spec', path.join(specs, saved[0]!), '--json');
    expect(imported.status, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout).apis.map((api: { name: string }) => api.name)).toContain('Hidden Inventory');
  }, 60_000);

  it('refuses a target that is not an http(s) URL, exit 2', async () => {
    const run = await warden('discover', 'scan', 'ftp://files.example.com');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/ftp/);
  }, 60_000);
});
