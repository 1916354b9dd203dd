import { createHash } from 'node:crypto';
import type { RequestContext } from '../../pipeline/request-context.js';

/**
 * What an approval is bound to: hex SHA-256 over the method, the canonical path and query as
 * forwarded, the content type and the body bytes as forwarded. A call that differs in any of
 * them — another customer, a larger amount, one more field — is another call. Fields are
 * separated by a NUL, which none of them can contain (the path and query are canonical, the
 * content type is a header value), so no two calls share a preimage.
 */
export function stepUpFingerprint(ctx: RequestContext): string {
  const target = ctx.target!;
  const hash = createHash('sha256');
  hash.update(`${ctx.req.method}\0${target.path}\0${target.search}\0${ctx.req.headers['content-type'] ?? ''}\0`);
  if (ctx.body !== undefined) hash.update(ctx.body);
  return hash.digest('hex');
}
