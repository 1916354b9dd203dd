/**
 * Policy decision cases as data, in the style of OPA / Cerbos test suites.
 *
 * Every `test/policy-cases/*.yaml` names a manifest folder (relative to the YAML file), request
 * defaults and a list of cases. Each case is one `decide()` call and the expectations on its
 * decision. Unknown keys are rejected, so a typo in `expect` can never silently skip an assertion.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/policy/compile.js';
import { decide, type DecisionRequest } from '../src/policy/decide.js';
import type { FieldPath } from '../src/policy/data-rules.js';
import { formatRuleRef, type Decision } from '../src/policy/decision.js';
import { formatProblem } from '../src/policy/load/problem.js';
import { loadManifests } from '../src/policy/load/load-manifests.js';
import type { Snapshot } from '../src/policy/snapshot.js';

const CASES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'policy-cases');
const MIN_CASES = 60;

// ---------------------------------------------------------------------------------------------
// Case file shape

type Query = Record<string, string | string[]>;

/** A request as written in YAML: like DecisionRequest, with `time` as an ISO string. `null` unsets a default. */
interface CaseRequest {
  agent?: string;
  method?: string;
  path?: string;
  query?: Query | null;
  body?: Record<string, unknown> | null;
  context?: Record<string, string> | null;
  region?: string | null;
  time?: string | null;
}

interface ResponseExpectation {
  allow?: string[];
  mask?: string[];
  drop?: string[];
}

interface CaseExpect {
  allowed: boolean;
  reason: string;
  matched?: string | null;
  failedParam?: string;
  failedCondition?: string;
  stepUp?: boolean;
  rateLimit?: string | null;
  warningIncludes?: string;
  noWarnings?: boolean;
  messageIncludes?: string;
  alternatives?: string[];
  noAlternatives?: boolean;
  alternativesFirst?: string;
  alternativesExclude?: string[];
  response?: ResponseExpectation | null;
}

interface PolicyCase {
  name: string;
  request: CaseRequest;
  expect: CaseExpect;
}

interface CaseFile {
  file: string;
  manifests: string;
  defaults: CaseRequest;
  cases: PolicyCase[];
  problems: string[];
}

const FILE_KEYS = ['manifests', 'defaults', 'cases'] as const;
const CASE_KEYS = ['name', 'request', 'expect'] as const;
const REQUEST_KEYS = ['agent', 'method', 'path', 'query', 'body', 'context', 'region', 'time'] as const;
const EXPECT_KEYS = [
  'allowed',
  'reason',
  'matched',
  'failedParam',
  'failedCondition',
  'stepUp',
  'rateLimit',
  'warningIncludes',
  'noWarnings',
  'messageIncludes',
  'alternatives',
  'noAlternatives',
  'alternativesFirst',
  'alternativesExclude',
  'response',
] as const;
const RESPONSE_KEYS = ['allow', 'mask', 'drop'] as const;
const FAILED_CONDITIONS = ['param', 'context', 'timeWindow', 'region'];

// ---------------------------------------------------------------------------------------------
// Validation: every problem is a line of text; a file with problems fails its own test.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function unknownKeys(value: Record<string, unknown>, known: readonly string[], where: string, problems: string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) problems.push(`${where}: unknown key "${key}" (known: ${known.join(', ')})`);
  }
}

function validateRequest(value: unknown, where: string, problems: string[]): CaseRequest {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) {
    problems.push(`${where}: must be a mapping`);
    return {};
  }
  unknownKeys(value, REQUEST_KEYS, where, problems);
  for (const key of ['agent', 'method', 'path'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') problems.push(`${where}.${key}: must be a string`);
  }
  for (const key of ['region', 'time'] as const) {
    if (value[key] !== undefined && value[key] !== null && typeof value[key] !== 'string') problems.push(`${where}.${key}: must be a string or null`);
  }
  if (typeof value.time === 'string' && Number.isNaN(Date.parse(value.time))) problems.push(`${where}.time: "${value.time}" is not an ISO date-time`);
  if (value.query !== undefined && value.query !== null) {
    if (!isRecord(value.query) || !Object.values(value.query).every((item) => typeof item === 'string' || isStringList(item))) {
      problems.push(`${where}.query: must map names to a string or a list of strings (quote numbers)`);
    }
  }
  if (value.body !== undefined && value.body !== null && !isRecord(value.body)) problems.push(`${where}.body: must be a mapping`);
  if (value.context !== undefined && value.context !== null) {
    if (!isRecord(value.context) || !Object.values(value.context).every((item) => typeof item === 'string')) {
      problems.push(`${where}.context: must map claim names to strings`);
    }
  }
  return value as CaseRequest;
}

