import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { DocumentedApi, DocumentedOperation } from './documented-operation.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Why a document could not be used, with what to do about it. */
export class SpecProblem extends Error {
  constructor(readonly file: string, message: string, readonly fix: string) {
    super(`${file}: ${message}`);
  }
}

interface ParsedDocument {
  readonly file: string;
  readonly title: string;
  readonly version: string;
  readonly operations: Omit<DocumentedOperation, 'api' | 'version'>[];
}

/**
 * Reads OpenAPI 3.x and Swagger 2.0 documents (YAML or JSON) and groups them into APIs:
 * documents with the same `info.title` are versions of one API, ordered by `info.version`.
 * Operations an older version has and the newest lacks are kept, marked `removedIn`, so
 * traffic to them is found as zombie traffic. References are never fetched.
 */
export async function readOpenApiDocuments(files: readonly string[]): Promise<DocumentedApi[]> {
  const parsed: ParsedDocument[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new SpecProblem(file, `cannot read the document (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'check the path given to --spec');
    }
    parsed.push(parseOpenApiDocument(file, text));
  }
  const byTitle = new Map<string, ParsedDocument[]>();
  for (const document of parsed) {
    const group = byTitle.get(document.title);
    if (group === undefined) byTitle.set(document.title, [document]);
    else group.push(document);
  }
  const apis: DocumentedApi[] = [];
  for (const [title, given] of byTitle) {
    // Documents of one version (an API split over several files) are one document.
    const documents = combineVersions(given);
    documents.sort((a, b) => compareVersions(a.version, b.version));
    const newest = documents[documents.length - 1]!;
    const operations: DocumentedOperation[] = newest.operations.map((operation) => ({ ...operation, api: title, version: newest.version }));
    const present = new Set(operations.map((operation) => routeKey(operation.method, operation.template)));
    // Walk older versions newest first, so a removed operation is described as its last version had it.
    for (let i = documents.length - 2; i >= 0; i--) {
      const older = documents[i]!;
      for (const operation of older.operations) {
        const key = routeKey(operation.method, operation.template);
        if (present.has(key)) continue;
        present.add(key);
        operations.push({ ...operation, api: title, version: older.version, removedIn: newest.version });
      }
    }
    apis.push({ name: title, owner: undefined, source: 'openapi', files: documents.map((document) => document.file), versions: documents.map((document) => document.version), operations });
  }
  return apis;
}

function combineVersions(documents: readonly ParsedDocument[]): ParsedDocument[] {
  const byVersion = new Map<string, ParsedDocument>();
  for (const document of documents) {
    const same = byVersion.get(document.version);
    if (same === undefined) {
      byVersion.set(document.version, { ...document, operations: [...document.operations] });
      continue;
    }
    const known = new Set(same.operations.map((operation) => routeKey(operation.method, operation.template)));
    for (const operation of document.operations) if (!known.has(routeKey(operation.method, operation.template))) same.operations.push(operation);
    byVersion.set(document.version, { ...same, file: `${same.file}, ${document.file}` });
  }
  return [...byVersion.values()];
}

/** Parses one document's text; exported for tests. */
export function parseOpenApiDocument(file: string, text: string): ParsedDocument {
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new SpecProblem(file, `is neither JSON nor YAML: ${(error as Error).message.split('\n')[0]}`, 'pass an OpenAPI 3.x or Swagger 2.0 document');
  }
  if (!isObject(document)) throw new SpecProblem(file, 'is not an OpenAPI document (no top-level object)', 'pass an OpenAPI 3.x or Swagger 2.0 document');
  const openapi = document['openapi'];
  const swagger = document['swagger'];
  let prefix: string;
  if (typeof openapi === 'string' && openapi.startsWith('3.')) prefix = serverPath(document['servers']);
  else if (swagger === '2.0') prefix = typeof document['basePath'] === 'string' ? document['basePath'] : '';
  else throw new SpecProblem(file, 'is not OpenAPI 3.x or Swagger 2.0 (no `openapi: 3.…` or `swagger: "2.0"`)', 'pass an OpenAPI 3.x or Swagger 2.0 document');
  const paths = document['paths'];
  if (!isObject(paths)) throw new SpecProblem(file, 'has no `paths` object', 'an OpenAPI document lists its operations under `paths`');
  const info = isObject(document['info']) ? document['info'] : {};
  const title = typeof info['title'] === 'string' && info['title'].trim() !== '' ? info['title'].trim() : file;
  const version = typeof info['version'] === 'string' || typeof info['version'] === 'number' ? String(info['version']) : '0';
  const operations: ParsedDocument['operations'] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith('/') || !isObject(item)) continue;
    const template = joinPath(prefix, path);
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const sunset = operation['x-sunset'];
      operations.push({
        method: method.toUpperCase(),
        template,
        operationId: typeof operation['operationId'] === 'string' ? operation['operationId'] : `${method.toUpperCase()} ${template}`,
        deprecated: operation['deprecated'] === true,
        sunset: typeof sunset === 'string' && DAY.test(sunset) ? sunset : undefined,
        dataClasses: Array.isArray(operation['x-warden-data-classes']) ? operation['x-warden-data-classes'].filter((value): value is string => typeof value === 'string') : [],
      });
    }
  }
  return { file, title, version, operations };
}

/** The path part of the first server URL (`https://api.example.com/v1` → `/v1`); server variables keep their braces. */
function serverPath(servers: unknown): string {
  if (!Array.isArray(servers) || !isObject(servers[0]) || typeof servers[0]['url'] !== 'string') return '';
  const url = servers[0]['url'];
  const withoutOrigin = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  return withoutOrigin.startsWith('/') ? withoutOrigin : '';
}

function joinPath(prefix: string, path: string): string {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return `${base}${path}`;
}

/** `METHOD /template` with parameter names erased: two documents naming a parameter differently describe one route. */
export function routeKey(method: string, template: string): string {
  return `${method} ${template.replace(/\{[^}]*\}/g, '{}')}`;
}

/**
 * Semantic-version order where it applies: `1.10.0` after `1.9.2`, a pre-release before its
 * release (`1.0.0-beta.1` < `1.0.0`); other parts compare numerically when both are numbers,
 * as text otherwise.
 */
export function compareVersions(a: string, b: string): number {
  const [mainA, preA] = splitPrerelease(a.replace(/^v/i, ''));
  const [mainB, preB] = splitPrerelease(b.replace(/^v/i, ''));
  const main = compareParts(mainA.split('.'), mainB.split('.'));
  if (main !== 0) return main;
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1;
  return compareParts(preA.split('.'), preB.split('.'));
}

function splitPrerelease(version: string): [string, string | undefined] {
  const dash = version.indexOf('-');
  return dash === -1 ? [version, undefined] : [version.slice(0, dash), version.slice(dash + 1)];
}

function compareParts(left: readonly string[], right: readonly string[]): number {
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i] ?? '';
    const y = right[i] ?? '';
    if (x === y) continue;
    if (x === '') return -1;
    if (y === '') return 1;
    const nx = Number(x);
    const ny = Number(y);
    if (Number.isFinite(nx) && Number.isFinite(ny)) return nx - ny;
    return x < y ? -1 : 1;
  }
  return 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
