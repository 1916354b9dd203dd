import type { ResponseRules } from '../../../model/manifests/index.js';

/** One step of a field path: a name (or `*`), and whether it is a list whose elements continue the path. */
interface Step {
  readonly name: string;
  readonly each: boolean;
}

export const MASK = '***';

/**
 * Response field rules of a grant (`allow`, `drop`, `mask`) over a JSON document. Paths are
 * relative to each record: the elements of a top-level array, or the top-level object.
 * `allow` keeps only the listed fields; then `drop` removes and `mask` blanks fields.
 */
export class FieldRules {
  readonly #allow: Step[][] | undefined;
  readonly #drop: Step[][];
  readonly #mask: Step[][];

  constructor(rules: ResponseRules) {
    this.#allow = rules.allow?.map(parsePath);
    this.#drop = (rules.drop ?? []).map(parsePath);
    this.#mask = (rules.mask ?? []).map(parsePath);
  }

  /** Applies the rules in place where possible; returns the filtered document, the records and the masked paths. */
  apply(document: unknown): { readonly value: unknown; readonly records: number; readonly masked: string[] } {
    const masked = new Set<string>();
    const filterRecord = (record: unknown): unknown => {
      let value = this.#allow === undefined ? record : keepOnly(record, this.#allow);
      if (value === REMOVED) value = null;
      for (const path of this.#drop) value = edit(value, path, 0, 'drop', '', masked);
      for (const path of this.#mask) value = edit(value, path, 0, 'mask', '', masked);
      return value;
    };
    if (Array.isArray(document)) return { value: document.map(filterRecord), records: document.length, masked: [...masked] };
    return { value: filterRecord(document), records: document === null || typeof document !== 'object' ? 0 : 1, masked: [...masked] };
  }
}

function parsePath(path: string): Step[] {
  return path.split('.').map((part) => (part.endsWith('[]') ? { name: part.slice(0, -2), each: true } : { name: part, each: false }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Drops or masks the field at `path`; records which concrete fields were masked (names, never
 * values). A list met on the way is walked element by element, with or without `[]` in the
 * path: `items.ssn` masks the ssn of every item, it does not let a list slip through.
 */
function edit(value: unknown, path: readonly Step[], depth: number, action: 'drop' | 'mask', at: string, masked: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((element) => edit(element, path, depth, action, `${at}[]`, masked));
  if (!isRecord(value)) return value;
  const step = path[depth]!;
  const last = depth === path.length - 1;
  for (const key of step.name === '*' ? Object.keys(value) : [step.name]) {
    if (!Object.hasOwn(value, key)) continue;
    const where = at === '' ? key : `${at}.${key}`;
    if (!last) value[key] = edit(value[key], path, depth + 1, action, where, masked);
    else if (action === 'drop') delete value[key];
    else value[key] = maskValue(value[key], step.each, where, masked);
  }
  return value;
}

/** `***` for a present value, or for each element of a list named with `[]`. */
function maskValue(value: unknown, each: boolean, where: string, masked: Set<string>): unknown {
  if (value === null || value === undefined) return value;
  if (each && Array.isArray(value)) {
    masked.add(`${where}[]`);
    return value.map((element) => (element === null || element === undefined ? element : MASK));
  }
  masked.add(where);
  return MASK;
}

/** Marks a value `keepOnly` removes: a scalar where an allowed path expected an object. */
const REMOVED = Symbol('removed');

/**
 * A copy of `value` holding only the fields on the allowed paths. Lists are walked element by
 * element; where a path goes on but the value is a scalar, the value is removed (fail closed).
 * The copies have no prototype, so a `__proto__` key from the upstream stays a plain key.
 */
function keepOnly(value: unknown, paths: readonly (readonly Step[])[]): unknown {
  if (Array.isArray(value)) return value.map((element) => keepOnly(element, paths)).filter((element) => element !== REMOVED);
  if (value === null) return null;
  if (!isRecord(value)) return REMOVED;
  const kept = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    let whole = false;
    const rest: (readonly Step[])[] = [];
    for (const path of paths) {
      if (path[0]!.name !== key && path[0]!.name !== '*') continue;
      if (path.length === 1) whole = true;
      else rest.push(path.slice(1));
    }
    if (whole) kept[key] = value[key];
    else if (rest.length > 0) {
      const child = keepOnly(value[key], rest);
      if (child !== REMOVED) kept[key] = child;
    }
  }
  return kept;
}
