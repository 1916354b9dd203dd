import { hash, timingSafeEqual } from 'node:crypto';
import { apiKeyId } from '../../../model/api-key.js';
import type { GatewayState } from '../../gateway-state.js';
import type { CredentialResult } from './credential-result.js';

// Compared against when the key id is unknown, so a miss costs the same as a wrong secret.
const NO_DIGEST = Buffer.alloc(32);

/**
 * Checks a presented Warden API key: found by the id it carries, then its SHA-256 compared
 * with the stored digest in constant time. Expired and revoked keys are refused even with
 * the right secret; a valid key bound to no agent is an unregistered client.
 */
export function verifyApiKey(state: GatewayState, key: string, now: number): CredentialResult {
  const id = apiKeyId(key);
  if (id === undefined) return { ok: false, code: 'WARDEN_AUTHN_INVALID', detail: 'the bearer token is not a well-formed Warden API key' };
  const record = state.apiKeys.get(id);
  const digest = hash('sha256', key, 'buffer');
  const matches = timingSafeEqual(digest, record?.digest ?? NO_DIGEST);
  if (record === undefined || !matches) return { ok: false, code: 'WARDEN_AUTHN_INVALID', detail: 'the API key is not valid' };
  const credential = { id, kind: 'apiKey' } as const;
  if (record.revoked) return { ok: false, code: 'WARDEN_AUTHN_EXPIRED', detail: `API key ${id} was revoked`, credential };
  if (now >= record.expiresAt) return { ok: false, code: 'WARDEN_AUTHN_EXPIRED', detail: `API key ${id} expired on ${new Date(record.expiresAt).toISOString()}`, credential };
  const agent = state.snapshot.credentials.apiKeys.get(id);
  if (agent === undefined) return { ok: false, code: 'WARDEN_AUTHN_UNREGISTERED', detail: `API key ${id} is bound to no registered agent`, credential };
  return { ok: true, agent, credential };
}
