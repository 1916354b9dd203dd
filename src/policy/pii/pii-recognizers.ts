import { createRequire } from 'node:module';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { IsEmailOptions } from 'validator/lib/isEmail.js';
import { apiKeyId } from '../../model/api-key.js';
import type { PiiClass } from './pii-classes.js';

// validator's lib files are CommonJS whose default export Node and vitest unwrap differently
// (isIBAN lacks the `module.exports = …` alias the others have); require is unambiguous.
// Single files keep the other hundred validators unloaded (3 ms against 30 ms).
const require = createRequire(import.meta.url);
const isEmail: (text: string, options: IsEmailOptions) => boolean = require('validator/lib/isEmail.js').default;
const isIBAN: (text: string) => boolean = require('validator/lib/isIBAN.js').default;
const isIP: (text: string, version: 4 | 6) => boolean = require('validator/lib/isIP.js').default;

// Every JSON leaf of a filtered body passes through here, and nearly all of them are not PII:
// each recognizer starts with checks on length and a few characters so that ordinary words,
// ids and numbers are turned away in nanoseconds, before any validator or regular expression.

/** Longer values are only checked for a private key: nothing else we recognise is that long. */
const MAX_LENGTH = 4096;

/**
 * The PII class of one whole JSON leaf value, judged with the field name it sits under as
 * context (`field` is the object key, or undefined for array elements / top level), or undefined.
 * The WHOLE value must be the entity (after trimming surrounding whitespace): "mail me at a@b.com" is not an email.
 */
export function recognizePii(value: string | number, field: string | undefined): PiiClass | undefined {
  if (typeof value === 'number') return recognizeNumber(value, field);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.length === 0) return undefined;
  if (text.length > MAX_LENGTH) return isPemPrivateKey(text) ? 'secret' : undefined;
  if (isSecret(text, field)) return 'secret';
  if (isPaymentCard(text)) return 'payment_card';
  if (isIban(text)) return 'iban';
  if (isUsSsn(text, field)) return 'us_ssn';
  if (isEmailAddress(text)) return 'email';
  if (isIpAddress(text, field)) return 'ip_address';
  if (isDateOfBirth(text, field)) return 'date_of_birth';
  if (isPhone(text, field)) return 'phone';
  return undefined;
}

/**
 * A JSON number is judged by its decimal text, but that text costs more to make than every
 * check on it, so numbers that cannot be PII are turned away by arithmetic first.
 */
function recognizeNumber(value: number, field: string | undefined): PiiClass | undefined {
  // Only whole numbers of seven digits or more (a phone number, the shortest) can spell an entity.
  if (!Number.isSafeInteger(value) || value < 1_000_000) return undefined;
  if ((contextOf(field) & (SSN | PHONE | SECRET)) === 0) {
    // Elsewhere only a card is possible: twelve digits or more, the first from 2 to 6. This
    // turns away millisecond timestamps, which start with 1.
    let first = value;
    while (first >= 10) first = Math.floor(first / 10);
    if (value < 100_000_000_000 || first < 2 || first > 6) return undefined;
  }
  return recognizePii(String(value), field);
}

// ---- Field names as context ----------------------------------------------------------------

const BIRTH = 1;
const SSN = 2;
const PHONE = 4;
const VERSION = 8;
const SECRET = 16;

/**
 * What a field is named for, keyed by its trailing words run together: `customer_dob`,
 * `dateOfBirth` and `DATE-OF-BIRTH` all end in a key here. Matching whole trailing words keeps
 * `className` from meaning SSN and `passwordHint` from meaning a secret.
 */
const FIELD_MEANINGS: ReadonlyMap<string, number> = new Map([
  ['dateofbirth', BIRTH], ['birthdate', BIRTH], ['dob', BIRTH], ['birthday', BIRTH], ['geburtsdatum', BIRTH],
  ['ssn', SSN], ['socialsecurity', SSN],
  ['phone', PHONE], ['telephone', PHONE], ['tel', PHONE], ['mobile', PHONE], ['cell', PHONE], ['fax', PHONE],
  ['msisdn', PHONE], ['contactnumber', PHONE],
  ['version', VERSION], ['v', VERSION],
  ['password', SECRET], ['passwd', SECRET], ['secret', SECRET], ['token', SECRET], ['apikey', SECRET],
  ['privatekey', SECRET], ['secretkey', SECRET], ['accesskey', SECRET],
]);

