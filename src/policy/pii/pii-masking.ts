import { createHmac } from 'node:crypto';
import type { MaskStyle } from '../../model/pii-vocabulary.js';
import type { PiiClass } from './pii-classes.js';

// `deny` is not a style: refusing the whole message is the caller's decision, not a replacement text.
export { MASK_STYLES, type MaskStyle } from '../../model/pii-vocabulary.js';

/** What a redacted value becomes; the same text field rules mask with. */
export const REDACTED = '***';

/** Classes of which no part may be shown: a secret's tail still narrows it, a birth date's day identifies. */
const NEVER_PARTIAL: ReadonlySet<PiiClass | undefined> = new Set(['secret', 'date_of_birth']);

/** Classes whose separators and case are formatting, not identity. */
const ALPHANUMERIC_IDENTITY: ReadonlySet<PiiClass | undefined> = new Set(['payment_card', 'us_ssn', 'phone', 'iban']);

const ALPHANUMERIC = /[\p{L}\p{N}]/gu;

/** The text that replaces `value` (the original leaf; numbers are masked by their decimal text). */
export function maskPii(value: string | number, piiClass: PiiClass | undefined, style: MaskStyle, hashKey: Buffer | undefined): string {
  const text = String(value);
  if (style === 'hash') return pseudonym(text, piiClass, hashKey);
  if (style === 'partial') return partial(text, piiClass);
  return REDACTED;
}

/** `****` and the last four letters or digits; an email keeps its domain instead. */
function partial(text: string, piiClass: PiiClass | undefined): string {
  if (NEVER_PARTIAL.has(piiClass)) return REDACTED;
  if (piiClass === 'email') {
    const at = text.lastIndexOf('@');
    if (at > 0) return `****${text.slice(at).trim()}`;
  }
  const alphanumerics = text.match(ALPHANUMERIC);
  // Four or fewer would all be shown.
  if (alphanumerics === null || alphanumerics.length <= 4) return REDACTED;
  return `****${alphanumerics.slice(-4).join('')}`;
}

/** `<class>_` and 16 hex of a keyed HMAC: equal entities pseudonymise alike, and only under one key. */
function pseudonym(text: string, piiClass: PiiClass | undefined, hashKey: Buffer | undefined): string {
  if (hashKey === undefined) throw new Error('maskPii: the hash style needs a hash key');
  const label = piiClass ?? 'value';
  const digest = createHmac('sha256', hashKey).update(`${label}:${normalized(text, piiClass)}`).digest('hex');
  return `${label}_${digest.slice(0, 16)}`;
}

function normalized(text: string, piiClass: PiiClass | undefined): string {
  if (piiClass === 'email') return text.trim().toLowerCase();
  if (ALPHANUMERIC_IDENTITY.has(piiClass)) return text.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  return text.trim();
}
