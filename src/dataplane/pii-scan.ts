import type { PiiClass } from '../model/pii-vocabulary.js';
import type { CompiledPiiRules } from '../policy/data-rules.js';
import { maskPii } from '../policy/pii/pii-masking.js';
import { recognizePii } from '../policy/pii/pii-recognizers.js';

/** What filtering one message found: masked field paths, PII classes seen, and a class that refuses it. */
export class DataFindings {
  readonly masked = new Set<string>();
  readonly classes = new Set<PiiClass>();
  denied: { readonly piiClass: PiiClass; readonly field: string } | undefined = undefined;
}

/**
 * Looks at every whole leaf value (strings and numbers) with its field name as context and
 * applies the grant's PII rules to what the recognizers find: masked in a style, `deny`
 * (noted, so the caller refuses the message), or `keep`. Returns the value, changed in place
 * where it is an object or a list. Only names of fields are noted, never values.
 */
export function scanPii(value: unknown, field: string | undefined, at: string, rules: CompiledPiiRules, hashKey: Buffer, findings: DataFindings): unknown {
  if (typeof value === 'string' || typeof value === 'number') {
    const piiClass = recognizePii(value, field);
    if (piiClass === undefined) return value;
    findings.classes.add(piiClass);
    const action = rules.classes[piiClass] ?? rules.fallback;
    if (action === 'keep') return value;
    if (action === 'deny') {
      findings.denied ??= { piiClass, field: at };
      return value;
    }
    findings.masked.add(at);
    return maskPii(value, piiClass, action, hashKey);
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const where = `${at}[]`;
    for (let i = 0; i < value.length; i++) value[i] = scanPii(value[i], field, where, rules, hashKey, findings);
    return value;
  }
  const object = value as Record<string, unknown>;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    // Paths are recorded: a key that is itself PII (a map keyed by e-mail address) is named `*`.
    const name = mayBePii(key) && recognizePii(key, undefined) !== undefined ? '*' : key;
    object[key] = scanPii(object[key], key, at === '' ? name : `${at}.${name}`, rules, hashKey, findings);
  }
  return value;
}

/** Why a message was refused for a denied class: the field, never the value. */
export function deniedDetail(findings: DataFindings): string {
  const denied = findings.denied!;
  return `${denied.field} holds ${denied.piiClass.replaceAll('_', ' ')} data, which this grant does not let through`;
}

/**
 * Whether a key can be a PII value at all: every class the recognizers know without a field
 * name (e-mail addresses, card, phone, IBAN and SSN numbers, IPs, keys and tokens) has an `@`
 * or a digit. Ordinary field names have neither, and skip the recognizers.
 */
function mayBePii(key: string): boolean {
  if (key.length < 5) return false;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code === 64 || (code >= 48 && code <= 57)) return true; // @ or 0-9
  }
  return false;
}
