import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ApiManifest } from '../../model/manifests/index.js';
import { formatProblem } from '../../policy/load/problem.js';
import { loadManifests, type LoadResult } from '../../policy/load/load-manifests.js';
import { adoptionManifest, type AdoptedEndpoint, type AdoptionOptions } from './adoption-manifest.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-adoption-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const OPTIONS: AdoptionOptions = { name: 'orders-api', owner: 'team-orders', upstream: 'https://orders.internal.example' };

const ENDPOINTS: AdoptedEndpoint[] = [
  { method: 'get', template: '/v1/customers/{customerId}', dataClasses: ['pii'] },
  { method: 'POST', template: '/v1/customers' },
  { method: 'GET', template: '/v1/customers/{customerId}/orders/{orderId}' },
  { method: 'GET', template: '/v1/2010-04-01/Calls/{CallId}.json' },
  { method: 'GET', template: '/v1/{param}/users' },
  { method: 'GET', template: '/v1' },
];

/** Writes the manifest as YAML into the temp folder and loads the folder as `warden check` would. */
async function load(manifest: ApiManifest): Promise<LoadResult> {
  fs.writeFileSync(path.join(dir, 'adopted-api.yaml'), stringify(manifest));
  return loadManifests(dir);
}

const describeProblems = (result: LoadResult): string => result.problems.map(formatProblem).join('\n');

describe('adoptionManifest', () => {
  it('writes an Api manifest that loads cleanly as YAML', async () => {
    const result = await load(adoptionManifest(ENDPOINTS, { ...OPTIONS, basePath: '/v1' }));
    expect(result.problems, describeProblems(result)).toEqual([]);
    expect(result.set.apis.map((api) => api.metadata.name)).toEqual(['orders-api']);
    expect(result.set.apis[0]!.spec.operations).toHaveLength(ENDPOINTS.length);
  });

  it('declares the templates relative to the base path, the base path itself as `/`', () => {
    const manifest = adoptionManifest(ENDPOINTS, { ...OPTIONS, basePath: '/v1/' });
    expect(manifest.spec.basePath).toBe('/v1');
    expect(manifest.spec.operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      'GET /',
      'GET /2010-04-01/Calls/{CallId}.json',
      'GET /customers/{customerId}',
      'GET /customers/{customerId}/orders/{orderId}',
      'GET /{param}/users',
      'POST /customers',
    ]);
  });

  it('accepts a base path without the leading slash', () => {
    expect(adoptionManifest([{ method: 'GET', template: '/v1/x' }], { ...OPTIONS, basePath: 'v1' }).spec.operations[0]!.path).toBe('/x');
  });

  it('keeps full templates under the default base path `/`', () => {
    const manifest = adoptionManifest(ENDPOINTS, OPTIONS);
    expect(manifest.spec.basePath).toBe('/');
    expect(manifest.spec.operations.map((operation) => operation.path)).toContain('/v1/customers/{customerId}');
  });

  it('rejects an endpoint outside the base path, including a mere name prefix', () => {
    expect(() => adoptionManifest([{ method: 'GET', template: '/v2/customers' }], { ...OPTIONS, basePath: '/v1' })).toThrow(/not under the base path \/v1/);
    expect(() => adoptionManifest([{ method: 'GET', template: '/v10/customers' }], { ...OPTIONS, basePath: '/v1' })).toThrow(/not under the base path/);
  });

  it('declares each path parameter as a required string', () => {
    const manifest = adoptionManifest(ENDPOINTS, { ...OPTIONS, basePath: '/v1' });
    const orders = manifest.spec.operations.find((operation) => operation.path === '/customers/{customerId}/orders/{orderId}')!;
    expect(orders.parameters).toEqual([
      { name: 'customerId', in: 'path', type: 'string', required: true },
      { name: 'orderId', in: 'path', type: 'string', required: true },
    ]);
  });

  it('gives every operation a unique id', () => {
    const manifest = adoptionManifest(
      [
        { method: 'GET', template: '/customers/{id}' },
        { method: 'GET', template: '/customers/{customerId}/x' },
        { method: 'GET', template: '/customers/{a}/{b}' },
        { method: 'GET', template: '/customers' },
      ],
      OPTIONS,
    );
    const ids = manifest.spec.operations.map((operation) => operation.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('starts in monitor mode, active, owned by the given owner, pointing at the upstream', () => {
    const manifest = adoptionManifest(ENDPOINTS, OPTIONS);
    expect(manifest.spec).toMatchObject({ mode: 'monitor', owner: 'team-orders', upstream: { url: 'https://orders.internal.example' }, lifecycle: { status: 'active' } });
    expect(manifest.spec.operations.every((operation) => !operation.deprecated)).toBe(true);
  });

  it('collects data classes and derives the sensitivity from them', () => {
    const manifest = adoptionManifest(ENDPOINTS, OPTIONS);
    expect(manifest.spec.dataClasses).toEqual(['pii']);
    expect(manifest.spec.sensitivity).toBe('confidential');
    expect(manifest.spec.operations.find((operation) => operation.path === '/v1/customers/{customerId}')!.dataClasses).toEqual(['pii']);
  });

  it('defaults to internal sensitivity when no data class was seen', () => {
    expect(adoptionManifest([{ method: 'GET', template: '/status' }], OPTIONS).spec.sensitivity).toBe('internal');
  });

  it('rejects an invalid API name', () => {
    for (const name of ['Orders', 'orders_api', '-orders', 'orders-', '']) {
      expect(() => adoptionManifest(ENDPOINTS, { ...OPTIONS, name }), name).toThrow(/not a valid API name/);
    }
  });

  it('rejects an upstream that is not an http(s) URL', () => {
    for (const upstream of ['orders.internal', 'ftp://orders.internal', '']) {
      expect(() => adoptionManifest(ENDPOINTS, { ...OPTIONS, upstream }), upstream).toThrow(/not an http\(s\) URL/);
    }
  });

  it('rejects a method the catalog cannot declare', () => {
    expect(() => adoptionManifest([{ method: 'TRACE', template: '/x' }], OPTIONS)).toThrow(/declares .*GET/);
    expect(() => adoptionManifest([{ method: 'PROPFIND', template: '/x' }], OPTIONS)).toThrow(/TRACE|PROPFIND/);
  });

  it('refuses up front, saying why, a custom-verb endpoint (`{objectId}:copy`) the catalog cannot route', () => {
    expect(() => adoptionManifest([{ method: 'POST', template: '/storage/v1/b/{bucketId}/o/{objectId}:copy' }], OPTIONS)).toThrow(/\{objectId\}:copy.*must be a literal or a whole \{parameter\}.*by hand/);
  });
});
