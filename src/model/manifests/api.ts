import { Type, type Static } from '@sinclair/typebox';
import { API_VERSION, DataClass, Identifier, Metadata, Region, SecretRef, oneOf, strictObject } from './common.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const SENSITIVITIES = ['public', 'internal', 'confidential', 'restricted'] as const;
export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];
export type CriticalityLevel = (typeof CRITICALITIES)[number];
/** `monitor` evaluates and records every decision but lets denied calls pass: how a team rolls Warden out. */
export const API_MODES = ['enforce', 'monitor'] as const;
export type ApiMode = (typeof API_MODES)[number];
/** `learn`: calls to undeclared paths under the basePath are recorded against the API, so discovery can propose operations. */
export const DISCOVERY_MODES = ['off', 'learn'] as const;
export const LIFECYCLE_STATUSES = ['active', 'deprecated', 'retired'] as const;
export const PARAMETER_TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'date-time'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

export const ParameterSchema = strictObject({
  name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,127}$' }),
  in: oneOf(['path', 'query', 'body'] as const),
  type: oneOf(PARAMETER_TYPES, { default: 'string' }),
  required: Type.Boolean({ default: false }),
  description: Type.Optional(Type.String()),
});

export const OperationSchema = strictObject({
  id: Identifier,
  method: oneOf(HTTP_METHODS),
  path: Type.String({ pattern: '^/', description: 'path template relative to basePath, e.g. /customers/{id}' }),
  summary: Type.Optional(Type.String()),
  effect: Type.Optional(oneOf(['read', 'write'] as const, { description: 'defaults to read for GET/HEAD/OPTIONS, write otherwise' })),
  dataClasses: Type.Optional(Type.Array(DataClass, { description: 'defaults to the API\'s data classes' })),
  parameters: Type.Array(ParameterSchema, { default: [] }),
  deprecated: Type.Boolean({ default: false }),
});

export const UpstreamAuthSchema = strictObject({
  type: oneOf(['bearer', 'header', 'basic'] as const),
  header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]+$' })),
  secret: SecretRef,
});

export const ApiSpecSchema = strictObject({
  owner: Type.String({ minLength: 1, description: 'the accountable team or person' }),
  description: Type.Optional(Type.String()),
  upstream: strictObject({
    url: Type.String({ pattern: '^https?://', description: 'http(s) URL of the upstream service' }),
    auth: Type.Optional(UpstreamAuthSchema),
    staging: Type.Optional(Type.String({ pattern: '^https?://', description: 'where calls of agents in acceptance testing go; without it such agents cannot call this API' })),
  }),
  basePath: Type.String({ pattern: '^/', default: '/' }),
  mode: oneOf(API_MODES, { default: 'enforce', description: 'monitor: decisions are recorded as would-deny but calls pass (for rollouts)' }),
  // Optional rather than defaulted, so manifests written before it keep their policy version.
  discovery: Type.Optional(oneOf(DISCOVERY_MODES, {
    description: 'learn: a call to a path under basePath that no operation declares is recorded against this API (api.undeclared in the audit record) for `warden discover`; in monitor mode it is also forwarded, in enforce mode still refused (404). Default off: such calls are anonymous 404s',
  })),
  lifecycle: strictObject({
    status: oneOf(LIFECYCLE_STATUSES, { default: 'active' }),
    deprecatedSince: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD the API was deprecated; answers carry it as the Deprecation header (RFC 9745)' })),
    sunset: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD; calls are refused from this day on' })),
    replacement: Type.Optional(Type.String({ minLength: 1, description: 'the API to move to' })),
  }, { default: {}, description: 'lifecycle status; defaults to active' }),
  sensitivity: oneOf(SENSITIVITIES, { default: 'internal' }),
  criticality: oneOf(CRITICALITIES, { default: 'medium' }),
  dataClasses: Type.Array(DataClass, { default: [] }),
  dataRegion: Type.Optional(Type.String({ pattern: Region.pattern, description: 'where the API keeps its data (e.g. eu); DataPolicy residency rules decide which agent regions may read it' })),
  protection: Type.Optional(strictObject({
    maxLatencyMs: Type.Optional(Type.Integer({ minimum: 1, description: 'average upstream answer time above which the API counts as overloaded' })),
    maxErrorRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'share of failed calls (5xx, timeouts, refused connections) above which it counts as overloaded' })),
    windowSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 10, description: 'how far back the gateway looks' }),
    minRequests: Type.Integer({ minimum: 1, default: 20, description: 'fewer calls in the window never count as overloaded' }),
  }, { description: 'adaptive protection: while the upstream is overloaded, calls of lower-priority agents are shed (503) first' })),
  openapi: Type.Optional(strictObject({
    file: Type.String({ minLength: 1, description: 'OpenAPI 3.x document, relative to this manifest' }),
  })),
  operations: Type.Array(OperationSchema, { default: [] }),
});

export const ApiManifestSchema = strictObject({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal('Api'),
  metadata: Metadata,
  spec: ApiSpecSchema,
});

export type ParameterDeclaration = Static<typeof ParameterSchema>;
export type OperationDeclaration = Static<typeof OperationSchema>;
export type ApiManifest = Static<typeof ApiManifestSchema>;
export type ApiSpec = Static<typeof ApiSpecSchema>;

/** Default effect of a method: reads are safe methods, everything else may change state. */
export function defaultEffect(method: HttpMethod): 'read' | 'write' {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'read' : 'write';
}
