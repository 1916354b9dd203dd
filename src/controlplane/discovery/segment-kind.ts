/**
 * What one path segment looks like on its own. Strong identifiers (UUIDs, ObjectIds, ULIDs,
 * prefixed ids, long numbers) are parameters even when seen once; weak ones (short numbers,
 * short codes, dates) only when siblings of the same kind exist, because `/api/3/` and
 * `/2010-04-01/` are literal; versions and words are literal unless sibling statistics say
 * otherwise (see path-templater.ts).
 */
export type SegmentKind = 'strong-id' | 'weak-id' | 'date' | 'version' | 'word' | 'rpc-word';

/** A segment split into the part that may vary and a literal file extension (`CA12….json`). */
export interface ClassifiedSegment {
  readonly kind: SegmentKind;
  /** Literal suffix kept in the template, e.g. `.json`; empty when none. */
  readonly suffix: string;
}

// Extensions that APIs put after an identifier; anything else after a dot is part of the segment.
const EXTENSIONS = new Set(['json', 'xml', 'csv', 'txt', 'html', 'htm', 'pdf', 'png', 'jpg', 'jpeg', 'gif', 'svg', 'yaml', 'yml', 'zip', 'mp3', 'wav', 'mp4', 'twiml', 'ics', 'vcf', 'atom', 'rss']);

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const HEX = /^[0-9a-fA-F]+$/;
const DIGITS = /^[0-9]+$/;
const ULID = /^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$/;
// `cus_9f8A…`, `pi_3N…`, `sk-live-…`: a short lower-case prefix, a separator, then a token with digits.
const PREFIXED = /^[A-Za-z]{1,12}[_-][A-Za-z0-9]{8,}$/;
// `AC` + 32 hex (Twilio), `SM…`: two capitals then a long hex run.
const TYPED_HEX = /^[A-Z]{2,4}[0-9a-fA-F]{24,}$/;
const DATE = /^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z?)?$|^\d{8}$/;
const VERSION = /^[vV]\d+(\.\d+)*([a-z]+\d*)?$|^\d+\.\d+(\.\d+)?$/;
// Slack-style method names and camelCase actions: literal vocabulary, never values.
const RPC_WORD = /^[a-z]+(\.[a-zA-Z]+)+$|^[a-z]+[A-Z][A-Za-z]*$|^[a-z][a-z0-9]*:[a-z][A-Za-z0-9]*$/;
// Order and booking codes: `V5SDKN`, `A7X9K2`.
const UPPER_CODE = /^(?=.*[A-Z])[A-Z0-9]{5,16}$/;
const CUSTOM_VERB = /^[a-z][A-Za-z]{1,40}$/;
const EMAIL = /^[^@/]+(@|%40)[^@/]+\.[A-Za-z]{2,}$/;

/** Classifies one raw path segment (percent-escapes as sent). */
export function classifySegment(segment: string): ClassifiedSegment {
  let stem = segment;
  let suffix = '';
  const colon = segment.lastIndexOf(':');
  const dot = segment.lastIndexOf('.');
  if (colon > 0 && CUSTOM_VERB.test(segment.slice(colon + 1))) {
    // Google-style custom methods: `{object}:copy`.
    stem = segment.slice(0, colon);
    suffix = segment.slice(colon);
  } else if (dot > 0 && EXTENSIONS.has(segment.slice(dot + 1).toLowerCase())) {
    stem = segment.slice(0, dot);
    suffix = segment.slice(dot);
  }
  const kind = stemKind(stem);
  // A suffix after a name (`Calls.json`, `documents:batchGet`) keeps the whole segment literal.
  if (suffix !== '' && !isIdentifierKind(kind)) return { kind: stemKind(segment), suffix: '' };
  return { kind, suffix };
}

