import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import {
  API_VERSION,
  MANIFEST_KINDS,
  MANIFEST_SCHEMAS,
  manifestKey,
  type AgentManifest,
  type AgentTemplateManifest,
  type ApiManifest,
  type Manifest,
  type ManifestKind,
  type ManifestSet,
  type PlaybookManifest,
  type DataPolicyManifest,
  type RoleManifest,
  type SourceRef,
} from '../../model/manifests/index.js';
import { checkCrossReferences } from './cross-reference.js';
import { importOpenApiOperations } from './openapi-operations.js';
import { fieldPath, type ManifestProblem } from './problem.js';
import { schemaProblems } from './schema-problems.js';
import { closest, suggestion } from './suggest.js';
import { locate } from './yaml-locate.js';

/** A manifest folder read, validated and cross-checked. `set` is only safe to compile when `problems` is empty. */
export interface LoadResult {
  readonly set: ManifestSet;
  readonly problems: readonly ManifestProblem[];
  /** Files read, as displayed in problems. */
  readonly files: readonly string[];
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const MAX_FILE_BYTES = 4 * 1024 * 1024;

interface Located {
  readonly manifest: Manifest;
  readonly file: string;
  readonly document: Document;
  readonly lines: LineCounter;
  readonly directory: string;
}

/**
 * Loads every manifest under `target` (a folder, searched recursively, or one file). OpenAPI
 * documents in the folder are skipped here and read only where an `Api` references them.
 */
export async function loadManifests(target: string): Promise<LoadResult> {
  const problems: ManifestProblem[] = [];
  let root: string;
  let files: string[];
  try {
    const info = await stat(target);
    root = path.resolve(info.isDirectory() ? target : path.dirname(target));
    files = info.isDirectory() ? await manifestFiles(path.resolve(target)) : [path.resolve(target)];
  } catch {
    return { set: { apis: [], agents: [], roles: [] }, files: [], problems: [{ file: target, line: 1, column: 1, field: '', message: 'no such file or folder', fix: 'give the folder that holds your manifests, e.g. examples/' }] };
  }
  const display = (file: string) => path.relative(process.cwd(), file) || file;

  const located: Located[] = [];
  // Manifests that exist but failed validation: references to them are not "undefined".
  const invalid = new Set<string>();
  for (const file of files) {
    const shown = display(file);
    const size = (await stat(file)).size;
    if (size > MAX_FILE_BYTES) {
      problems.push({ file: shown, line: 1, column: 1, field: '', message: `file is ${size} bytes; manifests are limited to ${MAX_FILE_BYTES}`, fix: 'split it into several files' });
      continue;
    }
    located.push(...parseFile(shown, path.dirname(file), await readFile(file, 'utf8'), problems, invalid));
  }

  const byKey = new Map<string, Located>();
  const unique: Located[] = [];
  for (const item of located) {
    const key = manifestKey(item.manifest);
    const first = byKey.get(key);
    if (first) {
      const where = locate(item.document, ['metadata', 'name'], item.lines);
      const firstLine = locate(first.document, ['metadata', 'name'], first.lines).line;
      problems.push({ file: item.file, ...where, field: 'metadata.name', message: `${key} is defined twice (first in ${first.file}:${firstLine})`, fix: 'rename one of them or delete the copy' });
      continue;
    }
    byKey.set(key, item);
    unique.push(item);
  }

  const report = (manifest: { kind: string; metadata: { name: string } }, segments: (string | number)[], message: string, fix: string) => {
    const item = byKey.get(manifestKey(manifest))!;
    problems.push({ file: item.file, ...locate(item.document, segments, item.lines), field: fieldPath(segments), message, fix });
  };

  for (const item of unique) {
    if (item.manifest.kind === 'Api' && item.manifest.spec.openapi) await mergeOpenApi(item.manifest, item.directory, root, report);
  }

  const sources = new Map<string, SourceRef>(unique.map((item) => [manifestKey(item.manifest), { file: item.file, line: locate(item.document, [], item.lines).line }]));
  const set: ManifestSet = {
    apis: unique.map((item) => item.manifest).filter((manifest): manifest is ApiManifest => manifest.kind === 'Api'),
    agents: unique.map((item) => item.manifest).filter((manifest): manifest is AgentManifest => manifest.kind === 'Agent'),
    roles: unique.map((item) => item.manifest).filter((manifest): manifest is RoleManifest => manifest.kind === 'Role'),
    templates: unique.map((item) => item.manifest).filter((manifest): manifest is AgentTemplateManifest => manifest.kind === 'AgentTemplate'),
    playbooks: unique.map((item) => item.manifest).filter((manifest): manifest is PlaybookManifest => manifest.kind === 'Playbook'),
    dataPolicies: unique.map((item) => item.manifest).filter((manifest): manifest is DataPolicyManifest => manifest.kind === 'DataPolicy'),
    sources,
  };
  checkCrossReferences(set, report, invalid);
  problems.sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1));
  return { set, problems, files: files.map(display) };
}

