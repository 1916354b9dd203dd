import { Type, type Static } from '@sinclair/typebox';
import { SENSITIVITIES } from './api.js';
import { API_VERSION, DataClass, Metadata, Name, Purpose, Region, oneOf, strictObject } from './common.js';

/**
 * Which operations a data policy covers. Every selector given must hold; one left out covers
 * all, so an empty `appliesTo` covers every operation. Data classes are the operation's own
 * (the API's unless the operation lists its own).
 */
export const DataPolicyScopeSchema = strictObject({
  apis: Type.Optional(Type.Array(Name, { minItems: 1, description: 'operations of these APIs' })),
  dataClasses: Type.Optional(Type.Array(DataClass, { minItems: 1, description: 'operations holding any of these data classes' })),
  sensitivities: Type.Optional(Type.Array(oneOf(SENSITIVITIES), { minItems: 1, description: 'operations of APIs of these sensitivities' })),
});

/** What a call may be made for: only the allowed purposes, never the denied ones. */
export const DataPurposesSchema = strictObject({
  allow: Type.Optional(Type.Array(Purpose, { minItems: 1, description: 'a covered call must declare one of these purposes' })),
  deny: Type.Optional(Type.Array(Purpose, { minItems: 1, description: 'a covered call declaring one of these is refused' })),
}, { minProperties: 1 });

/**
 * Data kept in `dataRegions` may be read only by agents deployed in `agentRegions`. A region
 * covers its sub-regions: `eu` covers `eu-west-1`.
 */
export const ResidencyRuleSchema = strictObject({
  dataRegions: Type.Array(Region, { minItems: 1 }),
  agentRegions: Type.Array(Region, { minItems: 1 }),
});

export const DataPolicySpecSchema = strictObject({
  description: Type.Optional(Type.String()),
  appliesTo: Type.Optional(DataPolicyScopeSchema),
  purposes: Type.Optional(DataPurposesSchema),
  residency: Type.Optional(Type.Array(ResidencyRuleSchema, { minItems: 1 })),
}, { minProperties: 1 });

/** Purpose limitation and data residency over the catalog, whatever the roles grant: a data policy only ever refuses. */
export const DataPolicyManifestSchema = strictObject({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal('DataPolicy'),
  metadata: Metadata,
  spec: DataPolicySpecSchema,
});

export type DataPolicyManifest = Static<typeof DataPolicyManifestSchema>;
export type ResidencyRule = Static<typeof ResidencyRuleSchema>;
