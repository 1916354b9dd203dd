import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DocumentedApi, DocumentedOperation } from './documented-operation.js';
import { compareVersions, parseOpenApiDocument, readOpenApiDocuments, routeKey, SpecProblem } from './openapi-documents.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-openapi-documents-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function openapi3(version: string, paths: string, extra = ''): string {
  return `openapi: 3.0.3
info:
  title: Orders API
  version: "${version}"
${extra}paths:
${paths}`;
}

function find(api: DocumentedApi, method: string, template: string): DocumentedOperation {
  const found = api.operations.find((operation) => operation.method === method && operation.template === template);
  if (found === undefined) throw new Error(`no ${method} ${template} in ${api.operations.map((operation) => `${operation.method} ${operation.template}`).join(', ')}`);
  return found;
}

async function problemOf(files: string[]): Promise<SpecProblem> {
  const error: unknown = await readOpenApiDocuments(files).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SpecProblem);
  return error as SpecProblem;
}

describe('readOpenApiDocuments: paths', () => {
  it('prefixes OpenAPI 3 paths with the path of the first server URL', async () => {
    const file = write(
      'v3.yaml',
      openapi3('1.0.0', '  /customers/{id}:\n    get:\n      operationId: getCustomer\n      responses: {}\n', 'servers:\n  - url: https://api.example.com/v1/\n  - url: https://other.example.com/v9\n'),
    );
    const [api] = await readOpenApiDocuments([file]);
    expect(api!.operations.map((operation) => `${operation.method} ${operation.template} ${operation.operationId}`)).toEqual(['GET /v1/customers/{id} getCustomer']);
  });

  it('accepts a relative server URL', async () => {
    const file = write('relative.yaml', openapi3('1.0.0', '  /projects:\n    get:\n      responses: {}\n', 'servers:\n  - url: /api/v3\n'));
    const [api] = await readOpenApiDocuments([file]);
    expect(api!.operations[0]!.template).toBe('/api/v3/projects');
  });

  it('uses no prefix when the server URL has no path', async () => {
    const file = write('bare.yaml', openapi3('1.0.0', '  /projects:\n    get:\n      responses: {}\n', 'servers:\n  - url: https://api.example.com\n'));
    const [api] = await readOpenApiDocuments([file]);
    expect(api!.operations[0]!.template).toBe('/projects');
  });

  it('prefixes Swagger 2.0 paths with basePath', async () => {
    const file = write(
      'v2.json',
      JSON.stringify({
        swagger: '2.0',
        info: { title: 'Telephony', version: '2010-04-01' },
        basePath: '/2010-04-01',
        paths: { '/Accounts/{AccountSid}/Calls/{CallSid}.json': { get: { operationId: 'fetchCall', responses: {} }, delete: { responses: {} } } },
      }),
    );
    const [api] = await readOpenApiDocuments([file]);
    expect(api!.name).toBe('Telephony');
    expect(api!.operations.map((operation) => `${operation.method} ${operation.template}`)).toEqual([
      'GET /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json',
      'DELETE /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json',
    ]);
  });

  it('names an operation without operationId by method and template', async () => {
    const file = write('anonymous.yaml', openapi3('1.0.0', '  /projects:\n    post:\n      responses: {}\n'));
    const [api] = await readOpenApiDocuments([file]);
    expect(api!.operations[0]!.operationId).toBe('POST /projects');
  });

  it('reads documented data classes', async () => {
    const file = write('classes.yaml', openapi3('1.0.0', '  /patients/{id}:\n    get:\n      x-warden-data-classes: [pii, health]\n      responses: {}\n'));
    const [api] = await readOpenApiDocuments([file]);
    expect(api!.operations[0]!.dataClasses).toEqual(['pii', 'health']);
  });
});

describe('readOpenApiDocuments: lifecycle', () => {
  it('reads deprecated and an x-sunset day, unquoted in YAML too', async () => {
    const file = write(
      'lifecycle.yaml',
      openapi3(
        '1.0.0',
        `  /orders:
    get:
      deprecated: true
      x-sunset: 2025-06-30
      responses: {}
    post:
      x-sunset: "2026-01-15"
      responses: {}
    put:
      responses: {}
`,
      ),
    );
    const [api] = await readOpenApiDocuments([file]);
    expect(find(api!, 'GET', '/orders')).toMatchObject({ deprecated: true, sunset: '2025-06-30' });
    expect(find(api!, 'POST', '/orders')).toMatchObject({ deprecated: false, sunset: '2026-01-15' });
    expect(find(api!, 'PUT', '/orders')).toMatchObject({ deprecated: false, sunset: undefined });
  });

  it('ignores an x-sunset that is not a day', async () => {
    const file = write('bad-sunset.yaml', openapi3('1.0.0', '  /orders:\n    get:\n      x-sunset: next year\n      responses: {}\n'));
    const [api] = await readOpenApiDocuments([file]);
    expect(api!.operations[0]!.sunset).toBeUndefined();
  });
});

