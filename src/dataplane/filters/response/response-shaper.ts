import type { CompiledResponseRules } from '../../../policy/data-rules.js';
import { REDACTED, maskPii } from '../../../policy/pii/pii-masking.js';
import { recognizePii } from '../../../policy/pii/pii-recognizers.js';
import { REMOVED, editField, keepOnly, valueAt, type Masker } from './field-rules.js';
import { DataFindings, deniedDetail, scanPii } from '../../pii-scan.js';

/** A record of another customer (or other bound resource) than the task's, left out of a list. */
export const WITHHELD = Symbol('withheld');

/** What shaping one answer found, beyond the masked fields and classes. */
export class ShapeFindings extends DataFindings {
  records = 0;
  /** List records left out because they belong to another customer than the task's. */
  withheld = 0;
}

export type ShapedDocument =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly code: 'WARDEN_DATA_ROW_NOT_BOUND' | 'WARDEN_DATA_PII_DENIED'; readonly detail: string };

/**
 * A grant's response rules bound to one call: its task context (for rows) and the gateway's
 * pseudonym key. Records are shaped one at a time, so a streamed list needs no more than one
 * record in memory: rows first (on the record as the upstream sent it), then allow, drop,
 * mask, and last the PII rules over what is left.
 */
export class ResponseShaper {
  readonly #rules: CompiledResponseRules;
  readonly #hashKey: Buffer;
  /** The context claim value rows must equal; undefined when the grant binds no rows. */
  readonly #bound: string | undefined;
  /** A record must show it is the task's (2xx answers); otherwise only one that names another owner is refused. */
  readonly #ownerRequired: boolean;
  readonly #maskers: readonly Masker[];
  readonly #findings: ShapeFindings;

  /**
   * `success`: the answer is a 2xx. An error answer (a 404 `{"error": …}` for a missing order)
   * need not name an owner, but one that names another customer is still refused.
   */
  constructor(rules: CompiledResponseRules, hashKey: Buffer, context: Readonly<Record<string, string>> | undefined, findings: ShapeFindings, success = true) {
    this.#rules = rules;
    this.#hashKey = hashKey;
    this.#bound = rules.rows === undefined ? undefined : context?.[rules.rows.claim];
    this.#ownerRequired = success;
    this.#findings = findings;
    this.#maskers = rules.mask.map((rule) => this.#masker(rule.style));
  }

  /** One record, changed in place where possible; WITHHELD when it is not the task's. */
  record(value: unknown): unknown {
    const rules = this.#rules;
    if (rules.rows !== undefined && !this.#isTasks(valueAt(value, rules.rows.path))) return WITHHELD;
    let shaped = rules.allow === undefined ? value : keepOnly(value, rules.allow);
    if (shaped === REMOVED) shaped = null;
    for (let i = 0; i < rules.drop.length; i++) shaped = editField(shaped, rules.drop[i]!, 0, undefined, '');
    for (let i = 0; i < rules.mask.length; i++) shaped = editField(shaped, rules.mask[i]!.path, 0, this.#maskers[i]!, '');
    if (rules.pii !== undefined) shaped = scanPii(shaped, undefined, '', rules.pii, this.#hashKey, this.#findings);
    return shaped;
  }

  /**
   * Whether a record's owner field shows it is the task's. A missing field fails closed in a
   * success answer; an integer beyond 2^53 lost digits in parsing and never matches.
   */
  #isTasks(owner: unknown): boolean {
    if (owner === undefined || owner === null) return !this.#ownerRequired;
    if (typeof owner === 'number') return Number.isSafeInteger(owner) && String(owner) === this.#bound;
    return typeof owner === 'string' && owner === this.#bound;
  }

  /**
   * A whole parsed answer: the elements of a top-level array (or of the `records` field) are
   * records, else the document is one. A list loses the records that are not the task's; a
   * single record that is not refuses the answer, as does a class the PII rules deny.
   */
  document(document: unknown): ShapedDocument {
    const findings = this.#findings;
    const field = this.#rules.records;
    const envelope = field !== undefined && typeof document === 'object' && document !== null && !Array.isArray(document) ? (document as Record<string, unknown>) : undefined;
    const list = Array.isArray(document) ? document : envelope !== undefined && Array.isArray(envelope[field!]) ? (envelope[field!] as unknown[]) : undefined;
    let value: unknown;
    if (list !== undefined) {
      const kept: unknown[] = [];
      for (let i = 0; i < list.length; i++) {
        const shaped = this.record(list[i]);
        if (shaped === WITHHELD) findings.withheld++;
        else kept.push(shaped);
      }
      findings.records = kept.length;
      if (envelope === undefined) value = kept;
      else {
        envelope[field!] = kept;
        value = this.#envelope(envelope, field!);
      }
    } else {
      const shaped = this.record(document);
      if (shaped === WITHHELD) return { ok: false, code: 'WARDEN_DATA_ROW_NOT_BOUND', detail: this.foreignDetail() };
      findings.records = document === null || typeof document !== 'object' ? 0 : 1;
      value = shaped;
    }
    if (findings.denied !== undefined) return { ok: false, code: 'WARDEN_DATA_PII_DENIED', detail: deniedDetail(findings) };
    return { ok: true, value };
  }

  /**
   * The envelope's other fields (totals, cursors) are not records: PII rules apply to them, and
   * under an allow list only plain values stay — an `included` or `expand`ed object beside the
   * records would otherwise carry what the allow list keeps out of them.
   */
  #envelope(envelope: Record<string, unknown>, field: string): Record<string, unknown> {
    const pii = this.#rules.pii;
    for (const key of Object.keys(envelope)) {
      if (key === field) continue;
      if (this.#rules.allow !== undefined && typeof envelope[key] === 'object' && envelope[key] !== null) delete envelope[key];
      else if (pii !== undefined) envelope[key] = scanPii(envelope[key], key, key, pii, this.#hashKey, this.#findings);
    }
    return envelope;
  }

  foreignDetail(): string {
    return `the answer holds a record that is not the task's: this grant returns only records where ${this.#rules.rows!.text}`;
  }

  /**
   * Masks a field the grant names. `partial` and `hash` ask the recognizers what it is, so an
   * e-mail keeps its domain, a secret or birth date is never partly shown, and a pseudonym says
   * its class; `redact` asks only when the grant has PII rules (whose classes are recorded).
   */
  #masker(style: 'redact' | 'partial' | 'hash'): Masker {
    const key = this.#hashKey;
    const findings = this.#findings;
    return (value, where) => {
      findings.masked.add(where);
      // Without PII rules a redacted field's class is not worth a recognizer run: its name is recorded.
      if ((style === 'redact' && this.#rules.pii === undefined) || (typeof value !== 'string' && typeof value !== 'number')) return REDACTED;
      const piiClass = recognizePii(value, lastName(where));
      if (piiClass !== undefined) findings.classes.add(piiClass);
      return style === 'redact' ? REDACTED : maskPii(value, piiClass, style, key);
    };
  }
}

/** `orders[].email` → `email`: the field name recognizers take as context. */
function lastName(where: string): string {
  const dot = where.lastIndexOf('.');
  const name = dot === -1 ? where : where.slice(dot + 1);
  return name.endsWith('[]') ? name.slice(0, -2) : name;
}
