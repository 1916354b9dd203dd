import { Type, type Static } from '@sinclair/typebox';
import { API_VERSION, Identifier, Metadata, Name, Region, oneOf, strictObject } from './common.js';

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

export const ResponseRulesSchema = strictObject({
  allow: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'only these fields are returned' })),
  mask: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  drop: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
});

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
  rateLimit: Type.Optional(Type.String({ description: 'e.g. 100/s, 5/min, 1000/hour, optionally "burst N"' })),
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
export type Grant = Static<typeof GrantSchema>;
export type Forbid = Static<typeof ForbidSchema>;
export type RoleManifest = Static<typeof RoleManifestSchema>;
