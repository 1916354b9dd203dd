import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validate } from '@readme/openapi-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DocumentedApi, DocumentedOperation } from './documented-operation.js';
import { InventoryBuilder, type Inventory } from './inventory.js';
import { inventoryOpenApi } from './inventory-openapi.js';

const T0 = Date.UTC(2026, 10, 1);

interface Operation {
  readonly operationId: string;
  readonly deprecated?: boolean;
  readonly parameters?: readonly { readonly name: string; readonly in: string; readonly required?: boolean }[];
  readonly responses: Record<string, unknown>;
  readonly [key: string]: unknown;
}

interface Document {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly servers?: readonly { readonly url: string }[];
  readonly paths: Record<string, Record<string, Operation>>;
}

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-inventory-openapi-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function operation(method: string, template: string, operationId: string, extra: Partial<DocumentedOperation> = {}): DocumentedOperation {
  return { api: 'shop', version: '2.0.0', method, template, operationId, deprecated: false, sunset: undefined, dataClasses: [], ...extra };
}

function api(operations: DocumentedOperation[]): DocumentedApi {
  return { name: 'shop', owner: 'team-shop', source: 'catalog', files: [], versions: ['2.0.0'], operations };
}

/** An inventory with every classification: documented, shadow (with several parameters), zombie, orphan and unknown. */
function mixedInventory(): Inventory {
  const builder = new InventoryBuilder({
    documented: [
      api([
        operation('GET', '/orders/{id}', 'getOrder'),
        operation('GET', '/orders/{id}/legacy', 'getLegacy', { deprecated: true }),
        operation('GET', '/audit', 'getAudit'),
      ]),
    ],
  });
  let time = T0;
  const add = (method: string, pathText: string, status: number, host = 'shop.example.test', responseShape?: string): void =>
    builder.add({ method, path: pathText, status, host, time: time++, ...(responseShape !== undefined ? { responseShape } : {}) });
  for (let i = 0; i < 5; i++) add('GET', `/orders/${1000 + i}`, 200);
  add('GET', '/orders/1000/legacy', 200);
  for (const realm of ['acme', 'globex', 'initech']) for (const collection of ['users', 'groups']) for (let i = 0; i < 10; i++) add('GET', `/${realm}/${collection}/${randomUUID()}`, i === 0 ? 404 : 200);
  for (let i = 0; i < 5; i++) add('POST', `/carts/${randomUUID()}/items`, 201, 'cart.example.test', 'email,id');
  add('GET', '/status', 0, 'cart.example.test');
  add('GET', '/status', 200, 'cart.example.test');
  add('GET', '/wp-login.php', 404);
  return builder.build();
}

async function validated(document: Record<string, unknown>): Promise<{ valid: boolean; errors: string[] }> {
  const file = path.join(dir, `inventory-${randomUUID()}.json`);
  fs.writeFileSync(file, JSON.stringify(document));
  const result = await validate(file);
  return { valid: result.valid, errors: result.valid ? [] : result.errors.map((error) => error.message.split('\n')[0]!) };
}

function operations(document: Document): { path: string; method: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([pathText, item]) => Object.entries(item).map(([method, operation]) => ({ path: pathText, method, operation })));
}

