import type { Exchange, ProbeRequest } from './http-client.js';
import type { Finding } from './types.js';

/** How a prober reaches the host: through the host's polite client, with progress recorded. */
export type Send = (probe: ProbeRequest) => Promise<Exchange>;

/** What a prober recognised, with a fingerprint of its content for de-duplication. */
export interface Detected {
  readonly finding: Omit<Finding, 'alsoAt'>;
  readonly fingerprint: string;
}

/** True for a 2xx answer: the status alone never makes a finding, but a non-2xx rules one out. */
export function isUsable(exchange: Exchange): exchange is Extract<Exchange, { kind: 'answer' }> {
  return exchange.kind === 'answer' && exchange.status >= 200 && exchange.status < 300;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** JSON.parse that answers undefined instead of throwing: a probed body is often not JSON at all. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
