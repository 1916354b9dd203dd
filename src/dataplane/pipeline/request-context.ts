import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { AuditApproval, AuditCredential } from '../../model/audit-event.js';
import type { ErrorCode } from '../../model/errors.js';
import type { Decision } from '../../policy/decision.js';
import type { CompiledAgent, CompiledApi, RouteMatch } from '../../policy/snapshot.js';
import type { LimitUsage } from '../filters/limit/limit-filter.js';
import type { CanonicalTarget } from '../filters/route/canonical-target.js';
import type { GatewayState } from '../gateway-state.js';

/** The upstream's answer, its body still streaming. */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Readable;
}

/**
 * Everything one request accumulates on its way through the filters. One class with every
 * field set in the constructor, so V8 keeps a single object shape on the hot path.
 */
export class RequestContext {
  /** Epoch ms when the request arrived. */
  readonly time: number;
  /** `performance.now()` at arrival, for durations. */
  readonly started: number;

  agent: CompiledAgent | undefined = undefined;
  credential: AuditCredential | undefined = undefined;
  target: CanonicalTarget | undefined = undefined;
  route: RouteMatch | undefined = undefined;
  /**
   * On a route miss under an API with `discovery: learn`: that API (`route` stays undefined,
   * there is no operation). Recorded as undeclared; forwarded only in monitor mode.
   */
  learnedApi: CompiledApi | undefined = undefined;
  /** Verified Warden-Context claims. */
  context: Readonly<Record<string, string>> | undefined = undefined;
  /** The inspected body, forwarded instead of the stream so the upstream gets what was authorised. */
  body: Buffer | undefined = undefined;
  bodyFields: Readonly<Record<string, unknown>> | undefined = undefined;
  decision: Decision | undefined = undefined;
  /** The rate limits and quotas the call counted against (limit filter). */
  limits: LimitUsage | undefined = undefined;
  /** The human approval the call was held for or let through with (guard, step-up). */
  approval: AuditApproval | undefined = undefined;
  /** A denial that monitor mode let pass: recorded as would-deny. */
  wouldDeny: { readonly code: ErrorCode; readonly detail: string } | undefined = undefined;
  /** The error answered to the client, if any. */
  failure: { readonly code: ErrorCode; readonly detail: string } | undefined = undefined;
  upstream: UpstreamResponse | undefined = undefined;
  upstreamMs: number | undefined = undefined;
  /** A replacement body (filtered response), sent instead of the upstream stream. */
  responseBody: Buffer | undefined = undefined;
  maskedFields: readonly string[] = [];
  records: number | undefined = undefined;
  /** PII classes found in the answer, masked or let through. */
  piiClasses: readonly string[] = [];
  /** List records left out because they were not the task's (grant rows). */
  withheld = 0;
  /** PII classes found in the request body, and its fields masked before forwarding. */
  requestPii: { readonly piiClasses: readonly string[]; readonly maskedFields: readonly string[] } | undefined = undefined;
  status = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** Set once the record filter wrote this request's AuditEvent (strict mode writes early). */
  recorded = false;
  completed = false;

  constructor(
    readonly requestId: string,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly state: GatewayState,
    readonly clientIp: string,
  ) {
    this.time = Date.now();
    this.started = performance.now();
  }
}

/** The API of the call: its operation's, or for an undeclared call the learning API's; undefined when it has none. */
export function apiOf(ctx: RequestContext): CompiledApi | undefined {
  return ctx.route !== undefined ? ctx.route.operation.api : ctx.learnedApi;
}
