import { describe, expect, it } from 'vitest';
import type { ApiManifest } from '../../model/manifests/index.js';
import { catalogDocuments } from './catalog-documents.js';
import { OperationMatcher } from './operation-matcher.js';

type Spec = ApiManifest['spec'];

function apiManifest(name: string, spec: Partial<Spec> = {}): ApiManifest {
  return {
    apiVersion: 'warden.dev/v1',
    kind: 'Api',
    metadata: { name },
    spec: {
      owner: 'team-crm',
      upstream: { url: 'http://127.0.0.1:9999' },
      basePath: '/crm',
      mode: 'enforce',
      lifecycle: { status: 'active' },
      sensitivity: 'internal',
      criticality: 'medium',
      dataClasses: ['pii'],
      operations: [
        { id: 'getContact', method: 'GET', path: '/contacts/{id}', parameters: [], deprecated: false },
        { id: 'exportContacts', method: 'POST', path: '/contacts/export', parameters: [], deprecated: true, dataClasses: ['pii', 'financial'] },
      ],
      ...spec,
    },
  };
}

describe('catalogDocuments', () => {
  it('documents each declared operation under the base path, owned by the API owner', () => {
    const [api] = catalogDocuments([apiManifest('crm')]);
    expect(api).toMatchObject({ name: 'crm', owner: 'team-crm', source: 'catalog', versions: ['catalog'] });
    expect(api!.operations.map((operation) => `${operation.method} ${operation.template} ${operation.operationId} ${operation.api} ${operation.version}`)).toEqual([
      'GET /crm/contacts/{id} getContact crm catalog',
      'POST /crm/contacts/export exportContacts crm catalog',
    ]);
  });

  it('joins a base path with a trailing slash without doubling it', () => {
    const [api] = catalogDocuments([apiManifest('crm', { basePath: '/crm/' })]);
    expect(api!.operations[0]!.template).toBe('/crm/contacts/{id}');
  });

  it('keeps paths as declared under the root base path', () => {
    const [api] = catalogDocuments([apiManifest('crm', { basePath: '/' })]);
    expect(api!.operations[0]!.template).toBe('/contacts/{id}');
  });

  it('documents an operation declared at `/` as the base path itself, the path the gateway routes', () => {
    const [api] = catalogDocuments([apiManifest('crm', { operations: [{ id: 'root', method: 'GET', path: '/', parameters: [], deprecated: false }] })]);
    expect(api!.operations[0]!.template).toBe('/crm');
    expect(new OperationMatcher(api!.operations).match('GET', '/crm')?.operationId).toBe('root');
  });

  it('keeps per-operation deprecation of an active API', () => {
    const [api] = catalogDocuments([apiManifest('crm')]);
    expect(api!.operations.map((operation) => operation.deprecated)).toEqual([false, true]);
  });

  it('makes every operation of a deprecated or retired API deprecated, with the API sunset', () => {
    for (const status of ['deprecated', 'retired'] as const) {
      const [api] = catalogDocuments([apiManifest('crm', { lifecycle: { status, sunset: '2026-12-31' } })]);
      expect(api!.operations.map((operation) => [operation.deprecated, operation.sunset])).toEqual([
        [true, '2026-12-31'],
        [true, '2026-12-31'],
      ]);
    }
  });

  it('uses the operation data classes, else the API ones', () => {
    const [api] = catalogDocuments([apiManifest('crm')]);
    expect(api!.operations.map((operation) => operation.dataClasses)).toEqual([['pii'], ['pii', 'financial']]);
  });

  it('has no owner when the owner is blank', () => {
    const [api] = catalogDocuments([apiManifest('crm', { owner: '  ' })]);
    expect(api!.owner).toBeUndefined();
  });
});
