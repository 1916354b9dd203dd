import { Type, type Static } from '@sinclair/typebox';
import { DETECTOR_NAMES, SEVERITY_NAMES } from '../detection-vocabulary.js';
import { SENSITIVITIES } from './api.js';
import { API_VERSION, Identifier, Metadata, Name, oneOf, strictObject } from './common.js';

/** How long a throttle or step-up lasts: `90s`, `30m`, `1h`, `7d`. */
export const ContainmentDuration = Type.String({ pattern: '^[1-9]\\d{0,6}[smhd]$', description: 'a duration such as 30m, 1h or 7d (at most 7d)' });

/** The longest a playbook may contain an agent without a person looking: a week. */
export const MAX_CONTAINMENT_MS = 7 * 86_400_000;

/**
 * Which alerts a rule answers. Every condition given must hold; a condition left out matches
 * any alert, so an empty `when` matches every alert.
 */
export const PlaybookWhenSchema = strictObject({
  detectors: Type.Optional(Type.Array(oneOf(DETECTOR_NAMES), { minItems: 1, description: 'detectors whose alerts match (default: any)' })),
  minSeverity: oneOf(SEVERITY_NAMES, { default: 'low', description: 'the least severity that matches' }),
  agents: Type.Optional(Type.Array(Name, { minItems: 1, description: 'agents whose alerts match (default: any)' })),
  roles: Type.Optional(Type.Array(Name, { minItems: 1, description: 'alerts of agents holding any of these roles match (default: any)' })),
  apis: Type.Optional(Type.Array(Name, { minItems: 1, description: 'alerts about these APIs match (default: any)' })),
  apiSensitivity: Type.Optional(Type.Array(oneOf(SENSITIVITIES), { minItems: 1, description: 'alerts whose most sensitive API is of these classes match (default: any)' })),
});

const RateText = Type.String({ minLength: 1, description: 'a rate such as 10/minute or 1/s' });

/** Tagged by `action`; none of them can grant access, so no playbook can widen what an agent may do. */
export const PlaybookActionSchema = Type.Union([
  strictObject({ action: Type.Literal('alert') }),
  strictObject({ action: Type.Literal('throttle'), rate: RateText, for: ContainmentDuration }),
  strictObject({ action: Type.Literal('require-step-up'), for: ContainmentDuration }),
  strictObject({ action: Type.Literal('suspend') }),
  strictObject({ action: Type.Literal('quarantine') }),
  strictObject({ action: Type.Literal('revoke-credentials') }),
]);

export const PlaybookRuleSchema = strictObject({
  id: Type.Optional(Identifier),
  when: Type.Optional(PlaybookWhenSchema),
  actions: Type.Array(PlaybookActionSchema, { minItems: 1, description: 'what to do, e.g. - action: suspend' }),
});

export const PlaybookSpecSchema = strictObject({
  description: Type.Optional(Type.String()),
  rules: Type.Array(PlaybookRuleSchema, { minItems: 1, description: 'rules: when an alert matches, the actions to take' }),
});

/**
 * What Warden does when a detector raises an alert. Like roles, playbooks combine without
 * order: every rule of every playbook that matches an alert contributes its actions.
 */
export const PlaybookManifestSchema = strictObject({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal('Playbook'),
  metadata: Metadata,
  spec: PlaybookSpecSchema,
});

export type PlaybookWhen = Static<typeof PlaybookWhenSchema>;
export type PlaybookAction = Static<typeof PlaybookActionSchema>;
export type PlaybookRule = Static<typeof PlaybookRuleSchema>;
export type PlaybookManifest = Static<typeof PlaybookManifestSchema>;
