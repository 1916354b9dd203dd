/**
 * Request-target hygiene (DESIGN.md §4), in one place. A request target is accepted only when
 * gateway, policy and upstream cannot read it differently; it is then rewritten into one
 * canonical form, which is what the policy decides on and, byte for byte, what the upstream
 * receives.
 *
 * Path: origin-form only; `;`, `\`, `#`, raw non-ASCII and control bytes are refused; dot
 * segments, empty segments (`//`) and a trailing slash are refused; percent-escapes of `/`,
 * `\`, `.`, `%` (double encoding), `;` and control bytes are refused; escapes of unreserved
 * characters are decoded (`%41` → `A`), all other escapes are kept with upper-case hex and
 * must decode to valid UTF-8 (no overlong forms, no surrogates).
 *
 * Query: `name=value` pairs joined by `&`, no empty pairs, no `;` separator; `+` means a
 * space and is forwarded as `%20`; a name may appear once (case-insensitively, and `a[]`
 * counts as `a`); `_method` is refused; decoded values may not contain control bytes or an
 * encoded escape (`%2527`).
 */
export interface CanonicalTarget {
  /** Canonical path, as routed, authorised and forwarded. */
  readonly path: string;
  /** `''` or `?` + the canonical query, as forwarded. */
  readonly search: string;
  /** Decoded query values by name. */
  readonly query: Readonly<Record<string, string>>;
  /** Decoded query names in order, for the audit record. */
  readonly queryNames: readonly string[];
}

export type TargetRejection = {
  readonly code: 'WARDEN_REQUEST_NOT_CANONICAL' | 'WARDEN_REQUEST_DUPLICATE_PARAM' | 'WARDEN_REQUEST_METHOD_OVERRIDE';
  readonly detail: string;
};

const HEX = '0123456789ABCDEF';

// Characters a path may carry unencoded: unreserved, sub-delims without `;`, `:`, `@`, `/`.
const PATH_RAW = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@/");
// In a query component `&` separates and `=` ends the name; `/` and `?` are data. `[` and `]`
// are data too: browsers and fetch send `a[]=1` unencoded, and `a[]` counts as `a` for duplicates.
const QUERY_RAW = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$'()*,:@/?[]");
const UNRESERVED = charTable('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~');
const NO_QUERY: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);
const NO_NAMES: readonly string[] = Object.freeze([]);

/** Canonicalises a raw request target (`req.url`) or says why it is refused. */
export function canonicalTarget(url: string, maxBytes: number): CanonicalTarget | TargetRejection {
  if (url.length > maxBytes) return notCanonical(`the request target is longer than ${maxBytes} bytes`);
  if (url.charCodeAt(0) !== 0x2f) return notCanonical('only origin-form targets (`/path?query`) are accepted, not absolute URLs or `*`');
  const queryStart = url.indexOf('?');
  const rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
  const path = canonicalPath(rawPath);
  if (typeof path !== 'string') return path;
  if (queryStart === -1 || queryStart === url.length - 1) return { path, search: '', query: NO_QUERY, queryNames: NO_NAMES };
  const query = parseUrlEncoded(url.slice(queryStart + 1));
  if ('code' in query) return query;
  return { path, search: `?${query.text}`, query: query.values, queryNames: query.names };
}

/** Whether a canonicalisation result is a refusal. */
export function isRejection(result: CanonicalTarget | TargetRejection): result is TargetRejection {
  return 'code' in result;
}

function canonicalPath(raw: string): string | TargetRejection {
  let out = '';
  let plain = true; // no escape changed: reuse `raw` and skip UTF-8 validation
  let hasHighBytes = false;
  const length = raw.length;
  for (let i = 0; i < length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x25 /* % */) {
      const byte = hexByte(raw, i);
      if (byte < 0) return notCanonical('a `%` is not followed by two hex digits');
      if (byte === 0x2f || byte === 0x5c) return notCanonical('the path contains an encoded `/` or `\\`');
      if (byte === 0x2e) return notCanonical('the path contains an encoded `.` (`%2E`)');
      if (byte === 0x25) return notCanonical('the path is double-encoded (`%25`)');
      if (byte === 0x3b) return notCanonical('the path contains an encoded `;`');
      if (byte < 0x20 || byte === 0x7f) return notCanonical('the path contains an encoded control byte or NUL');
      if (plain) {
        out = raw.slice(0, i);
        plain = false;
      }
      if (byte < 0x80 && UNRESERVED[byte] === 1) out += String.fromCharCode(byte);
      else {
        if (byte >= 0x80) hasHighBytes = true;
        out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
      }
      i += 2;
      continue;
    }
    if (code >= 0x80 || PATH_RAW[code] !== 1) {
      if (code === 0x3b) return notCanonical('the path contains `;` (matrix parameters are not accepted)');
      if (code === 0x5c) return notCanonical('the path contains a backslash');
      if (code === 0x23) return notCanonical('the target contains a fragment (`#`)');
      return notCanonical(`the path contains a character that must be percent-encoded (code ${code})`);
    }
    if (code === 0x2f && i > 0) {
      const previous = raw.charCodeAt(i - 1);
      if (previous === 0x2f) return notCanonical('the path contains an empty segment (`//`)');
    }
    if (!plain) out += raw[i];
  }
  const path = plain ? raw : out;
  if (path.length > 1 && path.charCodeAt(path.length - 1) === 0x2f) return notCanonical('the path ends with `/`; send it without the trailing slash');
  if (hasDotSegment(path)) return notCanonical('the path contains a `.` or `..` segment');
  if (hasHighBytes && !decodesAsUtf8(path)) return notCanonical('the path does not decode as UTF-8');
  return path;
}

