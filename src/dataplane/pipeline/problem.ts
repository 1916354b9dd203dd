import { errorDefinition, type ErrorCode } from '../../model/errors.js';
import type { Alternative } from '../../policy/decision.js';

/** An RFC 9457 problem document as agents receive it. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ErrorCode;
  readonly detail: string;
  readonly requestId: string;
  /** Operations the agent may call instead, closest first (denials only). */
  readonly alternatives?: readonly ProblemAlternative[];
  /**
   * Where to ask for access (authorization denials of identified agents): a path on the gateway
   * itself, resolved against the URL the agent called, so it needs no host name.
   */
  readonly requestAccess?: string;
}

export type ProblemAlternative = Pick<Alternative, 'api' | 'operation' | 'method' | 'path' | 'summary' | 'why'>;

/** Codes a human can fix by granting access: they point to the access-request endpoint. */
const ACCESS_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['WARDEN_AUTHZ_NOT_GRANTED', 'WARDEN_AUTHZ_FORBIDDEN', 'WARDEN_ROUTE_NOT_FOUND', 'WARDEN_AUTHZ_PARAM_VIOLATION', 'WARDEN_STEP_UP_REQUIRED']);

/** The JSON body of a problem response. Only what the agent can act on: no rule names, no internals. */
export function problemBody(code: ErrorCode, status: number, detail: string, requestId: string, alternatives: readonly Alternative[], requestAccessPath: string | undefined, extensions?: Readonly<Record<string, unknown>>): string {
  const definition = errorDefinition(code);
  const problem: Problem = {
    ...extensions,
    type: `https://warden.dev/errors/${code}`,
    title: definition.meaning,
    status,
    code,
    detail,
    requestId,
    ...(alternatives.length > 0 ? { alternatives: alternatives.map(({ api, operation, method, path, summary, why }) => ({ api, operation, method, path, summary, why })) } : {}),
    ...(ACCESS_CODES.has(code) && requestAccessPath !== undefined ? { requestAccess: requestAccessPath } : {}),
  };
  return JSON.stringify(problem);
}
