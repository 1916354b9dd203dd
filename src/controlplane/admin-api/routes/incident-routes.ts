import { Type } from '@sinclair/typebox';
import { INCIDENT_STATUSES, type IncidentStatus } from '../../detection/detection-types.js';
import type { Governance } from '../../governance/governance.js';
import { GovernanceError } from '../../governance/governance-error.js';
import type { AdminApp } from '../admin-server.js';
import { Alert, Containment, IdParams, Incident, IncidentMetrics, IncidentStatus as IncidentStatusSchema, IncidentTimeline, NameParams, ReasonBody, StatusChange } from '../schemas.js';

const Problem = Type.Ref('Problem');
const Reason = Type.String({ minLength: 3, maxLength: 1000, description: 'why: it goes into the admin action log' });
const AgentName = Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'one agent only' }));

/**
 * Incidents and containments (docs/incidents.md): read by admin, security and auditors;
 * closed, reopened and lifted by admin or security. SOAR tools act through these routes.
 */
export function registerIncidentRoutes(app: AdminApp, governance: Governance): void {
  app.get('/incidents', {
    schema: {
      summary: 'Incidents, newest first (by detection time), optionally of some statuses or one agent',
      tags: ['incidents'],
      querystring: Type.Object({
        status: Type.Optional(Type.String({ description: `comma-separated: ${INCIDENT_STATUSES.join(', ')}` })),
        agent: AgentName,
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 500 })),
      }),
      response: { 200: Type.Object({ incidents: Type.Array(Type.Ref(Incident)) }), 400: Problem, 403: Problem },
    },
  }, async (request) => {
    const status = parseStatuses(request.query.status);
    const { agent, limit } = request.query;
    return { incidents: await governance.incidents.list(request.actor, { ...(status !== undefined ? { status } : {}), ...(agent !== undefined ? { agent } : {}), ...(limit !== undefined ? { limit } : {}) }) };
  });

  app.get('/incidents/metrics', {
    schema: {
      summary: 'Counts by status and severity, MTTD, MTTC, MTTR (medians and means) and the false-positive rate',
      tags: ['incidents'],
      querystring: Type.Object({ agent: AgentName, since: Type.Optional(Type.String({ format: 'date-time', description: 'incidents detected at or after this time' })) }),
      response: { 200: Type.Ref(IncidentMetrics), 400: Problem, 403: Problem },
    },
  }, async (request) => {
    const { agent, since } = request.query;
    const from = since === undefined ? undefined : Date.parse(since);
    if (from !== undefined && Number.isNaN(from)) throw new GovernanceError('WARDEN_ADMIN_INVALID', `since "${since}" is not a time; write ISO 8601, e.g. 2026-11-01T00:00:00Z`);
    return governance.incidents.metrics(request.actor, { ...(agent !== undefined ? { agent } : {}), ...(from !== undefined ? { since: new Date(from).toISOString() } : {}) });
  });

  app.get('/incidents/:id', {
    schema: {
      summary: 'One incident with its actions and its alerts (oldest first, with their reasons)',
      tags: ['incidents'],
      params: IdParams,
      response: { 200: Type.Object({ incident: Type.Ref(Incident), alerts: Type.Array(Type.Ref(Alert)) }), 403: Problem, 404: Problem },
    },
  }, async (request) => governance.incidents.get(request.actor, request.params.id));

  app.get('/incidents/:id/timeline', {
    schema: {
      summary: 'The incident\'s story: the agent\'s calls from an hour before it began, its alerts and actions in time order, and the data it touched',
      tags: ['incidents'],
      params: IdParams,
      response: { 200: Type.Ref(IncidentTimeline), 403: Problem, 404: Problem },
    },
  }, async (request) => governance.incidents.timeline(request.actor, request.params.id));

  app.post('/incidents/:id/status', {
    schema: {
      summary: 'Resolve an incident, mark it a false positive, reopen it or mark it contained (admin or security); closing lifts its throttles and step-ups',
      tags: ['incidents'],
      params: IdParams,
      body: Type.Object({ status: IncidentStatusSchema, reason: Reason }, { additionalProperties: false }),
      response: { 200: Type.Ref(StatusChange), 400: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (request) => governance.incidents.setStatus(request.actor, request.params.id, request.body.status as IncidentStatus, request.body.reason));

  app.post('/agents/:name/containment/lift', {
    schema: {
      summary: 'Lift every throttle and step-up on an agent before it lapses (admin or security); suspension and quarantine are lifecycle actions (reinstate)',
      tags: ['incidents'],
      params: NameParams,
      body: ReasonBody,
      response: { 200: Type.Object({ agent: Type.String(), lifted: Type.Array(Type.Ref(Containment)) }), 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (request) => governance.incidents.liftContainment(request.actor, request.params.name, request.body.reason));

  app.get('/containments', {
    schema: {
      summary: 'Throttles and step-ups in force now, each with when it lapses and the incident it belongs to',
      tags: ['incidents'],
      querystring: Type.Object({ agent: AgentName }),
      response: { 200: Type.Object({ containments: Type.Array(Type.Ref(Containment)) }), 403: Problem },
    },
  }, async (request) => ({ containments: await governance.incidents.containments(request.actor, request.query.agent) }));
}

function parseStatuses(value: string | undefined): IncidentStatus[] | undefined {
  if (value === undefined || value === '') return undefined;
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const wrong = items.find((item) => !(INCIDENT_STATUSES as readonly string[]).includes(item));
  if (wrong !== undefined) throw new GovernanceError('WARDEN_ADMIN_INVALID', `status "${wrong}" is not one of ${INCIDENT_STATUSES.join(', ')}`);
  return items as IncidentStatus[];
}
