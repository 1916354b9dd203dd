import { Type } from '@sinclair/typebox';
import type { Governance } from '../../governance/governance.js';
import { GovernanceError } from '../../governance/governance-error.js';
import type { AdminApp } from '../admin-server.js';
import { inScope, ownersOf, readScope } from '../read-scope.js';
import { AccessAsk, AccessRequest, AgentReview, IdParams, ReasonBody, ReviewDecision } from '../schemas.js';

const Problem = Type.Ref('Problem');

/** Access requests (humans' side: ask on an agent's behalf, approve, deny) and access reviews. */
export function registerAccessRoutes(app: AdminApp, governance: Governance): void {
  app.get('/access-requests', {
    schema: {
      summary: 'List access requests',
      tags: ['access'],
      querystring: Type.Object({ status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('granted'), Type.Literal('denied')])), agent: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ requests: Type.Array(Type.Ref(AccessRequest)) }) },
    },
  }, async (request) => {
    const scope = await readScope(governance.context, request.actor, 'access-requests');
    const owners = ownersOf(governance);
    const requests = await governance.access.list({ ...(request.query.status !== undefined ? { status: request.query.status } : {}), ...(request.query.agent !== undefined ? { agent: request.query.agent } : {}) });
    return { requests: requests.filter((item) => inScope(scope, owners.get(item.agent))) };
  });

  app.post('/access-requests', {
    schema: { summary: 'Ask for more access on an agent\'s behalf (agents ask themselves at POST /.warden/access-requests on the gateway)', tags: ['access'], body: Type.Ref(AccessAsk), response: { 201: Type.Ref(AccessRequest), 400: Problem, 403: Problem } },
  }, async (request, reply) => {
    const body = request.body as { agent: string; api: string; operation: string; reason: string; durationDays?: number };
    reply.code(201);
    return governance.access.submitForHuman(request.actor, body.agent, { api: body.api, operation: body.operation, reason: body.reason, ...(body.durationDays !== undefined ? { durationDays: body.durationDays } : {}) });
  });

  app.get('/access-requests/:id', {
    schema: { summary: 'Show an access request', tags: ['access'], params: IdParams, response: { 200: Type.Ref(AccessRequest), 404: Problem } },
  }, async (request) => {
    const scope = await readScope(governance.context, request.actor, `access-request/${request.params.id}`);
    const item = await governance.access.get(request.params.id);
    if (!inScope(scope, ownersOf(governance).get(item.agent))) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no access request has the id ${request.params.id}`);
    return item;
  });

  app.post('/access-requests/:id/approve', {
    schema: {
      summary: 'Approve: the operation is granted (time-boxed with durationDays) when this returns',
      tags: ['access'],
      params: IdParams,
      body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 1000 }), durationDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })) }, { additionalProperties: false }),
      response: { 200: Type.Ref(AccessRequest), 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (request) => governance.access.approve(request.actor, request.params.id, { reason: request.body.reason, ...(request.body.durationDays !== undefined ? { durationDays: request.body.durationDays } : {}) }));

  app.post('/access-requests/:id/deny', {
    schema: { summary: 'Deny an access request', tags: ['access'], params: IdParams, body: ReasonBody, response: { 200: Type.Ref(AccessRequest), 403: Problem, 404: Problem, 409: Problem } },
  }, async (request) => governance.access.deny(request.actor, request.params.id, request.body.reason));

  app.get('/reviews', {
    schema: {
      summary: 'Access review: unused grants, idle agents, credentials near expiry, owners who left',
      tags: ['reviews'],
      querystring: Type.Object({ unusedDays: Type.Optional(Type.Integer({ minimum: 1 })), idleDays: Type.Optional(Type.Integer({ minimum: 1 })), expiryDays: Type.Optional(Type.Integer({ minimum: 1 })) }),
      response: { 200: Type.Object({ reviews: Type.Array(Type.Ref(AgentReview)) }) },
    },
  }, async (request) => {
    const scope = await readScope(governance.context, request.actor, 'reviews');
    return { reviews: (await governance.reviews.review(request.query)).filter((review) => inScope(scope, review.owner)) };
  });

  app.post('/reviews/decisions', {
    schema: { summary: 'Confirm or revoke one review item', tags: ['reviews'], body: Type.Ref(ReviewDecision), response: { 201: Type.Object({ agent: Type.String(), item: Type.String(), decision: Type.String(), actor: Type.String(), reason: Type.String(), at: Type.String() }), 400: Problem, 403: Problem } },
  }, async (request, reply) => {
    const body = request.body as { agent: string; item: string; decision: 'confirm' | 'revoke'; reason: string };
    reply.code(201);
    return governance.reviews.decide(request.actor, body.agent, body.item, body.decision, body.reason);
  });
}
