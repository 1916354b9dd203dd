import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DocumentedApi, DocumentedOperation } from './documented-operation.js';
import { InventoryBuilder, type Inventory, type InventoryEndpoint } from './inventory.js';
import type { Observation } from './observation.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
const HOST = 'api.example.test';

function operation(method: string, template: string, operationId: string, extra: Partial<DocumentedOperation> = {}): DocumentedOperation {
  return { api: 'users', version: '2.0.0', method, template, operationId, deprecated: false, sunset: undefined, dataClasses: [], ...extra };
}

function documentedApi(operations: DocumentedOperation[], extra: Partial<DocumentedApi> = {}): DocumentedApi {
  const name = extra.name ?? operations[0]?.api ?? 'users';
  return { name, owner: undefined, source: 'openapi', files: [], versions: ['2.0.0'], operations: operations.map((op) => ({ ...op, api: name })), ...extra };
}

function call(method: string, path: string, status: number, extra: Partial<Observation> = {}): Observation {
  return { method, path, status, host: HOST, time: T0, ...extra };
}

function endpoint(inventory: Inventory, method: string, template: string): InventoryEndpoint {
  const found = inventory.endpoints.filter((candidate) => candidate.method === method && candidate.template === template);
  expect(found, `${method} ${template} among ${inventory.endpoints.map((e) => `${e.method} ${e.template}`).join(', ')}`).toHaveLength(1);
  return found[0]!;
}

const usersApi = (): DocumentedApi =>
  documentedApi([
    operation('GET', '/users/{id}', 'getUser'),
    operation('GET', '/users/me', 'getMe'),
    operation('GET', '/legacy/users', 'legacyUsers', { deprecated: true }),
    operation('GET', '/reports/{id}', 'getReport', { sunset: '2026-11-10' }),
    operation('GET', '/v1/users', 'listUsersV1', { version: '1.0.0', removedIn: '2.0.0' }),
    operation('GET', '/v1/export', 'exportV1', { version: '1.0.0', removedIn: '2.0.0' }),
    operation('GET', '/audit', 'getAudit'),
  ]);

describe('InventoryBuilder: classification', () => {
  it('classifies calls matching a current operation as documented, named by API and operation', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()] });
    for (let i = 0; i < 3; i++) builder.add(call('GET', `/users/${1000 + i}`, 200, { time: T0 + i }));
    const found = endpoint(builder.build(), 'GET', '/users/{id}');
    expect(found).toMatchObject({ classification: 'documented', api: 'users', operationId: 'getUser', host: HOST, hits: 3, statuses: { 200: 3 }, zombie: undefined });
    expect(found.firstSeen).toBe(new Date(T0).toISOString());
    expect(found.lastSeen).toBe(new Date(T0 + 2).toISOString());
  });

  it('classifies undocumented calls that answered 2xx as shadow, templated per host', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()] });
    for (let i = 0; i < 10; i++) builder.add(call('GET', `/exports/${randomUUID()}`, 200));
    const found = endpoint(builder.build(), 'GET', '/exports/{exportId}');
    expect(found).toMatchObject({ classification: 'shadow', api: undefined, operationId: undefined, host: HOST, hits: 10 });
  });

  it('counts a 3xx answer as answered: shadow, not unknown', () => {
    const builder = new InventoryBuilder({ documented: [] });
    builder.add(call('GET', '/old-login', 302));
    expect(endpoint(builder.build(), 'GET', '/old-login').classification).toBe('shadow');
  });

  it('classifies undocumented calls that only ever got 4xx as unknown, and lists no API for them', () => {
    const builder = new InventoryBuilder({ documented: [] });
    builder.add(call('GET', '/wp-login.php', 404));
    builder.add(call('GET', '/wp-login.php', 403));
    const inventory = builder.build();
    expect(endpoint(inventory, 'GET', '/wp-login.php').classification).toBe('unknown');
    expect(inventory.apis).toEqual([]);
  });

  it('lists undocumented traffic of a host as one ownerless traffic API', () => {
    const builder = new InventoryBuilder({ documented: [] });
    builder.add(call('GET', '/internal/metrics', 200));
    builder.add(call('GET', '/wp-login.php', 404));
    const apis = builder.build().apis;
    expect(apis).toEqual([expect.objectContaining({ name: HOST, owner: undefined, source: 'traffic', counts: { documented: 0, shadow: 1, zombie: 0, orphan: 0, unknown: 1 } })]);
  });

  it('classifies an undocumented method on a documented path as shadow', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()] });
    builder.add(call('DELETE', '/users/me', 204));
    const inventory = builder.build();
    expect(endpoint(inventory, 'DELETE', '/users/me').classification).toBe('shadow');
  });
});