/** Trailing words that qualify rather than name a field: `phoneNumber`, `ssn_no`, `phone2`. */
const QUALIFIER = /^(?:number|no|nr|num|\d+)$/;

/** Tokens that page through results: masking one would break the agent's pagination. */
const PAGING_WORDS: ReadonlySet<string> = new Set(['page', 'next', 'continuation', 'cursor', 'sync']);

/** Separators, then camelCase, ACRONYMWord and letter-digit boundaries. */
const WORD_BREAK = /[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z0-9])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[0-9])(?=[A-Za-z])/;

/** Real field names are short; a longer key is data (an id used as a key) and means nothing. */
const MAX_FIELD_LENGTH = 100;
const CONTEXT_CACHE_SIZE = 2048;
const contexts = new Map<string, number>();

/** The meaning flags of a field name; memoised because the same keys recur in every record. */
function contextOf(field: string | undefined): number {
  if (field === undefined || field.length > MAX_FIELD_LENGTH) return 0;
  let flags = contexts.get(field);
  if (flags === undefined) {
    flags = fieldMeaning(field);
    // Bounded because keys come from upstream data; dropping everything at once is cheap and rare.
    if (contexts.size >= CONTEXT_CACHE_SIZE) contexts.clear();
    contexts.set(field, flags);
  }
  return flags;
}

function fieldMeaning(field: string): number {
  const words = field.split(WORD_BREAK).filter((word) => word.length > 0).map((word) => word.toLowerCase());
  let flags = trailingMeaning(words);
  if (words.length > 1 && QUALIFIER.test(words[words.length - 1]!)) flags |= trailingMeaning(words.slice(0, -1));
  if (flags & SECRET && words.at(-1) === 'token' && PAGING_WORDS.has(words.at(-2) ?? '')) flags &= ~SECRET;
  return flags;
}

function trailingMeaning(words: readonly string[]): number {
  let flags = 0;
  let phrase = '';
  for (let index = words.length - 1; index >= Math.max(0, words.length - 3); index--) {
    phrase = words[index]! + phrase;
    flags |= FIELD_MEANINGS.get(phrase) ?? 0;
  }
  return flags;
}

// ---- Character helpers ---------------------------------------------------------------------

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isUpperLetter(code: number): boolean {
  return code >= 65 && code <= 90;
}

function isAllDigits(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    if (!isDigit(text.charCodeAt(index))) return false;
  }
  return true;
}

function hasWhitespace(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 32 || (code >= 9 && code <= 13) || code === 160 || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}

// ---- secret --------------------------------------------------------------------------------

/** Private keys only: public keys and certificates are meant to be shared. */
const PEM_PRIVATE_HEADER = /^-----BEGIN ([A-Z0-9 ]{0,30})PRIVATE KEY-----/;

/** Vendor key formats whose prefix makes them unmistakable. */
const API_KEY_FORMATS = [
  'A(?:KIA|SIA)[A-Z0-9]{16}', // AWS access key id (long-term, temporary)
  'gh[pousr]_[A-Za-z0-9]{36}', // GitHub personal, OAuth, user, server, refresh tokens
  'github_pat_[A-Za-z0-9_]{22,}', // GitHub fine-grained personal access token
  'xox[baprs]-[A-Za-z0-9-]{10,}', // Slack
  '(?:sk_live|rk_live|sk_test)_[A-Za-z0-9]{16,}', // Stripe secret and restricted keys
  'AIza[A-Za-z0-9_-]{35}', // Google API key
  'sk-[A-Za-z0-9_-]{20,}', // OpenAI (and Anthropic's sk-ant-…)
];
const API_KEY = new RegExp(`^(?:${API_KEY_FORMATS.join('|')})$`);
const API_KEY_FIRST_CHARS = 'Agxsrw';

