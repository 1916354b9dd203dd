import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignatureHeader } from './webhook-signature.js';

const SECRET = 'whsec_0123456789abcdef';
const BODY = Buffer.from('{"id":"apr_0123456789abcdef","note":"Rückruf ✓"}', 'utf8');
const T = 1_773_567_000;

describe('webhook signatures', () => {
  it('signs "<t>.<body>" with HMAC-SHA256, as receivers compute it', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY.toString('utf8')}`).digest('hex');
    expect(signatureHeader(SECRET, BODY, T)).toBe(`t=${T},v1=${expected}`);
    expect(signatureHeader(SECRET, BODY.toString('utf8'), T)).toBe(`t=${T},v1=${expected}`);
  });

  it('verifies the exact bytes, the key and a fresh timestamp', () => {
    const header = signatureHeader(SECRET, BODY, T);
    expect(verifySignatureHeader(header, BODY, SECRET, T)).toEqual({ ok: true, timestamp: T });
    expect(verifySignatureHeader(header, BODY, SECRET, T + 300).ok).toBe(true);
    expect(verifySignatureHeader(header, BODY, SECRET, T - 300).ok).toBe(true);
    expect(verifySignatureHeader(header, BODY, SECRET, T + 301)).toMatchObject({ ok: false, why: expect.stringMatching(/timestamp/) });
    expect(verifySignatureHeader(header, BODY, SECRET, T - 301).ok).toBe(false);
    expect(verifySignatureHeader(header, BODY, 'another-secret', T)).toMatchObject({ ok: false, why: expect.stringMatching(/does not match/) });
    expect(verifySignatureHeader(header, Buffer.concat([BODY, Buffer.from(' ')]), SECRET, T).ok).toBe(false);
    // Another timestamp with the same MAC is a forgery.
    expect(verifySignatureHeader(header.replace(`t=${T}`, `t=${T + 1}`), BODY, SECRET, T).ok).toBe(false);
  });

  it('accepts any of several v1 values (key rotation), and refuses malformed headers', () => {
    const good = signatureHeader(SECRET, BODY, T).split(',v1=')[1];
    const old = signatureHeader('old-secret', BODY, T).split(',v1=')[1];
    expect(verifySignatureHeader(`t=${T},v1=${old},v1=${good}`, BODY, SECRET, T).ok).toBe(true);
    for (const header of [undefined, '', 'garbage', `t=${T}`, `v1=${good}`, `t=soon,v1=${good}`, `t=${T},v1=${good!.slice(2)}`, `t=${T},v1=${'x'.repeat(64)}`, 'a'.repeat(2000)]) {
      expect(verifySignatureHeader(header, BODY, SECRET, T).ok, String(header).slice(0, 40)).toBe(false);
    }
  });
});