function validateExpect(value: unknown, where: string, problems: string[]): CaseExpect {
  if (!isRecord(value)) {
    problems.push(`${where}: must be a mapping`);
    return { allowed: false, reason: '' };
  }
  unknownKeys(value, EXPECT_KEYS, where, problems);
  if (typeof value.allowed !== 'boolean') problems.push(`${where}.allowed: required, true or false`);
  if (typeof value.reason !== 'string') problems.push(`${where}.reason: required, GRANTED or an error code`);
  if (value.allowed === true && value.reason !== undefined && value.reason !== 'GRANTED') problems.push(`${where}: allowed cases have reason GRANTED`);
  if (value.allowed === false && value.reason === 'GRANTED') problems.push(`${where}: denied cases cannot have reason GRANTED`);
  const strings = ['failedParam', 'failedCondition', 'warningIncludes', 'messageIncludes', 'alternativesFirst'] as const;
  for (const key of strings) if (value[key] !== undefined && typeof value[key] !== 'string') problems.push(`${where}.${key}: must be a string`);
  for (const key of ['matched', 'rateLimit'] as const) {
    if (value[key] !== undefined && value[key] !== null && typeof value[key] !== 'string') problems.push(`${where}.${key}: must be a string or null`);
  }
  for (const key of ['stepUp', 'noWarnings', 'noAlternatives'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'boolean') problems.push(`${where}.${key}: must be true or false`);
  }
  for (const key of ['alternatives', 'alternativesExclude'] as const) {
    if (value[key] !== undefined && !isStringList(value[key])) problems.push(`${where}.${key}: must be a list of api.operation`);
  }
  if (typeof value.failedCondition === 'string' && !FAILED_CONDITIONS.includes(value.failedCondition)) {
    problems.push(`${where}.failedCondition: must be one of ${FAILED_CONDITIONS.join(', ')}`);
  }
  if (value.noAlternatives === true && (value.alternatives !== undefined || value.alternativesFirst !== undefined)) {
    problems.push(`${where}: noAlternatives contradicts alternatives/alternativesFirst`);
  }
  if (value.response !== undefined && value.response !== null) {
    if (!isRecord(value.response)) problems.push(`${where}.response: must be a mapping of allow/mask/drop lists, or null`);
    else {
      unknownKeys(value.response, RESPONSE_KEYS, `${where}.response`, problems);
      for (const key of RESPONSE_KEYS) {
        if (value.response[key] !== undefined && !isStringList(value.response[key])) problems.push(`${where}.response.${key}: must be a list of field paths`);
      }
    }
  }
  return value as unknown as CaseExpect;
}