describe('inventoryOpenApi', () => {
  it('produces a document that validates as OpenAPI', async () => {
    const result = await validated(inventoryOpenApi(mixedInventory()));
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('declares every path parameter of every operation, required, in the path', () => {
    const document = inventoryOpenApi(mixedInventory()) as unknown as Document;
    const templated = operations(document).filter(({ path: pathText }) => pathText.includes('{'));
    expect(templated.length).toBeGreaterThan(0);
    for (const { path: pathText, operation: op } of templated) {
      const names = [...pathText.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      expect(op.parameters?.map((parameter) => parameter.name), pathText).toEqual(names);
      for (const parameter of op.parameters ?? []) expect(parameter).toMatchObject({ in: 'path', required: true });
    }
  });

  it('gives every operation a unique operationId', () => {
    const ids = operations(inventoryOpenApi(mixedInventory()) as unknown as Document).map(({ operation: op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps documented operationIds and derives one for inferred endpoints', () => {
    const document = inventoryOpenApi(mixedInventory()) as unknown as Document;
    expect(document.paths['/orders/{id}']!['get']!.operationId).toBe('getOrder');
    expect(document.paths['/carts/{cartId}/items']!['post']!.operationId).toBe('post_carts_cartId_items');
  });

  it('makes derived operationIds unique when two templates erase to the same words', async () => {
    const builder = new InventoryBuilder({ documented: [] });
    builder.add({ method: 'GET', path: '/a-b', status: 200 });
    builder.add({ method: 'GET', path: '/a_b', status: 200 });
    const document = inventoryOpenApi(builder.build());
    const ids = operations(document as unknown as Document).map(({ operation: op }) => op.operationId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect((await validated(document)).errors).toEqual([]);
  });

  it('keeps operationIds unique when a removed operation of an older version shares its id with the current one', async () => {
    const builder = new InventoryBuilder({
      documented: [api([operation('GET', '/v2/users', 'listUsers'), operation('GET', '/v1/users', 'listUsers', { version: '1.0.0', removedIn: '2.0.0' })])],
    });
    builder.add({ method: 'GET', path: '/v2/users', status: 200, time: T0 });
    builder.add({ method: 'GET', path: '/v1/users', status: 200, time: T0 });
    const document = inventoryOpenApi(builder.build());
    const ids = operations(document as unknown as Document).map(({ operation: op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await validated(document)).errors).toEqual([]);
  });

  it('marks zombies deprecated with the reason, and nothing else deprecated', () => {
    const document = inventoryOpenApi(mixedInventory()) as unknown as Document;
    const deprecated = operations(document).filter(({ operation: op }) => op.deprecated === true);
    expect(deprecated.map(({ path: pathText, method }) => `${method} ${pathText}`)).toEqual(['get /orders/{id}/legacy']);
    expect(deprecated[0]!.operation['x-warden-zombie']).toMatchObject({ reason: 'deprecated', state: 'serving' });
  });

  it('leaves out orphans and unknown probes', () => {
    const document = inventoryOpenApi(mixedInventory()) as unknown as Document;
    expect(document.paths['/audit']).toBeUndefined();
    expect(document.paths['/wp-login.php']).toBeUndefined();
  });

  it('lists observed statuses as responses, a missing status as default', () => {
    const document = inventoryOpenApi(mixedInventory()) as unknown as Document;
    expect(Object.keys(document.paths['/status']!['get']!.responses).sort()).toEqual(['200', 'default']);
  });

  it('carries classification, hits, host and data classes as extensions', () => {
    const document = inventoryOpenApi(mixedInventory()) as unknown as Document;
    expect(document.paths['/carts/{cartId}/items']!['post']).toMatchObject({
      'x-warden-classification': 'shadow',
      'x-warden-hits': 5,
      'x-warden-hosts': ['cart.example.test'],
      'x-warden-data-classes': ['pii'],
    });
  });

  it('lists the observed hosts as servers and dates the document by the window end', () => {
    const document = inventoryOpenApi(mixedInventory(), 'Shop inventory') as unknown as Document;
    expect(document.servers).toEqual([{ url: 'https://cart.example.test' }, { url: 'https://shop.example.test' }]);
    expect(document.info).toMatchObject({ title: 'Shop inventory', version: '2026-11-01' });
  });

  it('loses no traffic when one template was seen on two hosts', () => {
    const builder = new InventoryBuilder({ documented: [] });
    for (let i = 0; i < 20; i++) {
      builder.add({ method: 'GET', path: `/users/${1000 + i}`, status: 200, host: 'a.example.test' });
      builder.add({ method: 'GET', path: `/users/${2000 + i}`, status: 200, host: 'b.example.test' });
    }
    const inventory = builder.build();
    const document = inventoryOpenApi(inventory) as unknown as Document;
    const documentHits = operations(document).reduce((sum, { operation: op }) => sum + Number(op['x-warden-hits']), 0);
    expect(documentHits).toBe(inventory.endpoints.reduce((sum, endpoint) => sum + endpoint.hits, 0));
  });
});
