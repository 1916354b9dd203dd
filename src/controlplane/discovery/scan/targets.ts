/** A validated scan target: an http(s) origin and the base path under it (no trailing slash). */
export interface ScanTarget {
  /** The target exactly as given, for the report. */
  readonly input: string;
  /** `scheme://host[:port]`, the unit of politeness: budget, pacing and concurrency are per origin. */
  readonly origin: string;
  /** `''` for the root, else `/some/base` without a trailing slash. */
  readonly basePath: string;
}

/** Thrown before any request when a target is not a plain http(s) URL. */
export class ScanTargetError extends Error {
  override readonly name = 'ScanTargetError';
}

/** Checks a target URL and splits it into origin and base path; throws ScanTargetError with the reason. */
export function parseTarget(input: string): ScanTarget {
  const text = input.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ScanTargetError(`"${shown(text)}" is not a URL; write it as http://host[:port][/base/path]`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ScanTargetError(`"${shown(text)}" uses ${url.protocol}; only http: and https: targets can be scanned`);
  }
  // Checked on the text too: the URL parser drops an empty "user@" or "#", which still signals a mistake.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(text)?.[1] ?? '';
  if (url.username !== '' || url.password !== '' || authority.includes('@')) {
    // The message leaves the URL out: it holds the credentials.
    throw new ScanTargetError(`a target carries credentials in its URL (user:password@host); the scanner never sends URL credentials: pass an Authorization header instead`);
  }
  if (url.hash !== '' || text.includes('#')) {
    throw new ScanTargetError(`"${shown(text)}" has a fragment (#…); give the origin and an optional base path only`);
  }
  if (url.search !== '' || text.includes('?')) {
    throw new ScanTargetError(`"${shown(text)}" has a query (?…); give the origin and an optional base path only`);
  }
  return { input, origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

function shown(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