/** Three base64url parts; the signature is empty for unsigned (`alg: none`) tokens. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A secret by form (private key, JWT, vendor key, Warden key) or any opaque word under a secret-named field. */
function isSecret(text: string, field: string | undefined): boolean {
  const first = text[0]!;
  if (first === '-' && isPemPrivateKey(text)) return true;
  // A JWT header is a JSON object: base64url of `{` then `"` or a space is `ey`, of `{` then a line break `ew`.
  if (first === 'e' && (text[1] === 'y' || text[1] === 'w') && isJwt(text)) return true;
  if (text.length >= 15 && API_KEY_FIRST_CHARS.includes(first) && (API_KEY.test(text) || apiKeyId(text) !== undefined)) return true;
  return text.length >= 8 && (contextOf(field) & SECRET) !== 0 && !hasWhitespace(text);
}

/** The whole (trimmed) value is one private key block: its header and matching footer. */
function isPemPrivateKey(text: string): boolean {
  const header = PEM_PRIVATE_HEADER.exec(text);
  return header !== null && text.endsWith(`-----END ${header[1]}PRIVATE KEY-----`);
}

function isJwt(text: string): boolean {
  if (!JWT_SHAPE.test(text)) return false;
  const header = Buffer.from(text.slice(0, text.indexOf('.')), 'base64url').toString('utf8');
  if (!header.trimStart().startsWith('{')) return false;
  try {
    const parsed: unknown = JSON.parse(header);
    return typeof parsed === 'object' && parsed !== null && 'alg' in parsed && typeof parsed.alg === 'string';
  } catch {
    return false;
  }
}

// ---- payment_card --------------------------------------------------------------------------

/**
 * Issuer ranges as [lowest prefix, highest prefix, prefix digits, shortest, longest card].
 * Maestro is listed by its own ranges rather than the whole 5x/6x block, which would admit
 * most Luhn-valid ids starting with 5 or 6.
 */
const ISSUERS: readonly (readonly [number, number, number, number, number])[] = [
  [4, 4, 1, 13, 19], // Visa
  [51, 55, 2, 16, 16], // Mastercard
  [2221, 2720, 4, 16, 16], // Mastercard 2-series
  [34, 34, 2, 15, 15], // American Express
  [37, 37, 2, 15, 15],
  [6011, 6011, 4, 16, 19], // Discover
  [644, 649, 3, 16, 19],
  [65, 65, 2, 16, 19],
  [300, 305, 3, 14, 19], // Diners Club
  [36, 36, 2, 14, 19],
  [38, 38, 2, 14, 19],
  [3528, 3589, 4, 16, 19], // JCB
  [62, 62, 2, 16, 19], // UnionPay
  [5018, 5018, 4, 12, 19], // Maestro
  [5020, 5020, 4, 12, 19],
  [5038, 5038, 4, 12, 19],
  [5893, 5893, 4, 12, 19],
  [6304, 6304, 4, 12, 19],
  [6759, 6759, 4, 12, 19],
  [6761, 6763, 4, 12, 19],
];

/**
 * 12–19 digits, grouped by single spaces or single dashes (one kind), with a known issuer and
 * a valid Luhn sum. Works on the text in place: most numbers that get here are ids, not cards.
 */
function isPaymentCard(text: string): boolean {
  if (text.length < 12 || text.length > 23 || !isDigit(text.charCodeAt(0))) return false;
  let separator = 0;
  let digits = 0;
  let lead = 0;
  let previousWasDigit = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (isDigit(code)) {
      if (digits < 4) lead = lead * 10 + code - 48;
      digits++;
      previousWasDigit = true;
    } else if ((code === 32 || code === 45) && previousWasDigit && (separator === 0 || code === separator)) {
      separator = code;
      previousWasDigit = false;
    } else {
      return false;
    }
  }
  return previousWasDigit && digits >= 12 && digits <= 19 && hasIssuerPrefix(lead, digits) && passesLuhn(text);
}

