import type { IncomingMessage } from 'node:http';

/**
 * Header hygiene (DESIGN.md §4). Method overrides are refused, `Connection` may not name
 * other headers, and every header that carries identity, forwarding or hop-by-hop meaning is
 * stripped before forwarding: the gateway sets those itself, from what it verified.
 */
const METHOD_OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];

/** Tokens `Connection` may carry: anything else would ask the gateway to drop a header. */
const CONNECTION_OPTIONS = new Set(['keep-alive', 'close']);

/** Request headers never forwarded upstream (lower case). */
export const STRIPPED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  // hop-by-hop (RFC 9110 §7.6.1) and framing the upstream client sets itself
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'host', 'content-length', 'expect',
  // the agent's own credentials and task token: upstreams get Warden's credential instead
  'authorization', 'warden-context', 'cookie',
  // client-asserted addresses and forwarding
  'forwarded', 'x-real-ip', 'x-client-ip', 'true-client-ip', 'cf-connecting-ip', 'fastly-client-ip', 'x-cluster-client-ip', 'x-original-forwarded-for',
  'x-original-url', 'x-original-uri', 'x-rewrite-url', 'x-original-host', 'x-host',
  // client-asserted identities
  'x-remote-user', 'remote-user', 'x-user', 'x-user-id', 'x-authenticated-user', 'x-forwarded-user', 'x-forwarded-email', 'x-auth-request-user',
  'x-forwarded-client-cert', 'x-client-cert', 'x-ssl-client-cert', 'x-ssl-client-dn', 'ssl-client-cert', 'x-request-id',
]);

/** Prefixes of stripped header families: `x-forwarded-*`, Warden's own `x-warden-*`. */
export const STRIPPED_REQUEST_PREFIXES: readonly string[] = ['x-forwarded-', 'x-warden-', 'x-amzn-oidc-', 'x-goog-authenticated-', 'x-ms-client-principal'];

/** Whether a (lower-case) request header must not reach the upstream. */
export function isStrippedRequestHeader(name: string): boolean {
  if (STRIPPED_REQUEST_HEADERS.has(name)) return true;
  for (const prefix of STRIPPED_REQUEST_PREFIXES) if (name.startsWith(prefix)) return true;
  return false;
}

/** Why the headers are refused, or undefined when they are acceptable. */
export function headerRejection(req: IncomingMessage): { readonly code: 'WARDEN_REQUEST_METHOD_OVERRIDE' | 'WARDEN_REQUEST_HEADER_REJECTED'; readonly detail: string } | undefined {
  const headers = req.headers;
  for (const name of METHOD_OVERRIDE_HEADERS) {
    if (headers[name] !== undefined) return { code: 'WARDEN_REQUEST_METHOD_OVERRIDE', detail: `the ${name} header would override the HTTP method` };
  }
  // Node keeps the first Content-Type and the body is read by it; an upstream keeping the last
  // would parse the same bytes differently from what the policy checked.
  if (headers['content-type'] !== undefined && countOf(req.rawHeaders, 'content-type') > 1) {
    return { code: 'WARDEN_REQUEST_HEADER_REJECTED', detail: 'send Content-Type once' };
  }
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const token of connection.split(',')) {
      const option = token.trim().toLowerCase();
      if (option !== '' && !CONNECTION_OPTIONS.has(option)) return { code: 'WARDEN_REQUEST_HEADER_REJECTED', detail: `Connection may only say keep-alive or close, not "${option.slice(0, 64)}"` };
    }
  }
  return undefined;
}

/** How many times a (lower-case) header name occurs in Node's flat rawHeaders list. */
function countOf(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.length === name.length && rawHeaders[i]!.toLowerCase() === name) count++;
  return count;
}
