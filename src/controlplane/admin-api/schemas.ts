import { Type, type TSchema } from '@sinclair/typebox';
import { AGENT_STATES } from '../../model/manifests/index.js';
import { LIFECYCLE_ACTIONS } from '../agents/lifecycle.js';
import { DETECTORS, INCIDENT_STATUSES, SEVERITIES } from '../detection/detection-types.js';
import { FINDING_KINDS, FINDING_STATUSES } from '../store/discovery-store.js';
import { ADMIN_ROLES } from '../store/governance-store.js';

/**
 * Request and response schemas of the admin API. Requests are validated against them; responses
 * are documented by them in /openapi.json (and serialised with JSON.stringify, so a field the
 * schema forgets is never silently dropped).
 */
const Time = Type.String({ format: 'date-time' });
const optional = <T extends TSchema>(schema: T) => Type.Optional(schema);
const Name = Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'agent name' });
const Reason = Type.String({ minLength: 3, maxLength: 1000, description: 'why: it goes into the audit trail' });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'a stable code of docs/errors.md' }),
    detail: Type.String(),
    requestId: Type.String(),
    legal: optional(Type.Array(Type.String(), { description: 'lifecycle actions that apply (illegal transitions)' })),
  },
  { $id: 'Problem', description: 'RFC 9457 problem document' },
);

export const Actor = Type.Object({ subject: Type.String(), roles: Type.Array(Type.String()) }, { $id: 'Actor' });

export const Risk = Type.Object(
  {
    score: Type.Integer({ minimum: 0, maximum: 100 }),
    level: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
    reasons: Type.Array(Type.Object({ code: Type.String(), weight: Type.Number(), message: Type.String() })),
    operations: Type.Integer(),
    writeOperations: Type.Integer(),
    dataClasses: Type.Array(Type.String()),
    apis: Type.Array(Type.String()),
  },
  { $id: 'Risk' },
);

export const AgentView = Type.Object(
  {
    name: Type.String(),
    source: Type.Union([Type.Literal('manifest'), Type.Literal('api')]),
    owner: Type.String(),
    purpose: Type.String(),
    description: optional(Type.String()),
    roles: Type.Array(Type.String()),
    regions: optional(Type.Array(Type.String())),
    state: Type.Union(AGENT_STATES.map((state) => Type.Literal(state))),
    stateSince: optional(Time),
    template: optional(Type.String()),
    credentials: Type.Object({
      apiKeys: Type.Array(Type.String()),
      jwt: Type.Array(Type.Object({ issuer: Type.String(), subject: Type.String() })),
      certificates: Type.Array(Type.String()),
    }),
    bindings: Type.Array(Type.Object({ id: Type.String(), identity: Type.String() }), { description: 'identities bound through the admin API' }),
    runtimeRules: Type.Array(Type.Object({ id: Type.String(), kind: Type.String(), api: Type.String(), operations: Type.Array(Type.String()), expiresAt: optional(Time) })),
    actions: Type.Array(Type.String(), { description: 'lifecycle actions that apply in this state' }),
  },
  { $id: 'AgentView' },
);

export const Transition = Type.Object({ id: Type.Integer(), agent: Type.String(), from: optional(Type.String()), to: Type.String(), action: Type.String(), actor: Type.String(), reason: Type.String(), at: Time }, { $id: 'Transition' });

export const AgentDetail = Type.Composite([AgentView, Type.Object({ history: Type.Array(Type.Ref(Transition)), risk: Type.Ref(Risk) })], { $id: 'AgentDetail' });

export const Proposal = Type.Object(
  {
    name: Name,
    owner: optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'defaults to the proposer' })),
    purpose: Type.String({ minLength: 10, maxLength: 2000 }),
    roles: optional(Type.Array(Type.String(), { minItems: 1, maxItems: 50 })),
    template: optional(Type.String()),
    description: optional(Type.String({ maxLength: 2000 })),
    regions: optional(Type.Array(Type.String({ pattern: '^[a-z]{2}(-[a-z0-9-]+)?$' }), { minItems: 1 })),
  },
  { additionalProperties: false, $id: 'Proposal' },
);

export const LifecycleResult = Type.Object({ agent: Type.Ref(AgentView), from: Type.String(), propagationMs: Type.Number({ description: 'store change → new policy in the data plane' }) }, { $id: 'LifecycleResult' });

