import { REDACTED } from '../../../policy/pii/pii-masking.js';
import { recognizePii } from '../../../policy/pii/pii-recognizers.js';

/**
 * Audit records never hold unmasked PII: a path segment the recognizers take for PII (an
 * e-mail address or card number as a resource id) is recorded as `***`, and so is a context
 * claim. Route parameters are judged with their names as context (`/people/{ssn}`), the other
 * segments on their own.
 */
export function piiFreePath(path: string, params: Readonly<Record<string, string | undefined>> | undefined): string {
  let flagged: Set<string> | undefined;
  if (params !== undefined) {
    for (const name in params) {
      const value = params[name];
      if (value !== undefined && recognizePii(value, name) !== undefined) (flagged ??= new Set()).add(value);
    }
  }
  let segments: string[] | undefined;
  let start = 1;
  for (let index = 0; start <= path.length; index++) {
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    const segment = path.slice(start, end);
    if (segment.length >= MIN_PII_LENGTH && isPii(segment, flagged)) (segments ??= path.split('/'))[index + 1] = REDACTED;
    start = end + 1;
  }
  return segments === undefined ? path : segments.join('/');
}

/** Context claims with values the recognizers take for PII masked, judged with the claim's name. */
export function piiFreeContext(context: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  if (context === undefined) return undefined;
  let masked: Record<string, string> | undefined;
  for (const name in context) {
    if (recognizePii(context[name]!, name) !== undefined) (masked ??= { ...context })[name] = REDACTED;
  }
  return masked ?? context;
}

// The shortest PII value recognised anywhere (`a@b.co`, a short phone number) is longer.
const MIN_PII_LENGTH = 5;

function isPii(segment: string, flagged: ReadonlySet<string> | undefined): boolean {
  let decoded = segment;
  if (segment.includes('%')) {
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return false;
    }
  }
  return flagged?.has(decoded) === true || recognizePii(decoded, undefined) !== undefined;
}