describe('readOpenApiDocuments: versions', () => {
  const v1 = openapi3(
    '1.9.2',
    `  /orders:
    get:
      operationId: listOrders
      responses: {}
  /orders/{orderId}:
    get:
      operationId: getOrderOld
      responses: {}
  /orders/{orderId}/legacy-export:
    get:
      operationId: legacyExport
      responses: {}
`,
  );
  const v2 = openapi3(
    '1.10.0',
    `  /orders:
    get:
      operationId: listOrders
      responses: {}
  /orders/{id}:
    get:
      operationId: getOrder
      responses: {}
`,
  );

  it('groups documents with one title into one API, versions ordered numerically whatever the file order', async () => {
    const newer = write('b-newer.yaml', v2);
    const older = write('a-older.yaml', v1);
    for (const files of [
      [newer, older],
      [older, newer],
    ]) {
      const apis = await readOpenApiDocuments(files);
      expect(apis).toHaveLength(1);
      expect(apis[0]!.versions).toEqual(['1.9.2', '1.10.0']);
      expect(apis[0]!.files).toEqual([older, newer]);
    }
  });

  it('marks operations the newest version lacks as removedIn it, and keeps the others current', async () => {
    const [api] = await readOpenApiDocuments([write('v1.yaml', v1), write('v2.yaml', v2)]);
    expect(find(api!, 'GET', '/orders/{orderId}/legacy-export')).toMatchObject({ version: '1.9.2', removedIn: '1.10.0', operationId: 'legacyExport' });
    const current = find(api!, 'GET', '/orders');
    expect(current.version).toBe('1.10.0');
    expect(current.removedIn).toBeUndefined();
  });

  it('treats a renamed path parameter as the same route, not a removed one', async () => {
    const [api] = await readOpenApiDocuments([write('v1.yaml', v1), write('v2.yaml', v2)]);
    const single = api!.operations.filter((operation) => operation.template.startsWith('/orders/{') && !operation.template.endsWith('export'));
    expect(single.map((operation) => `${operation.template} ${operation.operationId} ${operation.removedIn ?? 'current'}`)).toEqual(['/orders/{id} getOrder current']);
  });

  it('keeps documents with different titles as different APIs with no owner', async () => {
    const other = write('other.yaml', v1.replace('Orders API', 'Billing API'));
    const apis = await readOpenApiDocuments([write('v2.yaml', v2), other]);
    expect(apis.map((api) => [api.name, api.owner, api.source])).toEqual([
      ['Orders API', undefined, 'openapi'],
      ['Billing API', undefined, 'openapi'],
    ]);
  });

  it('treats two documents of one title and version as one version: neither marks the other\'s operations removed', async () => {
    const customers = write('customers.yaml', openapi3('1.0.0', '  /customers:\n    get:\n      responses: {}\n'));
    const invoices = write('invoices.yaml', openapi3('1.0.0', '  /invoices:\n    get:\n      responses: {}\n'));
    const [api] = await readOpenApiDocuments([customers, invoices]);
    expect(api!.operations.map((operation) => `${operation.template} ${operation.removedIn ?? 'current'}`).sort()).toEqual(['/customers current', '/invoices current']);
  });
});

describe('compareVersions', () => {
  it('orders numeric parts numerically', () => {
    expect(compareVersions('1.10.0', '1.9.2')).toBeGreaterThan(0);
    expect(compareVersions('1.9.2', '1.10.0')).toBeLessThan(0);
    expect(compareVersions('2', '10')).toBeLessThan(0);
  });

  it('ignores a leading v and treats equal versions as equal', () => {
    expect(compareVersions('v1.2.0', '1.2.0')).toBe(0);
  });

  it('orders a pre-release before its release, as semver does', () => {
    expect(compareVersions('1.0.0-beta.1', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0', '1.0.0-rc.2')).toBeGreaterThan(0);
  });

  it('orders a longer version after its prefix', () => {
    expect(compareVersions('1.2', '1.2.1')).toBeLessThan(0);
  });
});

describe('routeKey', () => {
  it('erases parameter names', () => {
    expect(routeKey('GET', '/orders/{orderId}')).toBe(routeKey('GET', '/orders/{id}'));
    expect(routeKey('GET', '/orders/{orderId}')).not.toBe(routeKey('DELETE', '/orders/{id}'));
  });
});

describe('readOpenApiDocuments: problems', () => {
  it('reports a document that is not OpenAPI, with a fix', async () => {
    const problem = await problemOf([write('not.yaml', 'name: just some config\nreplicas: 3\n')]);
    expect(problem.file).toMatch(/not\.yaml$/);
    expect(problem.message).toMatch(/not OpenAPI 3\.x or Swagger 2\.0/);
    expect(problem.fix).toMatch(/OpenAPI/);
  });

  it('reports a document with no paths, with a fix', async () => {
    const problem = await problemOf([write('nopaths.yaml', 'openapi: 3.1.0\ninfo:\n  title: x\n  version: "1"\n')]);
    expect(problem.message).toMatch(/no `paths`/);
    expect(problem.fix).not.toBe('');
  });

  it('reports a file it cannot read, with a fix', async () => {
    const problem = await problemOf([path.join(dir, 'missing.yaml')]);
    expect(problem.message).toMatch(/cannot read/);
    expect(problem.message).toMatch(/ENOENT/);
    expect(problem.fix).toMatch(/path/);
  });

  it('reports text that is neither JSON nor YAML, with a fix', async () => {
    const problem = await problemOf([write('broken.yaml', 'openapi: [3.0\n  paths: {')]);
    expect(problem.message).toMatch(/neither JSON nor YAML/);
    expect(problem.fix).toMatch(/OpenAPI/);
  });

  it('reports a top-level list as not an OpenAPI document', () => {
    expect(() => parseOpenApiDocument('list.yaml', '- a\n- b\n')).toThrow(SpecProblem);
  });
});
