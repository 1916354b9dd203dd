import { Transform } from 'node:stream';

/** The error a multipart body fails with when one of its parts is named `_method`. */
export class MultipartMethodOverride extends Error {
  readonly code = 'WARDEN_REQUEST_METHOD_OVERRIDE';
  constructor() {
    super('a multipart/form-data part named `_method` would override the HTTP method');
  }
}

// `name="_method"`, `name=_method`, `name*=utf-8''_method`, in any letter case, as part
// headers spell it (RFC 7578); `_method[...]` too.
const METHOD_PART = /\bname\*?\s*=\s*(?:"|utf-8'')?_method(?![a-z0-9_-])/i;
// Enough of the previous chunk to find a name split across two chunks.
const OVERLAP = 64;

/**
 * Streams a multipart/form-data body to the upstream, failing it when a part is named
 * `_method`: Rails (Rack::MethodOverride), Symfony and Laravel turn such a POST into the method
 * it names, which the policy never decided on. Multipart bodies can be large uploads, so they
 * are scanned as they pass rather than read whole; a failed body aborts the upstream call
 * before the upstream has the whole request. Counts the bytes it passes.
 */
export function multipartMethodGuard(count: (bytes: number) => void): Transform {
  let tail = '';
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const text = tail + chunk.toString('latin1');
      if (METHOD_PART.test(text)) return done(new MultipartMethodOverride());
      tail = text.slice(-OVERLAP);
      count(chunk.length);
      done(null, chunk);
    },
  });
}