export const Binding = Type.Union(
  [
    Type.Object({ type: Type.Literal('jwt'), issuer: Type.String({ pattern: '^https://' }), subject: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('mtls'), fingerprint: optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$' })), spiffeId: optional(Type.String({ pattern: '^spiffe://[^/]+/.+$' })) }, { additionalProperties: false }),
  ],
  { $id: 'Binding' },
);

export const BindingRecord = Type.Object({ id: Type.String(), agent: Type.String(), binding: Type.Ref(Binding), createdAt: Time, createdBy: Type.String() }, { $id: 'BindingRecord' });

export const KeyView = Type.Object(
  {
    id: Type.String(),
    agent: optional(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('expiring'), Type.Literal('expired'), Type.Literal('revoked')]),
    createdAt: Time,
    createdBy: optional(Type.String()),
    expiresAt: Time,
    revokedAt: optional(Time),
    lastUsedAt: optional(Time),
    replacedBy: optional(Type.String()),
  },
  { $id: 'KeyView' },
);

export const NewKey = Type.Object({ key: Type.String({ description: 'the secret, shown this once: hand it to the agent now' }), record: Type.Ref(KeyView) }, { $id: 'NewKey' });

export const AccessRequest = Type.Object(
  {
    id: Type.String(),
    agent: Type.String(),
    api: Type.String(),
    operation: Type.String(),
    reason: Type.String(),
    durationDays: optional(Type.Integer()),
    status: Type.Union([Type.Literal('pending'), Type.Literal('granted'), Type.Literal('denied')]),
    requestedAt: Time,
    requestedBy: Type.String(),
    decidedAt: optional(Time),
    decidedBy: optional(Type.String()),
    decisionReason: optional(Type.String()),
    grantExpiresAt: optional(Time),
    risk: Type.Ref(Risk),
  },
  { $id: 'AccessRequest' },
);

export const AccessAsk = Type.Object(
  {
    agent: Name,
    api: Type.String({ minLength: 1 }),
    operation: Type.String({ minLength: 1 }),
    reason: Type.String({ minLength: 10, maxLength: 1000 }),
    durationDays: optional(Type.Integer({ minimum: 1, maximum: 365 })),
  },
  { additionalProperties: false, $id: 'AccessAsk' },
);

const ApprovalStatus = Type.Union(['pending', 'approved', 'denied', 'expired', 'used'].map((status) => Type.Literal(status)));

export const Approval = Type.Object(
  {
    id: Type.String({ description: 'apr_<16 hex>' }),
    agent: Type.String(),
    owner: optional(Type.String({ description: 'the agent\'s owner in the policy in force' })),
    api: Type.String(),
    operation: Type.String(),
    method: Type.String(),
    path: Type.String({ description: 'canonical path, as it would be forwarded' }),
    query: Type.String({ description: 'query string as it would be forwarded, without ?' }),
    parameters: Type.Record(Type.String(), Type.Unknown(), { description: 'path, query and body parameters by name: what the approval is for' }),
    context: optional(Type.Record(Type.String(), Type.String(), { description: 'verified task-context claims of the call' })),
    fingerprint: Type.String({ description: 'hex SHA-256 of the call; the approval lets only this exact call through' }),
    requestId: Type.String({ description: 'the gateway request that asked' }),
    status: ApprovalStatus,
    requestedAt: Time,
    expiresAt: Type.String({ format: 'date-time', description: 'pending: when it expires undecided; approved: by when the call must be sent' }),
    decidedAt: optional(Time),
    decidedBy: optional(Type.String()),
    decidedVia: optional(Type.Union([Type.Literal('admin'), Type.Literal('callback')])),
    reason: optional(Type.String()),
    usedAt: optional(Time),
    usedRequestId: optional(Type.String({ description: 'the gateway request the approval let through' })),
  },
  { $id: 'Approval' },
);

export const ApprovalCallback = Type.Object(
  {
    id: Type.String({ pattern: '^apr_[0-9a-f]{16}$' }),
    decision: Type.Union([Type.Literal('approve'), Type.Literal('deny')]),
    approver: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 320, description: 'e-mail of the person who decided in the chat tool' }),
    reason: Reason,
  },
  { additionalProperties: false, $id: 'ApprovalCallback' },
);

export const ReviewItem = Type.Object({ item: Type.String(), kind: Type.String(), detail: Type.String(), revoke: Type.String({ description: 'what revoking it does' }) }, { $id: 'ReviewItem' });
export const AgentReview = Type.Object({ agent: Type.String(), owner: Type.String(), state: Type.String(), items: Type.Array(Type.Ref(ReviewItem)) }, { $id: 'AgentReview' });
export const ReviewDecision = Type.Object(
  { agent: Name, item: Type.String({ minLength: 1 }), decision: Type.Union([Type.Literal('confirm'), Type.Literal('revoke')]), reason: Reason },
  { additionalProperties: false, $id: 'ReviewDecisionRequest' },
);

