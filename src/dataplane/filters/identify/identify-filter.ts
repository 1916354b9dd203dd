import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from '../../../model/errors.js';
import { jwtSubjectKey } from '../../../policy/snapshot.js';
import type { GatewayMetrics } from '../../ops/gateway-metrics.js';
import { CONTINUE, type Filter, type Verdict } from '../../pipeline/filter.js';
import type { RequestContext } from '../../pipeline/request-context.js';
import { verifyApiKey } from './api-key-verifier.js';
import { peerCertificate } from './client-certificate.js';
import type { CredentialResult } from './credential-result.js';
import type { TokenVerifier } from './token-verifier.js';

const CHALLENGE = 'Bearer realm="warden"';
const INVALID_TOKEN_CHALLENGE = 'Bearer realm="warden", error="invalid_token"';

/**
 * Identify: exactly one agent per request, from a Warden API key, an OAuth2/OIDC access token
 * or an mTLS client certificate. Nothing the client says about itself counts otherwise.
 * Fails closed; only a gateway in global monitor mode lets an unidentified call pass (as
 * would-deny), because per-API monitor mode is for authorization, not for anonymous access.
 */
export function identifyFilter(options: { readonly tokens: TokenVerifier; readonly monitor: boolean; readonly metrics: GatewayMetrics }): Filter {
  const { tokens, monitor, metrics } = options;

  function refuse(ctx: RequestContext, code: ErrorCode, detail: string): Verdict {
    if (monitor) {
      ctx.wouldDeny = { code, detail };
      return CONTINUE;
    }
    const status = code === 'WARDEN_AUTHN_UNREGISTERED' ? 403 : 401;
    const headers = status === 401 ? { 'www-authenticate': code === 'WARDEN_AUTHN_MISSING' ? CHALLENGE : INVALID_TOKEN_CHALLENGE } : undefined;
    return headers ? { kind: 'respond', status, code, detail, headers } : { kind: 'respond', status, code, detail };
  }

  async function checkToken(ctx: RequestContext, token: string): Promise<CredentialResult> {
    if (!tokens.configured) return { ok: false, code: 'WARDEN_AUTHN_INVALID', detail: 'the bearer token is not a Warden API key, and no token issuer is configured' };
    const verified = await tokens.verify(token, ctx.time);
    if (!verified.ok) return verified;
    const subject = verified.claims.sub;
    const clientId = typeof verified.claims.client_id === 'string' ? verified.claims.client_id : undefined;
    const bindings = ctx.state.snapshot.credentials.jwtSubjects;
    const bySubject = subject === undefined ? undefined : bindings.get(jwtSubjectKey(verified.issuer, subject));
    const byClient = clientId === undefined ? undefined : bindings.get(jwtSubjectKey(verified.issuer, clientId));
    const credential = { id: `${verified.issuer}#${subject ?? clientId ?? ''}`, kind: 'jwt' } as const;
    if (bySubject !== undefined && byClient !== undefined && bySubject !== byClient) {
      return { ok: false, code: 'WARDEN_AUTHN_INVALID', detail: 'the token\'s subject and client_id are bound to different agents', credential };
    }
    const agent = bySubject ?? byClient;
    if (agent === undefined) return { ok: false, code: 'WARDEN_AUTHN_UNREGISTERED', detail: 'the token\'s subject is bound to no registered agent', credential };
    return { ok: true, agent, credential };
  }

  function checkCertificate(ctx: RequestContext): CredentialResult | undefined {
    const certificate = peerCertificate(ctx.req.socket);
    if (certificate === undefined) return undefined;
    if (!certificate.verified) return { ok: false, code: 'WARDEN_AUTHN_INVALID', detail: certificate.reason };
    const bindings = ctx.state.snapshot.credentials.certificates;
    if (certificate.spiffeIds.length > 1) return { ok: false, code: 'WARDEN_AUTHN_INVALID', detail: 'the client certificate carries more than one SPIFFE id' };
    const byFingerprint = bindings.get(certificate.fingerprint);
    if (byFingerprint !== undefined) return { ok: true, agent: byFingerprint, credential: { id: certificate.fingerprint, kind: 'mtls' } };
    const spiffeId = certificate.spiffeIds[0];
    const bySpiffe = spiffeId === undefined ? undefined : bindings.get(spiffeId);
    const credential = { id: spiffeId ?? certificate.fingerprint, kind: 'mtls' } as const;
    if (bySpiffe === undefined) return { ok: false, code: 'WARDEN_AUTHN_UNREGISTERED', detail: 'the client certificate is bound to no registered agent', credential };
    return { ok: true, agent: bySpiffe, credential };
  }

  /** Decides on what the bearer credential and the client certificate said. */
  function conclude(ctx: RequestContext, fromBearer: CredentialResult | undefined, fromCertificate: CredentialResult | undefined): Verdict {
    if (fromBearer === undefined && fromCertificate === undefined) return refuse(ctx, 'WARDEN_AUTHN_MISSING', 'send the agent\'s credential as `Authorization: Bearer …`');
    // A bearer credential decides when both are sent; a certificate of another agent is a
    // conflict, and an untrusted one is refused even beside a valid key: nothing presented may fail.
    if (fromBearer !== undefined && fromCertificate?.ok === false && fromCertificate.code === 'WARDEN_AUTHN_INVALID') {
      return refuse(ctx, fromCertificate.code, fromCertificate.detail);
    }
    const result = (fromBearer ?? fromCertificate)!;
    if (fromBearer?.ok && fromCertificate?.ok && fromBearer.agent !== fromCertificate.agent) {
      return refuse(ctx, 'WARDEN_AUTHN_AMBIGUOUS', 'the bearer token and the client certificate identify different agents');
    }
    if (!result.ok) {
      ctx.credential = result.credential;
      if (result.code === 'WARDEN_AUTHN_UNREGISTERED') metrics.unregisteredClient(result.credential?.kind ?? 'unknown');
      return refuse(ctx, result.code, result.detail);
    }
    ctx.credential = result.credential;
    ctx.agent = ctx.state.snapshot.agents.get(result.agent);
    return CONTINUE;
  }

  return {
    name: 'identify',
    // Synchronous for API keys and certificates; only a JWT (a JWKS fetch, at worst) waits.
    onRequest(ctx) {
      const bearer = bearerToken(ctx.req);
      if (bearer === MANY) return refuse(ctx, 'WARDEN_AUTHN_AMBIGUOUS', 'send exactly one Authorization header');
      if (bearer === MALFORMED) return refuse(ctx, 'WARDEN_AUTHN_INVALID', 'the Authorization header must be `Bearer <token>`');
      const fromCertificate = checkCertificate(ctx);
      if (bearer === undefined) return conclude(ctx, undefined, fromCertificate);
      if (bearer.startsWith('wdn_')) return conclude(ctx, verifyApiKey(ctx.state, bearer, ctx.time), fromCertificate);
      return checkToken(ctx, bearer).then((fromBearer) => conclude(ctx, fromBearer, fromCertificate));
    },
  };
}

const MANY = Symbol('many');
const MALFORMED = Symbol('malformed');

/** The bearer token, undefined without one; Node keeps only the first of repeated Authorization headers, so count them. */
function bearerToken(req: IncomingMessage): string | undefined | typeof MANY | typeof MALFORMED {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const raw = req.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === 'authorization') count++;
  if (count > 1) return MANY;
  if (header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return MALFORMED;
  const token = header.slice(7).trim();
  return token.length === 0 || token.includes(' ') ? MALFORMED : token;
}
