import { createHash } from 'node:crypto';
import { epochMillis, excerpt, httpMethod, httpStatus, observation, type ImportedCall } from './imported-call.js';
import { isNameLike, splitTarget } from './split-target.js';

interface HarHeader {
  readonly name?: unknown;
  readonly value?: unknown;
}

interface HarEntry {
  readonly startedDateTime?: unknown;
  readonly request?: { readonly method?: unknown; readonly url?: unknown; readonly headers?: unknown } | null;
  readonly response?: { readonly status?: unknown; readonly content?: { readonly mimeType?: unknown; readonly text?: unknown; readonly encoding?: unknown } | null } | null;
}

/** Response bodies larger than this are not parsed for their shape. */
const MAX_SHAPE_TEXT = 1024 * 1024;
/** Headers whose value identifies the caller; their values are secrets and only ever fingerprinted. */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key'];

/** The entries of a HAR 1.2 document (as Chrome, Firefox and proxies export it); throws when it is not a HAR. */
export function harEntries(text: string): unknown[] {
  let document: { log?: { entries?: unknown } | null } | null;
  try {
    document = JSON.parse(text) as typeof document;
  } catch (error) {
    throw new Error(`not a HAR file: it is not JSON (${(error as Error).message})`);
  }
  const entries = document?.log?.entries;
  if (!Array.isArray(entries)) throw new Error('not a HAR file: there is no `log.entries` array');
  return entries;
}

/** One HAR entry as a call, or why it is skipped. */
export function harCall(entry: unknown): ImportedCall | { problem: string } {
  const { request, response, startedDateTime } = typeof entry === 'object' && entry !== null ? (entry as HarEntry) : ({} as HarEntry);
  if (typeof request !== 'object' || request === null) return { problem: 'the entry has no `request`' };
  const method = httpMethod(request.method);
  if (method === undefined) return { problem: `request.method ${excerpt(String(request.method))} is not an HTTP method` };
  if (typeof request.url !== 'string') return { problem: 'the entry has no `request.url`' };
  const parts = splitTarget(request.url);
  if (typeof parts === 'string') return { problem: parts };
  // An entry without a response is a call that got none: status 0, as Chrome writes for a blocked one.
  const status = typeof response === 'object' && response !== null ? httpStatus(response.status) : 0;
  if (status === undefined) return { problem: `response.status ${excerpt(String(response?.status))} is not a status code` };
  const time = epochMillis(startedDateTime);
  if (Number.isNaN(time)) return { problem: `startedDateTime ${excerpt(String(startedDateTime))} is not a time` };
  return {
    observation: observation({
      method,
      path: parts.path,
      queryNames: parts.queryNames,
      status,
      time,
      host: parts.host,
      client: credentialFingerprint(request.headers),
      responseShape: responseShape(response?.content),
    }),
  };
}

/**
 * `fp:` and the first 16 hex digits of the SHA-256 of the request's credential header
 * (Authorization first, then X-Api-Key, then api-key): the same caller is recognised across
 * entries while the credential itself is never kept.
 */
function credentialFingerprint(headers: unknown): string | undefined {
  if (!Array.isArray(headers)) return undefined;
  for (const wanted of CREDENTIAL_HEADERS) {
    for (const header of headers as (HarHeader | null)[]) {
      if (typeof header?.name !== 'string' || typeof header.value !== 'string' || header.value.length === 0) continue;
      if (header.name.toLowerCase() === wanted) return `fp:${createHash('sha256').update(header.value).digest('hex').slice(0, 16)}`;
    }
  }
  return undefined;
}

/**
 * The structure of a JSON response: its sorted top-level keys joined by `,`, or `[` + the
 * first element's + `]` for an array. Keys that look like data (e-mail addresses in a map)
 * are shown as one `*`, so that no value reaches the shape.
 */
function responseShape(content: { readonly mimeType?: unknown; readonly text?: unknown; readonly encoding?: unknown } | null | undefined): string | undefined {
  if (typeof content?.mimeType !== 'string' || !content.mimeType.includes('json') || typeof content.text !== 'string') return undefined;
  const base64 = content.encoding === 'base64';
  if (content.text.length > (base64 ? Math.ceil(MAX_SHAPE_TEXT / 3) * 4 : MAX_SHAPE_TEXT)) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(base64 ? Buffer.from(content.text, 'base64').toString('utf8') : content.text);
  } catch {
    return undefined;
  }
  if (Array.isArray(body)) {
    const first: unknown = body[0];
    return `[${typeof first === 'object' && first !== null && !Array.isArray(first) ? keyShape(first) : ''}]`;
  }
  return typeof body === 'object' && body !== null ? keyShape(body) : undefined;
}

function keyShape(value: object): string {
  const keys = Object.keys(value).map((key) => (isNameLike(key) ? key : '*'));
  return [...new Set(keys)].sort().join(',');
}
