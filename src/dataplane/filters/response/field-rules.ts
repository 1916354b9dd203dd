import type { FieldPath } from '../../../policy/data-rules.js';

/**
 * Field paths over one record: `allow` keeps only what they name, `drop` removes it, and
 * `mask` replaces it. Lists met on the way are walked element by element, with or without
 * `[]` in the path, so a list never slips past a rule.
 */

/** Replaces one present value; `where` is the concrete path (names, never values). */
export type Masker = (value: unknown, where: string) => unknown;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drops or masks the field at `path` (from step `depth`); `at` is the concrete path so far. */
export function editField(value: unknown, path: FieldPath, depth: number, mask: Masker | undefined, at: string): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = editField(value[i], path, depth, mask, `${at}[]`);
    return value;
  }
  if (!isRecord(value)) return value;
  const step = path[depth]!;
  const last = depth === path.length - 1;
  for (const key of step.name === '*' ? Object.keys(value) : [step.name]) {
    if (!Object.hasOwn(value, key)) continue;
    // A key `*` matched is the upstream's (it may be an e-mail address keying a map): recorded as `*`.
    const name = step.name === '*' ? '*' : key;
    const where = at === '' ? name : `${at}.${name}`;
    if (!last) value[key] = editField(value[key], path, depth + 1, mask, where);
    else if (mask === undefined) delete value[key];
    else value[key] = maskPresent(value[key], step.each, where, mask);
  }
  return value;
}

/** A present value masked, or each element of a list named with `[]`; null stays null. */
function maskPresent(value: unknown, each: boolean, where: string, mask: Masker): unknown {
  if (value === null || value === undefined) return value;
  if (each && Array.isArray(value)) return value.map((element) => (element === null || element === undefined ? element : mask(element, `${where}[]`)));
  return mask(value, where);
}

/** Marks a value `keepOnly` removes: a scalar where an allowed path expected an object. */
export const REMOVED = Symbol('removed');

/**
 * A copy of `value` holding only the fields on the allowed paths. Where a path goes on but the
 * value is a scalar, the value is removed (fail closed). The copies have no prototype, so a
 * `__proto__` key from the upstream stays a plain key.
 */
export function keepOnly(value: unknown, paths: readonly FieldPath[]): unknown {
  if (Array.isArray(value)) return value.map((element) => keepOnly(element, paths)).filter((element) => element !== REMOVED);
  if (value === null) return null;
  if (!isRecord(value)) return REMOVED;
  const kept = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    let whole = false;
    const rest: FieldPath[] = [];
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

/** The value at a plain dotted path (no lists), or undefined. */
export function valueAt(value: unknown, path: FieldPath): unknown {
  let current = value;
  for (let i = 0; i < path.length; i++) {
    if (!isRecord(current)) return undefined;
    current = Object.hasOwn(current, path[i]!.name) ? current[path[i]!.name] : undefined;
  }
  return current;
}
