import { excerpt } from './imported-call.js';

/** What a request target says: the path as sent, the query's parameter names, the host of an absolute URL. */
export interface TargetParts {
  readonly path: string;
  /** Set when the target had a non-empty query, even if no name in it looked like one. */
  readonly queryNames: readonly string[] | undefined;
  readonly host: string | undefined;
}

/** Longer paths are scans or attacks, not API calls; the gateway's audit log cuts paths at 2 KiB too. */
const MAX_PATH_LENGTH = 2048;

const SLASH = 0x2f;
const QUESTION = 0x3f;
const HASH = 0x23;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]{0,15}$/;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ws: '80', wss: '443' };

/**
 * Splits an origin-form (`/p?q#f`) or absolute-form (`https://host/p?q`) request target into
 * path, query names and host, or says why it is neither (`*`, a CONNECT authority, garbage).
 * Percent-escapes in the path are left as they are; query values are dropped.
 */
export function splitTarget(target: string): TargetParts | string {
  let pathStart = 0;
  let host: string | undefined;
  if (target.charCodeAt(0) !== SLASH) {
    const schemeEnd = target.indexOf('://');
    const scheme = schemeEnd > 0 ? target.slice(0, schemeEnd) : '';
    if (!SCHEME.test(scheme)) return `the request target ${excerpt(target)} is neither a path nor an absolute URL`;
    const authorityStart = schemeEnd + 3;
    pathStart = authorityStart;
    while (pathStart < target.length) {
      const code = target.charCodeAt(pathStart);
      if (code === SLASH || code === QUESTION || code === HASH) break;
      pathStart++;
    }
    host = normalizeHost(target.slice(authorityStart, pathStart), DEFAULT_PORTS[scheme.toLowerCase()]);
  }
  let end = target.indexOf('#', pathStart);
  if (end === -1) end = target.length;
  let queryStart = target.indexOf('?', pathStart);
  if (queryStart > end) queryStart = -1;
  const pathEnd = queryStart === -1 ? end : queryStart;
  // An absolute URL without a path (`https://host?q`) asks for `/`.
  const path = pathStart === pathEnd ? '/' : pathStart === 0 && pathEnd === target.length ? target : target.slice(pathStart, pathEnd);
  if (path.length > MAX_PATH_LENGTH) return `the path is longer than ${MAX_PATH_LENGTH} characters`;
  const queryNames = queryStart === -1 || queryStart + 1 === end ? undefined : namesOfQuery(target, queryStart + 1, end);
  return { path, queryNames, host };
}

/** The distinct parameter names of `text[start, end)` in order; values are never looked at. */
function namesOfQuery(text: string, start: number, end: number): string[] {
  const names: string[] = [];
  while (start < end) {
    let pairEnd = text.indexOf('&', start);
    if (pairEnd === -1 || pairEnd > end) pairEnd = end;
    let nameEnd = text.indexOf('=', start);
    if (nameEnd === -1 || nameEnd > pairEnd) nameEnd = pairEnd;
    if (nameEnd > start) {
      const name = decodedName(text.slice(start, nameEnd));
      if (name !== undefined && !names.includes(name)) names.push(name);
    }
    start = pairEnd + 1;
  }
  return names;
}

/** A parameter name, decoded like the gateway records them, or undefined when it looks like data. */
function decodedName(raw: string): string | undefined {
  if (raw.indexOf('%') === -1) return isNameLike(raw) ? raw : undefined;
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  return isNameLike(name) ? name : undefined;
}

const NAME_LIKE = /^[A-Za-z0-9_.:$~[\]-]{1,64}$/;

/**
 * Whether a query name or JSON key looks like a name rather than data. A bare `?value` (no `=`)
 * parses as a name, and so does the start of a base64 token (`?dGVzdA==`), and maps are keyed by
 * e-mail addresses: such "names" may be PII or secrets, and are left out.
 */
export function isNameLike(name: string): boolean {
  return NAME_LIKE.test(name);
}

const HOST = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * A host (authority) lower-cased, without user info and without its scheme's default port
 * (80 and 443 when the scheme is unknown), or undefined when absent or not a host name.
 */
export function normalizeHost(authority: string, defaultPort?: string): string | undefined {
  // Logs name a handful of hosts over and over: remember the answers for those without a scheme.
  if (defaultPort !== undefined) return hostOf(authority, defaultPort);
  const known = hostCache.get(authority);
  if (known !== undefined || hostCache.has(authority)) return known;
  if (hostCache.size >= HOST_CACHE_SIZE) hostCache.clear();
  const host = hostOf(authority, undefined);
  hostCache.set(authority, host);
  return host;
}

const HOST_CACHE_SIZE = 1024;
const hostCache = new Map<string, string | undefined>();

function hostOf(authority: string, defaultPort: string | undefined): string | undefined {
  // User info (`user:password@`) is a credential: never keep it.
  const at = authority.lastIndexOf('@');
  let host = (at === -1 ? authority : authority.slice(at + 1)).toLowerCase();
  if (host.length === 0 || host.length > 260 || !HOST.test(host)) return undefined;
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && host.indexOf(']', colon) === -1) {
    const port = host.slice(colon + 1);
    if (defaultPort === undefined ? port === '80' || port === '443' : port === defaultPort) host = host.slice(0, colon);
  }
  return host;
}
