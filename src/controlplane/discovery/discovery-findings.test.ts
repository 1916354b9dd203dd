import { describe, expect, it } from 'vitest';
import type { DocumentedApi, DocumentedOperation } from './documented-operation.js';
import { endpointSubject, findingId, findingsOf } from './discovery-findings.js';
import { InventoryBuilder, type Inventory } from './inventory.js';

function operation(method: string, template: string, operationId: string, extra: Partial<DocumentedOperation> = {}): DocumentedOperation {
  return { api: 'users', version: '1.0.0', method, template, operationId, deprecated: false, sunset: undefined, dataClasses: [], ...extra };
}

const API: DocumentedApi = {
  name: 'users',
  owner: 'team-users',
  source: 'catalog',
  files: [],
  versions: ['catalog'],
  operations: [operation('GET', '/users/{id}', 'getUser'), operation('GET', '/legacy/users', 'legacyUsers', { deprecated: true }), operation('GET', '/audit', 'getAudit')],
};

function inventory(host = 'api.example.test'): Inventory {
  const builder = new InventoryBuilder({ documented: [API] });
  builder.add({ method: 'GET', path: '/users/1000', status: 200, host, client: 'key_known', agent: 'crm-reader' });
  builder.add({ method: 'GET', path: '/legacy/users', status: 200, host });
  builder.add({ method: 'GET', path: '/internal/metrics', status: 200, host });
  builder.add({ method: 'GET', path: '/wp-login.php', status: 404, host });
  builder.add({ method: 'GET', path: '/users/1001', status: 401, host, client: 'key_stranger' }, true);
  return builder.build();
}

describe('findingId', () => {
  it('is stable for the same kind and subject', () => {
    expect(findingId('shadow', 'GET api.example.test/internal/metrics')).toBe(findingId('shadow', 'GET api.example.test/internal/metrics'));
    expect(findingId('shadow', 'GET /x')).toMatch(/^fnd_[0-9a-f]{12}$/);
  });

  it('differs across kinds for the same subject', () => {
    expect(findingId('shadow', 'GET /x')).not.toBe(findingId('zombie', 'GET /x'));
    expect(findingId('orphan', 'GET /x')).not.toBe(findingId('zombie', 'GET /x'));
  });

  it('differs across subjects of one kind', () => {
    expect(findingId('shadow', 'GET /x')).not.toBe(findingId('shadow', 'GET /y'));
  });
});

describe('endpointSubject', () => {
  it('names method, host and template, or method and template without a host', () => {
    expect(endpointSubject({ method: 'GET', host: 'api.example.test', template: '/users/{userId}' })).toBe('GET api.example.test/users/{userId}');
    expect(endpointSubject({ method: 'GET', host: undefined, template: '/users/{userId}' })).toBe('GET /users/{userId}');
  });
});

describe('findingsOf', () => {
  it('reports shadow, zombie, orphan endpoints and unregistered clients, and nothing documented or unknown', () => {
    const findings = findingsOf(inventory());
    expect(findings.map((finding) => `${finding.kind} ${finding.subject}`).sort()).toEqual([
      'orphan users: GET /audit',
      'shadow GET api.example.test/internal/metrics',
      'unregistered-client key_stranger',
      'zombie users: GET /legacy/users',
    ]);
  });

  it('carries the inventory entry as details', () => {
    const shadow = findingsOf(inventory()).find((finding) => finding.kind === 'shadow')!;
    expect(shadow.details).toMatchObject({ method: 'GET', template: '/internal/metrics', classification: 'shadow', hits: 1 });
    const client = findingsOf(inventory()).find((finding) => finding.kind === 'unregistered-client')!;
    expect(client.details).toMatchObject({ client: 'key_stranger', calls: 1 });
  });

  it('gives each finding the id of its kind and subject, the same on the next run', () => {
    const first = findingsOf(inventory());
    for (const finding of first) expect(finding.id).toBe(findingId(finding.kind, finding.subject));
    expect(findingsOf(inventory()).map((finding) => finding.id)).toEqual(first.map((finding) => finding.id));
  });

  it('names documented operations by API, whatever host the traffic used', () => {
    const ids = (host: string) => findingsOf(inventory(host)).filter((finding) => finding.kind === 'zombie').map((finding) => finding.id);
    expect(ids('a.example.test')).toEqual(ids('b.example.test'));
  });

  it('gives ids unique within one run', () => {
    const ids = findingsOf(inventory()).map((finding) => finding.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
