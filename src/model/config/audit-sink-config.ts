import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { oneOf, strictObject } from '../manifests/common.js';

/**
 * SIEM export sinks (`audit.sinks` in warden.yaml): one strict object per `type`, told apart by
 * `type`. Each sink has a unique `name`, which keys its durable cursor: renaming a sink starts it
 * again from the beginning of the log. docs/audit-export.md describes formats, field mappings
 * and delivery guarantees.
 *
 * OCSF is a format, not a transport: `format: ocsf` on a syslog, webhook or jsonl sink sends
 * OCSF API Activity (class 6003) objects over that sink's transport.
 *
 * Fields that have a default are optional in the schema (the loader fills them in): a mistake in
 * one field of a sink must not also be reported as "missing" for every defaulted field.
 */

const SinkName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'unique name: lower-case letters, digits and hyphens; keys the sink\'s durable cursor' });
const FilePath = (description: string) => Type.String({ minLength: 1, description });
const withDefault = <T extends TSchema>(schema: T) => Type.Optional(schema);
const batchSize = (fallback: number) => withDefault(Type.Integer({ minimum: 1, maximum: 500, default: fallback, description: 'most records delivered at once (1–500)' }));
const timeoutMs = withDefault(Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000, description: 'longest a connect or a delivery may take before it counts as failed, in milliseconds' }));

/** Syslog over TCP or TLS with octet-counting framing (RFC 5424 messages, RFC 5425/6587 framing). */
export const SyslogSinkConfig = strictObject({
  name: SinkName,
  type: Type.Literal('syslog'),
  host: Type.String({ minLength: 1, description: 'the syslog receiver\'s host name or IP address' }),
  port: Type.Integer({ minimum: 1, maximum: 65535, description: 'the receiver\'s port, commonly 6514 for TLS and 514 or 601 for TCP' }),
  transport: withDefault(oneOf(['tls', 'tcp'] as const, { default: 'tls', description: 'tls (RFC 5425) or tcp (RFC 6587, plain text: only inside a trusted network)' })),
  caFile: Type.Optional(FilePath('CA bundle (PEM) that signed the receiver\'s certificate, relative to the config file; default: the system CAs')),
  serverName: Type.Optional(Type.String({ minLength: 1, description: 'name the receiver\'s certificate must carry (also sent as SNI); default: host' })),
  format: withDefault(oneOf(['json', 'cef', 'ocsf'] as const, { default: 'json', description: 'what the syslog MSG holds: json (the stored record), cef, or ocsf (an OCSF API Activity object)' })),
  facility: withDefault(Type.Integer({ minimum: 0, maximum: 23, default: 13, description: 'syslog facility number: 13 log audit (default), 10 authpriv, 4 auth, 16–23 local0–local7' })),
  hostname: Type.Optional(Type.String({ pattern: '^[!-~]{1,255}$', description: 'the HOSTNAME field: printable ASCII without spaces; default: this machine\'s host name' })),
  enterpriseId: withDefault(Type.Integer({ minimum: 1, default: 32473, description: 'private enterprise number of the structured-data id warden@<n>; 32473 is the number reserved for documentation (RFC 5612)' })),
  timeoutMs,
  batchSize: batchSize(500),
}, { description: 'syslog sink' });

/** Batches POSTed to an HTTPS endpoint, signed with HMAC-SHA256. */
export const WebhookSinkConfig = strictObject({
  name: SinkName,
  type: Type.Literal('webhook'),
  url: Type.String({
    // No user:password@ (credentials would sit in the config in clear); plain http only to this machine.
    pattern: '^(https://[^/?#@\\s]+|http://(localhost|127\\.[0-9]+\\.[0-9]+\\.[0-9]+|\\[::1\\])(:[0-9]+)?)([/?][^\\s]*)?$',
    description: 'an https:// URL without user:password (http:// only for localhost, 127.x.x.x or [::1])',
  }),
  secret: Type.String({ pattern: '^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$', description: 'HMAC-SHA256 key as env:NAME or file:PATH (relative to the config file); the signature is in X-Warden-Signature' }),
  caFile: Type.Optional(FilePath('CA bundle (PEM) that signed the receiver\'s certificate, relative to the config file; default: the system CAs')),
  format: withDefault(oneOf(['json', 'ocsf'] as const, { default: 'json', description: 'json (the stored records, verifiable hash chain) or ocsf (OCSF API Activity objects)' })),
  body: withDefault(oneOf(['array', 'ndjson'] as const, { default: 'array', description: 'array: one JSON array per batch (application/json); ndjson: one record per line (application/x-ndjson), the stored bytes unchanged' })),
  timeoutMs,
  batchSize: batchSize(100),
}, { description: 'webhook sink' });

/** An append-only JSON Lines file with rotation, for a log shipper to pick up. */
export const JsonlSinkConfig = strictObject({
  name: SinkName,
  type: Type.Literal('jsonl'),
  file: FilePath('the live file, relative to the config file; rotated files are <file>.<UTC time stamp>'),
  format: withDefault(oneOf(['json', 'ocsf'] as const, { default: 'json', description: 'json (the stored records byte for byte, verifiable hash chain) or ocsf (OCSF API Activity objects)' })),
  maxBytes: withDefault(Type.Integer({ minimum: 0, default: 104_857_600, description: 'rotate before the file would grow past this many bytes; 0: never by size' })),
  rotateDaily: withDefault(Type.Boolean({ default: false, description: 'also rotate at the first write of each UTC day' })),
  keep: withDefault(Type.Integer({ minimum: 1, maximum: 10_000, default: 10, description: 'rotated files kept; older ones are deleted' })),
  fsync: withDefault(Type.Boolean({ default: true, description: 'flush each batch to disk before it counts as delivered' })),
  batchSize: batchSize(500),
}, { description: 'jsonl sink' });

export const AuditSinkConfig = Type.Union([SyslogSinkConfig, WebhookSinkConfig, JsonlSinkConfig], {
  description: 'a SIEM export sink: type syslog, webhook or jsonl (docs/audit-export.md)',
});

export type SyslogSinkConfig = Static<typeof SyslogSinkConfig>;
export type WebhookSinkConfig = Static<typeof WebhookSinkConfig>;
export type JsonlSinkConfig = Static<typeof JsonlSinkConfig>;
export type AuditSinkConfig = Static<typeof AuditSinkConfig>;
