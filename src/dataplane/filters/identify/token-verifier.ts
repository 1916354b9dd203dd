import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { TokenIssuerConfig } from '../../../model/config/gateway-config.js';

export type TokenResult =
  | { readonly ok: true; readonly claims: JWTPayload; readonly issuer: string }
  | { readonly ok: false; readonly code: 'WARDEN_AUTHN_INVALID' | 'WARDEN_AUTHN_EXPIRED'; readonly detail: string };

interface Issuer {
  readonly config: TokenIssuerConfig;
  readonly keys: JWTVerifyGetKey;
}

const MAX_TOKEN_LENGTH = 16_384;
const MAX_CACHED = 10_000;

/**
 * Verifies JWTs (OAuth2/OIDC access tokens, Warden-Context task tokens) with jose against the
 * configured issuers: the issuer is chosen by the token's `iss`, then signature, algorithm
 * (allow-listed, asymmetric only), `aud`, `exp` (required), `nbf` and clock skew are checked.
 * Keys come only from the configured JWKS: a `jwk` or `jku` in the token header is never used.
 * A verified token is cached by its SHA-256 until it expires, so a busy agent costs one hash.
 */
export class TokenVerifier {
  readonly #issuers = new Map<string, Issuer>();
  readonly #cache = new Map<string, { readonly claims: JWTPayload; readonly issuer: string; readonly expiresAt: number }>();

  /** `baseDirectory` resolves relative `jwksFile` paths (the config file's folder). */
  constructor(issuers: readonly TokenIssuerConfig[], baseDirectory: string) {
    for (const config of issuers) {
      this.#issuers.set(config.issuer, { config, keys: keySet(config, baseDirectory) });
    }
  }

  get configured(): boolean {
    return this.#issuers.size > 0;
  }

  async verify(token: string, now: number): Promise<TokenResult> {
    if (token.length > MAX_TOKEN_LENGTH) return invalid('the token is too long');
    const digest = hash('sha256', token, 'base64');
    const cached = this.#cache.get(digest);
    if (cached !== undefined) {
      if (now < cached.expiresAt) return { ok: true, claims: cached.claims, issuer: cached.issuer };
      this.#cache.delete(digest);
    }
    let claimedIssuer: string | undefined;
    try {
      claimedIssuer = decodeJwt(token).iss;
    } catch {
      return invalid('the token is not a well-formed JWT');
    }
    const issuer = claimedIssuer === undefined ? undefined : this.#issuers.get(claimedIssuer);
    if (issuer === undefined) return invalid('the token issuer is not trusted');
    const config = issuer.config;
    try {
      const { payload } = await jwtVerify(token, issuer.keys, {
        issuer: config.issuer,
        audience: config.audiences,
        algorithms: config.algorithms,
        clockTolerance: config.clockSkewSeconds,
        requiredClaims: ['exp'],
        currentDate: new Date(now),
      });
      if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(digest, { claims: payload, issuer: config.issuer, expiresAt: payload.exp! * 1000 + config.clockSkewSeconds * 1000 });
      return { ok: true, claims: payload, issuer: config.issuer };
    } catch (error) {
      return refusal(error);
    }
  }
}

function keySet(config: TokenIssuerConfig, baseDirectory: string): JWTVerifyGetKey {
  const { jwksUri, jwksFile } = config.keys;
  if ((jwksUri === undefined) === (jwksFile === undefined)) throw new Error(`issuer ${config.issuer}: set exactly one of keys.jwksUri or keys.jwksFile`);
  if (jwksUri !== undefined) return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5000, cooldownDuration: 30_000 });
  const file = path.resolve(baseDirectory, jwksFile!);
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`issuer ${config.issuer}: cannot read the JWKS file ${file}: ${(error as Error).message}`, { cause: error });
  }
  return createLocalJWKSet(document as Parameters<typeof createLocalJWKSet>[0]);
}

function refusal(error: unknown): TokenResult {
  if (error instanceof errors.JWTExpired) return { ok: false, code: 'WARDEN_AUTHN_EXPIRED', detail: 'the token has expired' };
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') return { ok: false, code: 'WARDEN_AUTHN_EXPIRED', detail: 'the token is not valid yet' };
    return invalid(`the token's ${error.claim} claim is not accepted`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid('the token\'s signature algorithm is not accepted');
  if (error instanceof errors.JWKSNoMatchingKey) return invalid('no trusted key matches the token');
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid('the token signature is not valid');
  if (error instanceof errors.JWKSTimeout || (error instanceof Error && 'code' in error && error.code === 'ERR_JWKS_TIMEOUT')) return invalid('the issuer\'s keys could not be fetched');
  return invalid('the token is not valid');
}

function invalid(detail: string): TokenResult {
  return { ok: false, code: 'WARDEN_AUTHN_INVALID', detail };
}