export const TokenView = Type.Object(
  { id: Type.String(), subject: Type.String(), roles: Type.Array(Type.String()), createdAt: Time, createdBy: Type.String(), expiresAt: Time, revokedAt: optional(Time), lastUsedAt: optional(Time) },
  { $id: 'TokenView' },
);

export const Owner = Type.Object({ email: Type.String(), active: Type.Boolean(), leftAt: optional(Time), updatedBy: Type.String() }, { $id: 'Owner' });

export const AdminEvent = Type.Object(
  { seq: Type.Integer(), time: Time, actor: Type.String(), roles: Type.Array(Type.String()), action: Type.String(), target: Type.String(), outcome: Type.String(), detail: optional(Type.String()), before: optional(Type.Unknown()), after: optional(Type.Unknown()) },
  { $id: 'AdminEvent' },
);

export const Difference = Type.Object({ agent: Type.String(), kind: Type.String(), manifest: optional(Type.String()), runtime: Type.String() }, { $id: 'Difference' });

export const ReasonBody = Type.Object({ reason: Reason }, { additionalProperties: false });
export const NameParams = Type.Object({ name: Name });
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
export const ActionParams = Type.Object({ name: Name, action: Type.Union(LIFECYCLE_ACTIONS.map((action) => Type.Literal(action))) });
export const RoleList = Type.Array(Type.Union(ADMIN_ROLES.map((role) => Type.Literal(role))), { minItems: 1 });

/** Schemas referenced by `$ref` from routes: registered once with the server (and in /openapi.json). */
export const Finding = Type.Object(
  {
    id: Type.String({ description: 'fnd_…, derived from kind and subject: the same thing found again is the same finding' }),
    kind: Type.Union(FINDING_KINDS.map((kind) => Type.Literal(kind))),
    subject: Type.String({ description: 'the endpoint (`GET host/template`), documented operation (`api: GET template`), client id or scanned URL' }),
    details: Type.Record(Type.String(), Type.Unknown(), { description: 'the latest inventory entry: hits, statuses, first and last seen, zombie reason, endpoints touched, …' }),
    status: Type.Union(FINDING_STATUSES.map((status) => Type.Literal(status))),
    reason: optional(Type.String()),
    decommissionOn: optional(Type.String({ description: 'YYYY-MM-DD' })),
    decidedBy: optional(Type.String()),
    decidedAt: optional(Time),
    firstReported: Time,
    lastReported: Time,
  },
  { $id: 'Finding' },
);

const literals = (values: readonly string[]) => Type.Union(values.map((value) => Type.Literal(value)));
const Severity = literals(SEVERITIES);
const Detector = literals(DETECTORS);
export const IncidentStatus = literals(INCIDENT_STATUSES);

export const IncidentAction = Type.Object(
  {
    time: Time,
    by: Type.String({ description: '`playbook:<name>`, `detector`, or a person' }),
    action: Type.String({ description: 'a playbook action, `status:<status>`, `hold`, `lift-containment`, …' }),
    detail: Type.String(),
    ok: Type.Boolean({ description: 'false when the action could not be taken (detail says why)' }),
  },
  { $id: 'IncidentAction' },
);

export const Incident = Type.Object(
  {
    id: Type.String({ description: 'inc_ + 16 hex digits' }),
    agent: Type.String(),
    status: IncidentStatus,
    severity: Severity,
    detectors: Type.Array(Detector),
    alertCount: Type.Integer(),
    firstEventAt: Type.String({ format: 'date-time', description: 'the first anomalous record: where MTTD starts' }),
    detectedAt: Type.String({ format: 'date-time', description: 'when the first alert was raised' }),
    containedAt: optional(Time),
    resolvedAt: optional(Time),
    resolution: optional(Type.String()),
    holdId: optional(Type.String({ description: 'the legal hold on the agent\'s records placed when it opened' })),
    actions: Type.Array(Type.Ref(IncidentAction)),
    updatedAt: Time,
  },
  { $id: 'Incident' },
);

export const Alert = Type.Object(
  {
    id: Type.String({ description: 'alr_ + 16 hex digits' }),
    time: Time,
    firstEventTime: Time,
    agent: Type.String(),
    roles: Type.Array(Type.String()),
    detector: Detector,
    severity: Severity,
    score: Type.Number({ minimum: 0, maximum: 100 }),
    reasons: Type.Array(Type.String(), { description: 'what was seen against what is normal' }),
    eventIds: Type.Array(Type.String(), { description: 'audit records that show it (at most 20)' }),
    api: optional(Type.String()),
    sensitivity: optional(Type.String()),
    credential: optional(Type.String({ description: 'the credential id, never a secret' })),
  },
  { $id: 'Alert' },
);