function stemKind(stem: string): SegmentKind {
  const length = stem.length;
  if (length === 0) return 'word';
  if (DIGITS.test(stem)) {
    if (DATE.test(stem)) return 'date';
    return length >= 3 ? 'strong-id' : 'weak-id';
  }
  if (DATE.test(stem)) return 'date';
  if (VERSION.test(stem)) return 'version';
  if (UUID.test(stem)) return 'strong-id';
  if (HEX.test(stem) && length >= 12 && hasDigit(stem)) return 'strong-id';
  if (length === 26 && ULID.test(stem) && hasDigit(stem)) return 'strong-id';
  if (TYPED_HEX.test(stem)) return 'strong-id';
  if (PREFIXED.test(stem)) {
    // `cus_9f8A…`, and digit-free random tokens after a prefix (`ch_fkfaYtFGZFxIySfsDAtPeDzR`).
    const token = stem.slice(stem.search(/[_-]/) + 1);
    if (hasDigit(token) || (token.length >= 10 && looksRandom(token))) return 'strong-id';
  }
  if (EMAIL.test(stem)) return 'strong-id';
  if (RPC_WORD.test(stem)) return 'rpc-word';
  if (UPPER_CODE.test(stem) && hasDigit(stem)) return 'weak-id';
  if (looksRandom(stem)) return length >= 16 ? 'strong-id' : 'weak-id';
  return 'word';
}

function hasDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/**
 * A token rather than a word: digits interleaved with letters (`A7X9K2`, `x9f8a2b`), or a long
 * run mixing cases and digits (base64url keys). `oauth2`, `base64` and `s3` end in digits and
 * stay words.
 */
function looksRandom(stem: string): boolean {
  if (stem.length < 5) return false;
  let digits = 0;
  let letters = 0;
  let upper = 0;
  let lower = 0;
  let letterAfterDigit = false;
  let previousDigit = false;
  for (let i = 0; i < stem.length; i++) {
    const c = stem.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      previousDigit = true;
      continue;
    }
    const isUpper = c >= 65 && c <= 90;
    const isLower = c >= 97 && c <= 122;
    if (isUpper || isLower) {
      letters++;
      if (isUpper) upper++;
      else lower++;
      if (previousDigit) letterAfterDigit = true;
    } else if (c !== 45 && c !== 95) {
      return false;
    }
    previousDigit = false;
  }
  if (digits >= 2 && letters >= 1 && letterAfterDigit) return true;
  // Mixed case with digits and no separators, e.g. `aZ3kQ9…` tokens.
  if (stem.length >= 16 && digits >= 1 && upper >= 2 && lower >= 2) return true;
  // Base64url without digits (`NjJOJNOpLkIXeoWFDOWupg`): a quarter or more of each case, which
  // PascalCase names (`AvailablePhoneNumbers`) never have.
  return stem.length >= 16 && upper * 4 >= stem.length && lower * 4 >= stem.length;
}

/** True for kinds that become a parameter on their own. */
export function isIdentifierKind(kind: SegmentKind): boolean {
  return kind === 'strong-id' || kind === 'weak-id' || kind === 'date';
}

/**
 * A coarse shape of an identifier (`cus_`, `uuid`, `hex24`, `num`), so that two collections
 * holding different kinds of ids (`/customers/cus_…`, `/payment_intents/pi_…`) are told apart
 * from two values of one parameter holding the same kind.
 */
export function identifierShape(segment: string, suffix: string): string {
  const stem = suffix === '' ? segment : segment.slice(0, segment.length - suffix.length);
  if (DIGITS.test(stem)) return 'num';
  if (UUID.test(stem)) return 'uuid';
  const typed = /^([A-Za-z]{1,12})[_-]/.exec(stem) ?? /^([A-Z]{2,4})[0-9a-fA-F]{24,}$/.exec(stem);
  if (typed !== null) return typed[1]!;
  if (HEX.test(stem)) return `hex${stem.length}`;
  if (DATE.test(stem)) return 'date';
  return `tok${stem.length}`;
}