async function manifestFiles(directory: string): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await manifestFiles(full)));
    else if (entry.isFile() && MANIFEST_EXTENSIONS.has(path.extname(entry.name))) found.push(full);
  }
  return found;
}

function parseFile(file: string, directory: string, text: string, problems: ManifestProblem[], invalid: Set<string>): Located[] {
  const lines = new LineCounter();
  // uniqueKeys: a repeated key is an error, never "last one wins" in a security policy.
  const documents = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [];
  const located: Located[] = [];
  for (const document of list) {
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        const position = lines.linePos(error.pos[0]);
        problems.push({ file, line: position.line, column: position.col, field: '', message: `YAML: ${error.message.split('\n')[0]}`, fix: 'fix the YAML syntax (indentation, quotes, a repeated key)' });
      }
      continue;
    }
    if (document.contents === null) continue;
    const value: unknown = document.toJS({ maxAliasCount: 50 });
    const at = (segments: readonly (string | number)[], message: string, fix: string, atKey = false) =>
      problems.push({ file, ...locate(document, segments, lines, atKey), field: fieldPath(segments), message, fix });
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      at([], 'a manifest must be a mapping with apiVersion, kind, metadata and spec', 'start the document with apiVersion: warden.dev/v1');
      continue;
    }
    const record = value as Record<string, unknown>;
    if ('openapi' in record || 'swagger' in record) continue;
    const name = (record.metadata as { name?: unknown } | null | undefined)?.name;
    const intendedKind = typeof record.kind === 'string' ? (MANIFEST_KINDS.includes(record.kind as ManifestKind) ? record.kind : closest(record.kind, MANIFEST_KINDS)) : undefined;
    const markInvalid = () => {
      if (intendedKind !== undefined && typeof name === 'string') invalid.add(`${intendedKind}/${name}`);
    };
    if (record.apiVersion !== API_VERSION) {
      at(['apiVersion'], record.apiVersion === undefined ? 'missing apiVersion' : `apiVersion ${JSON.stringify(record.apiVersion)} is not supported`, `set apiVersion: ${API_VERSION}`);
      markInvalid();
      continue;
    }
    const kind = record.kind;
    if (typeof kind !== 'string' || !MANIFEST_KINDS.includes(kind as ManifestKind)) {
      at(['kind'], kind === undefined ? 'missing kind' : `kind ${JSON.stringify(kind)} is not known`, typeof kind === 'string' ? suggestion(kind, MANIFEST_KINDS, 'kind') : `set kind to one of ${MANIFEST_KINDS.join(', ')}`);
      markInvalid();
      continue;
    }
    const schema = MANIFEST_SCHEMAS[kind as ManifestKind];
    const withDefaults = Value.Default(schema, structuredClone(value));
    const found = schemaProblems(schema, withDefaults);
    for (const problem of found) at(problem.segments, problem.message, problem.fix, problem.atKey === true);
    if (found.length === 0) located.push({ manifest: withDefaults as Manifest, file, document, lines, directory });
    else markInvalid();
  }
  return located;
}

/** Operations of the referenced OpenAPI document join the Api; operations in the manifest win by id. */
async function mergeOpenApi(api: ApiManifest, directory: string, root: string, report: (manifest: ApiManifest, segments: (string | number)[], message: string, fix: string) => void): Promise<void> {
  const reference = api.spec.openapi!.file;
  const at = ['spec', 'openapi', 'file'];
  let absolute: string;
  let realRoot: string;
  try {
    // Real paths: a symlink inside the folder must not reach a document outside it.
    absolute = await realpath(path.resolve(directory, reference));
    realRoot = await realpath(root);
  } catch {
    report(api, at, `cannot read OpenAPI document "${reference}": no such file`, 'check the path (relative to this manifest)');
    return;
  }
  if (!absolute.startsWith(realRoot + path.sep)) {
    report(api, at, `"${reference}" is outside the manifest folder`, 'keep the OpenAPI document inside the folder being loaded');
    return;
  }
  const imported = await importOpenApiOperations(absolute);
  if (!imported.ok) {
    report(api, at, imported.message, imported.fix);
    return;
  }
  const declared = new Set(api.spec.operations.map((operation) => operation.id));
  api.spec.operations = [...api.spec.operations, ...imported.operations.filter((operation) => !declared.has(operation.id))];
}
