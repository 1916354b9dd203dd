import { Type } from '@sinclair/typebox';
import type { Governance } from '../../governance/governance.js';
import { currentSnapshot } from '../../governance/governance-context.js';
import { runtimeDiff } from '../../manifests/runtime-diff.js';
import type { AdminApp } from '../admin-server.js';
import { requireFleetReader } from '../read-scope.js';
import { AdminEvent, Difference, IdParams, Owner, ReasonBody, RoleList, TokenView } from '../schemas.js';

const Problem = Type.Ref('Problem');

/** Who am I, admin tokens, owners, the admin action log, and the runtime diff against the manifests. */
export function registerAdminRoutes(app: AdminApp, governance: Governance): void {
  app.get('/whoami', {
    schema: { summary: 'The caller as the admin API sees it', tags: ['admin'], response: { 200: Type.Ref('Actor') } },
  }, async (request) => request.actor);

  app.get('/tokens', {
    schema: { summary: 'List admin tokens (never their secrets)', tags: ['admin'], response: { 200: Type.Object({ tokens: Type.Array(Type.Ref(TokenView)) }), 403: Problem } },
  }, async (request) => ({ tokens: await governance.tokens.list(governance.context, request.actor) }));

  app.post('/tokens', {
    schema: {
      summary: 'Issue an admin token for a person; the secret is in this answer only',
      tags: ['admin'],
      body: Type.Object({ subject: Type.String(), roles: RoleList, ttlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })) }, { additionalProperties: false }),
      response: { 201: Type.Object({ token: Type.String(), record: Type.Ref(TokenView) }), 400: Problem, 403: Problem },
    },
  }, async (request, reply) => {
    reply.code(201).header('cache-control', 'no-store');
    return governance.tokens.issue(governance.context, request.actor, request.body);
  });

  app.post('/tokens/:id/revoke', {
    schema: { summary: 'Revoke an admin token', tags: ['admin'], params: IdParams, body: ReasonBody, response: { 200: Type.Ref(TokenView), 403: Problem, 404: Problem } },
  }, async (request) => governance.tokens.revoke(governance.context, request.actor, request.params.id, request.body.reason));

  app.get('/owners', {
    schema: { summary: 'People recorded as owners who left (or came back)', tags: ['admin'], response: { 200: Type.Object({ owners: Type.Array(Type.Ref(Owner)) }) } },
  }, async (request) => {
    await requireFleetReader(governance.context, request.actor, 'owners');
    return { owners: await governance.owners.list() };
  });

  for (const [verb, active] of [['leave', false], ['return', true]] as const) {
    app.post(`/owners/:email/${verb}`, {
      schema: { summary: active ? 'Record that an owner is back' : 'Record that an owner left: their agents come up in access reviews', tags: ['admin'], params: Type.Object({ email: Type.String() }), body: ReasonBody, response: { 200: Type.Ref(Owner), 403: Problem } },
    }, async (request) => governance.owners.set(request.actor, (request.params as { email: string }).email, active, request.body.reason));
  }

  app.get('/admin-events', {
    schema: {
      summary: 'The admin action log, newest first',
      tags: ['admin'],
      querystring: Type.Object({ actor: Type.Optional(Type.String()), target: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })), before: Type.Optional(Type.Integer({ minimum: 1 })) }),
      response: { 200: Type.Object({ events: Type.Array(Type.Ref(AdminEvent)) }) },
    },
  }, async (request) => {
    await requireFleetReader(governance.context, request.actor, 'admin-events');
    const { actor, target, limit, before } = request.query;
    return { events: await governance.context.store.governance.listAdminEvents({ ...(actor !== undefined ? { actor } : {}), ...(target !== undefined ? { target } : {}), ...(limit !== undefined ? { limit } : {}), ...(before !== undefined ? { beforeSeq: before } : {}) }) };
  });

  app.get('/diff', {
    schema: { summary: 'What runs beyond the manifests in force: runtime states, agents, keys, bindings, rules', tags: ['admin'], response: { 200: Type.Object({ appliedVersion: Type.Integer(), differences: Type.Array(Type.Ref(Difference)), warnings: Type.Array(Type.String(), { description: 'what the running policy left out or narrowed, and why' }) }) } },
  }, async (request) => {
    await requireFleetReader(governance.context, request.actor, 'diff');
    currentSnapshot(governance.context);
    const published = governance.context.publisher.current!;
    const store = governance.context.store;
    const [agents, keys, bindings, rules] = await Promise.all([store.governance.listAgents(), store.listApiKeys(), store.governance.listBindings(), store.governance.listRules()]);
    return { appliedVersion: published.appliedVersion, differences: runtimeDiff(governance.context.publisher.manifests!, { agents, keys, bindings, rules }), warnings: [...published.warnings] };
  });
}
