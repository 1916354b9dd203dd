import { randomBytes } from 'node:crypto';
import { SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose';

/** Seconds since the epoch, the unit of `exp`, `nbf` and `iat`. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export interface SignOptions {
  /** `aud`; defaults to `warden`. */
  readonly audience?: string | string[];
  /** `exp` relative to now in seconds (negative: already expired); defaults to 300. */
  readonly expiresIn?: number;
  /** `nbf` relative to now in seconds; omitted unless set. */
  readonly notBefore?: number;
  /** `iss`; defaults to the issuer's own. */
  readonly issuer?: string;
  /** Header parameters merged over `{ alg, kid }` (e.g. an embedded `jwk`, another `kid`). */
  readonly header?: Partial<JWTHeaderParameters>;
  /** Omits `exp` altogether. */
  readonly withoutExpiry?: boolean;
}

/** A token issuer (an IdP or an orchestrator) with a fresh key pair and the JWKS that publishes it. */
export interface TestIssuer {
  readonly issuer: string;
  readonly alg: 'RS256' | 'ES256';
  readonly kid: string;
  readonly publicJwk: JWK;
  /** The issuer's public key in SPKI PEM form, as an attacker could download it. */
  readonly publicPem: string;
  /** The JWKS document the gateway is configured with. */
  readonly jwks: { readonly keys: JWK[] };
  /** Signs `claims` (plus iss, aud, iat, exp defaults) with the issuer's private key. */
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>;
}

/** Creates an issuer with a newly generated key pair. */
export async function createTestIssuer(issuer: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `kid-${randomBytes(6).toString('hex')}`;
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return {
    issuer,
    alg,
    kid,
    publicJwk,
    publicPem: await exportSPKI(publicKey),
    jwks: { keys: [publicJwk] },
    sign(claims, options = {}) {
      return new SignJWT(payload(issuer, claims, options)).setProtectedHeader({ alg, kid, typ: 'JWT', ...options.header }).sign(privateKey);
    },
  };
}

/** The registered claims a test token carries unless the test says otherwise. */
export function payload(issuer: string, claims: JWTPayload, options: SignOptions = {}): JWTPayload {
  const now = nowSeconds();
  return {
    iss: options.issuer ?? issuer,
    aud: options.audience ?? 'warden',
    iat: now,
    ...(options.withoutExpiry ? {} : { exp: now + (options.expiresIn ?? 300) }),
    ...(options.notBefore === undefined ? {} : { nbf: now + options.notBefore }),
    ...claims,
  };
}

/** An unsecured JWT (`alg: none`, empty signature) claiming to come from `issuer`. */
export function unsecuredToken(issuer: string, claims: JWTPayload): string {
  return new UnsecuredJWT(payload(issuer, claims)).encode();
}

/**
 * The HS/RS confusion attack: an HS256 token whose HMAC secret is the issuer's public RSA key
 * (public knowledge). A verifier that lets the token's `alg` pick the algorithm would accept it.
 */
export function hmacWithPublicKey(issuer: TestIssuer, claims: JWTPayload): Promise<string> {
  return new SignJWT(payload(issuer.issuer, claims)).setProtectedHeader({ alg: 'HS256', kid: issuer.kid, typ: 'JWT' }).sign(new TextEncoder().encode(issuer.publicPem));
}

/** The token with its payload changed and the original signature kept. */
export function tamperedPayload(token: string, changes: JWTPayload): string {
  const [header, body, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as JWTPayload;
  return `${header}.${Buffer.from(JSON.stringify({ ...claims, ...changes })).toString('base64url')}.${signature}`;
}
