import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { AdminOidcConfig } from '../../model/config/gateway-config.js';
import type { Actor } from '../agents/lifecycle.js';
import { ADMIN_ROLES, type AdminRole } from '../store/governance-store.js';
import { ADMIN_TOKEN_PREFIX, type AdminTokens } from './admin-tokens.js';

interface Issuer {
  readonly config: AdminOidcConfig;
  readonly keys: JWTVerifyGetKey;
}

/**
 * Who is calling the admin API: a human's admin token (`wda_…`), or an OIDC JWT of a configured
 * identity provider whose roles claim names Warden admin roles. Anything else is nobody.
 */
export class AdminAuthenticator {
  readonly #issuers = new Map<string, Issuer>();

  constructor(
    private readonly tokens: AdminTokens,
    oidc: readonly AdminOidcConfig[],
    baseDirectory: string,
    private readonly now: () => Date,
  ) {
    for (const config of oidc) {
      const { jwksUri, jwksFile } = config.keys;
      if ((jwksUri === undefined) === (jwksFile === undefined)) throw new Error(`admin OIDC issuer ${config.issuer}: set exactly one of keys.jwksUri or keys.jwksFile`);
      const keys = jwksUri !== undefined
        ? createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5000, cooldownDuration: 30_000 })
        : createLocalJWKSet(JSON.parse(readFileSync(path.resolve(baseDirectory, jwksFile!), 'utf8')) as Parameters<typeof createLocalJWKSet>[0]);
      this.#issuers.set(config.issuer, { config, keys });
    }
  }

  /** The actor of an `Authorization` header, or undefined. */
  async authenticate(authorization: string | undefined): Promise<Actor | undefined> {
    if (authorization === undefined || authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
    const token = authorization.slice(7).trim();
    if (token.length === 0 || token.length > 16_384) return undefined;
    if (token.startsWith(ADMIN_TOKEN_PREFIX)) return this.tokens.verify(token, this.now());
    return this.#verifyOidc(token);
  }

  async #verifyOidc(token: string): Promise<Actor | undefined> {
    let claimed: string | undefined;
    try {
      claimed = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    const issuer = claimed === undefined ? undefined : this.#issuers.get(claimed);
    if (issuer === undefined) return undefined;
    const config = issuer.config;
    try {
      const { payload } = await jwtVerify(token, issuer.keys, {
        issuer: config.issuer,
        audience: config.audiences,
        algorithms: config.algorithms,
        clockTolerance: config.clockSkewSeconds,
        requiredClaims: ['exp'],
        currentDate: this.now(),
      });
      const subject = payload[config.subjectClaim];
      // Owners and the four-eyes rules go by e-mail: a subject that is no address, or an address
      // the provider says it has not verified, identifies nobody here.
      if (typeof subject !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(subject)) return undefined;
      if (config.subjectClaim === 'email' && payload.email_verified === false) return undefined;
      return { subject, roles: rolesOf(payload[config.rolesClaim]) };
    } catch {
      return undefined;
    }
  }
}

/** Warden roles from a claim that is a list or a space-separated string; other values are ignored. */
function rolesOf(claim: unknown): AdminRole[] {
  const values = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/\s+/) : [];
  return [...new Set(values.filter((value): value is AdminRole => typeof value === 'string' && (ADMIN_ROLES as readonly string[]).includes(value)))];
}
