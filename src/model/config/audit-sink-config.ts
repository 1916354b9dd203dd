import { Type, type Static } from '@sinclair/typebox';
import { strictObject } from '../manifests/common.js';

/**
 * SIEM export sinks (`audit.sinks` in warden.yaml). Each sink has a unique `name`, which keys
 * its durable cursor: renaming a sink starts it again from the beginning of the log.
 * The sink formats and transports are described in docs/audit.md.
 */
export const AuditSinkConfig = strictObject({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'unique name; keys the sink\'s durable cursor' }),
  type: Type.String({ minLength: 1, description: 'sink type' }),
}, { additionalProperties: true });

export type AuditSinkConfig = Static<typeof AuditSinkConfig>;
