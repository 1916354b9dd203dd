import { Type } from '@sinclair/typebox';
import { AGENT_STATES, type AgentState } from '../../../model/manifests/index.js';
import type { Governance } from '../../governance/governance.js';
import { GovernanceError } from '../../governance/governance-error.js';
import type { AdminApp } from '../admin-server.js';
import { inScope, readScope } from '../read-scope.js';
import { ActionParams, AgentDetail, AgentView, Binding, BindingRecord, LifecycleResult, NameParams, Proposal, ReasonBody } from '../schemas.js';

const refs = { Problem: Type.Ref('Problem') };

/** Agents: list, show, propose, lifecycle actions, the review queue, identity bindings. */
export function registerAgentRoutes(app: AdminApp, governance: Governance): void {
  app.get('/agents', {
    schema: {
      summary: 'List agents',
      tags: ['agents'],
      querystring: Type.Object({ state: Type.Optional(Type.String({ description: 'comma-separated states' })), owner: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ agents: Type.Array(Type.Ref(AgentView)) }), 400: refs.Problem },
    },
  }, async (request) => {
    const scope = await readScope(governance.context, request.actor, 'agents');
    const states = parseStates(request.query.state);
    const agents = await governance.agents.list({ ...(states !== undefined ? { states } : {}), ...(request.query.owner !== undefined ? { owner: request.query.owner } : {}) });
    return { agents: agents.filter((agent) => inScope(scope, agent.owner)) };
  });

  app.get('/review-queue', {
    schema: {
      summary: 'Agents waiting for security review or business approval, with their risk',
      tags: ['agents'],
      response: { 200: Type.Object({ agents: Type.Array(Type.Ref(AgentDetail)) }) },
    },
  }, async (request) => {
    const scope = await readScope(governance.context, request.actor, 'review-queue');
    const waiting = (await governance.agents.list({ states: ['proposed', 'in_review'] })).filter((agent) => inScope(scope, agent.owner));
    return { agents: await Promise.all(waiting.map((agent) => governance.agents.get(agent.name))) };
  });

  app.post('/agents', {
    schema: { summary: 'Propose an agent', tags: ['agents'], body: Type.Ref(Proposal), response: { 201: Type.Ref(AgentDetail), 400: refs.Problem, 403: refs.Problem, 409: refs.Problem } },
  }, async (request, reply) => {
    const body = request.body as { name: string; purpose: string; owner?: string; roles?: string[]; template?: string; description?: string; regions?: string[] };
    reply.code(201);
    return governance.agents.propose(request.actor, body);
  });

  app.get('/agents/:name', {
    schema: { summary: 'Show an agent: definition, credentials, runtime rules, history, risk', tags: ['agents'], params: NameParams, response: { 200: Type.Ref(AgentDetail), 404: refs.Problem } },
  }, async (request) => {
    const scope = await readScope(governance.context, request.actor, `agent/${request.params.name}`);
    const agent = await governance.agents.get(request.params.name);
    // Another owner's agent is as good as unknown to an owner.
    if (!inScope(scope, agent.owner)) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no agent is called ${request.params.name}`);
    return agent;
  });

  app.post('/agents/:name/actions/:action', {
    schema: {
      summary: 'Take a lifecycle action (approve, reject, test, activate, suspend, quarantine, reinstate, decommission)',
      tags: ['agents'],
      params: ActionParams,
      body: ReasonBody,
      response: { 200: Type.Ref(LifecycleResult), 403: refs.Problem, 404: refs.Problem, 409: refs.Problem },
    },
  }, async (request) => governance.agents.act(request.actor, request.params.name, request.params.action, request.body.reason));

  app.post('/agents/:name/bindings', {
    schema: { summary: 'Bind an external identity (JWT subject or client id, certificate fingerprint, SPIFFE id)', tags: ['agents'], params: NameParams, body: Type.Ref(Binding), response: { 201: Type.Ref(BindingRecord), 400: refs.Problem, 409: refs.Problem } },
  }, async (request, reply) => {
    reply.code(201);
    return governance.agents.bind(request.actor, request.params.name, request.body as never);
  });

  app.delete('/agents/:name/bindings/:id', {
    schema: { summary: 'Remove a runtime binding', tags: ['agents'], params: Type.Object({ name: Type.String(), id: Type.String() }), response: { 204: Type.Null(), 404: refs.Problem } },
  }, async (request, reply) => {
    await governance.agents.unbind(request.actor, request.params.name, request.params.id);
    reply.code(204);
    return null;
  });
}

function parseStates(text: string | undefined): AgentState[] | undefined {
  if (text === undefined || text === '') return undefined;
  const states = text.split(',').map((state) => state.trim());
  const unknown = states.filter((state) => !(AGENT_STATES as readonly string[]).includes(state));
  if (unknown.length > 0) throw new GovernanceError('WARDEN_ADMIN_INVALID', `unknown state(s) ${unknown.join(', ')}; states: ${AGENT_STATES.join(', ')}`);
  return states as AgentState[];
}
