import type { ErrorCode } from '../model/errors.js';

/** The parts of a request conditions look at, gathered once per decision. */
export interface EvaluationInput {
  /** Path parameters of the matched route, already decoded by the router. */
  readonly pathParams: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | readonly string[]>> | undefined;
  readonly body: Readonly<Record<string, unknown>> | undefined;
  readonly context: Readonly<Record<string, string>> | undefined;
  /** Epoch milliseconds. */
  readonly time: number;
  readonly region: string | undefined;
}

/** Why a condition did not hold. `indeterminate` means it could not be evaluated (missing, ambiguous or malformed input). */
export interface ConditionFailure {
  readonly code: ErrorCode;
  readonly condition: 'param' | 'context' | 'timeWindow' | 'region' | 'expiry' | 'purpose';
  readonly param?: string;
  readonly message: string;
  readonly indeterminate: boolean;
}

/** A precompiled condition: `undefined` when it holds. */
export type Condition = (input: EvaluationInput) => ConditionFailure | undefined;

export type ParamValue =
  | { readonly state: 'value'; readonly value: string | number | boolean }
  | { readonly state: 'missing' }
  | { readonly state: 'ambiguous' }
  | { readonly state: 'not-scalar' };

const MISSING = { state: 'missing' } as const;
const AMBIGUOUS = { state: 'ambiguous' } as const;
const NOT_SCALAR = { state: 'not-scalar' } as const;

/**
 * The one value of parameter `name`. A name sent in more than one place (path, query, body) or
 * more than once in the query is ambiguous: the upstream might read a different copy than the
 * one authorised, so it never counts as a value.
 */
export function paramValue(input: EvaluationInput, name: string): ParamValue {
  let found: ParamValue = MISSING;
  const fromPath = Object.hasOwn(input.pathParams, name) ? input.pathParams[name] : undefined;
  if (fromPath !== undefined) found = { state: 'value', value: fromPath };
  if (input.query && Object.hasOwn(input.query, name)) {
    if (found !== MISSING) return AMBIGUOUS;
    const value = input.query[name];
    if (typeof value !== 'string') return Array.isArray(value) && value.length === 1 ? { state: 'value', value: value[0] as string } : AMBIGUOUS;
    found = { state: 'value', value };
  }
  if (input.body && Object.hasOwn(input.body, name)) {
    if (found !== MISSING) return AMBIGUOUS;
    const value = input.body[name];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') found = { state: 'value', value };
    else if (value === null || value === undefined) found = MISSING;
    else return NOT_SCALAR;
  }
  return found;
}
