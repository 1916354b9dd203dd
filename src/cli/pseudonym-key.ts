import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveSecret } from '../controlplane/config/secret-ref.js';

const MIN_KEY_CHARS = 32;

/**
 * The key of the `hash` masking style's pseudonyms: the configured secret, else a random key
 * made once in the data directory (readable by its owner only), so a value keeps its
 * pseudonym across restarts. Several gateways must share a configured one.
 */
export async function pseudonymKey(reference: string | undefined, dataDirectory: string, env: NodeJS.ProcessEnv): Promise<Buffer> {
  if (reference !== undefined) {
    const secret = resolveSecret(reference, env);
    if (typeof secret === 'object') throw new Error(`dataProtection.pseudonymKey: ${secret.unavailable}`);
    if (secret.length < MIN_KEY_CHARS) throw new Error(`dataProtection.pseudonymKey: the key has ${secret.length} characters; use at least ${MIN_KEY_CHARS} (e.g. openssl rand -hex 32)`);
    return Buffer.from(secret, 'utf8');
  }
  const file = path.join(dataDirectory, 'pseudonym-key');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  // `wx`: two processes starting at once never overwrite each other's key.
  await writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
}
