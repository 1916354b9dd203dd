import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header of a signed webhook, in both directions: Warden's notifications and chat-ops callbacks. */
export const SIGNATURE_HEADER = 'x-warden-signature';

/** How far a signed timestamp may be from now, either way, before the signature is refused. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` for a body signed at `timestampSeconds`. */
export function signatureHeader(secret: string, body: string | Uint8Array, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${digest(secret, body, timestampSeconds).toString('hex')}`;
}

export type SignatureCheck = { readonly ok: true; readonly timestamp: number } | { readonly ok: false; readonly why: string };

/**
 * Checks a `X-Warden-Signature` header against the exact body bytes received: well-formed, a
 * timestamp within the tolerance of `nowSeconds`, and one `v1` equal (in constant time) to the
 * HMAC of `"<t>.<body>"`. Several `v1` values are allowed, so a sender can sign with an old and
 * a new key while the key is rotated.
 */
export function verifySignatureHeader(header: string | undefined, body: Uint8Array, secret: string, nowSeconds: number, toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS): SignatureCheck {
  if (header === undefined || header.length === 0 || header.length > 1024) return { ok: false, why: `send the ${SIGNATURE_HEADER} header: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const equals = part.indexOf('=');
    const name = part.slice(0, equals).trim();
    const value = part.slice(equals + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, why: `the ${SIGNATURE_HEADER} header is not t=<unix seconds>,v1=<64 hex digits>` };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, why: `the signature's timestamp is more than ${toleranceSeconds} seconds away from now; sign each request when sending it` };
  const expected = digest(secret, body, timestamp);
  // Every candidate is compared, so the time taken does not tell which one matched.
  let valid = false;
  for (const signature of signatures) valid = timingSafeEqual(signature, expected) || valid;
  return valid ? { ok: true, timestamp } : { ok: false, why: 'the signature does not match the body: check the shared secret and sign the exact bytes sent' };
}

function digest(secret: string, body: string | Uint8Array, timestampSeconds: number): Buffer {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest();
}
