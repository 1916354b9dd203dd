import { readFileSync } from 'node:fs';

/** The secret a reference (`env:NAME`, `file:PATH`) points to, or why it cannot be had. Never logged. */
export function resolveSecret(reference: string, env: NodeJS.ProcessEnv): string | { readonly unavailable: string } {
  if (reference.startsWith('env:')) {
    const value = env[reference.slice(4)];
    return value ? value : { unavailable: `environment variable ${reference.slice(4)} is not set` };
  }
  if (reference.startsWith('file:')) {
    try {
      const value = readFileSync(reference.slice(5), 'utf8').trim();
      return value ? value : { unavailable: `secret file ${reference.slice(5)} is empty` };
    } catch (error) {
      return { unavailable: `secret file ${reference.slice(5)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  }
  return { unavailable: `secret reference ${reference.split(':')[0]}: is not supported here (use env: or file:)` };
}
