import { Type, type Static } from '@sinclair/typebox';
import { API_VERSION, Metadata, Name, strictObject } from './common.js';

/**
 * A standard kind of agent: the roles it gets. An agent proposed with a template marked
 * `preApproved` (say, the standard customer-service bot) is approved at once and recorded as
 * such; access requests that stay within such a template's roles are granted at once too.
 */
export const AgentTemplateSpecSchema = strictObject({
  description: Type.Optional(Type.String()),
  roles: Type.Array(Name, { minItems: 1 }),
  preApproved: Type.Boolean({ default: false, description: 'proposals with this template skip security review and business approval' }),
});

export const AgentTemplateManifestSchema = strictObject({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal('AgentTemplate'),
  metadata: Metadata,
  spec: AgentTemplateSpecSchema,
});

export type AgentTemplateManifest = Static<typeof AgentTemplateManifestSchema>;
