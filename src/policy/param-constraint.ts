import type { ParamConstraint, ParameterType } from '../model/manifests/index.js';
import { paramValue, type Condition, type ConditionFailure, type EvaluationInput } from './evaluation.js';

const CONTEXT_REFERENCE = /^\$\{context\.([A-Za-z_][A-Za-z0-9_]*)\}$/;
const DAY_MS = 86_400_000;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export type CompiledConstraint = { readonly condition: Condition } | { readonly error: string; readonly fix: string };

/** The context claim an `equals` refers to, or undefined for a literal. */
function contextReference(value: unknown): string | undefined {
  return typeof value === 'string' ? CONTEXT_REFERENCE.exec(value)?.[1] : undefined;
}

/**
 * Compiles the constraint on one parameter to a single condition. `declaredType` is the
 * type the operation declares (if it does), used to refuse constraints that can never hold.
 */
export function compileParamConstraint(name: string, constraint: ParamConstraint, declaredType: ParameterType | undefined): CompiledConstraint {
  const checks: ((value: string | number | boolean, input: EvaluationInput) => ConditionFailure | undefined)[] = [];
  const numeric = declaredType === undefined || declaredType === 'integer' || declaredType === 'number';
  const dated = declaredType === undefined || declaredType === 'date' || declaredType === 'date-time';

  if (constraint.equals !== undefined) {
    const claim = contextReference(constraint.equals);
    if (typeof constraint.equals === 'string' && constraint.equals.includes('${') && claim === undefined) {
      return { error: `"${constraint.equals}" is not a context reference`, fix: 'write ${context.NAME}, e.g. ${context.customer}' };
    }
    if (claim !== undefined) {
      checks.push((value, input) => {
        const expected = input.context && Object.hasOwn(input.context, claim) ? input.context[claim] : undefined;
        if (expected === undefined) return fail('WARDEN_AUTHZ_CONTEXT_MISSING', 'context', name, `the grant binds ${name} to context claim "${claim}", which the request's task context does not carry`, true);
        return String(value) === expected ? undefined : fail('WARDEN_AUTHZ_CONTEXT_MISMATCH', 'context', name, `${name} must equal the task's ${claim}`, false);
      });
    } else {
      const expected = String(constraint.equals);
      checks.push((value) => (String(value) === expected ? undefined : violation(name, `${name} must be ${expected}`)));
    }
  }
  if (constraint.enum !== undefined) {
    const allowed = new Set(constraint.enum.map(String));
    const listed = [...allowed].join(', ');
    checks.push((value) => (allowed.has(String(value)) ? undefined : violation(name, `${name} must be one of ${listed}`)));
  }
  if (constraint.pattern !== undefined) {
    let pattern: RegExp;
    try {
      // Anchored: an unanchored pattern would let "evil-ok" pass a pattern meant as "ok".
      pattern = new RegExp(`^(?:${constraint.pattern})$`, 'u');
    } catch (error) {
      return { error: `pattern is not a valid regular expression: ${(error as Error).message}`, fix: 'fix the expression (it is matched against the whole value)' };
    }
    checks.push((value) => (pattern.test(String(value)) ? undefined : violation(name, `${name} must match ${constraint.pattern}`)));
  }
  if (constraint.min !== undefined || constraint.max !== undefined) {
    if (!numeric) return { error: `min/max need a numeric parameter, but ${name} is declared as ${declaredType}`, fix: 'declare the parameter as integer or number, or use enum/pattern' };
    const min = constraint.min ?? -Infinity;
    const max = constraint.max ?? Infinity;
    if (min > max) return { error: `min ${min} is greater than max ${max}`, fix: 'swap them' };
    checks.push((value) => {
      const number = typeof value === 'number' ? value : typeof value === 'string' && NUMBER.test(value) ? Number(value) : NaN;
      if (Number.isNaN(number)) return fail('WARDEN_AUTHZ_PARAM_VIOLATION', 'param', name, `${name} must be a number`, true);
      if (number < min) return violation(name, `${name} must be at least ${min}`);
      if (number > max) return violation(name, `${name} must be at most ${max}`);
      return undefined;
    });
  }
  if (constraint.maxLength !== undefined) {
    const maxLength = constraint.maxLength;
    checks.push((value) => (String(value).length <= maxLength ? undefined : violation(name, `${name} must be at most ${maxLength} characters`)));
  }
  if (constraint.rangeEnd !== undefined && constraint.maxDays === undefined) {
    return { error: 'rangeEnd only means something together with maxDays', fix: 'add maxDays, or remove rangeEnd' };
  }
  if (constraint.maxDays !== undefined) {
    if (!dated) return { error: `maxDays needs a date parameter, but ${name} is declared as ${declaredType}`, fix: 'declare the parameter with type date or date-time' };
    const limitMs = constraint.maxDays * DAY_MS;
    const end = constraint.rangeEnd;
    checks.push((value, input) => {
      const start = parseDate(value);
      if (start === undefined) return fail('WARDEN_AUTHZ_PARAM_VIOLATION', 'param', name, `${name} must be a date (YYYY-MM-DD)`, true);
      let endTime = input.time;
      let endName = 'now';
      if (end !== undefined) {
        const endValue = paramValue(input, end);
        if (endValue.state === 'ambiguous' || endValue.state === 'not-scalar') return fail('WARDEN_AUTHZ_PARAM_AMBIGUOUS', 'param', end, `${end} must be sent exactly once`, true);
        if (endValue.state === 'value') {
          const parsed = parseDate(endValue.value);
          if (parsed === undefined) return fail('WARDEN_AUTHZ_PARAM_VIOLATION', 'param', end, `${end} must be a date (YYYY-MM-DD)`, true);
          endTime = parsed;
          endName = end;
        }
      }
      if (endTime < start) return violation(name, `the range from ${name} ends before it starts`);
      if (endTime - start <= limitMs) return undefined;
      const days = Math.ceil((endTime - start) / DAY_MS);
      return violation(name, `the date range ${name}..${endName} spans ${days} days; the grant allows at most ${constraint.maxDays}`);
    });
  }

  const condition: Condition = (input) => {
    const found = paramValue(input, name);
    if (found.state === 'missing') return fail('WARDEN_AUTHZ_PARAM_MISSING', 'param', name, `the grant constrains ${name}, so the request must send it`, true);
    if (found.state === 'ambiguous') return fail('WARDEN_AUTHZ_PARAM_AMBIGUOUS', 'param', name, `${name} must be sent exactly once, in one place`, true);
    if (found.state === 'not-scalar') return fail('WARDEN_AUTHZ_PARAM_VIOLATION', 'param', name, `${name} must be a single value, not an object or list`, true);
    for (const check of checks) {
      const failure = check(found.value, input);
      if (failure) return failure;
    }
    return undefined;
  };
  return { condition };
}

/** Epoch ms of an ISO date or date-time, or undefined; impossible dates (Feb 30) are refused, not rolled over. */
function parseDate(value: string | number | boolean): number | undefined {
  if (typeof value !== 'string' || !DATE.test(value)) return undefined;
  // A time without an offset is UTC: the policy must not depend on the gateway's local zone.
  const text = value.length === 10 ? `${value}T00:00:00Z` : /(?:Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
  const time = Date.parse(text.replace(' ', 'T'));
  if (Number.isNaN(time)) return undefined;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const calendar = new Date(Date.UTC(year!, month! - 1, day!));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month! - 1 || calendar.getUTCDate() !== day) return undefined;
  return time;
}

function violation(param: string, message: string): ConditionFailure {
  return fail('WARDEN_AUTHZ_PARAM_VIOLATION', 'param', param, message, false);
}

function fail(code: ConditionFailure['code'], condition: ConditionFailure['condition'], param: string, message: string, indeterminate: boolean): ConditionFailure {
  return { code, condition, param, message, indeterminate };
}
