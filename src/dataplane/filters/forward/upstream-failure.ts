import type { Verdict } from '../../pipeline/filter.js';

type Failure = Verdict & { kind: 'respond' };

/** What an error of the upstream call (before its response headers) means for the agent. */
export function upstreamFailure(error: unknown, api: string): Failure {
  const code = (error as { code?: string }).code;
  if (code === 'WARDEN_REQUEST_METHOD_OVERRIDE') return { kind: 'respond', status: 400, code, detail: (error as Error).message };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'respond', status: 504, code: 'WARDEN_UPSTREAM_TIMEOUT', detail: `${api} did not accept a connection in time` };
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return { kind: 'respond', status: 504, code: 'WARDEN_UPSTREAM_TIMEOUT', detail: `${api} did not answer in time` };
  if (code === 'UND_ERR_BODY_TIMEOUT') return { kind: 'respond', status: 504, code: 'WARDEN_UPSTREAM_TIMEOUT', detail: `${api} stopped reading the request body` };
  if (code === 'UND_ERR_ABORTED' || (error as Error).name === 'AbortError') return { kind: 'respond', status: 499, code: 'WARDEN_CLIENT_CLOSED', detail: 'the client went away before the upstream answered' };
  return { kind: 'respond', status: 502, code: 'WARDEN_UPSTREAM_UNAVAILABLE', detail: `${api} could not be reached` };
}

/** What a failed upstream response body means for the agent: a stall is a timeout, anything else a broken upstream. */
export function upstreamBodyFailure(error: Error & { code?: string }, api: string): Failure {
  return error.code === 'UND_ERR_BODY_TIMEOUT'
    ? { kind: 'respond', status: 504, code: 'WARDEN_UPSTREAM_TIMEOUT', detail: `${api} stopped sending its response body` }
    : { kind: 'respond', status: 502, code: 'WARDEN_UPSTREAM_UNAVAILABLE', detail: `${api} broke off its response` };
}
