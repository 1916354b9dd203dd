import type { ApiKeyRecord } from '../model/api-key.js';
import type { Snapshot } from '../policy/snapshot.js';

/** An API key as the gateway checks it: the digest as bytes for a constant-time comparison. */
export interface ActiveApiKey {
  readonly id: string;
  readonly digest: Buffer;
  /** Epoch ms; the key is refused from this moment. */
  readonly expiresAt: number;
  readonly revoked: boolean;
}

/**
 * Everything the data plane decides with, swapped as one value: a request uses the state it
 * started with from first filter to last, so a policy change never splits a request.
 */
export interface GatewayState {
  readonly snapshot: Snapshot;
  readonly apiKeys: ReadonlyMap<string, ActiveApiKey>;
}

/** Builds the state for a snapshot and the issued keys (digests only). */
export function gatewayState(snapshot: Snapshot, keys: readonly ApiKeyRecord[]): GatewayState {
  const apiKeys = new Map<string, ActiveApiKey>();
  for (const key of keys) {
    apiKeys.set(key.id, Object.freeze({ id: key.id, digest: Buffer.from(key.digest, 'hex'), expiresAt: key.expiresAt.getTime(), revoked: key.revokedAt !== undefined }));
  }
  return Object.freeze({ snapshot, apiKeys });
}
