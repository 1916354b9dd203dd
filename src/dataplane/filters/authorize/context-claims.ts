import type { JWTPayload } from 'jose';

// Registered JWT claims say who signed the token for whom and when, not what the task is.
const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

/** The task claims of a verified Warden-Context token (customer, ticket, purpose, …), as strings. */
export function contextClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(payload)) {
    if (REGISTERED.has(name)) continue;
    if (typeof value === 'string') claims[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') claims[name] = String(value);
  }
  return claims;
}
