import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { suggestion } from './suggest.js';

/** A schema violation in words a manifest author can act on. */
export interface SchemaProblem {
  readonly segments: readonly (string | number)[];
  readonly message: string;
  readonly fix: string;
  /** Report at the key itself rather than its value (unknown fields). */
  readonly atKey?: true;
}

const TYPE_WORDS: Partial<Record<ValueErrorType, string>> = {
  [ValueErrorType.String]: 'a string',
  [ValueErrorType.Number]: 'a number',
  [ValueErrorType.Integer]: 'a whole number',
  [ValueErrorType.Boolean]: 'true or false',
  [ValueErrorType.Array]: 'a list',
  [ValueErrorType.Object]: 'a mapping of fields',
};

/** Validates `value` (defaults already applied) and explains every violation once. */
export function schemaProblems(schema: TSchema, value: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  collect(schema, value, [], problems);
  // A missing field also fails its type check; the "missing" problem says it all.
  const missing = new Set(problems.filter((problem) => problem.message.startsWith('missing required field')).map((problem) => problem.segments.join('/')));
  const seen = new Set<string>();
  return problems.filter((problem) => {
    if (missing.has(problem.segments.join('/')) && !problem.message.startsWith('missing required field')) return false;
    const key = `${problem.segments.join('/')}|${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function collect(schema: TSchema, value: unknown, prefix: (string | number)[], out: SchemaProblem[]): void {
  for (const error of Value.Errors(schema, value)) {
    const segments = [...prefix, ...pointerSegments(error.path)];
    const problem = explain(error, segments, out);
    if (problem) out.push(problem);
  }
}

function explain(error: ValueError, segments: (string | number)[], out: SchemaProblem[]): SchemaProblem | undefined {
  const schema = error.schema as TSchema & { description?: string; anyOf?: TSchema[]; properties?: Record<string, TSchema> };
  const name = String(segments[segments.length - 1] ?? '');
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const allowed = Object.keys(schema.properties ?? {});
      return {
        segments,
        message: `unknown field "${name}"`,
        atKey: true,
        fix: `${suggestion(name, allowed, 'field')} (allowed here: ${allowed.join(', ')})`,
      };
    }
    case ValueErrorType.ObjectRequiredProperty:
      return {
        segments,
        message: `missing required field "${name}"`,
        fix: `add "${name}"${schema.description ? `: ${schema.description}` : ''}`,
      };
    case ValueErrorType.Union:
      return explainUnion(error, schema.anyOf ?? [], segments, out);
    case ValueErrorType.Literal: {
      const expected = (schema as { const?: unknown }).const;
      return { segments, message: `must be "${String(expected)}", got ${shown(error.value)}`, fix: `set it to "${String(expected)}"` };
    }
    case ValueErrorType.StringPattern:
    case ValueErrorType.StringFormat:
      return {
        segments,
        message: `${shown(error.value)} is not valid`,
        fix: `expected ${schema.description ?? `a value matching ${(schema as { pattern?: string }).pattern}`}`,
      };
    case ValueErrorType.StringMinLength:
      return { segments, message: 'must not be empty', fix: schema.description ? `give ${schema.description}` : 'give a value' };
    case ValueErrorType.ArrayMinItems:
      return { segments, message: 'must list at least one item', fix: schema.description ? `list ${schema.description}` : 'add an item or remove the field' };
    case ValueErrorType.ObjectMinProperties:
      return { segments, message: 'must set at least one condition', fix: 'add a condition such as equals, enum, pattern, min, max or maxDays, or remove the entry' };
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return { segments, message: `${shown(error.value)} is too small`, fix: `use ${(schema as { minimum?: number }).minimum} or more` };
    default: {
      const word = TYPE_WORDS[error.type];
      if (word) return { segments, message: `must be ${word}, got ${shown(error.value)}`, fix: `write ${word}${schema.description ? ` (${schema.description})` : ''}` };
      return { segments, message: error.message.toLowerCase(), fix: schema.description ? `expected ${schema.description}` : 'see docs/manifests.md' };
    }
  }
}

/**
 * Unions are either a closed list of words or objects tagged by a field every branch fixes
 * (`type` of credential bindings, `action` of playbook actions).
 */
function explainUnion(error: ValueError, branches: TSchema[], segments: (string | number)[], out: SchemaProblem[]): SchemaProblem | undefined {
  const literals = branches.map((branch) => (branch as { const?: unknown }).const);
  if (literals.every((literal) => typeof literal === 'string')) {
    const words = literals as string[];
    const given = typeof error.value === 'string' ? error.value : '';
    return { segments, message: `${shown(error.value)} is not one of ${words.join(', ')}`, fix: suggestion(given, words, 'value') };
  }
  const propertiesOf = (branch: TSchema) => (branch as { properties?: Record<string, { const?: unknown }> }).properties ?? {};
  const key = Object.keys(propertiesOf(branches[0]!)).find((name) => branches.every((branch) => propertiesOf(branch)[name]?.const !== undefined));
  if (key !== undefined) {
    const tag = (error.value as Record<string, unknown> | null)?.[key];
    const tags = branches.map((branch) => String(propertiesOf(branch)[key]!.const));
    const branch = branches.find((candidate) => propertiesOf(candidate)[key]!.const === tag);
    if (branch) {
      collect(branch, error.value, segments, out);
      return undefined;
    }
    return {
      segments,
      message: `${key} ${shown(tag)} is not one of ${tags.join(', ')}`,
      fix: typeof tag === 'string' ? suggestion(tag, tags, key) : `add "${key}: ${tags[0]}" (or ${tags.slice(1).join(', ')})`,
    };
  }
  return { segments, message: `${shown(error.value)} has the wrong type`, fix: 'see docs/manifests.md for the allowed forms' };
}

function pointerSegments(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
