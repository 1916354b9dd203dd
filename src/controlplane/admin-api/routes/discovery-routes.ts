import { Type } from '@sinclair/typebox';
import type { ReviewDecision } from '../../discovery/discovery-review.js';
import type { Governance } from '../../governance/governance.js';
import { GovernanceError } from '../../governance/governance-error.js';
import { FINDING_KINDS, FINDING_STATUSES, type FindingKind, type FindingStatus } from '../../store/discovery-store.js';
import type { AdminApp } from '../admin-server.js';
import { AgentDetail, Finding, IdParams } from '../schemas.js';

const Problem = Type.Ref('Problem');
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
const Reason = Type.String({ minLength: 3, maxLength: 1000, description: 'why: it goes into the admin action log' });

/**
 * Discovery's review flow (docs/discovery.md): findings of imports and scans, read by admin,
 * security and auditors, decided by admin or security.
 */
export function registerDiscoveryRoutes(app: AdminApp, governance: Governance): void {
  const list = (values: readonly string[]) => Type.Optional(Type.String({ description: `comma-separated: ${values.join(', ')}` }));

  app.get('/discovery/findings', {
    schema: {
      summary: 'Findings of discovery (shadow, zombie and orphan endpoints, unregistered clients, scan results), by kind then subject',
      tags: ['discovery'],
      querystring: Type.Object({ status: list(FINDING_STATUSES), kind: list(FINDING_KINDS) }),
      response: { 200: Type.Object({ findings: Type.Array(Type.Ref(Finding)) }) },
    },
  }, async (request) => {
    const status = parseList(request.query.status, FINDING_STATUSES, 'status') as FindingStatus[] | undefined;
    const kind = parseList(request.query.kind, FINDING_KINDS, 'kind') as FindingKind[] | undefined;
    return { findings: await governance.discovery.list(request.actor, { ...(status !== undefined ? { status } : {}), ...(kind !== undefined ? { kind } : {}) }) };
  });

  app.get('/discovery/findings/:id', {
    schema: { summary: 'One finding with its latest inventory entry and review decision', tags: ['discovery'], params: IdParams, response: { 200: Type.Ref(Finding), 404: Problem } },
  }, async (request) => governance.discovery.get(request.actor, request.params.id));

  app.post('/discovery/findings/:id/decision', {
    schema: {
      summary: 'Decide a finding (admin or security): adopted into the catalog, ignored with a reason, a decommission date for a zombie or orphan, or open again',
      tags: ['discovery'],
      params: IdParams,
      body: Type.Union([
        Type.Object({ status: Type.Literal('adopted'), reason: Type.Optional(Reason) }, { additionalProperties: false }),
        Type.Object({ status: Type.Literal('ignored'), reason: Reason }, { additionalProperties: false }),
        Type.Object({ status: Type.Literal('decommission'), on: Day, reason: Type.Optional(Reason) }, { additionalProperties: false }),
        Type.Object({ status: Type.Literal('open'), reason: Type.Optional(Reason) }, { additionalProperties: false }),
      ]),
      response: { 200: Type.Ref(Finding), 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (request) => governance.discovery.decide(request.actor, request.params.id, request.body as ReviewDecision));

  app.post('/discovery/findings/:id/propose-agent', {
    schema: {
      summary: 'Propose an unregistered client as an agent (the usual proposal, review and approvals follow) and mark the finding adopted',
      tags: ['discovery'],
      params: IdParams,
      body: Type.Object(
        {
          name: Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'the new agent\'s name' }),
          purpose: Type.String({ minLength: 10, maxLength: 1000 }),
          owner: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' })),
          roles: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
          template: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ finding: Type.Ref(Finding), agent: Type.Ref(AgentDetail) }), 400: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (request) => governance.discovery.proposeAgent(request.actor, request.params.id, request.body));
}

function parseList(value: string | undefined, allowed: readonly string[], name: string): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const wrong = items.find((item) => !allowed.includes(item));
  if (wrong !== undefined) throw new GovernanceError('WARDEN_ADMIN_INVALID', `${name} "${wrong}" is not one of ${allowed.join(', ')}`);
  return items;
}
