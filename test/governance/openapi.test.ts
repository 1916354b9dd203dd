import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileErrors, validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminAuthenticator } from '../../src/controlplane/admin-api/admin-authenticator.js';
import { createAdminServer } from '../../src/controlplane/admin-api/admin-server.js';
import { startGovernanceHarness, type GovernanceHarness, type Json } from '../support/governance-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROUTES_DIR = path.join(ROOT, 'src/controlplane/admin-api/routes');
/** Served on the admin port by admin-server.ts itself, outside the admin API: the document and ops endpoints. */
const PUBLIC_OPS = new Set(['GET /openapi.json', 'GET /healthz', 'GET /readyz', 'GET /metrics']);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** `/agents/:name` → `/agents/{name}`, as OpenAPI writes path parameters. */
const openApiPath = (route: string) => route.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');

/**
 * The routes the route modules register, read from their source: `app.get('/path', …)` and the
 * like. A template literal's `${…}` part is expanded with the string literals of the array the
 * loop around it walks (the owners' `leave`/`return`).
 */
function registeredRoutes(): string[] {
  const routes: string[] = [];
  for (const file of readdirSync(ROUTES_DIR).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(path.join(ROUTES_DIR, file), 'utf8');
    for (const match of source.matchAll(/\bapp\.(get|post|put|patch|delete)\(\s*(['`])([^'`]+)\2/g)) {
      const [, method, , route] = match as unknown as [string, string, string, string];
      if (!route.includes('${')) {
        routes.push(`${method.toUpperCase()} ${openApiPath(route)}`);
        continue;
      }
      // for (const [verb, …] of [['leave', …], ['return', …]] as const) app.post(`/owners/:email/${verb}`, …)
      const before = source.slice(0, match.index);
      const loop = /for \(const \[?(\w+)[^\]]*\]? of (\[[\s\S]*?\]) as const\)\s*\{?\s*$/.exec(before.slice(before.lastIndexOf('for (')));
      if (loop === null) throw new Error(`${file}: cannot expand the route template ${route}`);
      const values = [...loop[2]!.matchAll(/\[\s*'([^']+)'/g)].map((value) => value[1]!);
      expect(values.length).toBeGreaterThan(0);
      for (const value of values) routes.push(`${method.toUpperCase()} ${openApiPath(route.replaceAll(`\${${loop[1]}}`, value))}`);
    }
  }
  return routes.sort();
}

/** Every method and path in fastify's route tree (printRoutes without common prefixes). */
function servedRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:│   |    )*)(?:├── |└── )(\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (match === null) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    const full = stack.join('') + match[2]!;
    stack.push(match[2]!);
    for (const method of (match[3] ?? '').split(',').map((text) => text.trim()).filter(Boolean)) routes.push(`${method} ${openApiPath(full)}`);
  }
  return routes.sort();
}

function documentedRoutes(document: Json): string[] {
  const routes: string[] = [];
  for (const [route, item] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
    for (const method of METHODS) if (item[method] !== undefined) routes.push(`${method.toUpperCase()} ${route}`);
  }
  return routes.sort();
}

describe('the admin API document (GET /openapi.json)', () => {
  let h: GovernanceHarness;
  let document: Json;

  beforeAll(async () => {
    h = await startGovernanceHarness();
    // Public: a client reads it before it has a token.
    const response = await fetch(`${h.adminUrl}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    document = await response.json();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    const result = await validate(structuredClone(document));
    // compileErrors lists every problem with its location when there are any.
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
  });

  it('documents exactly the routes the route modules register', () => {
    const registered = registeredRoutes();
    expect(registered.length).toBeGreaterThan(20);
    expect(documentedRoutes(document)).toEqual(registered);
  });

  it('documents every route fastify serves, apart from the document itself and the ops endpoints', async () => {
    const governance = h.runtime.governance;
    const app = await createAdminServer({ governance, authenticator: new AdminAuthenticator(governance.tokens, [], h.directory, governance.context.now), ops: async () => false, audit: h.runtime.audit });
    try {
      await app.ready();
      const served = servedRoutes(app.printRoutes({ commonPrefix: false }));
      // HEAD is fastify's automatic twin of every GET route.
      const own = served.filter((route) => !route.startsWith('HEAD ') && !PUBLIC_OPS.has(route));
      expect(served).toEqual(expect.arrayContaining([...PUBLIC_OPS]));
      expect(own).toEqual(documentedRoutes(document));
    } finally {
      await app.close();
    }
  });

  it('answers every documented operation with the operation, never with "no admin route"', async () => {
    const root = h.as('root');
    for (const route of documentedRoutes(document)) {
      const [method, template] = route.split(' ') as [string, string];
      const target = template
        .replace('{action}', 'suspend')
        .replace('{email}', 'nobody@example.com')
        .replace(/\{[^}]+\}/g, 'no-such-thing');
      const answer = await root.request(method, target, method === 'GET' || method === 'DELETE' ? undefined : {});
      expect(answer.status, route).not.toBe(500);
      if (answer.status === 404) expect(answer.body.detail, route).not.toMatch(/^no admin route/);
    }
    // The not-found answer the probe above looks for.
    const missing = await root.get('/no-such-route');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'WARDEN_ADMIN_NOT_FOUND', detail: expect.stringMatching(/^no admin route GET \/no-such-route/) });
  });

  it('describes how to authenticate, what each operation takes and the problem documents it answers with', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.security).toEqual([{ bearer: [] }]);
    for (const name of ['Problem', 'AgentView', 'AgentDetail', 'LifecycleResult', 'KeyView', 'NewKey', 'AccessRequest', 'AgentReview', 'AdminEvent', 'TokenView']) {
      expect(document.components.schemas, name).toHaveProperty(name);
    }
    const action = document.paths['/agents/{name}/actions/{action}'].post;
    expect(action.summary).toMatch(/lifecycle action/);
    expect(action.parameters.map((parameter: Json) => parameter.name).sort()).toEqual(['action', 'name']);
    const actionParameter = action.parameters.find((parameter: Json) => parameter.name === 'action');
    expect(JSON.stringify(actionParameter.schema)).toContain('decommission');
    expect(Object.keys(action.responses)).toEqual(expect.arrayContaining(['200', '403', '404', '409']));
    expect(action.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/LifecycleResult');
    expect(document.components.schemas.LifecycleResult.properties).toHaveProperty('propagationMs');
    for (const route of documentedRoutes(document)) {
      const [method, template] = route.split(' ') as [string, string];
      const operation = document.paths[template][method.toLowerCase()];
      expect(operation.summary, route).toBeTruthy();
      expect(operation.tags?.length, route).toBeGreaterThan(0);
      expect(Object.keys(operation.responses).some((status) => status.startsWith('2')), route).toBe(true);
    }
  });
});
