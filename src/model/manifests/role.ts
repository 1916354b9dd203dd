import { Type, type Static } from '@sinclair/typebox';
import { SENSITIVITIES } from './api.js';
import { API_VERSION, Identifier, Metadata, Name, Purpose, Region, oneOf, strictObject } from './common.js';
import { MASK_STYLES, PII_ACTIONS, PII_CLASSES } from '../pii-vocabulary.js';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

/**
 * A condition on one request parameter. In a grant every condition must hold for the grant
 * to apply; in a forbid the forbid applies when every condition holds.
 */
export const ParamConstraintSchema = Type.Object({
  equals: Type.Optional(Scalar),
  enum: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]), { minItems: 1 })),
  pattern: Type.Optional(Type.String({ minLength: 1, description: 'a regular expression the whole value must match' })),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  maxLength: Type.Optional(Type.Integer({ minimum: 0 })),
  maxDays: Type.Optional(Type.Integer({ minimum: 0, description: 'longest date range in days, from this parameter to rangeEnd (or to now)' })),
  rangeEnd: Type.Optional(Type.String({ description: 'the parameter that ends the date range' })),
}, { additionalProperties: false, minProperties: 1 });

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const TimeWindowSchema = strictObject({
  days: Type.Optional(Type.Array(oneOf(WEEKDAYS), { minItems: 1 })),
  start: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, inclusive' }),
  end: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$', description: 'HH:MM, exclusive; before start means the window crosses midnight' }),
  timezone: Type.String({ default: 'UTC', description: 'IANA time zone such as Europe/Berlin' }),
});

const FieldPath = Type.String({ minLength: 1, description: 'a field path relative to each record: customer.email, items[].ssn, *.password' });

/** A field to mask: its path (masked `***`), or its path and a style. */
export const MaskRuleSchema = Type.Union([FieldPath, strictObject({ field: FieldPath, style: Type.Optional(oneOf(MASK_STYLES, { description: 'default redact' })) })]);

/**
 * What happens to PII the recognizers find in whole JSON leaf values (after allow, drop and
 * mask): per class, else `default`. `deny` refuses the whole message; `keep` lets it pass
 * (the class is still recorded).
 */
export const PiiRulesSchema = strictObject({
  default: Type.Optional(oneOf(PII_ACTIONS, { description: 'for detected classes not listed in classes (default redact)' })),
  classes: Type.Optional(Type.Partial(Type.Record(oneOf(PII_CLASSES), oneOf(PII_ACTIONS)), { additionalProperties: false })),
});

export const ResponseRulesSchema = strictObject({
  records: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_$@-]+$', description: 'the top-level field holding the list of records (e.g. items); default: the elements of a top-level array, else the whole object' })),
  allow: Type.Optional(Type.Array(FieldPath, { minItems: 1, description: 'only these fields are returned' })),
  mask: Type.Optional(Type.Array(MaskRuleSchema, { minItems: 1 })),
  drop: Type.Optional(Type.Array(FieldPath, { minItems: 1 })),
  pii: Type.Optional(PiiRulesSchema),
  otherContent: Type.Optional(oneOf(['refuse', 'pass'] as const, { description: 'an answer that is not JSON: refused (502) rather than passed unfiltered, or passed as is (default refuse)' })),
});

/** What happens to PII in a JSON request body before it is forwarded. */
export const RequestRulesSchema = strictObject({
  pii: PiiRulesSchema,
});

/** Task-bound rows: only records whose field equals a context claim, e.g. `customerId == ${context.customer}`. */
export const RowRuleSchema = strictObject({
  where: Type.String({ minLength: 1, description: 'FIELD == ${context.CLAIM}: a record whose field differs is withheld from a list and refuses a single answer' }),
});

const RateText = Type.String({ minLength: 1, description: 'e.g. 100/s, 5/min, 1000/hour, optionally "burst N"' });
const FailureMode = oneOf(['open', 'closed'] as const, {
  default: 'open',
  description: 'when the shared limiter (Redis) is unreachable: open lets this gateway\'s local limiter decide, closed refuses the call',
});

/** A rate with its failure mode; the plain text form (`100/s`) fails open. */
export const RateLimitSchema = strictObject({
  rate: RateText,
  failureMode: FailureMode,
});

