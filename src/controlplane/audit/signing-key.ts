import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveSecret } from '../config/secret-ref.js';
import { CheckpointSigner } from './audit-checkpoints.js';

/** The default key's file in the data directory, made on first start. */
export const DEFAULT_SIGNING_KEY_FILE = 'audit-signing-key.pem';

/**
 * The checkpoint signing key: from `audit.signingKey` (a secret ref) when set; else a key made
 * once in the data directory (mode 0600) — good for a start, but a production log should sign
 * with a key kept elsewhere, whose public half the auditors hold.
 */
export function loadCheckpointSigner(reference: string | undefined, dataDirectory: string, env: NodeJS.ProcessEnv, options: { readonly create: false }): CheckpointSigner | undefined;
export function loadCheckpointSigner(reference: string | undefined, dataDirectory: string, env: NodeJS.ProcessEnv, options?: { readonly create: true }): CheckpointSigner;
/** `create: false` (read-only tools): never make a key; undefined when there is none. */
export function loadCheckpointSigner(reference: string | undefined, dataDirectory: string, env: NodeJS.ProcessEnv, options: { readonly create: boolean } = { create: true }): CheckpointSigner | undefined {
  if (reference !== undefined) {
    const pem = resolveSecret(reference, env);
    if (typeof pem === 'object') throw new Error(`audit.signingKey: ${pem.unavailable}`);
    return CheckpointSigner.fromPem(pem);
  }
  const file = path.join(dataDirectory, DEFAULT_SIGNING_KEY_FILE);
  try {
    return CheckpointSigner.fromPem(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${file}: ${(error as Error).message}`);
    if (!options.create) return undefined;
  }
  // `wx`: two processes starting at once never overwrite each other's key.
  try {
    writeFileSync(file, CheckpointSigner.generatePem(), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return CheckpointSigner.fromPem(readFileSync(file, 'utf8'));
}
