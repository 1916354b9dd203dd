/**
 * Path templates (`/customers/{id}/calls/{sid}.json`) as declared in `Api` operations, and the
 * canonical request paths the policy engine accepts.
 */
export interface PathTemplate {
  /** The template as written, joined to the API base path. */
  readonly text: string;
  /** Template segments; a parameter segment keeps its literal suffix (`{sid}.json`). */
  readonly segments: readonly string[];
  readonly params: readonly string[];
  /** The same route in find-my-way syntax. */
  readonly routerPath: string;
  /** Parameters replaced by `{}`: two templates with one shape are the same route. */
  readonly shape: string;
}

const PARAM_SEGMENT = /^\{([A-Za-z_][A-Za-z0-9_]*)\}((?:[.-][A-Za-z0-9_.-]*)?)$/;
const LITERAL_SEGMENT = /^[A-Za-z0-9._~!$&'()+,=@:-]+$/;

/** Parses a template or returns why it cannot be routed. */
export function parsePathTemplate(text: string): PathTemplate | { readonly error: string } {
  if (!text.startsWith('/')) return { error: 'must start with "/"' };
  if (text !== '/' && text.endsWith('/')) return { error: 'must not end with "/" (trailing slashes are a different path)' };
  const segments = text === '/' ? [] : text.slice(1).split('/');
  const params: string[] = [];
  const routerSegments: string[] = [];
  const shapeSegments: string[] = [];
  for (const segment of segments) {
    if (segment === '') return { error: 'has an empty segment ("//")' };
    if (segment === '.' || segment === '..') return { error: 'has a dot segment' };
    const parameter = PARAM_SEGMENT.exec(segment);
    if (parameter) {
      const name = parameter[1]!;
      if (params.includes(name)) return { error: `uses parameter {${name}} twice` };
      params.push(name);
      routerSegments.push(`:${name}${parameter[2] ?? ''}`);
      shapeSegments.push(`{}${parameter[2] ?? ''}`);
      continue;
    }
    if (segment.includes('{') || segment.includes('}')) return { error: `segment "${segment}" must be a literal or a whole {parameter} (optionally with a .suffix)` };
    if (!LITERAL_SEGMENT.test(segment)) return { error: `segment "${segment}" has characters that need percent-encoding` };
    // find-my-way reads ":" as a parameter and "*" as a wildcard; both are literals here.
    routerSegments.push(segment.replace(/:/g, '::'));
    shapeSegments.push(segment);
  }
  return {
    text,
    segments,
    params,
    routerPath: `/${routerSegments.join('/')}`,
    shape: `/${shapeSegments.join('/')}`,
  };
}

/** Joins an API base path and an operation path without doubling or losing the slash. */
export function joinPath(basePath: string, path: string): string {
  const base = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath;
  if (path === '/') return base === '' ? '/' : base;
  return `${base}${path}`;
}

/**
 * Whether `path` is in the canonical form the data plane hands to the policy engine: no query
 * or fragment, no `;` parameters, no backslash or control byte, no empty or dot segment, no percent-encoded
 * slash, backslash, dot, percent or NUL. The engine refuses anything else rather than
 * guessing, so an ambiguous path can never match a route the upstream would read differently.
 * A single pass over the characters: this runs on every request.
 */
export function isCanonicalPath(path: string): boolean {
  const length = path.length;
  if (length === 0 || path.charCodeAt(0) !== 47) return false;
  for (let i = 0; i < length; i++) {
    const code = path.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x3f /* ? */ || code === 0x23 /* # */ || code === 0x5c /* \ */ || code === 0x3b /* ; */) return false;
    if (code === 0x2f /* / */) {
      const next = path.charCodeAt(i + 1);
      if (next === 0x2f) return false;
      if (next === 0x2e /* . */) {
        const after = path.charCodeAt(i + 2);
        if (Number.isNaN(after) || after === 0x2f) return false;
        if (after === 0x2e) {
          const third = path.charCodeAt(i + 3);
          if (Number.isNaN(third) || third === 0x2f) return false;
        }
      }
    } else if (code === 0x25 /* % */) {
      const high = path.charCodeAt(i + 1);
      const low = path.charCodeAt(i + 2) | 0x20;
      if (high === 0x32 && (low === 0x66 || low === 0x65 || low === 0x35)) return false; // %2F %2E %25
      if (high === 0x35 && low === 0x63) return false; // %5C
      if (high === 0x30 && path.charCodeAt(i + 2) === 0x30) return false; // %00
    }
  }
  return true;
}