/** Parses and validates one case file; never throws, so one bad file cannot hide the others. */
function readCaseFile(file: string, text: string): CaseFile {
  const problems: string[] = [];
  const result: CaseFile = { file, manifests: '', defaults: {}, cases: [], problems };
  let document: unknown;
  try {
    document = parse(text, { uniqueKeys: true });
  } catch (error) {
    problems.push(`YAML: ${(error as Error).message.split('\n')[0]}`);
    return result;
  }
  if (!isRecord(document)) {
    problems.push('a case file must be a mapping with manifests, defaults and cases');
    return result;
  }
  unknownKeys(document, FILE_KEYS, 'file', problems);
  if (typeof document.manifests !== 'string') problems.push('manifests: required, a folder relative to this file');
  else result.manifests = path.resolve(path.dirname(file), document.manifests);
  result.defaults = validateRequest(document.defaults, 'defaults', problems);
  if (!Array.isArray(document.cases) || document.cases.length === 0) {
    problems.push('cases: required, a non-empty list');
    return result;
  }
  const names = new Set<string>();
  document.cases.forEach((entry: unknown, index: number) => {
    const where = `cases[${index}]`;
    if (!isRecord(entry)) {
      problems.push(`${where}: must be a mapping`);
      return;
    }
    unknownKeys(entry, CASE_KEYS, where, problems);
    const name = typeof entry.name === 'string' && entry.name.trim() !== '' ? entry.name : `#${index}`;
    if (typeof entry.name !== 'string' || entry.name.trim() === '') problems.push(`${where}.name: required`);
    else if (names.has(entry.name)) problems.push(`${where}.name: "${entry.name}" is used twice in this file`);
    names.add(name);
    const label = `${where} (${name})`;
    const request = validateRequest(entry.request, `${label}.request`, problems);
    const expectation = validateExpect(entry.expect, `${label}.expect`, problems);
    result.cases.push({ name, request, expect: expectation });
  });
  return result;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

const snapshots = new Map<string, Promise<Snapshot>>();

/** Loads and compiles a manifest folder once, however many files and cases use it. */
function snapshotOf(folder: string): Promise<Snapshot> {
  let snapshot = snapshots.get(folder);
  if (!snapshot) {
    snapshot = (async () => {
      const loaded = await loadManifests(folder);
      if (loaded.problems.length > 0) {
        throw new Error(`manifests in ${folder} have ${loaded.problems.length} problem(s):\n${loaded.problems.map(formatProblem).join('\n')}`);
      }
      return compile(loaded.set);
    })();
    snapshots.set(folder, snapshot);
  }
  return snapshot;
}

function toDecisionRequest(defaults: CaseRequest, request: CaseRequest): DecisionRequest {
  const merged: CaseRequest = { ...defaults, ...request };
  const missing = (['agent', 'method', 'path'] as const).filter((key) => typeof merged[key] !== 'string');
  if (missing.length > 0) throw new Error(`request has no ${missing.join(', ')} (neither in the case nor in defaults)`);
  const result: { -readonly [K in keyof DecisionRequest]: DecisionRequest[K] } = {
    agent: merged.agent!,
    method: merged.method!,
    path: merged.path!,
  };
  if (merged.query != null) result.query = merged.query;
  if (merged.body != null) result.body = merged.body;
  if (merged.context != null) result.context = merged.context;
  if (merged.region != null) result.region = merged.region;
  // A fixed time keeps every case deterministic; a case file without one is a mistake.
  if (merged.time == null) throw new Error('request has no time (set defaults.time)');
  result.time = Date.parse(merged.time);
  return result;
}

function ref(operation: { api: string; operation: string }): string {
  return `${operation.api}.${operation.operation}`;
}

const show = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value));

/** Every expectation that does not hold, as one line each. */
function mismatches(decision: Decision, expected: CaseExpect): string[] {
  const out: string[] = [];
  const check = (label: string, actual: unknown, wanted: unknown) => {
    if (JSON.stringify(actual) !== JSON.stringify(wanted)) out.push(`${label}: expected ${show(wanted)}, got ${show(actual)}`);
  };
  check('allowed', decision.allowed, expected.allowed);
  check('reason', decision.reason, expected.reason);
  if (expected.matched !== undefined) check('matched', decision.matched ? formatRuleRef(decision.matched) : null, expected.matched);
  if (expected.failedParam !== undefined) check('failed.param', decision.failed?.param, expected.failedParam);
  if (expected.failedCondition !== undefined) check('failed.condition', decision.failed?.condition, expected.failedCondition);
  if (expected.stepUp !== undefined) check('obligations.stepUp', decision.obligations?.stepUp ?? false, expected.stepUp);
  if (expected.rateLimit !== undefined) check('obligations.rateLimit', decision.obligations?.rateLimit?.text ?? null, expected.rateLimit);
  if (expected.warningIncludes !== undefined && !decision.warnings.some((warning) => warning.includes(expected.warningIncludes!))) {
    out.push(`warnings: expected one to include ${show(expected.warningIncludes)}, got ${show(decision.warnings)}`);
  }
  if (expected.noWarnings === true && decision.warnings.length > 0) out.push(`warnings: expected none, got ${show(decision.warnings)}`);
  if (expected.messageIncludes !== undefined && !decision.message.includes(expected.messageIncludes)) {
    out.push(`message: expected it to include ${show(expected.messageIncludes)}`);
  }
  const alternatives = decision.alternatives.map(ref);
  if (expected.alternatives !== undefined) {
    const absent = expected.alternatives.filter((wanted) => !alternatives.includes(wanted));
    if (absent.length > 0) out.push(`alternatives: expected to include ${show(absent)}, got ${show(alternatives)}`);
  }
  if (expected.noAlternatives === true && alternatives.length > 0) out.push(`alternatives: expected none, got ${show(alternatives)}`);
  if (expected.alternativesFirst !== undefined && alternatives[0] !== expected.alternativesFirst) {
    out.push(`alternatives[0]: expected ${show(expected.alternativesFirst)}, got ${show(alternatives)}`);
  }
  if (expected.alternativesExclude !== undefined) {
    const present = expected.alternativesExclude.filter((unwanted) => alternatives.includes(unwanted));
    if (present.length > 0) out.push(`alternatives: expected not to include ${show(present)}, got ${show(alternatives)}`);
  }
  if (expected.response === null) {
    if (decision.obligations?.response !== undefined) out.push(`obligations.response: expected none, got ${show(decision.obligations.response)}`);
  } else if (expected.response !== undefined) {
    const response = decision.obligations?.response;
    if (response === undefined) out.push(`obligations.response: expected ${show(expected.response)}, got none`);
    else {
      const written = { allow: response.allow?.map(pathText), mask: response.mask.map((rule) => pathText(rule.path)), drop: response.drop.map(pathText) };
      for (const key of RESPONSE_KEYS) if (expected.response[key] !== undefined) check(`obligations.response.${key}`, written[key], expected.response[key]);
    }
  }
  return out;
}

