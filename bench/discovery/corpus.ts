/**
 * The API discovery evaluation corpus: hand-written OpenAPI documents (bench/discovery/corpus/)
 * whose operations are the ground truth that path templating is scored against. This module
 * loads them into a flat, version-independent form; traffic.ts turns them into labelled
 * observations and scoring.ts scores inferred templates.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { ParameterSchema } from './schema-values.js';
import { normalizeTemplate } from './scoring.js';

export type { ParameterSchema } from './schema-values.js';
export { normalizeTemplate, scoreTemplates, type TemplateScore } from './scoring.js';
export { generateTraffic, truthEndpoints, type LabelledObservation, type TrafficOptions, type ValueMode } from './traffic.js';

/** One parameter of an operation, after `$ref`s are resolved and path-level ones merged in. */
export interface CorpusParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly schema: ParameterSchema;
}

/** One operation of a corpus spec: the truth for one endpoint. */
export interface CorpusOperation {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Full path template: server path (3.x) or basePath (2.0) prefix, then the path key, OpenAPI braces. */
  readonly template: string;
  readonly operationId: string;
  readonly deprecated: boolean;
  /** `x-sunset` of the operation, YYYY-MM-DD. */
  readonly sunset?: string;
  readonly parameters: readonly CorpusParameter[];
  /**
   * Fingerprint of the first 2xx response's JSON schema: sorted top-level property names
   * joined by `,`, or `[` + the item's + `]` for an array; absent when the spec declares none.
   */
  readonly responseShape?: string;
}

/** One corpus document. */
export interface CorpusSpec {
  /** File name without extension. */
  readonly name: string;
  /** Absolute path of the document. */
  readonly file: string;
  /** `swagger` (2.0) or `openapi` (3.0.x, 3.1.x) version of the document. */
  readonly openapiVersion: string;
  /** True when no operation has a path parameter: a templater must merge nothing here. */
  readonly negativeControl: boolean;
  readonly operations: readonly CorpusOperation[];
}

