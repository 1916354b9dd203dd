import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PathTemplater, type InferredEndpoint } from './path-templater.js';

/** `METHOD template` of every inferred endpoint, in the templater's order. */
function routes(templater: PathTemplater): string[] {
  return templater.endpoints().map((endpoint) => `${endpoint.method} ${endpoint.template}`);
}

function only(endpoints: readonly InferredEndpoint[]): InferredEndpoint {
  expect(endpoints.map((endpoint) => `${endpoint.method} ${endpoint.template}`)).toHaveLength(1);
  return endpoints[0]!;
}

/** A deterministic 32-hex string for `n`. */
function hex32(n: number): string {
  let out = '';
  for (let k = 0; k < 32; k++) out += ((n * 31 + k * 7 + (n >> 4)) % 16).toString(16);
  return out;
}

describe('PathTemplater: identifiers', () => {
  it('templates the issue example from a single call', () => {
    const templater = new PathTemplater();
    templater.observe('GET', '/customers/8812/orders/ab12cd34-5678-4def-9abc-1234567890ab', 200);
    expect(routes(templater)).toEqual(['GET /customers/{customerId}/orders/{orderId}']);
  });

  it('merges many customers and orders into one endpoint', () => {
    const templater = new PathTemplater();
    for (let i = 0; i < 25; i++) templater.observe('GET', `/customers/${8800 + i}/orders/${randomUUID()}`, 200);
    expect(routes(templater)).toEqual(['GET /customers/{customerId}/orders/{orderId}']);
  });

  it('keeps `/users/me` literal beside `/users/{id}`, whichever is seen first', () => {
    for (const meFirst of [true, false]) {
      const templater = new PathTemplater();
      if (meFirst) for (let i = 0; i < 30; i++) templater.observe('GET', '/users/me', 200);
      for (let i = 0; i < 30; i++) templater.observe('GET', `/users/${100_000 + 7 * i}`, 200);
      if (!meFirst) for (let i = 0; i < 30; i++) templater.observe('GET', '/users/me', 200);
      expect(routes(templater), `me first: ${meFirst}`).toEqual(['GET /users/me', 'GET /users/{userId}']);
    }
  });

  it('keeps a `.json` suffix after the parameter and a `Calls.json` sibling literal', () => {
    const templater = new PathTemplater();
    for (let i = 0; i < 20; i++) {
      templater.observe('GET', `/2010-04-01/Accounts/AC${hex32(i)}/Calls/CA${hex32(i + 100)}.json`, 200);
      templater.observe('GET', `/2010-04-01/Accounts/AC${hex32(i)}/Calls.json`, 200);
    }
    expect(routes(templater)).toEqual(['GET /2010-04-01/Accounts/{AccountId}/Calls.json', 'GET /2010-04-01/Accounts/{AccountId}/Calls/{CallId}.json']);
  });

  it('keeps a lone date prefix (`/2010-04-01/`) literal', () => {
    const templater = new PathTemplater();
    for (let i = 0; i < 20; i++) templater.observe('GET', '/2010-04-01/Accounts.json', 200);
    expect(routes(templater)).toEqual(['GET /2010-04-01/Accounts.json']);
  });

  it('keeps a lone small number (`/api/3/`) literal', () => {
    const templater = new PathTemplater();
    for (let i = 0; i < 20; i++) templater.observe('GET', '/api/3/users', 200);
    expect(routes(templater)).toEqual(['GET /api/3/users']);
  });

  it('merges small numbers seen side by side (`/boards/1` … `/boards/12`)', () => {
    const templater = new PathTemplater();
    for (let i = 1; i <= 12; i++) for (let k = 0; k < 3; k++) templater.observe('GET', `/boards/${i}/cards`, 200);
    expect(routes(templater)).toEqual(['GET /boards/{boardId}/cards']);
  });

  it('keeps versions literal (`/v1/`, `/v2/`)', () => {
    const templater = new PathTemplater();
    for (let i = 0; i < 20; i++) {
      templater.observe('GET', '/v1/status', 200);
      templater.observe('GET', '/v2/status', 200);
    }
    expect(routes(templater)).toEqual(['GET /v1/status', 'GET /v2/status']);
  });

  it('does not merge two literal collections that both hold numeric ids', () => {
    const templater = new PathTemplater();
    for (let i = 1; i <= 20; i++) {
      templater.observe('GET', `/repos/acme/widgets/issues/${i}`, 200);
      templater.observe('GET', `/repos/acme/widgets/pulls/${i}`, 200);
    }
    expect(routes(templater)).toEqual(['GET /repos/acme/widgets/issues/{issueId}', 'GET /repos/acme/widgets/pulls/{pullId}']);
  });

  it('does not merge top-level collections that both hold numeric ids', () => {
    const templater = new PathTemplater();
    for (let i = 1; i <= 20; i++) {
      templater.observe('GET', `/issues/${i}`, 200);
      templater.observe('GET', `/pulls/${i}`, 200);
    }
    expect(routes(templater)).toEqual(['GET /issues/{issueId}', 'GET /pulls/{pullId}']);
  });

  it('gives every parameter of a template a unique name', () => {
    const templater = new PathTemplater();
    for (let i = 0; i < 5; i++) templater.observe('GET', `/${randomUUID()}/${randomUUID()}`, 200);
    const [endpoint] = templater.endpoints();
    const names = [...endpoint!.template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
  });
});

describe('PathTemplater: names and RPC methods', () => {
  const methods = ['chat.postMessage', 'chat.update', 'chat.delete', 'conversations.list', 'conversations.history', 'conversations.info', 'users.info', 'users.list', 'files.upload', 'reactions.add'];

  it('never merges RPC method names, however often each is called', () => {
    const templater = new PathTemplater();
    for (const method of methods) for (let i = 0; i < 10; i++) templater.observe('POST', `/api/${method}`, 200);
    expect(routes(templater)).toEqual([...methods].sort().map((method) => `POST /api/${method}`));
  });

  it('never merges RPC method names each seen once', () => {
    const templater = new PathTemplater();
    for (const method of methods) templater.observe('POST', `/api/${method}`, 200);
    expect(routes(templater).every((route) => !route.includes('{'))).toBe(true);
    expect(routes(templater)).toHaveLength(methods.length);
  });

  it('merges realm names in the first segment when their subtrees look alike, and keeps real literals', () => {
    const templater = new PathTemplater();
    for (const realm of ['acme', 'globex', 'initech']) for (const collection of ['users', 'groups', 'clients']) for (let i = 0; i < 20; i++) templater.observe('GET', `/${realm}/${collection}`, 200);
    for (let i = 0; i < 20; i++) {
      templater.observe('GET', '/realms', 200);
      templater.observe('GET', '/serverinfo', 200);
    }
    const endpoints = templater.endpoints();
    expect(endpoints.map((endpoint) => endpoint.template.replace(/\{[^}]+\}/g, '{}'))).toEqual(['/realms', '/serverinfo', '/{}/clients', '/{}/groups', '/{}/users']);
    for (const endpoint of endpoints.filter((candidate) => candidate.template.includes('{'))) expect(endpoint.stats.hits).toBe(60);
  });

  it('takes thousands of sibling names for values even when each is seen often (daily users), and stays fast doing it', () => {
    const templater = new PathTemplater();
    for (let round = 0; round < 3; round++) for (let user = 0; user < 3000; user++) templater.observe('GET', `/users/user-${String.fromCharCode(97 + (user % 26))}${String.fromCharCode(97 + ((user / 26) | 0) % 26)}${String.fromCharCode(97 + ((user / 676) | 0))}`, 200);
    const endpoint = only(templater.endpoints());
    expect(endpoint.template).toMatch(/^\/users\/\{[^}]+\}$/);
    expect(endpoint.stats.hits).toBe(9000);
  });

  it('keeps a large RPC surface literal: 250 methods, each called a few times', () => {
    const templater = new PathTemplater();
    const surface = Array.from({ length: 250 }, (_, i) => `${['chat', 'users', 'files', 'admin', 'team'][i % 5]}.${['list', 'info', 'create', 'remove', 'update', 'archive', 'history', 'invite', 'kick', 'rename'][((i / 5) | 0) % 10]}${'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[(i / 50) | 0]}`);
    for (let round = 0; round < 3; round++) for (const method of surface) templater.observe('POST', `/api/${method}`, 200);
    const list = routes(templater);
    expect(list).toHaveLength(250);
    expect(list.every((route) => !route.includes('{'))).toBe(true);
  });

  it('merges many rarely seen usernames but keeps a hot name beside them literal', () => {
    const templater = new PathTemplater();
    const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj'];
    for (const name of names) templater.observe('GET', `/people/${name}`, 200);
    for (let i = 0; i < 40; i++) templater.observe('GET', '/people/search', 200);
    const list = routes(templater);
    expect(list).toContain('GET /people/search');
    expect(list).toHaveLength(2);
    expect(list.some((route) => /^GET \/people\/\{[^}]+\}$/.test(route))).toBe(true);
  });
});