/** A compiled field path as the manifest writes it: `orders[].ssn`. */
function pathText(path: FieldPath): string {
  return path.map((step) => (step.each ? `${step.name}[]` : step.name)).join('.');
}

function summary(decision: Decision): string {
  return JSON.stringify(
    {
      allowed: decision.allowed,
      reason: decision.reason,
      operation: decision.api ? `${decision.api}.${decision.operation}` : undefined,
      matched: decision.matched ? formatRuleRef(decision.matched) : undefined,
      failed: decision.failed ? { condition: decision.failed.condition, param: decision.failed.param, rule: formatRuleRef(decision.failed.rule) } : undefined,
      obligations: decision.obligations ? { stepUp: decision.obligations.stepUp, rateLimit: decision.obligations.rateLimit?.text, response: decision.obligations.response } : undefined,
      warnings: decision.warnings,
      alternatives: decision.alternatives.map(ref),
    },
    null,
    2,
  );
}

// ---------------------------------------------------------------------------------------------
// Suites

const caseFiles: CaseFile[] = readdirSync(CASES_DIR)
  .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
  .sort()
  .map((name) => {
    const file = path.join(CASES_DIR, name);
    return readCaseFile(file, readFileSync(file, 'utf8'));
  });

const totalCases = caseFiles.reduce((sum, file) => sum + file.cases.length, 0);

describe('policy case files', () => {
  it(`hold at least ${MIN_CASES} cases`, () => {
    expect(totalCases, `only ${totalCases} policy cases in ${CASES_DIR}`).toBeGreaterThanOrEqual(MIN_CASES);
  });

  it('reject unknown keys, so a typo cannot skip an assertion', () => {
    const text = [
      'manifests: ../../examples',
      'cases:',
      '  - name: typo',
      '    request: { agent: a, method: GET, path: /x }',
      '    expect: { allowed: false, reason: WARDEN_AGENT_UNKNOWN, alternativesFrist: crm.getCustomer }',
    ].join('\n');
    const parsed = readCaseFile(path.join(CASES_DIR, 'sample.yaml'), text);
    expect(parsed.problems).toEqual([expect.stringContaining('unknown key "alternativesFrist"')]);
  });
});

for (const caseFile of caseFiles) {
  describe(path.basename(caseFile.file), () => {
    it('is a well-formed case file', () => {
      if (caseFile.problems.length > 0) throw new Error(`${caseFile.file}:\n  ${caseFile.problems.join('\n  ')}`);
    });

    for (const policyCase of caseFile.cases) {
      it(policyCase.name, async () => {
        if (caseFile.problems.length > 0) throw new Error(`${path.basename(caseFile.file)} is malformed; see "is a well-formed case file"`);
        const snapshot = await snapshotOf(caseFile.manifests);
        const request = toDecisionRequest(caseFile.defaults, policyCase.request);
        const decision = decide(snapshot, request);
        const failures = mismatches(decision, policyCase.expect);
        if (failures.length > 0) {
          throw new Error(
            [
              `${request.method} ${request.path} by ${request.agent}:`,
              ...failures.map((failure) => `  - ${failure}`),
              `decision.message: ${decision.message}`,
              `decision: ${summary(decision)}`,
            ].join('\n'),
          );
        }
      });
    }
  });
}
