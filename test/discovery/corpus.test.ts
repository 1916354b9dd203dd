import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import {
  CorpusError,
  generateTraffic,
  loadCorpus,
  normalizeTemplate,
  scoreTemplates,
  truthEndpoints,
  type CorpusOperation,
  type CorpusParameter,
  type CorpusSpec,
  type LabelledObservation,
  type ParameterSchema,
  type ValueMode,
} from '../../bench/discovery/corpus.js';
import { patternValue, UnsupportedPatternError } from '../../bench/discovery/pattern-values.js';
import { schemaValue } from '../../bench/discovery/schema-values.js';
import { SeededRandom } from '../../bench/discovery/seeded-random.js';

const specs = loadCorpus();
const byName = (name: string): CorpusSpec => {
  const spec = specs.find((s) => s.name === name);
  if (!spec) throw new Error(`no spec ${name}`);
  return spec;
};
const op = (spec: string, method: string, template: string): CorpusOperation => {
  const found = byName(spec).operations.find((o) => o.method === method && o.template === template);
  if (!found) throw new Error(`no ${method} ${template} in ${spec}`);
  return found;
};

/**
 * Written independently of bench/discovery/template-routing.ts on purpose: the test's own
 * reading of a template, one capture per parameter, in order.
 */
function matchTemplate(template: string, concrete: string): Map<string, string> | undefined {
  const names: string[] = [];
  let source = '^';
  for (const part of template.split(/(\{[^}]*\})/)) {
    if (part.startsWith('{')) {
      names.push(part.slice(1, -1));
      source += '([^/]+)';
    } else {
      source += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const m = new RegExp(`${source}$`).exec(concrete);
  if (!m) return undefined;
  return new Map(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
}

const DEFAULT_STATUS: Record<string, number> = { GET: 200, POST: 201, DELETE: 204 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The test's own reading of what a schema allows. */
function honours(schema: ParameterSchema, value: string): boolean {
  if (schema.enum) return schema.enum.map(String).includes(value);
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) return false;
  if (schema.type === 'integer') {
    if (!/^\d+$/.test(value)) return false;
    const n = Number(value);
    return n >= (schema.minimum ?? 1) && n <= (schema.maximum ?? Number.MAX_SAFE_INTEGER);
  }
  if (schema.format === 'uuid' && !UUID.test(value)) return false;
  if (schema.format === 'date' && (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value)))) return false;
  if (schema.format === 'email' && !/^[^@/]+@[^@/]+\.[a-z]+$/.test(value)) return false;
  if (schema.minLength !== undefined && value.length < schema.minLength) return false;
  if (schema.maxLength !== undefined && value.length > schema.maxLength) return false;
  return !value.includes('/');
}

function pathParams(o: CorpusOperation): CorpusParameter[] {
  return o.parameters.filter((p) => p.in === 'path');
}

/** Values drawn per (operation, parameter) in some traffic. */
function valuesByParameter(spec: CorpusSpec, traffic: readonly LabelledObservation[]): Map<string, { param: CorpusParameter; values: string[] }> {
  const out = new Map<string, { param: CorpusParameter; values: string[] }>();
  for (const { observation, truth } of traffic) {
    const o = spec.operations.find((x) => x.operationId === truth.operationId)!;
    const values = matchTemplate(truth.template, observation.path)!;
    for (const param of pathParams(o)) {
      const key = `${truth.operationId} ${param.name}`;
      let entry = out.get(key);
      if (!entry) out.set(key, (entry = { param, values: [] }));
      entry.values.push(values.get(param.name)!);
    }
  }
  return out;
}

/** Whether a schema admits so few values that distinct draws cannot be expected. */
function smallDomain(schema: ParameterSchema): boolean {
  if (schema.enum) return true;
  if (schema.type === 'integer') return (schema.maximum ?? 1e7) - (schema.minimum ?? 1) < 10_000;
  return schema.pattern === '^[A-Z]{2}$';
}

