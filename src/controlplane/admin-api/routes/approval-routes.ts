import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { CallbackDecision } from '../../approvals/approval-service.js';
import type { Governance } from '../../governance/governance.js';
import { GovernanceError } from '../../governance/governance-error.js';
import { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, verifySignatureHeader } from '../../notify/webhook-signature.js';
import type { AdminApp } from '../admin-server.js';
import { inScope, ownersOf, readScope } from '../read-scope.js';
import { Approval, ApprovalCallback, IdParams, ReasonBody } from '../schemas.js';

const Problem = Type.Ref('Problem');
const MAX_CALLBACK_BYTES = 64 * 1024;

/** The path of signed chat-ops callbacks: no admin token, the signature authenticates it. */
export const APPROVAL_CALLBACK_PATH = '/approval-callbacks';

export interface ApprovalRouteOptions {
  /** HMAC key of signed callbacks (`stepUp.callbackSecret`, resolved); without it callbacks are refused. */
  readonly callbackSecret?: string | undefined;
}

/** Step-up approvals: people list, show, approve and deny them; chat-ops tools relay decisions signed. */
export function registerApprovalRoutes(app: AdminApp, governance: Governance, options: ApprovalRouteOptions = {}): void {
  const StatusQuery = Type.Union(['pending', 'approved', 'denied', 'expired', 'used'].map((status) => Type.Literal(status)));

  app.get('/approvals', {
    schema: {
      summary: 'List step-up approvals, newest first (an approval past its time is expired)',
      tags: ['approvals'],
      querystring: Type.Object({ status: Type.Optional(StatusQuery), agent: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
      response: { 200: Type.Object({ approvals: Type.Array(Type.Ref(Approval)) }) },
    },
  }, async (request) => {
    const scope = await readScope(governance.context, request.actor, 'approvals');
    const owners = ownersOf(governance);
    const { status, agent, limit } = request.query as { status?: 'pending' | 'approved' | 'denied' | 'expired' | 'used'; agent?: string; limit?: number };
    const approvals = await governance.approvals.list({ ...(status !== undefined ? { status } : {}), ...(agent !== undefined ? { agent } : {}), ...(limit !== undefined ? { limit } : {}) });
    return { approvals: approvals.filter((item) => inScope(scope, owners.get(item.agent))) };
  });

  app.get('/approvals/:id', {
    schema: { summary: 'Show a step-up approval: the exact call, its parameters and context, and what became of it', tags: ['approvals'], params: IdParams, response: { 200: Type.Ref(Approval), 404: Problem } },
  }, async (request) => {
    const scope = await readScope(governance.context, request.actor, `approval/${request.params.id}`);
    const item = await governance.approvals.get(request.params.id);
    if (!inScope(scope, ownersOf(governance).get(item.agent))) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no approval has the id ${request.params.id}`);
    return item;
  });

  app.post('/approvals/:id/approve', {
    schema: {
      summary: 'Approve a held call (security, admin or the agent\'s owner): the agent may send exactly that call once, within stepUp.useWithinSeconds',
      tags: ['approvals'],
      params: IdParams,
      body: ReasonBody,
      response: { 200: Type.Ref(Approval), 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (request) => governance.approvals.approve(request.actor, request.params.id, request.body.reason));

  app.post('/approvals/:id/deny', {
    schema: { summary: 'Deny a held call (security, admin or the agent\'s owner): it never passes', tags: ['approvals'], params: IdParams, body: ReasonBody, response: { 200: Type.Ref(Approval), 403: Problem, 404: Problem, 409: Problem } },
  }, async (request) => governance.approvals.deny(request.actor, request.params.id, request.body.reason));

  // The signature covers the exact bytes received, so they are kept before the JSON parser sees them.
  const rawBodies = new WeakMap<FastifyRequest, Buffer>();
  // The literal path (APPROVAL_CALLBACK_PATH): the route modules' sources are read to check /openapi.json.
  app.post('/approval-callbacks', {
    schema: {
      summary: `A decision relayed by a chat-ops tool, without an admin token: signed with ${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> under stepUp.callbackSecret, at most ${SIGNATURE_TOLERANCE_SECONDS} s old. The approver must be the agent's owner or hold an active admin token with the security or admin role`,
      tags: ['approvals'],
      security: [],
      headers: Type.Object({ [SIGNATURE_HEADER]: Type.Optional(Type.String({ description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">' })) }),
      body: Type.Ref(ApprovalCallback),
      response: { 200: Type.Ref(Approval), 401: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
    preParsing: async (request, _reply, payload) => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of payload) {
        size += (chunk as Buffer).length;
        if (size > MAX_CALLBACK_BYTES) throw Object.assign(new Error('the request body is too large'), { statusCode: 413 });
        chunks.push(chunk as Buffer);
      }
      const raw = Buffer.concat(chunks);
      rawBodies.set(request, raw);
      return Readable.from(raw.length > 0 ? [raw] : []);
    },
    // Before the body is validated: an unsigned request learns nothing about what a valid one looks like.
    preValidation: async (request) => {
      const secret = options.callbackSecret;
      if (secret === undefined) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', 'signed approval callbacks are not enabled here: set stepUp.callbackSecret (env:NAME or file:PATH) in the GatewayConfig');
      const header = request.headers[SIGNATURE_HEADER];
      const check = verifySignatureHeader(typeof header === 'string' ? header : undefined, rawBodies.get(request) ?? Buffer.alloc(0), secret, Math.floor(governance.context.now().getTime() / 1000));
      if (!check.ok) throw new GovernanceError('WARDEN_ADMIN_UNAUTHENTICATED', check.why);
    },
  }, async (request) => governance.approvals.decideByCallback(request.body as CallbackDecision));
}
