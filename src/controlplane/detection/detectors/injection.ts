import type { DetectionContext } from '../detection-context.js';
import type { Detector, Finding } from './detector.js';

/** Context values already scanned (they repeat: customer ids, ticket ids, purposes). */
const VALUE_MEMO_CAP = 10_000;

const MARKERS: readonly { readonly kind: string; readonly pattern: RegExp }[] = [
  {
    kind: 'SQL injection',
    pattern: /['"`]\s*(?:or|and)\s+['"\w]+\s*(?:=|like\b)|\bunion\b[\s/*]+(?:all[\s/*]+)?select\b|;\s*(?:drop|delete|insert|update|truncate|alter|exec)\s|\b(?:sleep|pg_sleep|benchmark|waitfor\s+delay)\s*\(|['"]\s*(?:--|#|\/\*)|\bor\s+1\s*=\s*1\b|\binformation_schema\b|\bxp_cmdshell\b/,
  },
  {
    kind: 'command injection',
    pattern: /(?:[;|&`]|\$\()\s*(?:cat|ls|id|whoami|uname|curl|wget|nc|ncat|bash|sh|zsh|rm|chmod|python3?|perl|powershell|cmd)\b|\/etc\/(?:passwd|shadow)|\/bin\/(?:ba)?sh\b/,
  },
  { kind: 'path traversal', pattern: /(?:^|[/\\])\.\.(?:[/\\]|$)|%2e%2e|%252e|\.\.%2f|%2f\.\./ },
  {
    kind: 'prompt injection',
    pattern: /\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|prior|above|earlier)\s+(?:instructions|prompts?|rules|messages)|\byou\s+are\s+now\b|\bsystem\s+prompt\b|\breveal\s+(?:your\s+)?(?:instructions|prompt)|<\/?(?:system|im_start|im_end)\b|\bjailbreak\b|\bdo\s+anything\s+now\b|\bnew\s+instructions\s*:/,
  },
];

/**
 * SQL, command, path-traversal and prompt-injection markers in the raw path (URL-decoded)
 * and the task-context values. A signal, never proof alone: medium at most. A cheap scan for
 * the characters every marker needs comes first, so plain paths never meet a regex.
 */
export function injectionDetector(): Detector {
  const memo = new Map<string, string | undefined>();
  const scanValue = (value: string): string | undefined => {
    if (!mayCarryMarker(value)) return undefined;
    if (memo.has(value)) return memo.get(value);
    if (memo.size >= VALUE_MEMO_CAP) memo.clear();
    const kind = markerIn(value.toLowerCase());
    memo.set(value, kind);
    return kind;
  };
  return {
    name: 'injection',
    inspect(ctx: DetectionContext): Finding | undefined {
      const event = ctx.facts.event;
      const rawPath = event.http.rawPath;
      const found: string[] = [];
      if (mayCarryMarker(rawPath)) {
        const kind = markerIn(safeDecode(rawPath).toLowerCase());
        if (kind !== undefined) found.push(`The path carries ${kind} markers: ${truncate(rawPath)}.`);
      }
      const context = event.context;
      if (context !== undefined) {
        for (const key in context) {
          const kind = scanValue(context[key]!);
          if (kind !== undefined) found.push(`The task context's ${key} carries ${kind} markers: ${truncate(context[key]!)}.`);
        }
      }
      if (found.length === 0) return undefined;
      found.push('Markers are a signal, not proof: look at what the agent was asked to do and where its input came from.');
      return {
        severity: 'medium',
        score: found.length > 2 ? 70 : 60,
        reasons: found,
        firstEventTime: ctx.facts.timeMs,
        eventIds: [event.id],
      };
    },
  };
}

/** Every marker needs one of these: quotes, separators, escapes, spaces, dots in a row. */
function mayCarryMarker(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    switch (code) {
      case 32: // space
      case 34: // "
      case 36: // $
      case 37: // %
      case 38: // &
      case 39: // '
      case 40: // (
      case 43: // +
      case 59: // ;
      case 60: // <
      case 92: // \
      case 96: // `
      case 124: // |
        return true;
      case 46: // .
        if (text.charCodeAt(i + 1) === 46) return true;
    }
  }
  return false;
}

function markerIn(text: string): string | undefined {
  for (const { kind, pattern } of MARKERS) if (pattern.test(text)) return kind;
  return undefined;
}

/** URL-decodes without ever throwing: malformed escapes are left as they are; `+` reads as a space. */
function safeDecode(text: string): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
