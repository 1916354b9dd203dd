import { randomBytes } from 'node:crypto';
import { API_KEY_PREFIX, DEFAULT_API_KEY_TTL_DAYS, apiKeyDigest, type ApiKeyRecord } from '../../model/api-key.js';
import type { Store } from '../store/store.js';

/** A key as issued: the secret is here once, for the caller to hand over; the store keeps only its digest. */
export interface IssuedApiKey {
  readonly key: string;
  readonly record: ApiKeyRecord;
}

const KEY_ID = /^key_[A-Za-z0-9]{6,64}$/;

/**
 * Issues (or re-issues, replacing the old secret at once) the Warden API key with id `id`:
 * `wdn_<id>_<256 random bits, base64url>`, valid for `ttlDays` (90 by default).
 */
export async function issueApiKey(store: Store, id: string, options: { readonly ttlDays?: number; readonly now?: Date; readonly agent?: string; readonly createdBy?: string } = {}): Promise<IssuedApiKey> {
  if (!KEY_ID.test(id)) throw new Error(`key id "${id}" must look like key_ followed by 6 to 64 letters or digits, e.g. key_supportbot01`);
  const ttlDays = options.ttlDays ?? DEFAULT_API_KEY_TTL_DAYS;
  if (!(ttlDays > 0)) throw new Error('a key must be valid for a positive number of days');
  const now = options.now ?? new Date();
  const key = `${API_KEY_PREFIX}${id.slice(4)}_${randomBytes(32).toString('base64url')}`;
  const record: ApiKeyRecord = {
    id,
    digest: apiKeyDigest(key),
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlDays * 86_400_000),
    revokedAt: undefined,
    ...(options.agent !== undefined ? { agent: options.agent } : {}),
    ...(options.createdBy !== undefined ? { createdBy: options.createdBy } : {}),
  };
  await store.putApiKey(record);
  return { key, record };
}