describe('loadCorpus', () => {
  it('reads every document in the corpus', () => {
    expect(specs.length).toBeGreaterThanOrEqual(10);
    expect(specs.filter((s) => s.openapiVersion === '2.0').length).toBeGreaterThanOrEqual(1);
    expect(specs.filter((s) => /^3\.0\./.test(s.openapiVersion)).length).toBeGreaterThanOrEqual(1);
    expect(specs.filter((s) => /^3\.1\./.test(s.openapiVersion)).length).toBeGreaterThanOrEqual(1);
    for (const spec of specs) {
      expect(path.isAbsolute(spec.file)).toBe(true);
      expect(spec.operations.length, spec.name).toBeGreaterThanOrEqual(15);
      expect(spec.operations.length, spec.name).toBeLessThanOrEqual(80);
    }
    const methods = new Set(specs.flatMap((s) => s.operations.map((o) => o.method)));
    expect([...methods].sort()).toEqual(['DELETE', 'GET', 'PATCH', 'POST', 'PUT']);
  });

  it('has exactly the two named negative controls, all literal and RPC-heavy', () => {
    expect(specs.filter((s) => s.negativeControl).map((s) => s.name)).toEqual(['literal-admin', 'rpc-chat']);
    const rpc = byName('rpc-chat');
    expect(rpc.operations.length).toBeGreaterThanOrEqual(40);
    expect(rpc.operations.filter((o) => o.method === 'POST').length).toBeGreaterThan(rpc.operations.length / 2);
    expect(rpc.operations.map((o) => o.template)).toContain('/api/chat.postMessage');
    const admin = byName('literal-admin');
    expect(admin.operations.filter((o) => o.template.startsWith('/admin/settings/') && o.method === 'GET').length).toBeGreaterThanOrEqual(30);
    for (const spec of [rpc, admin]) for (const o of spec.operations) expect(o.template).not.toContain('{');
  });

  it('marks deprecated operations and past x-sunset dates', () => {
    expect(specs.filter((s) => s.operations.some((o) => o.deprecated)).length).toBeGreaterThanOrEqual(3);
    const sunsets = specs.flatMap((s) => s.operations.filter((o) => o.sunset !== undefined));
    expect(sunsets.length).toBeGreaterThan(0);
    for (const o of sunsets) {
      expect(o.sunset).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(Date.parse(o.sunset!)).toBeLessThan(Date.UTC(2026, 10, 1));
    }
    const send = op('billing-tenants', 'POST', '/{tenant}/invoices/{invoiceId}/send');
    expect(send).toMatchObject({ deprecated: true, sunset: '2025-06-30' });
    expect(op('billing-tenants', 'GET', '/{tenant}/invoices/{invoiceId}').deprecated).toBe(false);
  });

  it('prefixes templates with the Swagger 2.0 basePath and the 3.x server path', () => {
    expect(op('telephony-swagger2', 'GET', '/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json').operationId).toBe('FetchCall');
    expect(op('payments-prefixed-ids', 'GET', '/v1/customers/{customer}').operationId).toBe('RetrieveCustomer');
    // A relative server URL, and one whose host is a server variable.
    expect(op('project-tracker', 'GET', '/api/v3/users/me').operationId).toBe('getCurrentUser');
    expect(op('object-storage', 'POST', '/storage/v1beta/projects/{project}/buckets/{bucket}/objects/{object}:copy').operationId).toBe('storage.objects.copy');
    // No server path: the parameter is the very first segment.
    expect(op('identity-realms', 'GET', '/{realm}/users').operationId).toBe('listUsers');
    expect(op('billing-tenants', 'GET', '/{tenant}/invoices/{invoiceId}').operationId).toBe('getInvoice');
  });

  it('merges path-level and operation-level parameters and resolves $refs', () => {
    const retrieve = op('payments-prefixed-ids', 'GET', '/v1/customers/{customer}');
    expect(retrieve.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:customer', 'query:expand[]']);
    expect(retrieve.parameters[0]).toMatchObject({ required: true, schema: { type: 'string', pattern: '^cus_[A-Za-z0-9]{14,24}$', maxLength: 5000 } });
    // Swagger 2.0: `#/parameters/...`, facts on the parameter itself, formData dropped.
    const call = op('telephony-swagger2', 'POST', '/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json');
    expect(call.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:AccountSid', 'path:CallSid']);
    expect(call.parameters[0]!.schema).toMatchObject({ type: 'string', pattern: '^AC[0-9a-f]{32}$', minLength: 34, maxLength: 34 });
    const column = op('project-tracker', 'GET', '/api/v3/workspaces/{workspaceId}/projects/{projectId}/boards/{boardId}/columns/{columnId}');
    expect(column.parameters.find((p) => p.name === 'columnId')!.schema).toEqual({ type: 'integer', minimum: 1, maximum: 12 });
    expect(op('compute-regions', 'GET', '/v1/regions/{region}').parameters[0]!.schema.enum).toHaveLength(6);
  });

  it('fingerprints the 2xx response schema', () => {
    expect(op('payments-prefixed-ids', 'GET', '/v1/customers/{customer}').responseShape).toBe('address,balance,created,currency,email,id,metadata,name,object');
    expect(op('payments-prefixed-ids', 'GET', '/v1/customers').responseShape).toBe('data,has_more,object,url');
    expect(op('code-hosting', 'GET', '/repos/{owner}/{repo}/issues').responseShape).toBe('[assignees,body,comments,id,labels,number,state,title,user]');
    // allOf parts are merged.
    expect(op('code-hosting', 'GET', '/repos/{owner}/{repo}/pulls/{pull_number}').responseShape).toContain('mergeable');
    expect(op('code-hosting', 'GET', '/repos/{owner}/{repo}/pulls/{pull_number}').responseShape).toContain('assignees');
    // Swagger 2.0 response schema via definitions.
    expect(op('telephony-swagger2', 'GET', '/2010-04-01/Accounts/{AccountSid}/Queues/{QueueSid}.json').responseShape).toBe('account_sid,average_wait_time,current_size,friendly_name,max_size,sid');
    // `application/fhir+json` counts as JSON; no schema, no shape.
    expect(op('clinical-resources', 'GET', '/fhir/R4/metadata').responseShape).toBe('date,fhirVersion,format,resourceType,rest,status');
    expect(op('code-hosting', 'DELETE', '/gists/{gist_id}').responseShape).toBeUndefined();
  });

  describe('problems', () => {
    const write = (files: Record<string, string>): string => {
      const dir = mkdtempSync(path.join(tmpdir(), 'warden-corpus-'));
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
      return dir;
    };
    const spec = (paths: string): string =>
      `openapi: 3.0.3\ninfo: { title: t, version: '1' }\npaths:\n${paths}`;
    const idParam = (name: string): string => `[{ name: ${name}, in: path, required: true, schema: { type: integer } }]`;

    it('reports two templates that normalize the same', () => {
      const dir = write({
        'bad.yaml': spec(
          `  /users/{id}:\n    get: { operationId: a, parameters: ${idParam('id')}, responses: {} }\n` +
            `  /users/{name}:\n    delete: { operationId: b, parameters: ${idParam('name')}, responses: {} }\n`,
        ),
      });
      try {
        expect(() => loadCorpus(dir)).toThrow(CorpusError);
        expect(() => loadCorpus(dir)).toThrow(/\/users\/\{name\} and \/users\/\{id\} are the same template/);
      } finally {
        rmSync(dir, { recursive: true });
      }
    });

    it('reports undeclared path parameters, broken $refs and unknown formats, naming the file', () => {
      const dir = write({
        'a.yaml': spec(`  /x/{id}:\n    get: { operationId: a, responses: {} }\n`),
        'b.yaml': spec(`  /y:\n    get: { operationId: b, parameters: [{ $ref: '#/components/parameters/nope' }], responses: {} }\n`),
        'c.yaml': 'asyncapi: 2.6.0\n',
      });
      try {
        let error: unknown;
        try {
          loadCorpus(dir);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(CorpusError);
        const problems = (error as CorpusError).problems.join('\n');
        expect(problems).toMatch(/a\.yaml: GET \/x\/\{id\}: \{id\} in \/x\/\{id\} has no path parameter/);
        expect(problems).toMatch(/b\.yaml: .*#\/components\/parameters\/nope/);
        expect(problems).toMatch(/c\.yaml: neither/);
      } finally {
        rmSync(dir, { recursive: true });
      }
    });
  });
});

describe('generateTraffic', () => {
  const REQUESTS = 4;

  describe.each(specs.map((s) => [s.name, s] as const))('%s', (_name, spec) => {
    const traffic = generateTraffic(spec, { mode: 'fresh', requestsPerOperation: REQUESTS, seed: 42 });

    it('labels every concrete path with a template it matches, with values the schema allows', () => {
      expect(traffic).toHaveLength(spec.operations.length * REQUESTS);
      const literalTemplates = new Set(spec.operations.filter((o) => !o.template.includes('{')).map((o) => o.template));
      for (const { observation, truth } of traffic) {
        const o = spec.operations.find((x) => x.operationId === truth.operationId)!;
        expect(truth).toEqual({ method: o.method, template: o.template, operationId: o.operationId });
        expect(observation.method).toBe(o.method);
        const values = matchTemplate(truth.template, observation.path);
        expect(values, `${observation.path} vs ${truth.template}`).toBeDefined();
        for (const param of pathParams(o)) {
          const value = values!.get(param.name)!;
          expect(honours(param.schema, value), `${param.name}=${value} in ${observation.path}`).toBe(true);
        }
        // A value never turns the path into a literal sibling's (`/users/me` for `/users/{id}`).
        if (truth.template.includes('{')) expect(literalTemplates.has(observation.path), observation.path).toBe(false);
        // Reserved characters in values are escaped.
        expect(observation.path).not.toMatch(/[@\s?#]/);
      }
    });

    it('fills the other observation fields', () => {
      let previous = -Infinity;
      for (const { observation, truth } of traffic) {
        const o = spec.operations.find((x) => x.operationId === truth.operationId)!;
        expect(observation.status).toBe(DEFAULT_STATUS[o.method] ?? 200);
        expect(observation.host).toBe(`${spec.name}.api.test`);
        expect(observation.client).toMatch(/^key_[0-9a-f]{12}$/);
        expect(observation.time!).toBeGreaterThan(previous);
        previous = observation.time!;
        const declared = o.parameters.filter((p) => p.in === 'query');
        for (const q of observation.queryNames ?? []) expect(declared.map((p) => p.name)).toContain(q);
        for (const p of declared.filter((d) => d.required)) expect(observation.queryNames).toContain(p.name);
        if (observation.queryNames) expect(observation.queryNames.length).toBeGreaterThan(0);
        expect(observation.responseShape).toBe(o.method === 'GET' ? o.responseShape : undefined);
        expect(observation.api).toBeUndefined();
        expect(observation.operation).toBeUndefined();
      }
      expect(traffic[0]!.observation.time).toBeGreaterThan(Date.UTC(2026, 10, 1));
      expect(traffic[0]!.observation.time).toBeLessThanOrEqual(Date.UTC(2026, 10, 1) + 5);
    });

    it('interleaves operations', () => {
      const ids = traffic.map((t) => t.truth.operationId);
      const adjacentSame = ids.slice(1).filter((id, i) => id === ids[i]).length;
      // Grouped output would have (REQUESTS - 1) per operation; shuffled, about 1/operations.
      expect(adjacentSame).toBeLessThan(spec.operations.length * (REQUESTS - 1) * 0.3);
    });
  });

  it('draws fresh values per request wherever the schema has room', () => {
    for (const spec of specs) {
      const traffic = generateTraffic(spec, { mode: 'fresh', requestsPerOperation: 20, seed: 3 });
      for (const [key, { param, values }] of valuesByParameter(spec, traffic)) {
        if (smallDomain(param.schema)) continue;
        const distinct = new Set(values).size;
        // Name-like values come from word lists of a few hundred, so a rare repeat is allowed.
        const names = param.schema.type === 'string' && param.schema.pattern === undefined && param.schema.format === undefined;
        expect(distinct, `${spec.name} ${key}`).toBeGreaterThanOrEqual(names ? 17 : 20);
      }
    }
  });

  it('repeats concrete values from a pool of ten in repeated mode', () => {
    for (const spec of specs) {
      const traffic = generateTraffic(spec, { mode: 'repeated', requestsPerOperation: 40, seed: 5 });
      const paths = new Set(traffic.map((t) => t.observation.path));
      if (!spec.negativeControl) expect(paths.size, spec.name).toBeLessThan(traffic.length);
      const perParameter = new Map<string, Set<string>>();
      for (const [, { param, values }] of valuesByParameter(spec, traffic)) {
        // Pools are shared by parameter name and schema across operations.
        const key = `${param.name} ${JSON.stringify(param.schema)}`;
        const set = perParameter.get(key) ?? new Set<string>();
        for (const v of values) set.add(v);
        perParameter.set(key, set);
      }
      for (const [key, set] of perParameter) expect(set.size, `${spec.name} ${key}`).toBeLessThanOrEqual(10);
    }
    const realms = new Set(
      generateTraffic(byName('identity-realms'), { mode: 'repeated', requestsPerOperation: 40, seed: 5 }).map((t) => t.observation.path.split('/')[1]),
    );
    expect(realms.size).toBe(10 + 2); // ten realms, plus the literal first segments /realms and /serverinfo
  });

  it('keeps 2 to 5 values per parameter in low-cardinality mode', () => {
    for (const spec of specs) {
      const traffic = generateTraffic(spec, { mode: 'low-cardinality', requestsPerOperation: 30, seed: 11 });
      for (const [key, { param, values }] of valuesByParameter(spec, traffic)) {
        const distinct = new Set(values).size;
        expect(distinct, `${spec.name} ${key}`).toBeLessThanOrEqual(5);
        if (!param.schema.enum) expect(distinct, `${spec.name} ${key}`).toBeGreaterThanOrEqual(2);
      }
    }
    const tenants = generateTraffic(byName('billing-tenants'), { mode: 'low-cardinality', requestsPerOperation: 10, seed: 1 })
      .filter((t) => t.truth.template.startsWith('/{tenant}'))
      .map((t) => t.observation.path.split('/')[1]);
    expect(new Set(tenants).size).toBeGreaterThanOrEqual(2);
    expect(new Set(tenants).size).toBeLessThanOrEqual(5);
    for (const t of tenants) expect(t).not.toBe('platform');
  });

  it('produces name-like values for plain string names and never a literal sibling', () => {
    const traffic = generateTraffic(byName('code-hosting'), { mode: 'fresh', requestsPerOperation: 5, seed: 9 });
    const owners = traffic.filter((t) => t.truth.template.startsWith('/repos/{owner}/{repo}')).map((t) => t.observation.path.split('/'));
    for (const [, , owner, repo] of owners) {
      expect(owner).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(repo).toMatch(/^[a-z][a-z0-9-]*$/);
    }
    const releases = traffic.filter((t) => t.truth.template === '/repos/{owner}/{repo}/releases/{release_id}');
    for (const r of releases) expect(r.observation.path.endsWith('/latest')).toBe(false);
    const compute = generateTraffic(byName('compute-regions'), { mode: 'low-cardinality', requestsPerOperation: 10, seed: 2 });
    for (const t of compute.filter((x) => x.truth.template.startsWith('/v1/regions/{region}'))) expect(t.observation.path.split('/')[3]).not.toBe('global');
  });

  it('is deterministic in the seed', () => {
    const spec = byName('payments-prefixed-ids');
    for (const mode of ['fresh', 'repeated', 'low-cardinality'] as ValueMode[]) {
      const a = generateTraffic(spec, { mode, requestsPerOperation: 3, seed: 1234 });
      const b = generateTraffic(spec, { mode, requestsPerOperation: 3, seed: 1234 });
      const c = generateTraffic(spec, { mode, requestsPerOperation: 3, seed: 1235 });
      expect(a).toEqual(b);
      expect(c.map((t) => t.observation.path)).not.toEqual(a.map((t) => t.observation.path));
    }
  });

  it('honours statusFor and startTime', () => {
    const spec = byName('rpc-chat');
    const traffic = generateTraffic(spec, { mode: 'fresh', requestsPerOperation: 1, seed: 1, statusFor: (o) => (o.deprecated ? 410 : 200), startTime: 1_000 });
    for (const { observation, truth } of traffic) {
      const deprecated = spec.operations.find((o) => o.operationId === truth.operationId)!.deprecated;
      expect(observation.status).toBe(deprecated ? 410 : 200);
    }
    expect(Math.min(...traffic.map((t) => t.observation.time!))).toBeGreaterThan(1_000);
    expect(generateTraffic(spec, { mode: 'fresh', requestsPerOperation: 0, seed: 1 })).toEqual([]);
  });

  it('lists the distinct truth endpoints of some traffic', () => {
    const spec = byName('compute-regions');
    const traffic = generateTraffic(spec, { mode: 'repeated', requestsPerOperation: 3, seed: 1 });
    const truth = truthEndpoints(traffic);
    expect(truth).toHaveLength(spec.operations.length);
    expect(scoreTemplates(truth, spec.operations).f1).toBe(1);
  });
});

describe('value generation', () => {
  it('generates strings matching the supported pattern subset', () => {
    const rng = new SeededRandom(1);
    const patterns = [
      '^cus_[A-Za-z0-9]{14,24}$',
      '^AC[0-9a-f]{32}$',
      '^(SM|MM)[0-9a-f]{32}$',
      '^[0-9A-HJKMNP-TV-Z]{26}$',
      '^[A-Za-z0-9_-]{43}$',
      '^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$',
      '^[A-Z]{4,8}(-[0-9]{2,4})?$',
      '^v\\d+\\.\\d+(?:\\.\\d+)?$',
      '^\\w+$',
      '^[^/]+$',
      '^[A-Za-z0-9\\-\\.]{1,64}$',
      'x+y*z?',
      '^(a|b(c|d)+)e$',
      '^\\u0041[\\x61-\\x63]$',
    ];
    for (const pattern of patterns) {
      for (let i = 0; i < 50; i++) {
        const value = patternValue(pattern, rng);
        expect(new RegExp(pattern).test(value), `${value} for ${pattern}`).toBe(true);
        expect(value).not.toContain('/');
      }
    }
  });

  it('refuses patterns outside the subset, and falls back to the schema when it can', () => {
    const rng = new SeededRandom(2);
    for (const pattern of ['^(?=.*\\d)[a-z0-9]{8}$', '^(a)\\1$', '^\\bword$', '^\\s+$', '^\\p{L}+$']) {
      expect(() => patternValue(pattern, rng), pattern).toThrow(UnsupportedPatternError);
    }
    // A lookahead that plain length-bounded strings satisfy often enough.
    const schema: ParameterSchema = { type: 'string', pattern: '^(?=.*[0-9])[A-Za-z0-9]{8,12}$', minLength: 8, maxLength: 12 };
    for (let i = 0; i < 20; i++) expect(schemaValue(schema, 'token', rng)).toMatch(/^(?=.*[0-9])[A-Za-z0-9]{8,12}$/);
    // Unsatisfiable by the fallback: the example is the last resort.
    const withExample: ParameterSchema = { type: 'string', pattern: '^(?=X)X\\s{3}$', example: 'X   ' };
    expect(schemaValue(withExample, 'odd', rng)).toBe('X   ');
  });

  it('follows type, format, bounds and enum', () => {
    const rng = new SeededRandom(3);
    for (let i = 0; i < 200; i++) {
      expect(schemaValue({ type: 'string', format: 'uuid' }, 'id', rng)).toMatch(UUID);
      const n = Number(schemaValue({ type: 'integer', minimum: 5, maximum: 9 }, 'n', rng));
      expect(n).toBeGreaterThanOrEqual(5);
      expect(n).toBeLessThanOrEqual(9);
      const exclusive = Number(schemaValue({ type: 'integer', minimum: 0, maximum: 3, exclusiveMinimum: true, exclusiveMaximum: true }, 'n', rng));
      expect([1, 2]).toContain(exclusive);
      expect(['a', 'b']).toContain(schemaValue({ type: 'string', enum: ['a', 'b'] }, 'e', rng));
      const date = schemaValue({ type: 'string', format: 'date' }, 'd', rng);
      expect(new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10)).toBe(date);
      const s = schemaValue({ type: 'string', minLength: 4, maxLength: 6 }, 'code', rng);
      expect(s.length).toBeGreaterThanOrEqual(4);
      expect(s.length).toBeLessThanOrEqual(6);
    }
  });
});

describe('normalizeTemplate', () => {
  it('erases parameter names only', () => {
    expect(normalizeTemplate('/a/{x}/b/{y}.json')).toBe('/a/{}/b/{}.json');
    expect(normalizeTemplate('/p/{object}:copy')).toBe('/p/{}:copy');
    expect(normalizeTemplate('/{realm}/users/{id}')).toBe('/{}/users/{}');
    expect(normalizeTemplate('/api/chat.postMessage')).toBe('/api/chat.postMessage');
    expect(normalizeTemplate('/a/{}')).toBe('/a/{}');
  });
});

describe('scoreTemplates', () => {
  const e = (method: string, template: string): { method: string; template: string } => ({ method, template });

  it('scores a perfect inference as 1 whatever the parameter names', () => {
    const score = scoreTemplates([e('GET', '/users/{p1}'), e('get', '/users/me')], [e('GET', '/users/{id}'), e('GET', '/users/me')]);
    expect(score).toEqual({ precision: 1, recall: 1, f1: 1, truePositives: 2, falsePositives: [], falseNegatives: [] });
  });

  it('counts distinct endpoints, by method', () => {
    const score = scoreTemplates(
      [e('GET', '/a/{x}'), e('GET', '/a/{y}'), e('GET', '/b/x'), e('POST', '/c')],
      [e('GET', '/a/{id}'), e('GET', '/b/{id}'), e('GET', '/c'), e('GET', '/a/{id}')],
    );
    expect(score.truePositives).toBe(1);
    expect(score.precision).toBeCloseTo(1 / 3);
    expect(score.recall).toBeCloseTo(1 / 3);
    expect(score.f1).toBeCloseTo(1 / 3);
    expect(score.falsePositives).toEqual(['GET /b/x', 'POST /c']);
    expect(score.falseNegatives).toEqual(['GET /b/{}', 'GET /c']);
  });

  it('takes the harmonic mean', () => {
    const score = scoreTemplates([e('GET', '/a'), e('GET', '/b'), e('GET', '/x')], [e('GET', '/a'), e('GET', '/b'), e('GET', '/c'), e('GET', '/d')]);
    expect(score.precision).toBeCloseTo(2 / 3);
    expect(score.recall).toBeCloseTo(1 / 2);
    expect(score.f1).toBeCloseTo(4 / 7);
  });

  it('defines 0/0 as 1, and F1 as 0 when nothing is right', () => {
    expect(scoreTemplates([], [])).toMatchObject({ precision: 1, recall: 1, f1: 1, truePositives: 0 });
    expect(scoreTemplates([], [e('GET', '/a')])).toMatchObject({ precision: 1, recall: 0, f1: 0, falseNegatives: ['GET /a'] });
    expect(scoreTemplates([e('GET', '/a')], [])).toMatchObject({ precision: 0, recall: 1, f1: 0, falsePositives: ['GET /a'] });
    expect(scoreTemplates([e('GET', '/a')], [e('GET', '/b')])).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });

  it('gives the negative controls a perfect score only when nothing is merged', () => {
    for (const spec of specs.filter((s) => s.negativeControl)) {
      const traffic = generateTraffic(spec, { mode: 'fresh', requestsPerOperation: 2, seed: 1 });
      const truth = truthEndpoints(traffic);
      expect(scoreTemplates(truth, truth).f1).toBe(1);
      const merged = [...truth.slice(2), e(truth[0]!.method, truth[0]!.template.replace(/[^/]+$/, '{x}'))];
      expect(scoreTemplates(merged, truth).f1).toBeLessThan(1);
    }
  });
});
