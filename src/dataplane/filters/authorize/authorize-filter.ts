import { errorDefinition, type ErrorCode } from '../../../model/errors.js';
import { decide } from '../../../policy/decide.js';
import type { Decision } from '../../../policy/decision.js';
import { CONTINUE, type Filter, type Verdict } from '../../pipeline/filter.js';
import type { RequestContext } from '../../pipeline/request-context.js';
import type { TokenVerifier } from '../identify/token-verifier.js';
import { contextClaims } from './context-claims.js';
import { hasBody, isFormBody, readInspectedBody } from './inspected-body.js';
import { applyRequestPii } from './request-pii.js';

export interface AuthorizeOptions {
  /** Verifies Warden-Context task tokens from trusted orchestrators. */
  readonly contextTokens: TokenVerifier;
  readonly globalMonitor: boolean;
  readonly region: string | undefined;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
  /** Key of the `hash` masking style's pseudonyms (request PII rules). */
  readonly pseudonymKey: Buffer;
}

/**
 * Authorize: the policy decision for the identified agent and the routed operation, with the
 * verified task context and, when a rule constrains body parameters, the parsed body. In
 * monitor mode (global or the API's) a denial is recorded as would-deny and the call passes.
 */
export function authorizeFilter(options: AuthorizeOptions): Filter {
  const { contextTokens } = options;

  async function verifyContext(ctx: RequestContext, token: string, monitored: boolean): Promise<Verdict> {
    const verified = contextTokens.configured ? await contextTokens.verify(token, ctx.time) : undefined;
    let refusal: Verdict = CONTINUE;
    if (verified === undefined || !verified.ok) {
      const why = verified === undefined ? 'no context token issuer is configured' : verified.detail;
      refusal = denyOrMonitor(ctx, monitored, 'WARDEN_CONTEXT_INVALID', `the Warden-Context token is not accepted: ${why}`);
    } else if (verified.claims.sub !== ctx.agent!.name) {
      refusal = denyOrMonitor(ctx, monitored, 'WARDEN_CONTEXT_INVALID', `the Warden-Context token was issued for another agent, not ${ctx.agent!.name}`);
    } else {
      ctx.context = contextClaims(verified.claims);
    }
    if (refusal.kind === 'respond') return refusal;
    // Monitor mode let the refused token pass: the body is still checked before anything is forwarded.
    return withBody(ctx, () => decideOn(ctx, monitored));
  }

  /**
   * Reads and checks the body first when a rule checks its parameters. Its hygiene (repeated
   * keys, `_method`, size, type) is enforced in every mode: what is forwarded must be what was read.
   */
  function withBody(ctx: RequestContext, then: () => Verdict): Verdict | Promise<Verdict> {
    if (!hasBody(ctx.req)) return then();
    // Rack reads a POST body without a type as a form (and its `_method`); nobody should guess.
    if (ctx.req.headers['content-type'] === undefined) return respond('WARDEN_REQUEST_BODY_MALFORMED', 'a request with a body must say its Content-Type');
    // No route: an undeclared call (discovery), which no rule constrains.
    const route = ctx.route;
    if (!((route !== undefined && route.operation.inspectsBody) || isFormBody(ctx.req))) return then();
    return readInspectedBody(ctx.req, { maxBytes: options.maxBodyBytes, maxDepth: options.maxJsonDepth }).then((body) => {
      if (!body.ok) return respond(body.code, body.detail);
      ctx.body = body.bytes;
      ctx.bodyFields = body.fields;
      ctx.bytesIn = body.bytes.length;
      return then();
    });
  }

  function decideOn(ctx: RequestContext, monitored: boolean): Verdict {
    const target = ctx.target!;
    const decision = decide(
      ctx.state.snapshot,
      { agent: ctx.agent!.name, method: ctx.req.method!, path: target.path, query: target.query, body: ctx.bodyFields, context: ctx.context, time: ctx.time, region: options.region },
      ctx.route!,
    );
    ctx.decision = decision;
    if (decision.allowed) {
      const rules = decision.obligations?.request;
      const refused = rules === undefined ? undefined : applyRequestPii(ctx, rules, options.pseudonymKey);
      return refused === undefined ? CONTINUE : denyOrMonitor(ctx, monitored, refused.code, refused.detail);
    }
    return denyOrMonitor(ctx, monitored, decision.reason as ErrorCode, agentDetail(decision));
  }

  return {
    name: 'authorize',
    // Synchronous unless a context token or a body has to be read first.
    onRequest(ctx) {
      // Only global monitor mode lets an unidentified call get this far (identify recorded it),
      // and only monitor mode an undeclared call of a learning API (route recorded it): there
      // is no one or nothing to decide on, but the body must still pass the checks.
      if (ctx.agent === undefined || ctx.route === undefined) return withBody(ctx, () => CONTINUE);
      const monitored = options.globalMonitor || ctx.route!.operation.api.mode === 'monitor';
      // Node joins repeated custom headers with ', ', which no valid JWT contains.
      const token = ctx.req.headers['warden-context'] as string | undefined;
      if (token !== undefined) return verifyContext(ctx, token, monitored);
      return withBody(ctx, () => decideOn(ctx, monitored));
    },
  };
}

/** Denies, or in monitor mode records the denial as would-deny and lets the call pass. */
export function denyOrMonitor(ctx: RequestContext, monitored: boolean, code: ErrorCode, detail: string): Verdict {
  if (monitored) {
    ctx.wouldDeny ??= { code, detail };
    return CONTINUE;
  }
  return respond(code, detail);
}

// A 401 must name what to authenticate with (RFC 9110 §11.6.1): here the task token's header.
const CONTEXT_CHALLENGE = { 'www-authenticate': 'Warden-Context realm="warden", error="invalid_token"' };

function respond(code: ErrorCode, detail: string): Verdict {
  const status = errorDefinition(code).status;
  return status === 401 ? { kind: 'respond', status, code, detail, headers: CONTEXT_CHALLENGE } : { kind: 'respond', status, code, detail };
}

/** The decision's message without the names of roles and rules, which are internal policy structure. */
function agentDetail(decision: Decision): string {
  const detail = ruleFreeDetail(decision);
  return decision.hint === undefined ? detail : `${detail}; ${decision.hint}`;
}

function ruleFreeDetail(decision: Decision): string {
  if (decision.reason === 'WARDEN_AUTHZ_FORBIDDEN') {
    const reason = decision.message.includes(': ') ? decision.message.slice(decision.message.indexOf(': ') + 2) : '';
    return `${decision.api}.${decision.operation} is forbidden for this agent${reason ? `: ${reason}` : ''}`;
  }
  if (decision.reason === 'WARDEN_AUTHZ_NOT_GRANTED') return `this agent has no grant for ${decision.api}.${decision.operation}`;
  return decision.message;
}
