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
const LITERAL_SEGMENT = /^[A-Za-z0-9._~!$&'()+,=@-]+$/;

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

// Anything a canonicaliser would have removed or rejected (DESIGN.md §4): query or fragment,
// backslashes, empty or dot segments, encoded separators, dots or percent signs, control bytes.
const NON_CANONICAL = /[?#\\\u0000-\u001f\u007f]|\/\/|\/\.\.?(\/|$)|%(2[fFeE5]|5[cC]|00)/;

/**
 * Whether `path` is in the canonical form the data plane hands to the policy engine. The
 * engine refuses anything else rather than guessing, so an ambiguous path can never match a
 * route the upstream would read differently.
 */
export function isCanonicalPath(path: string): boolean {
  return path.length > 0 && path.charCodeAt(0) === 47 && !NON_CANONICAL.test(path);
}
