import { randomBytes } from 'node:crypto';

/** A new id such as `ar_3f9c0a7d2b1e4c58`: a kind prefix and 64 random bits, safe in URLs, rule ids and key ids. */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}
