import { Type, type Static } from '@sinclair/typebox';
import { API_VERSION, Metadata, Name, Purpose, Region, oneOf, strictObject } from './common.js';

/** Lifecycle states (DESIGN.md mission §3); only `active` agents pass the data plane. */
export const AGENT_STATES = ['proposed', 'in_review', 'approved', 'testing', 'active', 'suspended', 'quarantined', 'decommissioned'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

const ApiKeyBinding = strictObject({
  type: Type.Literal('apiKey'),
  id: Type.String({ pattern: '^key_[A-Za-z0-9]{6,64}$', description: 'id of a Warden-issued key, e.g. key_7f3a9c; never the secret' }),
});
const JwtBinding = strictObject({
  type: Type.Literal('jwt'),
  issuer: Type.String({ pattern: '^https://', description: 'the token issuer (iss)' }),
  subject: Type.String({ minLength: 1, description: 'the token subject (sub) or client_id' }),
});
const MtlsBinding = strictObject({
  type: Type.Literal('mtls'),
  fingerprint: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$' })),
  spiffeId: Type.Optional(Type.String({ pattern: '^spiffe://[^/]+/.+$' })),
});

export const CredentialBindingSchema = Type.Union([ApiKeyBinding, JwtBinding, MtlsBinding]);

export const AgentSpecSchema = strictObject({
  owner: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'the accountable person, as an e-mail address' }),
  purpose: Type.String({ minLength: 10, description: 'what the agent is for, in a sentence' }),
  roles: Type.Array(Name, { minItems: 1 }),
  state: oneOf(AGENT_STATES, { default: 'proposed' }),
  credentials: Type.Array(CredentialBindingSchema, { default: [] }),
  regions: Type.Optional(Type.Array(Region, { minItems: 1 })),
  purposes: Type.Optional(Type.Array(Purpose, { minItems: 1, description: 'the purposes this agent may declare in its context token; calls declaring no purpose or another one are refused' })),
  deploymentRegion: Type.Optional(Type.String({ pattern: Region.pattern, description: 'where the agent runs (and so where data it reads ends up); checked against DataPolicy residency rules' })),
});

export const AgentManifestSchema = strictObject({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal('Agent'),
  metadata: Metadata,
  spec: AgentSpecSchema,
});

export type CredentialBinding = Static<typeof CredentialBindingSchema>;
export type AgentManifest = Static<typeof AgentManifestSchema>;
