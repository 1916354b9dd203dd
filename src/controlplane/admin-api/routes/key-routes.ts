import { Type } from '@sinclair/typebox';
import type { Governance } from '../../governance/governance.js';
import type { AdminApp } from '../admin-server.js';
import { inScope, ownersOf, readScope } from '../read-scope.js';
import { IdParams, KeyView, NewKey, ReasonBody } from '../schemas.js';

const Problem = Type.Ref('Problem');

/** Agents' API keys: list, issue, rotate, revoke. A secret appears once, in the issuing answer. */
export function registerKeyRoutes(app: AdminApp, governance: Governance): void {
  app.get('/keys', {
    schema: { summary: 'List API keys (never their secrets)', tags: ['keys'], querystring: Type.Object({ agent: Type.Optional(Type.String()) }), response: { 200: Type.Object({ keys: Type.Array(Type.Ref(KeyView)) }) } },
  }, async (request) => {
    const scope = await readScope(governance.context, request.actor, 'keys');
    const keys = await governance.credentials.list(request.query.agent !== undefined ? { agent: request.query.agent } : {});
    const owners = ownersOf(governance);
    return { keys: keys.filter((key) => inScope(scope, key.agent === undefined ? undefined : owners.get(key.agent))) };
  });

  app.post('/keys', {
    schema: {
      summary: 'Issue an API key for an agent; the secret is in this answer only',
      tags: ['keys'],
      body: Type.Object({ agent: Type.String(), ttlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })) }, { additionalProperties: false }),
      response: { 201: Type.Ref(NewKey), 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (request, reply) => {
    reply.code(201).header('cache-control', 'no-store');
    return governance.credentials.issue(request.actor, request.body.agent, request.body.ttlDays !== undefined ? { ttlDays: request.body.ttlDays } : {});
  });

  app.post('/keys/:id/rotate', {
    schema: {
      summary: 'Rotate a key: a successor now, the old key working for the overlap',
      tags: ['keys'],
      params: IdParams,
      body: Type.Object({ overlapHours: Type.Optional(Type.Integer({ minimum: 0, maximum: 720 })), ttlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })) }, { additionalProperties: false }),
      response: { 201: Type.Object({ next: Type.Ref(NewKey), previous: Type.Ref(KeyView) }), 404: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    reply.code(201).header('cache-control', 'no-store');
    return governance.credentials.rotate(request.actor, request.params.id, { ...(request.body.overlapHours !== undefined ? { overlapHours: request.body.overlapHours } : {}), ...(request.body.ttlDays !== undefined ? { ttlDays: request.body.ttlDays } : {}) });
  });

  app.post('/keys/:id/revoke', {
    schema: { summary: 'Revoke a key at once', tags: ['keys'], params: IdParams, body: ReasonBody, response: { 200: Type.Ref(KeyView), 404: Problem } },
  }, async (request) => governance.credentials.revoke(request.actor, request.params.id, request.body.reason));
}
