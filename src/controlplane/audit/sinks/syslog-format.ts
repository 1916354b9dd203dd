import type { ExportRecord, Outcome } from './export-record.js';

/**
 * RFC 5424 syslog messages for audit records:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME warden PROCID MSGID [warden@<PEN> …] MSG
 *
 * | field     | value                                                                        |
 * |-----------|------------------------------------------------------------------------------|
 * | PRI       | facility × 8 + severity; facility from config (default 13, log audit)        |
 * | severity  | allow 6 informational, would-deny 5 notice, deny 4 warning, error 3 err      |
 * | TIMESTAMP | the record's `time` (when the request arrived), UTC with milliseconds        |
 * | HOSTNAME  | configured, else this machine's host name (the exporter, not the gateway)    |
 * | APP-NAME  | `warden`                                                                     |
 * | PROCID    | the exporting process id                                                     |
 * | MSGID     | the decision: allow, deny, would-deny, error                                 |
 * | SD        | one element `warden@<PEN>` with the parameters of {@link sdParams}           |
 * | MSG       | the stored record JSON (default), a CEF line, or an OCSF object, no BOM      |
 *
 * No BOM precedes MSG (the MSG-ANY form of the grammar): receivers such as rsyslog keep a BOM
 * as part of the text, and a JSON parser downstream would then refuse it.
 */

/** Syslog severity per decision (RFC 5424 table 2). */
export const SYSLOG_SEVERITY: Readonly<Record<Outcome, number>> = { allow: 6, 'would-deny': 5, deny: 4, error: 3 };

export const SYSLOG_APP_NAME = 'warden';

export interface SyslogMessageOptions {
  /** 0–23. */
  readonly facility: number;
  /** HOSTNAME field; reduced to printable ASCII. */
  readonly hostname: string;
  /** The private enterprise number in the SD-ID `warden@<n>`. */
  readonly enterpriseId: number;
  /** PROCID field; `-` when absent. */
  readonly procId?: string;
}

/** The RFC 5424 message (without framing) for one record, with `msg` as its MSG part. */
export function syslogMessage(record: ExportRecord, msg: string, options: SyslogMessageOptions): string {
  const event = record.event;
  const header: Rfc5424Header = {
    facility: options.facility,
    severity: SYSLOG_SEVERITY[event.decision.outcome] ?? SYSLOG_SEVERITY.error,
    time: event.time,
    hostname: options.hostname,
    appName: SYSLOG_APP_NAME,
    procId: options.procId,
    msgId: event.decision.outcome,
  };
  return rfc5424Message(header, structuredData(`warden@${options.enterpriseId}`, sdParams(record)), msg);
}

/** The HEADER fields of an RFC 5424 message; each is reduced to what the grammar allows. */
export interface Rfc5424Header {
  /** 0–23. */
  readonly facility: number;
  /** 0 emergency … 7 debug (RFC 5424 table 2). */
  readonly severity: number;
  /** ISO 8601; NILVALUE unless it fits the TIMESTAMP grammar. */
  readonly time: string;
  readonly hostname: string;
  readonly appName: string;
  /** `-` when absent. */
  readonly procId: string | undefined;
  readonly msgId: string;
}

/** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG` (without framing); `sd` is formed already, `-` for none. */
export function rfc5424Message(header: Rfc5424Header, sd: string, msg: string): string {
  const fields = [
    `<${header.facility * 8 + header.severity}>1`,
    timestamp(header.time),
    headerField(header.hostname, 255),
    headerField(header.appName, 48),
    headerField(header.procId ?? '-', 128),
    headerField(header.msgId, 32),
  ];
  return `${fields.join(' ')} ${sd} ${msg}`;
}

/** The SD-PARAMs of the `warden@…` element, in this order; absent values are left out. */
export function sdParams(record: ExportRecord): [string, string | number | boolean | undefined][] {
  const event = record.event;
  return [
    ['seq', record.seq],
    ['id', event.id],
    ['decision', event.decision.outcome],
    ['reason', event.decision.reason],
    ['rule', event.decision.rule],
    ['monitored', event.decision.monitored || undefined],
    ['agent', event.agent?.name],
    ['agentId', event.agent?.id],
    ['owner', event.agent?.owner],
    ['credential', event.credential?.id],
    ['api', event.api?.name],
    ['operation', event.api?.operation || undefined],
    ['method', event.http.method],
    ['path', event.http.rawPath],
    ['status', event.http.status],
    ['durationMs', event.http.durationMs],
    ['src', event.src.ip],
    ['country', event.src.country],
    ['node', event.node],
    ['requestId', event.requestId],
    ['hash', event.hash],
  ];
}

/** `[ID name="value" …]`, with every PARAM-VALUE escaped (RFC 5424 §6.3.3). */
export function structuredData(id: string, params: readonly (readonly [string, string | number | boolean | undefined])[]): string {
  let out = `[${id}`;
  for (const [name, value] of params) {
    if (value === undefined) continue;
    out += ` ${name}="${escapeParamValue(String(value))}"`;
  }
  return `${out}]`;
}

/** In a PARAM-VALUE, `"`, `\` and `]` MUST be escaped with a backslash; nothing else may be. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, '\\$&');
}

/** RFC 6587 §3.4.1 / RFC 5425 §4.3 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes. */
export function octetCounted(message: string): string {
  return `${Buffer.byteLength(message, 'utf8')} ${message}`;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

/** The record's ISO time as is when it fits the TIMESTAMP grammar (it does: toISOString), else NILVALUE. */
function timestamp(time: string): string {
  return RFC3339.test(time) ? time : '-';
}

/** Header fields are 1*N PRINTUSASCII (33–126): anything else becomes `_`, empty becomes NILVALUE. */
function headerField(value: string, max: number): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return cleaned === '' ? '-' : cleaned;
}