/** `lead` is the first four digits as a number. */
function hasIssuerPrefix(lead: number, digits: number): boolean {
  return ISSUERS.some(([low, high, prefixDigits, shortest, longest]) => {
    const prefix = Math.floor(lead / 10 ** (4 - prefixDigits));
    return prefix >= low && prefix <= high && digits >= shortest && digits <= longest;
  });
}

/** Luhn over the digits of `text`, skipping its separators. */
function passesLuhn(text: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = text.length - 1; index >= 0; index--) {
    let digit = text.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) continue;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

// ---- iban ----------------------------------------------------------------------------------

/**
 * Country code, check digits and BBAN, compact or in groups of four split by single spaces.
 * validator's isIBAN matches each country's registered BBAN pattern (so its length) and checks
 * ISO 13616 mod-97 == 1; it would also accept dashes and stray spaces, which the grouping here refuses.
 */
function isIban(text: string): boolean {
  if (text.length < 15 || text.length > 42) return false;
  if (!isUpperLetter(text.charCodeAt(0)) || !isUpperLetter(text.charCodeAt(1))) return false;
  if (!isDigit(text.charCodeAt(2)) || !isDigit(text.charCodeAt(3))) return false;
  const compact = compactIban(text);
  return compact !== undefined && isIBAN(compact);
}

/** The IBAN without its grouping spaces, or undefined when a space is misplaced or a character is foreign. */
function compactIban(text: string): string | undefined {
  const grouped = text[4] === ' ';
  let compact = '';
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (grouped && index % 5 === 4) {
      if (code !== 32) return undefined;
    } else if (isDigit(code) || isUpperLetter(code)) {
      compact += text[index];
    } else {
      return undefined;
    }
  }
  return compact;
}

// ---- us_ssn --------------------------------------------------------------------------------

/** Numbers the SSA never issues, or published ones (a wallet insert and an advertisement). */
const VOID_SSNS: ReadonlySet<string> = new Set(['078051120', '219099999']);

/** `AAA-GG-SSSS` under any field; nine bare digits only under an SSN-named field. */
function isUsSsn(text: string, field: string | undefined): boolean {
  let digits: string;
  if (text.length === 11 && text[3] === '-' && text[6] === '-') {
    digits = text.slice(0, 3) + text.slice(4, 6) + text.slice(7);
    if (!isAllDigits(digits)) return false;
  } else if (text.length === 9 && isAllDigits(text) && (contextOf(field) & SSN) !== 0) {
    digits = text;
  } else {
    return false;
  }
  const area = digits.slice(0, 3);
  return area !== '000' && area !== '666' && area[0] !== '9' && digits.slice(3, 5) !== '00' && digits.slice(5) !== '0000' && !VOID_SSNS.has(digits);
}

// ---- email ---------------------------------------------------------------------------------

/** A bare address at a named domain with a TLD: no display name, no IP-literal domain. */
const EMAIL_OPTIONS: IsEmailOptions = { require_tld: true, allow_ip_domain: false, allow_display_name: false };

function isEmailAddress(text: string): boolean {
  if (text.length < 6 || text.length > 254 || !text.includes('@') || hasWhitespace(text)) return false;
  try {
    return isEmail(text, EMAIL_OPTIONS);
  } catch {
    // Its byte-length check runs encodeURI, which throws on a lone surrogate: not an address.
    return false;
  }
}

// ---- ip_address ----------------------------------------------------------------------------

/** IPv4 dotted quad or IPv6; a dotted quad under a version-named field is a version. */
function isIpAddress(text: string, field: string | undefined): boolean {
  if (text.length > 45) return false;
  if (text.includes(':')) return isIpv6Shaped(text) && isIP(text, 6);
  if (text.length < 7 || text.length > 15 || !isDigit(text.charCodeAt(0)) || !text.includes('.')) return false;
  return isIP(text, 4) && (contextOf(field) & VERSION) === 0;
}

/**
 * Hex digits, colons and dots (an embedded IPv4) with two colons or more, then any zone id
 * after `%`: turns away timestamps and `key:value` words before validator's long expression.
 */
const HEX_DIGITS = '0123456789abcdefABCDEF';

