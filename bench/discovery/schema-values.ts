/**
 * Concrete parameter values from the plain schema facts an OpenAPI document gives
 * (`type`, `format`, `pattern`, `enum`, bounds, lengths), so that the traffic generator works
 * on any public spec, not just on ones written for it.
 */
import { nameKind, nameValue } from './name-values.js';
import { patternValue, schemaRegExp, UnsupportedPatternError } from './pattern-values.js';
import type { SeededRandom } from './seeded-random.js';

/** The subset of a JSON Schema that describes one parameter value. */
export interface ParameterSchema {
  readonly type?: string;
  readonly format?: string;
  readonly pattern?: string;
  readonly enum?: readonly (string | number | boolean)[];
  readonly minimum?: number;
  readonly maximum?: number;
  /** A number in OpenAPI 3.1 / JSON Schema 2020-12, a boolean modifier in 3.0 and Swagger 2.0. */
  readonly exclusiveMinimum?: number | boolean;
  readonly exclusiveMaximum?: number | boolean;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly example?: unknown;
}

/** Identifiers without declared bounds: the range real numeric ids fall in. */
const DEFAULT_INT_MIN = 1;
const DEFAULT_INT_MAX = 9_999_999;
/** `format: int64` ids are often large (snowflakes, database sequences past 2^31). */
const DEFAULT_INT64_MAX = 999_999_999_999;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

/** A random value for one parameter, as the string that goes into the path or query. */
export function schemaValue(schema: ParameterSchema, name: string, rng: SeededRandom): string {
  if (schema.enum && schema.enum.length > 0) return String(rng.pick(schema.enum));
  if (schema.pattern === undefined) return unpatterned(schema, name, rng);
  // A well-known format says more about real values than a permissive pattern beside it
  // (FHIR ids are `[A-Za-z0-9\-.]{1,64}` but servers hand out UUIDs), as long as it satisfies it.
  if (schema.format !== undefined && FORMATS.has(schema.format)) {
    const value = unpatterned(schema, name, rng);
    if (schemaRegExp(schema.pattern).test(value)) return value;
  }
  return patternOrFallback(schema, name, rng);
}

const FORMATS = new Set(['uuid', 'date', 'date-time', 'email']);

/** Whether `value` honours the schema's type, format, pattern, enum, bounds and lengths. */
export function valueMatchesSchema(schema: ParameterSchema, value: string): boolean {
  if (schema.enum && schema.enum.length > 0) return schema.enum.some((e) => String(e) === value);
  if (schema.pattern !== undefined && !schemaRegExp(schema.pattern).test(value)) return false;
  if (schema.type === 'integer' || schema.type === 'number') {
    const re = schema.type === 'integer' ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
    if (!re.test(value)) return false;
    const { min, max } = integerBounds(schema);
    const n = Number(value);
    return n >= min && n <= max;
  }
  if (schema.type === 'boolean') return value === 'true' || value === 'false';
  if (schema.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return false;
  if (schema.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  if (schema.format === 'email' && !/^[^@\s]+@[^@\s]+\.[a-z]+$/i.test(value)) return false;
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) return false;
  if (schema.maxLength !== undefined && length > schema.maxLength) return false;
  return true;
}

/**
 * Patterns outside the generator's subset fall back to the schema's `example` when it
 * matches, then to values from the rest of the schema filtered through the real RegExp; if
 * neither works the spec needs a simpler pattern, and we say so rather than emit wrong values.
 */
function patternOrFallback(schema: ParameterSchema, name: string, rng: SeededRandom): string {
  try {
    return patternValue(schema.pattern!, rng);
  } catch (error) {
    if (!(error instanceof UnsupportedPatternError)) throw error;
    const re = schemaRegExp(schema.pattern!);
    if (typeof schema.example === 'string' && re.test(schema.example) && rng.chance(0.1)) return schema.example;
    for (let attempt = 0; attempt < 200; attempt++) {
      const candidate = unpatterned(schema, name, rng);
      if (re.test(candidate)) return candidate;
    }
    if (typeof schema.example === 'string' && re.test(schema.example)) return schema.example;
    throw error;
  }
}

function unpatterned(schema: ParameterSchema, name: string, rng: SeededRandom): string {
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const { min, max } = integerBounds(schema);
      return String(rng.int(min, max));
    }
    case 'boolean':
      return rng.chance(0.5) ? 'true' : 'false';
    default:
      break;
  }
  switch (schema.format) {
    case 'uuid':
      return uuidV4(rng);
    case 'date':
      return isoDate(rng);
    case 'date-time':
      return `${isoDate(rng)}T${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}:${pad(rng.int(0, 59))}Z`;
    case 'email': {
      const kind = rng.pick(['user', 'user', 'org'] as const);
      const local = nameValue(kind, rng).replace(/-/g, '.');
      return `${local}@${nameValue('org', rng)}.example`;
    }
    default:
      break;
  }
  const min = schema.minLength ?? 1;
  const max = schema.maxLength ?? Math.max(min, 64);
  const kind = nameKind(name);
  if (kind) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const candidate = nameValue(kind, rng);
      if (candidate.length >= min && candidate.length <= max) return candidate;
    }
  }
  // No hint at all: an opaque token, as most string ids are.
  const low = schema.minLength ?? 8;
  const high = schema.maxLength ?? Math.max(low, 16);
  return rng.string(ALNUM, rng.int(low, Math.max(low, high)));
}

function integerBounds(schema: ParameterSchema): { min: number; max: number } {
  let min = schema.minimum ?? DEFAULT_INT_MIN;
  let max = schema.maximum ?? (schema.format === 'int64' ? DEFAULT_INT64_MAX : DEFAULT_INT_MAX);
  if (schema.minimum === undefined && schema.maximum !== undefined && schema.maximum < min) min = schema.maximum;
  if (schema.exclusiveMinimum === true) min += 1;
  else if (typeof schema.exclusiveMinimum === 'number') min = Math.max(min, Math.floor(schema.exclusiveMinimum) + 1);
  if (schema.exclusiveMaximum === true) max -= 1;
  else if (typeof schema.exclusiveMaximum === 'number') max = Math.min(max, Math.ceil(schema.exclusiveMaximum) - 1);
  return { min: Math.ceil(min), max: Math.floor(max) };
}

function uuidV4(rng: SeededRandom): string {
  const hex = rng.string(HEX, 32).split('');
  hex[12] = '4';
  hex[16] = '89ab'[rng.int(0, 3)]!;
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function isoDate(rng: SeededRandom): string {
  // Any day from 2015 to 2026: built from a day offset so every date is a real one.
  const day = rng.int(0, 12 * 365);
  return new Date(Date.UTC(2015, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
