import type { MaskRule, PiiRules, RequestRules, ResponseRules, RowRule } from '../model/manifests/index.js';
import type { MaskStyle, PiiAction, PiiClass } from '../model/pii-vocabulary.js';

/** One step of a field path: a name (or `*`), and whether it is a list whose elements continue the path. */
export interface FieldStep {
  readonly name: string;
  readonly each: boolean;
}
export type FieldPath = readonly FieldStep[];

/** What to do with each detected PII class; `classes` overrides `fallback`. */
export interface CompiledPiiRules {
  readonly fallback: PiiAction;
  readonly classes: Readonly<Partial<Record<PiiClass, PiiAction>>>;
  /** Some class may be masked `hash`, so the gateway needs its pseudonym key. */
  readonly hashes: boolean;
}

/** `customerId == ${context.customer}`: the record's field and the claim it must equal. */
export interface CompiledRowRule {
  readonly path: FieldPath;
  readonly claim: string;
  /** As written, for denials and docs. */
  readonly text: string;
}

/** A grant's response rules, parsed once at compile time so the gateway only walks documents. */
export interface CompiledResponseRules {
  /** The top-level field holding the records; undefined: the elements of a top-level array, else the document. */
  readonly records: string | undefined;
  readonly allow: readonly FieldPath[] | undefined;
  readonly drop: readonly FieldPath[];
  readonly mask: readonly { readonly path: FieldPath; readonly style: MaskStyle }[];
  readonly pii: CompiledPiiRules | undefined;
  readonly rows: CompiledRowRule | undefined;
  /** An answer that is not JSON: refused, or passed as is. */
  readonly otherContent: 'refuse' | 'pass';
}

// `customer.email`, `items[].ssn`, `*.password`: dotted names, `[]` for every list element.
const FIELD_PATH = /^(?:\*|[A-Za-z0-9_$@-]+)(?:\[\])?(?:\.(?:\*|[A-Za-z0-9_$@-]+)(?:\[\])?)*$/;
const ROW_RULE = /^\s*((?:[A-Za-z0-9_$@-]+)(?:\.[A-Za-z0-9_$@-]+)*)\s*==\s*\$\{context\.([A-Za-z_][A-Za-z0-9_]*)\}\s*$/;

export function isFieldPath(path: string): boolean {
  return FIELD_PATH.test(path);
}

export function parseFieldPath(path: string): FieldPath {
  return path.split('.').map((part) => (part.endsWith('[]') ? { name: part.slice(0, -2), each: true } : { name: part, each: false }));
}

export function maskedField(rule: MaskRule): { readonly field: string; readonly style: MaskStyle } {
  return typeof rule === 'string' ? { field: rule, style: 'redact' } : { field: rule.field, style: rule.style ?? 'redact' };
}

/** The first malformed field path in a grant's response rules, if any. */
export function invalidResponseField(rules: ResponseRules): { readonly list: 'allow' | 'mask' | 'drop'; readonly index: number; readonly path: string } | undefined {
  const lists = { allow: rules.allow ?? [], mask: (rules.mask ?? []).map((rule) => maskedField(rule).field), drop: rules.drop ?? [] };
  for (const list of ['allow', 'mask', 'drop'] as const) {
    const index = lists[list].findIndex((path) => !isFieldPath(path));
    if (index !== -1) return { list, index, path: lists[list][index]! };
  }
  return undefined;
}

/** A row rule's field and claim, or why it cannot be read. */
export function parseRowRule(rule: RowRule): CompiledRowRule | { readonly error: string } {
  const match = ROW_RULE.exec(rule.where);
  if (match === null) return { error: `"${rule.where}" is not FIELD == \${context.CLAIM}` };
  return { path: parseFieldPath(match[1]!), claim: match[2]!, text: rule.where.trim() };
}

export function compilePiiRules(rules: PiiRules): CompiledPiiRules {
  const fallback = rules.default ?? 'redact';
  const classes = { ...rules.classes };
  return { fallback, classes, hashes: fallback === 'hash' || Object.values(classes).includes('hash') };
}

/**
 * The response rules of a grant, with its row rule; undefined when the grant filters nothing.
 * The loader has checked paths and the row rule already (cross-reference), so a bad one here throws.
 */
export function compileResponseRules(response: ResponseRules | undefined, rows: RowRule | undefined): CompiledResponseRules | undefined {
  if (response === undefined && rows === undefined) return undefined;
  const row = rows === undefined ? undefined : parseRowRule(rows);
  if (row !== undefined && 'error' in row) throw new Error(row.error);
  const invalid = response === undefined ? undefined : invalidResponseField(response);
  if (invalid !== undefined) throw new Error(`"${invalid.path}" is not a field path`);
  return Object.freeze({
    records: response?.records,
    allow: response?.allow?.map(parseFieldPath),
    drop: (response?.drop ?? []).map(parseFieldPath),
    mask: (response?.mask ?? []).map((rule) => {
      const { field, style } = maskedField(rule);
      return { path: parseFieldPath(field), style };
    }),
    pii: response?.pii === undefined ? undefined : compilePiiRules(response.pii),
    rows: row,
    otherContent: response?.otherContent ?? 'refuse',
  });
}

/** A grant's request rules: what happens to PII in a JSON body before it is forwarded. */
export function compileRequestRules(request: RequestRules | undefined): CompiledPiiRules | undefined {
  return request === undefined ? undefined : compilePiiRules(request.pii);
}

/** Whether this grant's rules need the gateway's pseudonym key. */
export function usesHash(response: CompiledResponseRules | undefined, request: CompiledPiiRules | undefined): boolean {
  return response?.mask.some((rule) => rule.style === 'hash') === true || response?.pii?.hashes === true || request?.hashes === true;
}