/** A corpus document is malformed or would make scoring ambiguous. */
export class CorpusError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`discovery corpus has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    this.name = 'CorpusError';
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const PARAMETER_LOCATIONS = new Set(['path', 'query', 'header', 'cookie']);

type Json = Record<string, unknown>;

/** Loads every `*.yaml`/`*.yml` OpenAPI 3.x or Swagger 2.0 document in `dir` (default: the bundled corpus); throws CorpusError on any problem. */
export function loadCorpus(dir: string = defaultCorpusDir()): CorpusSpec[] {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const problems: string[] = [];
  const specs: CorpusSpec[] = [];
  for (const f of files) {
    const file = path.resolve(dir, f);
    const problem = (text: string): number => problems.push(`${f}: ${text}`);
    try {
      const spec = loadSpec(file, problem);
      if (spec) specs.push(spec);
    } catch (error) {
      // A broken $ref surfaces as a throw from deep inside; report it with the file name.
      problem((error as Error).message);
    }
  }
  if (problems.length > 0) throw new CorpusError(problems);
  return specs;
}

/**
 * bench/discovery/corpus next to this module when run from source (vitest, tsx); from the
 * compiled dist/bench/discovery/, the YAML is not copied, so climb to the package root.
 */
function defaultCorpusDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'corpus');
  if (existsSync(beside)) return beside;
  for (let dir = here; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'bench', 'discovery', 'corpus');
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return beside;
  }
}

function loadSpec(file: string, problem: (text: string) => void): CorpusSpec | undefined {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    problem(`not valid YAML: ${(error as Error).message}`);
    return undefined;
  }
  if (!isObject(doc)) {
    problem('not a mapping');
    return undefined;
  }
  const swagger2 = doc['swagger'] === '2.0';
  if (!swagger2 && !(typeof doc['openapi'] === 'string' && /^3\.[01]\./.test(doc['openapi']))) {
    problem('neither `swagger: "2.0"` nor `openapi: 3.0.x/3.1.x`');
    return undefined;
  }
  const prefix = swagger2 ? basePathOf(doc) : serverPathOf(doc);
  const paths = doc['paths'];
  if (!isObject(paths)) {
    problem('no paths');
    return undefined;
  }
  const operations: CorpusOperation[] = [];
  for (const [key, rawItem] of Object.entries(paths)) {
    const item = deref(doc, rawItem);
    if (!isObject(item)) {
      problem(`path ${key} is not a mapping`);
      continue;
    }
    const template = joinTemplate(prefix, key);
    const shared = parametersOf(doc, item['parameters'], swagger2, (t) => problem(`${key}: ${t}`));
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      if (!isObject(op)) {
        problem(`${method.toUpperCase()} ${key} is not a mapping`);
        continue;
      }
      const where = `${method.toUpperCase()} ${key}`;
      const own = parametersOf(doc, op['parameters'], swagger2, (t) => problem(`${where}: ${t}`));
      // Operation-level parameters override path-level ones with the same name and location.
      const merged = new Map<string, CorpusParameter>();
      for (const p of [...shared, ...own]) merged.set(`${p.in}:${p.name}`, p);
      const parameters = [...merged.values()];
      checkPathParameters(template, key, parameters, (t) => problem(`${where}: ${t}`));
      const sunset = sunsetOf(op['x-sunset'], (t) => problem(`${where}: ${t}`));
      const responseShape = responseShapeOf(doc, op['responses'], swagger2);
      operations.push({
        method: method.toUpperCase(),
        template,
        operationId: typeof op['operationId'] === 'string' ? op['operationId'] : `${method.toUpperCase()} ${template}`,
        deprecated: op['deprecated'] === true,
        ...(sunset !== undefined ? { sunset } : {}),
        parameters,
        ...(responseShape !== undefined ? { responseShape } : {}),
      });
    }
  }
  checkAmbiguity(operations, problem);
  return {
    name: path.basename(file).replace(/\.ya?ml$/, ''),
    file,
    openapiVersion: swagger2 ? '2.0' : String(doc['openapi']),
    negativeControl: operations.length > 0 && operations.every((o) => !o.template.includes('{')),
    operations,
  };
}

function basePathOf(doc: Json): string {
  const base = doc['basePath'];
  return typeof base === 'string' ? base.replace(/\/+$/, '') : '';
}

/**
 * The path part of `servers[0].url` (absolute or relative), with server variables replaced by
 * their defaults: a variable there is deployment configuration, not an endpoint parameter.
 */
function serverPathOf(doc: Json): string {
  const servers = doc['servers'];
  const first: unknown = Array.isArray(servers) ? servers[0] : undefined;
  if (!isObject(first) || typeof first['url'] !== 'string') return '';
  const variables = isObject(first['variables']) ? first['variables'] : {};
  const url = first['url'].replace(/\{([^{}]+)\}/g, (whole, name: string) => {
    const v = variables[name];
    return isObject(v) && v['default'] !== undefined ? String(v['default']) : whole;
  });
  const pathPart = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  return pathPart.replace(/\/+$/, '');
}

function joinTemplate(prefix: string, key: string): string {
  if (prefix === '') return key;
  return key === '/' ? `${prefix}/` : `${prefix}${key}`;
}

function parametersOf(doc: Json, raw: unknown, swagger2: boolean, problem: (t: string) => void): CorpusParameter[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problem('parameters is not a list');
    return [];
  }
  const out: CorpusParameter[] = [];
  for (const entry of raw) {
    const p = deref(doc, entry);
    if (!isObject(p) || typeof p['name'] !== 'string' || typeof p['in'] !== 'string') {
      problem(`parameter ${JSON.stringify(entry)} has no name or in`);
      continue;
    }
    // Swagger 2.0 `body` and `formData` parameters are request bodies, not URL parts.
    if (!PARAMETER_LOCATIONS.has(p['in'])) continue;
    const source = swagger2 ? p : deref(doc, p['schema']);
    const schema = schemaOf(doc, isObject(source) ? source : {});
    const example = schema.example ?? p['example'];
    out.push({
      name: p['name'],
      in: p['in'] as CorpusParameter['in'],
      required: p['required'] === true || p['in'] === 'path',
      schema: example !== undefined ? { ...schema, example } : schema,
    });
  }
  return out;
}

/** The value-describing facts of a schema; `allOf` parts are merged, 3.1 type lists lose `null`. */
function schemaOf(doc: Json, raw: Json): ParameterSchema {
  let merged: Json = {};
  for (const part of Array.isArray(raw['allOf']) ? raw['allOf'] : []) {
    const resolved = deref(doc, part);
    if (isObject(resolved)) merged = { ...merged, ...schemaOf(doc, resolved) };
  }
  merged = { ...merged, ...raw };
  let type = merged['type'];
  if (Array.isArray(type)) type = type.find((t) => t !== 'null');
  const pick = <T>(key: string, guard: (v: unknown) => v is T): T | undefined => (guard(merged[key]) ? (merged[key] as T) : undefined);
  const isNumber = (v: unknown): v is number => typeof v === 'number';
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isNumberOrBool = (v: unknown): v is number | boolean => typeof v === 'number' || typeof v === 'boolean';
  const enumValues = Array.isArray(merged['enum'])
    ? merged['enum'].filter((v): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v))
    : undefined;
  const example = merged['example'] ?? (Array.isArray(merged['examples']) ? merged['examples'][0] : undefined);
  const entries: [string, unknown][] = [
    ['type', typeof type === 'string' ? type : undefined],
    ['format', pick('format', isString)],
    ['pattern', pick('pattern', isString)],
    ['enum', enumValues],
    ['minimum', pick('minimum', isNumber)],
    ['maximum', pick('maximum', isNumber)],
    ['exclusiveMinimum', pick('exclusiveMinimum', isNumberOrBool)],
    ['exclusiveMaximum', pick('exclusiveMaximum', isNumberOrBool)],
    ['minLength', pick('minLength', isNumber)],
    ['maxLength', pick('maxLength', isNumber)],
    ['example', example],
  ];
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as ParameterSchema;
}

function checkPathParameters(template: string, key: string, parameters: readonly CorpusParameter[], problem: (t: string) => void): void {
  const inTemplate = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
  const declared = new Set(parameters.filter((p) => p.in === 'path').map((p) => p.name));
  const seen = new Set<string>();
  for (const name of inTemplate) {
    if (seen.has(name)) problem(`{${name}} appears twice in ${template}`);
    seen.add(name);
    if (!declared.has(name)) problem(`{${name}} in ${template} has no path parameter`);
  }
  for (const name of declared) if (!seen.has(name)) problem(`path parameter ${name} is not in ${key}`);
  if (/\{[^{}]*\}\{/.test(template)) problem(`${template} has two parameters with no literal between them: no router can split them`);
}

function sunsetOf(raw: unknown, problem: (t: string) => void): string | undefined {
  if (raw === undefined) return undefined;
  // YAML 1.1 loaders turn a bare date into a timestamp; the default 1.2 core schema keeps a string.
  const text = raw instanceof Date ? raw.toISOString().slice(0, 10) : raw;
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    problem(`x-sunset ${JSON.stringify(raw)} is not YYYY-MM-DD`);
    return undefined;
  }
  return text;
}

/**
 * Two different templates that erase to the same normalized form (`/users/{id}` beside
 * `/users/{name}`) are one endpoint to any router and to the scorer: a spec bug. So are two
 * operations with the same method and template, and a reused operationId.
 */
function checkAmbiguity(operations: readonly CorpusOperation[], problem: (t: string) => void): void {
  const byNormalized = new Map<string, string>();
  const endpoints = new Set<string>();
  const ids = new Set<string>();
  for (const op of operations) {
    const normalized = normalizeTemplate(op.template);
    const other = byNormalized.get(normalized);
    if (other !== undefined && other !== op.template) problem(`${op.template} and ${other} are the same template (${normalized})`);
    byNormalized.set(normalized, op.template);
    const endpoint = `${op.method} ${op.template}`;
    if (endpoints.has(endpoint)) problem(`${endpoint} is declared twice`);
    endpoints.add(endpoint);
    if (ids.has(op.operationId)) problem(`operationId ${op.operationId} is used twice`);
    ids.add(op.operationId);
  }
}

/** The first 2xx response's JSON schema, fingerprinted as CorpusOperation.responseShape describes. */
function responseShapeOf(doc: Json, rawResponses: unknown, swagger2: boolean): string | undefined {
  const responses = deref(doc, rawResponses);
  if (!isObject(responses)) return undefined;
  const code = Object.keys(responses)
    .filter((c) => /^2(\d\d|XX)$/i.test(c))
    .sort()[0];
  if (code === undefined) return undefined;
  const response = deref(doc, responses[code]);
  if (!isObject(response)) return undefined;
  let schema: unknown;
  if (swagger2) {
    schema = response['schema'];
  } else if (isObject(response['content'])) {
    const content = response['content'];
    const type = Object.keys(content).find((t) => t === 'application/json') ?? Object.keys(content).find((t) => t.includes('json'));
    const media = type !== undefined ? content[type] : undefined;
    schema = isObject(media) ? media['schema'] : undefined;
  }
  const resolved = deref(doc, schema);
  if (!isObject(resolved)) return undefined;
  if (resolved['type'] === 'array' || resolved['items'] !== undefined) {
    const items = propertyNames(doc, resolved['items']);
    return items === undefined ? undefined : `[${items}]`;
  }
  return propertyNames(doc, resolved);
}

function propertyNames(doc: Json, raw: unknown): string | undefined {
  const names = new Set<string>();
  const collect = (s: unknown): void => {
    const schema = deref(doc, s);
    if (!isObject(schema)) return;
    if (isObject(schema['properties'])) for (const n of Object.keys(schema['properties'])) names.add(n);
    if (Array.isArray(schema['allOf'])) for (const part of schema['allOf']) collect(part);
  };
  collect(raw);
  return names.size === 0 ? undefined : [...names].sort().join(',');
}

/** Follows local `$ref`s (`#/components/...`, `#/parameters/...`, `#/definitions/...`), in chains too. */
function deref(doc: Json, value: unknown): unknown {
  let current = value;
  for (let hops = 0; isObject(current) && typeof current['$ref'] === 'string'; hops++) {
    const ref = current['$ref'];
    if (hops > 20 || !ref.startsWith('#/')) throw new Error(`unsupported or cyclic $ref ${ref}`);
    let target: unknown = doc;
    for (const raw of ref.slice(2).split('/')) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      target = isObject(target) ? target[key] : undefined;
    }
    if (target === undefined) throw new Error(`$ref ${ref} points nowhere`);
    current = target;
  }
  return current;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
