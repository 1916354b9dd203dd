/**
 * Which template a concrete path belongs to, the way routers decide it: segment by segment,
 * a literal segment beats one mixing literal text and a parameter (`{CallSid}.json`), which
 * beats a bare parameter. The traffic generator uses it to never emit `/users/me` as a value
 * of `/users/{id}`, so every labelled observation's truth is the template a router would pick.
 */

/** Rank of a template segment: a bare literal, literal text around parameters, or a bare parameter. */
export function segmentRank(segment: string): 2 | 1 | 0 {
  if (!segment.includes('{')) return 2;
  return /^\{[^{}]*\}$/.test(segment) ? 0 : 1;
}

/** The segments of a template or path, without the empty one before the leading slash. */
export function splitSegments(path: string): string[] {
  return path.split('/').slice(1);
}

/** A RegExp for concrete paths (percent-encoded values) matching a template; each parameter is one or more non-slash characters. */
export function templateRegExp(template: string): RegExp {
  const source = template
    .split(/(\{[^{}]*\})/)
    .map((part) => (part.startsWith('{') && part.endsWith('}') ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * Whether two templates of the same shape can match one concrete path: at every segment they
 * are the same text, or at least one side holds a parameter.
 */
export function mayOverlap(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((seg, i) => seg === b[i] || segmentRank(seg) < 2 || segmentRank(b[i]!) < 2);
}

/**
 * Whether a router prefers `rival` over `own` for a path both match: at the first segment
 * where they differ, the rival's segment ranks at least as high (equal ranks are ambiguous,
 * which a corpus must not be either).
 */
export function rivalWins(own: readonly string[], rival: readonly string[]): boolean {
  for (let i = 0; i < own.length; i++) {
    if (own[i] === rival[i]) continue;
    return segmentRank(rival[i]!) >= segmentRank(own[i]!);
  }
  return true;
}
