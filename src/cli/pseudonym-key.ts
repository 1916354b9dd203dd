import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
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
    return keyIn(file, await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Written whole to a file of its own, then linked into place: a process starting at the same
  // moment finds either no key or a complete one, and the first link wins.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(draft, file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  } finally {
    await unlink(draft);
  }
  return keyIn(file, await readFile(file, 'utf8'));
}

const KEY_BYTES = 32;

/** The key a key file holds: 64 hex digits. A damaged file is an error, never a weak key. */
function keyIn(file: string, text: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file} does not hold a pseudonym key (64 hex digits); restore it from a backup, or delete it to make a new one (pseudonyms will change)`);
  return Buffer.from(hex, 'hex');
}