describe('PathTemplater: statistics of merged values', () => {
  it('sums hits and statuses and keeps the earliest and latest time across merged values', () => {
    const templater = new PathTemplater();
    templater.observe('GET', '/customers/8812/orders/ab12cd34-5678-4def-9abc-1234567890ab', 200, 1_000);
    templater.observe('GET', '/customers/9913/orders/0f12cd34-5678-4def-9abc-1234567890ff', 404, 3_000);
    templater.observe('GET', '/customers/7714/orders/1112cd34-5678-4def-9abc-1234567890ee', 200, 2_000);
    templater.observe('GET', '/customers/6615/orders/2212cd34-5678-4def-9abc-1234567890dd', 500, 500);
    const endpoint = only(templater.endpoints());
    expect(endpoint.stats.hits).toBe(4);
    expect(Object.fromEntries(endpoint.stats.statuses)).toEqual({ 200: 2, 404: 1, 500: 1 });
    expect(endpoint.stats.firstSeen).toBe(500);
    expect(endpoint.stats.lastSeen).toBe(3_000);
  });

  it('keeps methods on one template apart, sorted by template then method', () => {
    const templater = new PathTemplater();
    for (let i = 0; i < 5; i++) {
      templater.observe('PUT', `/users/${1000 + i}`, 200);
      templater.observe('DELETE', `/users/${2000 + i}`, 204);
      templater.observe('GET', '/users', 200);
    }
    const endpoints = templater.endpoints();
    expect(endpoints.map((endpoint) => `${endpoint.method} ${endpoint.template} ${endpoint.stats.hits}`)).toEqual(['GET /users 5', 'DELETE /users/{userId} 5', 'PUT /users/{userId} 5']);
  });

  it('leaves firstSeen and lastSeen unset when no call had a time', () => {
    const templater = new PathTemplater();
    templater.observe('GET', '/health', 200);
    const endpoint = only(templater.endpoints());
    expect(endpoint.stats.firstSeen).toBeUndefined();
    expect(endpoint.stats.lastSeen).toBeUndefined();
  });
});

