import { readFileSync } from 'node:fs';
import type { UpstreamAuth } from '../../../policy/snapshot.js';

/** A header the gateway adds for the upstream, or why it cannot. */
export type UpstreamCredential = { readonly header: string; readonly value: string } | { readonly unavailable: string };

// File secrets are re-read now and then, so a rotated secret is picked up without a restart.
const FILE_TTL_MS = 60_000;

/**
 * Resolves upstream credentials from secret references (`env:NAME`, `file:PATH`). The value
 * is injected into the forwarded request and never logged or returned; agents never hold it.
 * A reference that cannot be resolved makes the API unavailable (502), never unauthenticated.
 */
export class UpstreamCredentials {
  readonly #cache = new Map<string, { readonly credential: UpstreamCredential; readonly until: number }>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  for(auth: UpstreamAuth, now: number): UpstreamCredential {
    const key = `${auth.type}\n${auth.header ?? ''}\n${auth.secret}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined && now < cached.until) return cached.credential;
    const credential = this.#resolve(auth);
    this.#cache.set(key, { credential, until: auth.secret.startsWith('env:') ? Number.POSITIVE_INFINITY : now + FILE_TTL_MS });
    return credential;
  }

  /** Which of these references cannot be resolved now, with the reason: for a warning at start. */
  problems(auths: readonly UpstreamAuth[]): string[] {
    return auths.flatMap((auth) => {
      const credential = this.#resolve(auth);
      return 'unavailable' in credential ? [credential.unavailable] : [];
    });
  }

  #resolve(auth: UpstreamAuth): UpstreamCredential {
    const secret = this.#secret(auth.secret);
    if (typeof secret !== 'string') return secret;
    if (auth.type === 'bearer') return { header: 'authorization', value: `Bearer ${secret}` };
    if (auth.type === 'basic') return { header: 'authorization', value: `Basic ${Buffer.from(secret).toString('base64')}` };
    return { header: (auth.header ?? 'x-api-key').toLowerCase(), value: secret };
  }

  #secret(reference: string): string | { readonly unavailable: string } {
    if (reference.startsWith('env:')) {
      const name = reference.slice(4);
      const value = this.env[name];
      return value ? value : { unavailable: `environment variable ${name} is not set` };
    }
    if (reference.startsWith('file:')) {
      const file = reference.slice(5);
      try {
        const value = readFileSync(file, 'utf8').trim();
        return value ? value : { unavailable: `secret file ${file} is empty` };
      } catch (error) {
        return { unavailable: `secret file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
      }
    }
    return { unavailable: `secret reference ${reference.split(':')[0]}: is not supported by this gateway (use env: or file:)` };
  }
}
