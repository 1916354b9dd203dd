import type { ErrorCode } from '../../model/errors.js';
import type { RequestContext } from './request-context.js';

/**
 * What a filter tells the chain: go on; answer the client now with an error; or (the
 * gateway's own endpoints under /.warden) answer with a JSON document.
 */
export type Verdict =
  | { readonly kind: 'continue' }
  | {
      readonly kind: 'respond';
      readonly status: number;
      readonly code: ErrorCode;
      readonly detail: string;
      readonly headers?: Readonly<Record<string, string>>;
      /** Extension members of the problem document (RFC 9457 §3.2), e.g. `approval`. */
      readonly extensions?: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'reply'; readonly status: number; readonly body: unknown };

export const CONTINUE: Verdict = Object.freeze({ kind: 'continue' });

/**
 * One stage of the request lifecycle (DESIGN.md §4). Filters are built once from validated
 * config and return verdicts; the chain owns control flow. Expected failures are verdicts,
 * a thrown exception is a bug (counted, answered with 500 and recorded).
 */
export interface Filter {
  readonly name: string;
  onRequest?(ctx: RequestContext): Verdict | Promise<Verdict>;
  /** Runs in reverse filter order once the upstream answered. */
  onResponse?(ctx: RequestContext): Verdict | Promise<Verdict>;
  /** Runs once per request after the response ended or the client went away; never throws. */
  onComplete?(ctx: RequestContext): void;
}