/**
 * A business quota of a grant: at most `limit` calls (or records read, or the sum of a
 * parameter) per agent per hour or UTC day, optionally only of calls whose parameters match
 * `where` (e.g. refunds over 100).
 */
export const QuotaSchema = strictObject({
  id: Type.Optional(Identifier),
  limit: Type.Integer({ minimum: 1 }),
  per: oneOf(['hour', 'day'] as const, { description: 'the window: a clock hour, or a UTC day' }),
  count: oneOf(['calls', 'records'] as const, { default: 'calls', description: 'records: the records the answers returned (counted once known)' }),
  sum: Type.Optional(Type.String({ minLength: 1, description: 'count the value of this numeric parameter instead of calls (e.g. the amount refunded)' })),
  where: Type.Optional(Type.Record(Type.String(), ParamConstraintSchema, { description: 'count only calls whose parameters match' })),
  failureMode: FailureMode,
});

/** A limit of a role over all of an API, or over all APIs of a sensitivity, per agent holding the role. */
export const RoleLimitSchema = strictObject({
  id: Type.Optional(Identifier),
  api: Type.Optional(Name),
  sensitivity: Type.Optional(oneOf(SENSITIVITIES)),
  rate: RateText,
  failureMode: FailureMode,
});

export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

const OperationSelectors = Type.Array(Type.String({ minLength: 1 }), {
  minItems: 1,
  description: 'operation ids, "*" for all, or "METHOD /path/glob" (* one segment, ** any)',
});

export const GrantSchema = strictObject({
  id: Type.Optional(Identifier),
  api: Name,
  operations: OperationSelectors,
  params: Type.Optional(Type.Record(Type.String(), ParamConstraintSchema)),
  response: Type.Optional(ResponseRulesSchema),
  request: Type.Optional(RequestRulesSchema),
  rows: Type.Optional(RowRuleSchema),
  purposes: Type.Optional(Type.Array(Purpose, { minItems: 1, description: 'the grant applies only to calls declaring one of these purposes (the purpose claim of the Warden-Context token)' })),
  rateLimit: Type.Optional(Type.Union([RateText, RateLimitSchema], { description: 'per agent: "100/s", or {rate: "100/s", failureMode: closed}' })),
  quotas: Type.Optional(Type.Array(QuotaSchema, { minItems: 1 })),
  stepUp: Type.Boolean({ default: false }),
  timeWindows: Type.Optional(Type.Array(TimeWindowSchema, { minItems: 1 })),
  regions: Type.Optional(Type.Array(Region, { minItems: 1 })),
  expires: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$', description: 'the grant ends at this moment (ISO 8601 with a zone), e.g. a time-boxed grant from an access request' })),
});

export const ForbidSchema = strictObject({
  id: Type.Optional(Identifier),
  api: Name,
  operations: OperationSelectors,
  params: Type.Optional(Type.Record(Type.String(), ParamConstraintSchema)),
  reason: Type.Optional(Type.String()),
});

export const RoleSpecSchema = strictObject({
  description: Type.Optional(Type.String()),
  priority: Type.Optional(oneOf(PRIORITIES, { description: 'when an upstream is overloaded, lower priorities are shed first; an agent has the highest of its roles (default normal)' })),
  limits: Type.Optional(Type.Array(RoleLimitSchema, { minItems: 1, description: 'rate limits per agent over a whole API or a sensitivity class' })),
  grants: Type.Array(GrantSchema, { default: [] }),
  forbid: Type.Array(ForbidSchema, { default: [] }),
});

export const RoleManifestSchema = strictObject({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal('Role'),
  metadata: Metadata,
  spec: RoleSpecSchema,
});

export type ParamConstraint = Static<typeof ParamConstraintSchema>;
export type TimeWindow = Static<typeof TimeWindowSchema>;
export type ResponseRules = Static<typeof ResponseRulesSchema>;
export type MaskRule = Static<typeof MaskRuleSchema>;
export type PiiRules = Static<typeof PiiRulesSchema>;
export type RequestRules = Static<typeof RequestRulesSchema>;
export type RowRule = Static<typeof RowRuleSchema>;
export type Grant = Static<typeof GrantSchema>;
export type Quota = Static<typeof QuotaSchema>;
export type RoleLimit = Static<typeof RoleLimitSchema>;
export type Forbid = Static<typeof ForbidSchema>;
export type RoleManifest = Static<typeof RoleManifestSchema>;