describe('InventoryBuilder: zombies', () => {
  it('reports traffic to a deprecated operation that still answers as a serving zombie', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()] });
    builder.add(call('GET', '/legacy/users', 200));
    const found = endpoint(builder.build(), 'GET', '/legacy/users');
    expect(found.classification).toBe('zombie');
    expect(found.zombie).toMatchObject({ reason: 'deprecated', state: 'serving' });
  });

  it('reports a deprecated operation that only answers 404 or 410 as a probed zombie', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()] });
    builder.add(call('GET', '/legacy/users', 404));
    builder.add(call('GET', '/legacy/users', 410));
    expect(endpoint(builder.build(), 'GET', '/legacy/users').zombie).toMatchObject({ reason: 'deprecated', state: 'probed' });
  });

  it('reports calls after an operation\'s sunset as sunset zombies', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()] });
    builder.add(call('GET', '/reports/77', 200, { time: Date.UTC(2026, 10, 12) }));
    const found = endpoint(builder.build(), 'GET', '/reports/{id}');
    expect(found.classification).toBe('zombie');
    expect(found.zombie).toMatchObject({ reason: 'sunset', state: 'serving' });
    expect(found.zombie!.detail).toContain('2026-11-10');
  });

  it('keeps an operation with a future sunset documented while it is called before that day', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()] });
    builder.add(call('GET', '/reports/77', 200, { time: Date.UTC(2026, 10, 9) }));
    expect(endpoint(builder.build(), 'GET', '/reports/{id}')).toMatchObject({ classification: 'documented', zombie: undefined });
  });

  it('reports traffic to an operation a newer version removed as a removed zombie, serving or probed', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()] });
    builder.add(call('GET', '/v1/users', 200));
    builder.add(call('GET', '/v1/export', 410));
    const inventory = builder.build();
    expect(endpoint(inventory, 'GET', '/v1/users')).toMatchObject({ classification: 'zombie', operationId: 'listUsersV1', zombie: { reason: 'removed', state: 'serving' } });
    expect(endpoint(inventory, 'GET', '/v1/export').zombie).toMatchObject({ reason: 'removed', state: 'probed' });
    expect(endpoint(inventory, 'GET', '/v1/users').zombie!.detail).toContain('2.0.0');
  });
});

describe('InventoryBuilder: orphans', () => {
  it('reports a current operation without traffic as an orphan with no hits', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()] });
    builder.add(call('GET', '/users/1000', 200));
    expect(endpoint(builder.build(), 'GET', '/audit')).toMatchObject({ classification: 'orphan', hits: 0, host: undefined, api: 'users', operationId: 'getAudit' });
  });

  it('does not list an operation a newer version removed when nobody calls it', () => {
    const inventory = new InventoryBuilder({ documented: [usersApi()] }).build();
    expect(inventory.endpoints.some((candidate) => candidate.template === '/v1/users')).toBe(false);
  });

  it('reports an operation last called more than orphanDays before the window end as an orphan', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()], orphanDays: 30 });
    builder.add(call('GET', '/audit', 200, { time: T0 }));
    builder.add(call('GET', '/users/1000', 200, { time: T0 + 40 * DAY }));
    const inventory = builder.build();
    expect(endpoint(inventory, 'GET', '/audit')).toMatchObject({ classification: 'orphan', hits: 1 });
    expect(endpoint(inventory, 'GET', '/users/{id}').classification).toBe('documented');
  });

  it('keeps the same operation documented when orphanDays reaches back to its last call', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()], orphanDays: 60 });
    builder.add(call('GET', '/audit', 200, { time: T0 }));
    builder.add(call('GET', '/users/1000', 200, { time: T0 + 40 * DAY }));
    expect(endpoint(builder.build(), 'GET', '/audit').classification).toBe('documented');
  });
});

describe('InventoryBuilder: unregistered clients', () => {
  it('lists a client the gateway refused as unregistered, with its calls and times', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()] });
    builder.add(call('GET', '/users/1000', 401, { client: 'key_abc', time: T0 + 5 }), true);
    builder.add(call('GET', '/users/1001', 401, { client: 'key_abc', time: T0 + 1 }), true);
    builder.add(call('GET', '/users/1002', 200, { client: 'key_known', time: T0 }));
    const clients = builder.build().unregisteredClients;
    expect(clients).toEqual([{ client: 'key_abc', calls: 2, firstSeen: new Date(T0 + 1).toISOString(), lastSeen: new Date(T0 + 5).toISOString(), endpoints: ['GET /users/{id}'] }]);
  });

  it('lists clients the isRegistered callback does not know, and not the ones it knows', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()], isRegistered: (client) => client === 'key_known' });
    builder.add(call('GET', '/users/1000', 200, { client: 'key_known' }));
    builder.add(call('GET', '/users/1001', 200, { client: 'key_stranger' }));
    expect(builder.build().unregisteredClients.map((client) => client.client)).toEqual(['key_stranger']);
  });

  it('never lists a call the source attributes to a registered agent', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()], isRegistered: () => false });
    builder.add(call('GET', '/users/1000', 200, { client: 'key_abc', agent: 'crm-reader' }), true);
    expect(builder.build().unregisteredClients).toEqual([]);
  });

  it('lists nobody without the refusal flag or a registry to ask', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()] });
    builder.add(call('GET', '/users/1000', 200, { client: 'key_abc' }));
    expect(builder.build().unregisteredClients).toEqual([]);
  });

  it('names the endpoints a client touched by template, documented and inferred alike', () => {
    const builder = new InventoryBuilder({ documented: [usersApi()], isRegistered: () => false });
    for (let i = 0; i < 10; i++) {
      builder.add(call('GET', `/users/${1000 + i}`, 200, { client: 'key_abc' }));
      builder.add(call('GET', `/exports/${randomUUID()}`, 200, { client: 'key_abc' }));
    }
    const [client] = builder.build().unregisteredClients;
    expect(client!.endpoints).toEqual(['GET /exports/{exportId}', 'GET /users/{id}']);
    expect(client!.calls).toBe(20);
  });

  it('sorts clients by calls, most first', () => {
    const builder = new InventoryBuilder({ documented: [], isRegistered: () => false });
    builder.add(call('GET', '/a', 200, { client: 'key_rare' }));
    for (let i = 0; i < 3; i++) builder.add(call('GET', '/a', 200, { client: 'key_busy' }));
    expect(builder.build().unregisteredClients.map((client) => client.client)).toEqual(['key_busy', 'key_rare']);
  });
});

