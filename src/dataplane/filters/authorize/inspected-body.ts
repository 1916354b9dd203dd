import type { IncomingMessage } from 'node:http';
import { parseUrlEncoded } from '../route/canonical-target.js';
import { isJsonMediaType, mediaType } from '../../media-type.js';
import { parseStrictJson } from './strict-json.js';

export type InspectedBody =
  | { readonly ok: true; readonly bytes: Buffer; readonly fields: Readonly<Record<string, unknown>> | undefined }
  | { readonly ok: false; readonly code: 'WARDEN_REQUEST_BODY_MALFORMED' | 'WARDEN_REQUEST_TOO_LARGE' | 'WARDEN_REQUEST_DUPLICATE_PARAM' | 'WARDEN_REQUEST_METHOD_OVERRIDE'; readonly detail: string };

/** Whether the request carries a body at all (RFC 9112 §6.3). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Whether the body is form-encoded. Form bodies are always read: frameworks take `_method`
 * from them (Rails, Symfony, Laravel), so the gateway must see it before the upstream does.
 */
export function isFormBody(req: IncomingMessage): boolean {
  return mediaType(req.headers['content-type']) === 'application/x-www-form-urlencoded';
}

/** Whether the body is multipart/form-data (scanned for `_method` parts while it is forwarded). */
export function isMultipartBody(req: IncomingMessage): boolean {
  return mediaType(req.headers['content-type']) === 'multipart/form-data';
}

/**
 * Reads a body whose parameters the policy checks: at most `maxBytes`, uncompressed JSON or
 * form encoding only, parsed strictly. The bytes read are the bytes forwarded, so the
 * upstream parses exactly what was authorised.
 */
export async function readInspectedBody(req: IncomingMessage, limits: { readonly maxBytes: number; readonly maxDepth: number }): Promise<InspectedBody> {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return malformed(`a ${encoding.slice(0, 32)}-encoded body cannot be inspected; send it uncompressed`);
  const type = mediaType(req.headers['content-type']);
  const isJson = isJsonMediaType(type);
  const isForm = type === 'application/x-www-form-urlencoded';
  if (!isJson && !isForm) return malformed(`this operation's parameters are checked, so its body must be application/json or application/x-www-form-urlencoded, not "${type.slice(0, 64) || 'none'}"`);
  const declared = Number(req.headers['content-length']);
  if (declared > limits.maxBytes) return { ok: false, code: 'WARDEN_REQUEST_TOO_LARGE', detail: `the body is larger than ${limits.maxBytes} bytes` };

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limits.maxBytes) return { ok: false, code: 'WARDEN_REQUEST_TOO_LARGE', detail: `the body is larger than ${limits.maxBytes} bytes` };
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks, size);
  if (size === 0) return { ok: true, bytes, fields: undefined };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return malformed('the body is not valid UTF-8');
  }
  if (isForm) {
    const form = parseUrlEncoded(text);
    if ('code' in form) return { ok: false, code: form.code === 'WARDEN_REQUEST_NOT_CANONICAL' ? 'WARDEN_REQUEST_BODY_MALFORMED' : form.code, detail: form.detail.replace('query', 'form body') };
    return { ok: true, bytes, fields: form.values };
  }
  const parsed = parseStrictJson(text, limits.maxDepth);
  if ('error' in parsed) return malformed(parsed.error);
  const value = parsed.value;
  const fields = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  if (fields !== undefined) {
    // Case-insensitive binders (Jackson, ASP.NET) could read `CustomerId` where the policy read `customerId`.
    const seen = new Set<string>();
    for (const key of Object.keys(fields)) {
      const folded = key.toLowerCase();
      if (folded === '_method') return { ok: false, code: 'WARDEN_REQUEST_METHOD_OVERRIDE', detail: 'the body field `_method` would override the HTTP method' };
      if (seen.has(folded)) return { ok: false, code: 'WARDEN_REQUEST_DUPLICATE_PARAM', detail: `the body field \`${key.slice(0, 64)}\` is sent twice in different letter case` };
      seen.add(folded);
    }
  }
  return { ok: true, bytes, fields };
}

function malformed(detail: string): InspectedBody {
  return { ok: false, code: 'WARDEN_REQUEST_BODY_MALFORMED', detail };
}