describe('PathTemplater: online compaction', () => {
  const OBSERVATIONS = 12_000;

  it('keeps every hit and yields one template for more than 10,000 fresh numeric ids', () => {
    const templater = new PathTemplater();
    for (let i = 0; i < OBSERVATIONS; i++) templater.observe('GET', `/items/${1_000_000 + i}`, 200, i);
    const endpoint = only(templater.endpoints());
    expect(endpoint.template).toBe('/items/{itemId}');
    expect(endpoint.stats.hits).toBe(OBSERVATIONS);
    expect(endpoint.stats.firstSeen).toBe(0);
    expect(endpoint.stats.lastSeen).toBe(OBSERVATIONS - 1);
  });

  it('keeps every hit for more than 10,000 fresh UUIDs under two endpoints', () => {
    const templater = new PathTemplater();
    for (let i = 0; i < OBSERVATIONS; i++) {
      templater.observe('GET', `/objects/${randomUUID()}`, i % 2 === 0 ? 200 : 404);
      templater.observe('GET', `/objects/${randomUUID()}/versions`, 200);
    }
    const endpoints = templater.endpoints();
    expect(endpoints.map((endpoint) => endpoint.template)).toEqual(['/objects/{objectId}', '/objects/{objectId}/versions']);
    expect(endpoints.reduce((sum, endpoint) => sum + endpoint.stats.hits, 0)).toBe(2 * OBSERVATIONS);
    expect(Object.fromEntries(endpoints[0]!.stats.statuses)).toEqual({ 200: OBSERVATIONS / 2, 404: OBSERVATIONS / 2 });
  });

  it('keeps every hit and yields one template for more than 10,000 fresh name-like values', () => {
    const words = ['amber', 'birch', 'cedar', 'delta', 'ember', 'frost', 'grove', 'haven', 'iris', 'juniper'];
    const templater = new PathTemplater();
    for (let i = 0; i < OBSERVATIONS; i++) {
      const slug = `${words[i % 10]}-${words[Math.floor(i / 10) % 10]}-${words[Math.floor(i / 100) % 10]}-${words[Math.floor(i / 1000) % 10]}${i >= 10_000 ? '-x' : ''}`;
      templater.observe('GET', `/people/${slug}/profile`, 200);
    }
    const endpoint = only(templater.endpoints());
    expect(endpoint.template).toMatch(/^\/people\/\{[^}]+\}\/profile$/);
    expect(endpoint.stats.hits).toBe(OBSERVATIONS);
  });

  it('keeps a literal first seen after compaction apart from the values', () => {
    const templater = new PathTemplater();
    for (let i = 0; i < OBSERVATIONS; i++) templater.observe('GET', `/items/${1_000_000 + i}`, 200);
    for (let i = 0; i < 30; i++) templater.observe('GET', '/items/featured', 200);
    expect(routes(templater)).toEqual(['GET /items/featured', 'GET /items/{itemId}']);
  });
});

