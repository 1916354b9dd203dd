/** A rate as written in a grant (`100/s`, `5/min burst 10`), parsed. */
export interface RateLimit {
  readonly text: string;
  /** Requests allowed per period on average. */
  readonly limit: number;
  readonly periodMs: number;
  /** Requests allowed at once after a quiet period; defaults to `limit`. */
  readonly burst: number;
}

const UNITS: Record<string, number> = {
  s: 1_000, sec: 1_000, second: 1_000,
  m: 60_000, min: 60_000, minute: 60_000,
  h: 3_600_000, hour: 3_600_000,
  d: 86_400_000, day: 86_400_000,
};

const RATE = /^\s*(\d{1,9})\s*\/\s*([a-z]+)\s*(?:burst\s+(\d{1,9})\s*)?$/;

/** Parses rate text or says what is wrong with it. */
export function parseRateLimit(text: string): RateLimit | { readonly error: string } {
  const match = RATE.exec(text);
  if (!match) return { error: `"${text}" is not a rate` };
  const limit = Number(match[1]);
  const periodMs = UNITS[match[2]!];
  if (periodMs === undefined) return { error: `unknown unit "${match[2]}" (use s, min, hour or day)` };
  if (limit === 0) return { error: 'a rate of 0 blocks every call; use a forbid instead' };
  const burst = match[3] === undefined ? limit : Number(match[3]);
  if (burst === 0) return { error: 'burst must be at least 1' };
  return { text: text.trim(), limit, periodMs, burst };
}

/** A rate compiled for the limiter, with its failure mode. */
export interface CompiledRate extends RateLimit {
  /** Milliseconds per unit on average (`periodMs / limit`). */
  readonly emissionMs: number;
  /** Refuse calls while the shared limiter is unreachable (else the local limiter decides). */
  readonly failClosed: boolean;
}

/** A rate as manifests write it: `"100/s"` (fails open) or `{ rate: "100/s", failureMode: closed }`. */
export type RateSpec = string | { readonly rate: string; readonly failureMode?: 'open' | 'closed' };

/** The text of a rate spec, for messages. */
export function rateText(spec: RateSpec): string {
  return typeof spec === 'string' ? spec : spec.rate;
}

/** Compiles a rate spec for the limiter, or says what is wrong with it. */
export function compileRate(spec: RateSpec): CompiledRate | { readonly error: string } {
  const parsed = parseRateLimit(rateText(spec));
  if ('error' in parsed) return parsed;
  const failClosed = typeof spec !== 'string' && spec.failureMode === 'closed';
  return Object.freeze({ ...parsed, emissionMs: parsed.periodMs / parsed.limit, failClosed });
}
