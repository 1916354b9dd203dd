import { createHash } from 'node:crypto';

/**
 * A Warden-issued API key as the control plane stores it: never the secret, only its
 * SHA-256 digest. The key a client sends is `wdn_<id without "key_">_<secret>`, so the
 * gateway finds the record by id and compares digests in constant time.
 */
export interface ApiKeyRecord {
  /** `key_…`, the id agents' credential bindings name. */
  readonly id: string;
  /** Hex SHA-256 of the whole key string. */
  readonly digest: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | undefined;
  /** The agent a key was issued for through the admin API; undefined when a manifest binds it. */
  readonly agent?: string;
  readonly createdBy?: string;
  /** Last request the key was used in, as the gateway saw it (updated every few seconds). */
  readonly lastUsedAt?: Date;
  /** When the owner was warned of the coming expiry. */
  readonly expiryWarnedAt?: Date;
  /** The key that replaced this one in a rotation; it stays valid until `expiresAt`. */
  readonly replacedBy?: string;
}

/** Prefix of every Warden API key, so secret scanners and the gateway recognise one. */
export const API_KEY_PREFIX = 'wdn_';

/** Keys expire after 90 days unless issued otherwise. */
export const DEFAULT_API_KEY_TTL_DAYS = 90;

/** Hex SHA-256 of a key string: what the store keeps and the gateway compares. */
export function apiKeyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

const KEY_SHAPE = /^wdn_([A-Za-z0-9]{6,64})_([A-Za-z0-9_-]{32,128})$/;

/** The key id (`key_…`) a presented key claims, or undefined when it is not shaped like a Warden key. */
export function apiKeyId(key: string): string | undefined {
  const match = KEY_SHAPE.exec(key);
  return match ? `key_${match[1]}` : undefined;
}