describe('PathTemplater: templateOf', () => {
  function trained(): PathTemplater {
    const templater = new PathTemplater();
    for (let i = 0; i < 20; i++) templater.observe('GET', `/customers/${8800 + i}/orders/${randomUUID()}`, 200);
    for (let i = 0; i < 20; i++) templater.observe('GET', '/customers/me', 200);
    return templater;
  }

  it('throws before endpoints() has settled the templates', () => {
    expect(() => trained().templateOf('/customers/8812')).toThrow(/endpoints\(\)/);
  });

  it('returns the inferred template of a seen path, with the same parameter names as endpoints()', () => {
    const templater = trained();
    const templates = templater.endpoints().map((endpoint) => endpoint.template);
    const template = templater.templateOf('/customers/8812/orders/ab12cd34-5678-4def-9abc-1234567890ab');
    expect(template).toBe('/customers/{customerId}/orders/{orderId}');
    expect(templates).toContain(template);
  });

  it('returns the literal for a literal path', () => {
    const templater = trained();
    templater.endpoints();
    expect(templater.templateOf('/customers/me')).toBe('/customers/me');
  });

  it('resolves a merged name value and an id with a suffix to their templates', () => {
    const templater = new PathTemplater();
    for (const realm of ['acme', 'globex', 'initech']) for (const collection of ['users', 'groups']) for (let i = 0; i < 20; i++) templater.observe('GET', `/${realm}/${collection}`, 200);
    for (let i = 0; i < 5; i++) templater.observe('GET', `/Accounts/AC${hex32(1)}/Calls/CA${hex32(i)}.json`, 200);
    const templates = templater.endpoints().map((endpoint) => endpoint.template);
    const realm = templater.templateOf('/globex/groups');
    expect(realm).toMatch(/^\/\{[^}]+\}\/groups$/);
    expect(templates).toContain(realm);
    expect(templater.templateOf(`/Accounts/AC${hex32(1)}/Calls/CA${hex32(3)}.json`)).toBe('/Accounts/{AccountId}/Calls/{CallId}.json');
  });

  it('returns undefined for a path under nothing seen', () => {
    const templater = trained();
    templater.endpoints();
    expect(templater.templateOf('/invoices/123')).toBeUndefined();
  });

  it('refuses new observations once endpoints() was read', () => {
    const templater = trained();
    templater.endpoints();
    expect(() => templater.observe('GET', '/customers/1', 200)).toThrow(/finished/);
  });
});

describe('PathTemplater: response shapes', () => {
  it('keeps a literal that answers differently beside a busy parameter', () => {
    const templater = new PathTemplater();
    for (let i = 0; i < 20; i++) templater.observe('GET', `/users/${100_000 + i}`, 200, undefined, 'id,name');
    templater.observe('GET', '/users/settings', 200, undefined, 'locale,theme');
    expect(routes(templater)).toEqual(['GET /users/settings', 'GET /users/{userId}']);
  });

  it('keeps two literal siblings with the same subtree apart when they answer with different shapes', () => {
    const templater = new PathTemplater();
    for (const name of ['acme', 'globex']) {
      for (let i = 0; i < 10; i++) {
        templater.observe('GET', `/${name}/users`, 200);
        templater.observe('GET', `/${name}/groups`, 200);
      }
    }
    for (let i = 0; i < 5; i++) {
      templater.observe('GET', '/acme', 200, undefined, 'id,name');
      templater.observe('GET', '/globex', 200, undefined, 'status,uptime');
    }
    expect(routes(templater).every((route) => !route.includes('{'))).toBe(true);
    expect(routes(templater)).toHaveLength(6);
  });

  it('merges the same two siblings when they answer with the same shape', () => {
    const templater = new PathTemplater();
    for (const name of ['acme', 'globex']) {
      for (let i = 0; i < 10; i++) {
        templater.observe('GET', `/${name}/users`, 200);
        templater.observe('GET', `/${name}/groups`, 200);
      }
      for (let i = 0; i < 5; i++) templater.observe('GET', `/${name}`, 200, undefined, 'id,name');
    }
    expect(routes(templater).map((route) => route.replace(/\{[^}]+\}/g, '{}'))).toEqual(['GET /{}', 'GET /{}/groups', 'GET /{}/users']);
  });

  it('keeps literal leaves with different shapes apart', () => {
    const templater = new PathTemplater();
    for (const name of ['alpha', 'beta', 'gamma']) for (let i = 0; i < 5; i++) templater.observe('GET', `/config/${name}`, 200, undefined, `${name}Setting,updatedAt`);
    expect(routes(templater)).toEqual(['GET /config/alpha', 'GET /config/beta', 'GET /config/gamma']);
  });
});
