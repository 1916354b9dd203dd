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

/** Drops or masks the field at `path`; records which concrete fields were masked (names, never values). */
function edit(value: unknown, path: readonly Step[], depth: number, action: 'drop' | 'mask', at: string, masked: Set<string>): unknown {
  if (!isRecord(value)) return value;
  const step = path[depth]!;
  const last = depth === path.length - 1;
  for (const key of step.name === '*' ? Object.keys(value) : [step.name]) {
    if (!Object.hasOwn(value, key)) continue;
    const where = at === '' ? key : `${at}.${key}`;
    if (last && !step.each) {
      if (action === 'drop') delete value[key];
      else if (value[key] !== null && value[key] !== undefined) {
        value[key] = MASK;
        masked.add(where);
      }
      continue;
    }
    const child = value[key];
    if (step.each) {
      if (!Array.isArray(child)) continue;
      if (last) {
        if (action === 'drop') delete value[key];
        else {
          value[key] = child.map(() => MASK);
          masked.add(`${where}[]`);
        }
      } else value[key] = child.map((element) => edit(element, path, depth + 1, action, `${where}[]`, masked));
    } else value[key] = edit(child, path, depth + 1, action, where, masked);
  }
  return value;
}

/** A copy of `value` holding only the fields on the allowed paths. */
function keepOnly(value: unknown, paths: readonly (readonly Step[])[]): unknown {
  if (!isRecord(value)) return value;
  const kept: Record<string, unknown> = {};
  const byFirst = new Map<string, Step[][]>();
  for (const path of paths) {
    const list = byFirst.get(path[0]!.name) ?? [];
    list.push(path as Step[]);
    byFirst.set(path[0]!.name, list);
  }
  for (const key of Object.keys(value)) {
    const matching = [...(byFirst.get(key) ?? []), ...(byFirst.get('*') ?? [])];
    if (matching.length === 0) continue;
    // A path that ends here keeps the whole field.
    if (matching.some((path) => path.length === 1)) {
      kept[key] = value[key];
      continue;
    }
    const rest = matching.map((path) => path.slice(1));
    const child = value[key];
    kept[key] = matching[0]!.some((step, index) => index === 0 && step.each) && Array.isArray(child) ? child.map((element) => keepOnly(element, rest)) : keepOnly(child, rest);
  }
  return kept;
}