function hasDotSegment(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    if (path.charCodeAt(i) !== 0x2f || path.charCodeAt(i + 1) !== 0x2e) continue;
    const after = path.charCodeAt(i + 2);
    if (Number.isNaN(after) || after === 0x2f) return true;
    if (after === 0x2e) {
      const third = path.charCodeAt(i + 3);
      if (Number.isNaN(third) || third === 0x2f) return true;
    }
  }
  return false;
}

/**
 * Parses `application/x-www-form-urlencoded` text (a query, or a form body) by the rules
 * above; `text` is its canonical encoding.
 */
export function parseUrlEncoded(raw: string): { text: string; values: Record<string, string>; names: string[] } | TargetRejection {
  const values = Object.create(null) as Record<string, string>;
  const names: string[] = [];
  const seen = new Set<string>();
  let text = '';
  let start = 0;
  while (start <= raw.length) {
    let end = raw.indexOf('&', start);
    if (end === -1) end = raw.length;
    if (end === start) return notCanonical('the query contains an empty parameter (`&&`, or `&` at an end)');
    const pair = raw.slice(start, end);
    const equals = pair.indexOf('=');
    const rawName = equals === -1 ? pair : pair.slice(0, equals);
    const rawValue = equals === -1 ? '' : pair.slice(equals + 1);
    const name = decodeComponent(rawName, false);
    if ('code' in name) return name;
    if (name.text.length === 0) return notCanonical('the query contains a parameter without a name');
    const value = decodeComponent(rawValue, true);
    if ('code' in value) return value;
    const key = duplicateKey(name.decoded);
    if (key === '_method') return { code: 'WARDEN_REQUEST_METHOD_OVERRIDE', detail: 'the query parameter `_method` would override the HTTP method' };
    if (seen.has(key)) return { code: 'WARDEN_REQUEST_DUPLICATE_PARAM', detail: `the query parameter \`${name.decoded}\` is sent more than once` };
    seen.add(key);
    values[name.decoded] = value.decoded;
    names.push(name.decoded);
    text += (text.length === 0 ? '' : '&') + name.text + (equals === -1 ? '' : `=${value.text}`);
    start = end + 1;
  }
  return { text, values, names };
}

/** Names that upstream frameworks may treat as one parameter: letter case and `a[]`/`a[x]` forms. */
export function duplicateKey(name: string): string {
  const bracket = name.indexOf('[');
  return (bracket === -1 ? name : name.slice(0, bracket)).toLowerCase();
}

/** Decodes one query component and builds its canonical encoding. */
function decodeComponent(raw: string, isValue: boolean): { text: string; decoded: string } | TargetRejection {
  let text = '';
  let escaped = false;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x25) {
      const byte = hexByte(raw, i);
      if (byte < 0) return notCanonical('a `%` in the query is not followed by two hex digits');
      if (byte < 0x20 || byte === 0x7f) return notCanonical('the query contains an encoded control byte or NUL');
      if (byte < 0x80 && UNRESERVED[byte] === 1) text += String.fromCharCode(byte);
      else {
        text += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
        escaped = true;
      }
      i += 2;
    } else if (code === 0x2b /* + */) {
      text += '%20';
      escaped = true;
    } else if (code < 0x80 && (QUERY_RAW[code] === 1 || (isValue && code === 0x3d /* = */))) {
      text += raw[i];
    } else if (code === 0x3b) {
      return notCanonical('the query contains `;` (not accepted as a separator or in data; encode it as %3B)');
    } else {
      return notCanonical(`the query contains a character that must be percent-encoded (code ${code})`);
    }
  }
  if (!escaped) return { text, decoded: text };
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    return notCanonical('the query does not decode as UTF-8');
  }
  // Checked after decoding, so `%25%32%37` (whose canonical form is `%2527`) is caught too.
  if (hasEscape(decoded)) return notCanonical('the query is double-encoded (it decodes to a `%` escape)');
  return { text, decoded };
}

/** Whether decoded text still contains a `%XX` escape a second decoder would decode. */
function hasEscape(decoded: string): boolean {
  for (let i = decoded.indexOf('%'); i !== -1; i = decoded.indexOf('%', i + 1)) {
    if (hexDigit(decoded.charCodeAt(i + 1)) >= 0 && hexDigit(decoded.charCodeAt(i + 2)) >= 0) return true;
  }
  return false;
}

function decodesAsUtf8(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** The byte of the escape at `raw[i]` (`%XX`), or -1 when it is malformed. */
function hexByte(raw: string, i: number): number {
  if (raw.charCodeAt(i) !== 0x25) return -1;
  const high = hexDigit(raw.charCodeAt(i + 1));
  const low = hexDigit(raw.charCodeAt(i + 2));
  return high < 0 || low < 0 ? -1 : (high << 4) | low;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

function notCanonical(detail: string): TargetRejection {
  return { code: 'WARDEN_REQUEST_NOT_CANONICAL', detail };
}
