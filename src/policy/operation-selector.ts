import { HTTP_METHODS } from '../model/manifests/index.js';

/** The fields of an operation a selector looks at. */
export interface SelectableOperation {
  readonly id: string;
  readonly method: string;
  /** Path template relative to the API base path. */
  readonly path: string;
}

export type Selection<T> = { readonly matched: readonly T[] } | { readonly error: string; readonly fix: string };

/**
 * Resolves one selector of a grant or forbid against an API's operations: `*`, an operation
 * id, or `METHOD /glob` where `*` matches one path segment and `**` any number of them.
 * Selectors resolve at compile time, so no glob is ever matched on the request path.
 */
export function selectOperations<T extends SelectableOperation>(selector: string, operations: readonly T[]): Selection<T> {
  if (selector === '*') return { matched: operations };
  const space = selector.indexOf(' ');
  if (space === -1) {
    const found = operations.find((operation) => operation.id === selector);
    if (found) return { matched: [found] };
    return { error: `operation "${selector}" is not declared`, fix: '' };
  }
  const method = selector.slice(0, space).trim().toUpperCase();
  const glob = selector.slice(space + 1).trim();
  if (method !== '*' && !(HTTP_METHODS as readonly string[]).includes(method)) {
    return { error: `"${selector.slice(0, space)}" is not an HTTP method`, fix: `start the selector with one of ${HTTP_METHODS.join(', ')} or *` };
  }
  if (!glob.startsWith('/')) return { error: `path glob "${glob}" must start with "/"`, fix: 'write e.g. "GET /customers/**"' };
  const pattern = glob === '/' ? [] : glob.slice(1).split('/');
  const matched = operations.filter(
    (operation) => (method === '*' || operation.method === method) && globMatches(pattern, operation.path === '/' ? [] : operation.path.slice(1).split('/')),
  );
  if (matched.length === 0) return { error: `"${selector}" matches no operation`, fix: '' };
  return { matched };
}

function globMatches(pattern: readonly string[], segments: readonly string[]): boolean {
  const [head, ...rest] = pattern;
  if (head === undefined) return segments.length === 0;
  if (head === '**') {
    for (let skip = 0; skip <= segments.length; skip++) if (globMatches(rest, segments.slice(skip))) return true;
    return false;
  }
  if (segments.length === 0) return false;
  return (head === '*' || head === segments[0]) && globMatches(rest, segments.slice(1));
}