describe('InventoryBuilder: completeness', () => {
  it('counts only endpoints of an API with an owner as documented and owned', () => {
    const catalog = documentedApi([operation('GET', '/crm/contacts/{id}', 'getContact')], { name: 'crm', owner: 'team-crm', source: 'catalog', versions: ['catalog'] });
    const spec = documentedApi([operation('GET', '/billing/invoices/{id}', 'getInvoice')], { name: 'billing' });
    const builder = new InventoryBuilder({ documented: [catalog, spec] });
    builder.add(call('GET', '/crm/contacts/1234', 200));
    builder.add(call('GET', '/billing/invoices/5678', 200));
    builder.add(call('GET', '/internal/metrics', 200));
    builder.add(call('GET', '/wp-login.php', 404));
    const inventory = builder.build();
    expect(inventory.completeness).toEqual({ observed: 3, documentedAndOwned: 1, ratio: 1 / 3 });
    expect(inventory.apis.find((api) => api.name === 'billing')!.owner).toBeUndefined();
    expect(inventory.apis.find((api) => api.name === 'crm')!.owner).toBe('team-crm');
  });

  it('has no ratio when nothing was observed', () => {
    const inventory = new InventoryBuilder({ documented: [usersApi()] }).build();
    expect(inventory.completeness).toEqual({ observed: 0, documentedAndOwned: 0, ratio: null });
  });

  it('reports the calls and the window of the traffic', () => {
    const builder = new InventoryBuilder({ documented: [] });
    builder.add(call('GET', '/a', 200, { time: T0 + DAY }));
    builder.add(call('GET', '/a', 200, { time: T0 }));
    builder.add(call('GET', '/a', 200, { time: undefined }));
    const inventory = builder.build();
    expect(inventory.calls).toBe(3);
    expect(inventory.window).toEqual({ from: new Date(T0).toISOString(), to: new Date(T0 + DAY).toISOString() });
  });
});

describe('InventoryBuilder: data classes', () => {
  it('derives pii and confidential sensitivity from a shadow endpoint\'s response shape', () => {
    const builder = new InventoryBuilder({ documented: [] });
    builder.add(call('GET', '/contacts/1234', 200, { responseShape: 'email,id,name' }));
    expect(endpoint(builder.build(), 'GET', '/contacts/{contactId}')).toMatchObject({ dataClasses: ['pii'], sensitivity: 'confidential' });
  });

  it('keeps data classes the source saw in a shadow endpoint\'s calls (audit PII detection)', () => {
    const builder = new InventoryBuilder({ documented: [] });
    builder.add(call('GET', '/contacts/1234', 200, { dataClasses: ['pii'] }));
    expect(endpoint(builder.build(), 'GET', '/contacts/{contactId}')).toMatchObject({ dataClasses: ['pii'], sensitivity: 'confidential' });
  });

  it('joins documented data classes, classes seen in calls and classes of response shapes', () => {
    const api = documentedApi([operation('GET', '/users/{id}', 'getUser', { dataClasses: ['pii'] })]);
    const builder = new InventoryBuilder({ documented: [api] });
    builder.add(call('GET', '/users/1000', 200, { responseShape: 'iban,id', dataClasses: ['health'] }));
    const inventory = builder.build();
    expect(endpoint(inventory, 'GET', '/users/{id}')).toMatchObject({ dataClasses: ['financial', 'health', 'pii'], sensitivity: 'restricted' });
    expect(inventory.apis[0]).toMatchObject({ name: 'users', dataClasses: ['financial', 'health', 'pii'], sensitivity: 'restricted' });
  });

  it('leaves sensitivity unset when nothing sensitive was seen', () => {
    const builder = new InventoryBuilder({ documented: [] });
    builder.add(call('GET', '/status', 200, { responseShape: 'ok,uptime' }));
    expect(endpoint(builder.build(), 'GET', '/status')).toMatchObject({ dataClasses: [], sensitivity: undefined });
  });
});