function isIpv6Shaped(text: string): boolean {
  let colons = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === ':') colons++;
    else if (char === '%') break;
    else if (char !== '.' && !HEX_DIGITS.includes(char)) return false;
  }
  return colons >= 2;
}

// ---- date_of_birth -------------------------------------------------------------------------

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]{2,18}(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const DOTTED_DATE = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
const SLASHED_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const EARLIEST_BIRTH = Date.UTC(1900, 0, 1);

/** A real past date (1900 or later) in a common format, only under a field named for a birth date. */
function isDateOfBirth(text: string, field: string | undefined): boolean {
  if (text.length < 8 || !isDigit(text.charCodeAt(0)) || (contextOf(field) & BIRTH) === 0) return false;
  const time = calendarDate(text);
  return time !== undefined && time >= EARLIEST_BIRTH && time <= Date.now();
}

/** Epoch ms of `YYYY-MM-DD[time]`, `DD.MM.YYYY`, `MM/DD/YYYY` or `DD/MM/YYYY` naming a real day. */
function calendarDate(text: string): number | undefined {
  let match = ISO_DATE.exec(text);
  if (match) return utcDay(Number(match[1]), Number(match[2]), Number(match[3]));
  match = DOTTED_DATE.exec(text);
  if (match) return utcDay(Number(match[3]), Number(match[2]), Number(match[1]));
  match = SLASHED_DATE.exec(text);
  // Whether the month or the day comes first is unknowable; either reading that is a real day counts.
  if (match) return utcDay(Number(match[3]), Number(match[1]), Number(match[2])) ?? utcDay(Number(match[3]), Number(match[2]), Number(match[1]));
  return undefined;
}

function utcDay(year: number, month: number, day: number): number | undefined {
  const time = Date.UTC(year, month - 1, day);
  const date = new Date(time);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? time : undefined;
}

// ---- phone ---------------------------------------------------------------------------------

/**
 * Regions tried, in order, for a number written without a country code. libphonenumber-js/max
 * is used over the default min metadata: min only checks a number's length, so it takes
 * `+49 1234 5678901` or a 13-digit timestamp as German numbers; max checks each region's
 * number patterns, for about 3 ms more import time and 0.3 MB more heap.
 */
const NATIONAL_REGIONS: readonly CountryCode[] = ['US', 'GB', 'DE', 'FR'];
const PHONE_EXTENSION = /\s*(?:ext\.?|x|#)\s*\d{1,6}$/i;

/** International form valid anywhere; national form only under a phone-named field. */
function isPhone(text: string, field: string | undefined): boolean {
  if (text.length < 7 || text.length > 40) return false;
  const international = text[0] === '+';
  if (!international && ((contextOf(field) & PHONE) === 0 || !(isDigit(text.charCodeAt(0)) || text[0] === '('))) return false;
  const extension = PHONE_EXTENSION.exec(text);
  const digits = phoneDigitCount(extension ? text.slice(0, extension.index) : text);
  // Dates are made of the same characters and some, like 2024-01-15, fit a German number plan.
  if (digits < 7 || digits > 20 || calendarDate(text) !== undefined) return false;
  // Under a phone-named field an international number of E.164 length is a phone: the field
  // says so, and libphonenumber's full validation (about 10 µs) is spent where it must decide.
  if (international && (contextOf(field) & PHONE) !== 0 && digits >= 8 && digits <= 15 && extension === null) return true;
  if (international) return isValidIn(text, undefined);
  return NATIONAL_REGIONS.some((region) => isValidIn(text, region));
}

/** `extract: false` so that the whole value must be the number, not just contain one. */
function isValidIn(text: string, defaultCountry: CountryCode | undefined): boolean {
  return parsePhoneNumberFromString(text, { defaultCountry, extract: false })?.isValid() === true;
}

/** Digits in a number made of digits, spaces and `+()-./` (`+` first only), or -1. */
function phoneDigitCount(text: string): number {
  let digits = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (isDigit(code)) digits++;
    else if (!' ()-./'.includes(text[index]!) && !(index === 0 && code === 43)) return -1;
  }
  return digits;
}
