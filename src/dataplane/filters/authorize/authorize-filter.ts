import { errorDefinition, type ErrorCode } from '../../../model/errors.js';
import { decide } from '../../../policy/decide.js';
import type { Decision } from '../../../policy/decision.js';
import { CONTINUE, type Filter, type Verdict } from '../../pipeline/filter.js';
import type { RequestContext } from '../../pipeline/request-context.js';
import type { TokenVerifier } from '../identify/token-verifier.js';
import { contextClaims } from './context-claims.js';
import { hasBody, readInspectedBody } from './inspected-body.js';

export interface AuthorizeOptions {
  /** Verifies Warden-Context task tokens from trusted orchestrators. */
  readonly contextTokens: TokenVerifier;
  readonly globalMonitor: boolean;
  readonly region: string | undefined;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
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
    if (verified === undefined || !verified.ok) {
      const why = verified === undefined ? 'no context token issuer is configured' : verified.detail;
      return denyOrMonitor(ctx, monitored, 'WARDEN_CONTEXT_INVALID', `the Warden-Context token is not accepted: ${why}`);
    }
    if (verified.claims.sub !== ctx.agent!.name) return denyOrMonitor(ctx, monitored, 'WARDEN_CONTEXT_INVALID', `the Warden-Context token was issued for another agent, not ${ctx.agent!.name}`);
    ctx.context = contextClaims(verified.claims);
    return withBody(ctx, monitored);
  }

  /** Reads the body first when a rule checks its parameters. */
  function withBody(ctx: RequestContext, monitored: boolean): Verdict | Promise<Verdict> {
    if (!ctx.route!.operation.inspectsBody || !hasBody(ctx.req)) return decideOn(ctx, monitored);
    return readInspectedBody(ctx.req, { maxBytes: options.maxBodyBytes, maxDepth: options.maxJsonDepth }).then((body) => {
      // The body stream is consumed either way: a monitored call that fails here cannot be forwarded.
      if (!body.ok) return respond(body.code, body.detail);
      ctx.body = body.bytes;
      ctx.bodyFields = body.fields;
      ctx.bytesIn = body.bytes.length;
      return decideOn(ctx, monitored);
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
    if (decision.allowed) return CONTINUE;
    return denyOrMonitor(ctx, monitored, decision.reason as ErrorCode, agentDetail(decision));
  }

  return {
    name: 'authorize',
    // Synchronous unless a context token or a body has to be read first.
    onRequest(ctx) {
      // Only global monitor mode lets an unidentified call get this far; identify recorded it.
      if (ctx.agent === undefined) return CONTINUE;
      const monitored = options.globalMonitor || ctx.route!.operation.api.mode === 'monitor';
      // Node joins repeated custom headers with ', ', which no valid JWT contains.
      const token = ctx.req.headers['warden-context'] as string | undefined;
      if (token !== undefined) return verifyContext(ctx, token, monitored);
      return withBody(ctx, monitored);
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

function respond(code: ErrorCode, detail: string): Verdict {
  return { kind: 'respond', status: errorDefinition(code).status, code, detail };
}

/** The decision's message without the names of roles and rules, which are internal policy structure. */
function agentDetail(decision: Decision): string {
  if (decision.reason === 'WARDEN_AUTHZ_FORBIDDEN') {
    const reason = decision.message.includes(': ') ? decision.message.slice(decision.message.indexOf(': ') + 2) : '';
    return `${decision.api}.${decision.operation} is forbidden for this agent${reason ? `: ${reason}` : ''}`;
  }
  if (decision.reason === 'WARDEN_AUTHZ_NOT_GRANTED') return `this agent has no grant for ${decision.api}.${decision.operation}`;
  return decision.message;
}
