import { Type, type SchemaOptions, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';

/** The only manifest API version this release understands. */
export const API_VERSION = 'warden.dev/v1';

/** A string that must be one of `values`; error messages list them. */
export function oneOf<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((value) => Type.Literal(value)), options) as TUnion<TLiteral<T[number]>[]>;
}

/** Object schemas reject unknown keys: a typo must never silently widen or weaken policy. */
export function strictObject<T extends Record<string, TSchema>>(properties: T, options: SchemaOptions = {}) {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

/** DNS-label style names, so they are safe in URLs, metric labels and file names. */
export const Name = Type.String({
  pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
  description: 'lower-case letters, digits and hyphens, at most 63 characters',
});

/** Identifiers of operations and grants: stable, readable, usable in URLs. */
export const Identifier = Type.String({
  pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,127}$',
  description: 'a letter, then letters, digits, `_`, `.` or `-`',
});

export const DataClass = Type.String({
  pattern: '^[a-z][a-z0-9-]{0,39}$',
  description: 'a data class such as pii, financial, health, credentials',
});

/** Where an upstream secret lives; manifests never hold the secret itself. */
export const SecretRef = Type.String({
  pattern: '^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|vault:[^#]+#.+)$',
  description: 'env:NAME, file:PATH or vault:PATH#key',
});

/** A purpose a call is made for, declared in the `purpose` claim of the Warden-Context token. */
export const Purpose = Type.String({ pattern: '^[a-z][a-z0-9-]{0,39}$', description: 'a purpose tag such as support, reporting or training' });

export const Region = Type.String({ pattern: '^[a-z]{2}(-[a-z0-9-]+)?$', description: 'a region id such as eu, us, eu-west-1' });

export const Metadata = strictObject({
  name: Name,
  description: Type.Optional(Type.String()),
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
});

/** Where a manifest came from, for error messages and `warden apply` diffs; not part of the policy hash. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
}