export const Containment = Type.Object(
  {
    id: Type.String({ description: 'cnt_ + 16 hex digits' }),
    agent: Type.String(),
    kind: Type.Union([Type.Literal('throttle'), Type.Literal('step-up')]),
    rate: optional(Type.String({ description: 'for throttle, e.g. 10/minute' })),
    since: Time,
    until: Type.String({ format: 'date-time', description: 'when it lapses by itself' }),
    incident: optional(Type.String()),
    by: Type.String(),
  },
  { $id: 'Containment' },
);

const duration = (description: string) => Type.Object({ count: Type.Integer(), medianMs: Type.Union([Type.Number(), Type.Null()]), meanMs: Type.Union([Type.Number(), Type.Null()]) }, { description });
const counts = (values: readonly string[]) => Type.Object(Object.fromEntries(values.map((value) => [value, Type.Integer()])));

export const IncidentMetrics = Type.Object(
  {
    total: Type.Integer(),
    byStatus: counts(INCIDENT_STATUSES),
    bySeverity: counts(SEVERITIES),
    mttd: duration('time to detect: detectedAt − firstEventAt, every incident'),
    mttc: duration('time to contain: containedAt − detectedAt, contained incidents'),
    mttr: duration('time to resolve: resolvedAt − detectedAt, closed incidents (resolved or false positive)'),
    falsePositiveRate: Type.Union([Type.Number(), Type.Null()], { description: 'false_positive / closed; null while none is closed' }),
    agent: optional(Type.String()),
    since: optional(Time),
  },
  { $id: 'IncidentMetrics' },
);

const TimelineEntry = Type.Union([
  Type.Object({
    kind: Type.Literal('request'),
    time: Time,
    id: Type.String({ description: 'the audit record' }),
    method: Type.String(),
    path: Type.String({ description: 'canonical path (raw when refused before routing)' }),
    api: optional(Type.String()),
    operation: optional(Type.String()),
    decision: Type.String(),
    reason: Type.String(),
    status: Type.Integer(),
    records: optional(Type.Integer()),
    customer: optional(Type.String()),
  }),
  Type.Object({ kind: Type.Literal('alert'), time: Time, id: Type.String(), detector: Detector, severity: Severity, score: Type.Number(), reasons: Type.Array(Type.String()) }),
  Type.Object({ kind: Type.Literal('action'), time: Time, by: Type.String(), action: Type.String(), detail: Type.String(), ok: Type.Boolean() }),
]);

export const IncidentTimeline = Type.Object(
  {
    incident: Type.Ref(Incident),
    from: Time,
    to: Time,
    entries: Type.Array(TimelineEntry, { description: 'calls, alerts and actions in time order' }),
    requests: Type.Object({ shown: Type.Integer(), total: Type.Integer(), truncated: Type.Boolean() }),
    touched: Type.Object(
      {
        calls: Type.Integer(),
        denied: Type.Integer(),
        recordsReturned: Type.Integer(),
        operations: Type.Array(Type.Object({ api: Type.String(), operation: Type.String(), calls: Type.Integer(), passed: Type.Integer(), records: Type.Integer() })),
        dataClasses: Type.Array(Type.String()),
        customers: Type.Object({ count: Type.Integer(), ids: Type.Array(Type.String(), { description: 'the first 100, sorted' }) }),
      },
      { description: 'what data the agent touched in the window, over all its calls' },
    ),
    note: optional(Type.String()),
  },
  { $id: 'IncidentTimeline' },
);

export const StatusChange = Type.Object(
  {
    incident: Type.Ref(Incident),
    liftedContainments: Type.Integer({ description: 'throttles and step-ups of the incident lifted by closing it' }),
    agentState: optional(Type.String()),
    next: optional(Type.String({ description: 'what a person still has to do, e.g. reinstate a suspended agent' })),
  },
  { $id: 'IncidentStatusChange' },
);

export const SHARED_SCHEMAS = [IncidentAction, Incident, Alert, Containment, IncidentMetrics, IncidentTimeline, StatusChange, Finding, Problem, Actor, Risk, AgentView, Transition, AgentDetail, Proposal, LifecycleResult, Binding, BindingRecord, KeyView, NewKey, AccessRequest, AccessAsk, Approval, ApprovalCallback, ReviewItem, AgentReview, ReviewDecision, TokenView, Owner, AdminEvent, Difference];
