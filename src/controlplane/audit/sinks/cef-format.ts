import { isIPv4 } from 'node:net';
import { succeeded, type ExportRecord, type Outcome } from './export-record.js';

/**
 * ArcSight Common Event Format for audit records:
 *
 *   CEF:0|Warden|Warden|<version>|<signature id>|<name>|<severity>|<extension>
 *
 * | CEF                         | AuditEvent                                                  |
 * |-----------------------------|-------------------------------------------------------------|
 * | Device Version              | Warden's version                                            |
 * | Signature ID                | `decision.reason` (`GRANTED` or a `WARDEN_…` error code)    |
 * | Name                        | API call allowed / denied / would be denied (monitor) / failed |
 * | Severity                    | allow 1, would-deny 4, deny 6, error 7                      |
 * | rt                          | `time`, epoch milliseconds                                  |
 * | externalId                  | `id`                                                        |
 * | act                         | `decision.outcome`                                          |
 * | outcome                     | `success` when let through with a status < 400, else `failure` |
 * | reason                      | `decision.reason`                                           |
 * | requestMethod / request     | `http.method` / `http.rawPath` (no query: values may hold PII) |
 * | src, or c6a2 + c6a2Label    | `src.ip` (IPv4 in src, IPv6 in c6a2 "Source IPv6 Address")  |
 * | suser / suid / spriv        | `agent.name` / `agent.id` / `agent.roles` (comma separated) |
 * | cs1 API                     | `api.name`                                                  |
 * | cs2 Operation               | `api.operation`                                             |
 * | cs3 Rule                    | `decision.rule`                                             |
 * | cs4 Policy Version          | `decision.policyVersion`                                    |
 * | cs5 Credential              | `credential.kind:credential.id` (never a secret)            |
 * | cs6 Agent Owner             | `agent.owner`                                               |
 * | cn1 Audit Seq               | `seq`                                                       |
 * | cn2 HTTP Status             | `http.status`                                               |
 * | cn3 Duration ms             | `http.durationMs`                                           |
 * | in / out                    | `http.bytesIn` / `http.bytesOut`                            |
 * | dvchost                     | `node`                                                      |
 * | flexString1 Record Hash     | `hash` (to find the record in the verifiable log)           |
 * | flexString2 Source Country  | `src.country`                                               |
 */

export const CEF_SEVERITY: Readonly<Record<Outcome, number>> = { allow: 1, 'would-deny': 4, deny: 6, error: 7 };

const NAMES: Readonly<Record<Outcome, string>> = {
  allow: 'API call allowed',
  deny: 'API call denied',
  'would-deny': 'API call would be denied (monitor mode)',
  error: 'API call failed',
};

export interface CefOptions {
  readonly productVersion: string;
}

/** One CEF line (no trailing newline) for a record. */
export function cefMessage(record: ExportRecord, options: CefOptions): string {
  const event = record.event;
  const outcome = event.decision.outcome;
  const header = ['CEF:0', 'Warden', 'Warden', options.productVersion, event.decision.reason, NAMES[outcome] ?? NAMES.error, String(CEF_SEVERITY[outcome] ?? CEF_SEVERITY.error)];
  const ipv4 = isIPv4(event.src.ip);
  const pairs: [string, string | number | undefined][] = [
    ['rt', Date.parse(event.time) || undefined],
    ['externalId', event.id],
    ['act', outcome],
    ['outcome', succeeded(event) ? 'success' : 'failure'],
    ['reason', event.decision.reason],
    ['requestMethod', event.http.method],
    ['request', event.http.rawPath],
    ['src', ipv4 ? event.src.ip : undefined],
    ['c6a2', !ipv4 && event.src.ip ? event.src.ip : undefined],
    ['c6a2Label', !ipv4 && event.src.ip ? 'Source IPv6 Address' : undefined],
    ['suser', event.agent?.name],
    ['suid', event.agent?.id],
    ['spriv', event.agent && event.agent.roles.length > 0 ? event.agent.roles.join(',') : undefined],
    ...labelled('cs1', 'API', event.api?.name),
    ...labelled('cs2', 'Operation', event.api?.operation),
    ...labelled('cs3', 'Rule', event.decision.rule),
    ...labelled('cs4', 'Policy Version', event.decision.policyVersion),
    ...labelled('cs5', 'Credential', event.credential ? `${event.credential.kind}:${event.credential.id}` : undefined),
    ...labelled('cs6', 'Agent Owner', event.agent?.owner),
    ...labelled('cn1', 'Audit Seq', record.seq),
    ...labelled('cn2', 'HTTP Status', event.http.status),
    ...labelled('cn3', 'Duration ms', event.http.durationMs),
    ['in', event.http.bytesIn],
    ['out', event.http.bytesOut],
    ['dvchost', event.node],
    ...labelled('flexString1', 'Record Hash', event.hash),
    ...labelled('flexString2', 'Source Country', event.src.country),
  ];
  const extension = pairs
    .filter((pair): pair is [string, string | number] => pair[1] !== undefined && pair[1] !== '')
    .map(([key, value]) => `${key}=${escapeExtensionValue(String(value))}`)
    .join(' ');
  return `${header.map(escapeHeader).join('|')}|${extension}`;
}

/** A custom field and its label, or neither when the value is absent. */
function labelled(key: string, label: string, value: string | number | undefined): [string, string | number | undefined][] {
  return value === undefined || value === '' ? [] : [[key, value], [`${key}Label`, label]];
}

/** Header fields: `\` and `|` are escaped; a line break would end the event, so it becomes a space. */
export function escapeHeader(value: string): string {
  return value.replace(/[\\|]/g, '\\$&').replace(/\r\n|[\r\n]/g, ' ');
}

/** Extension values: `\` and `=` are escaped, line breaks are written as `\n` / `\r`. */
export function escapeExtensionValue(value: string): string {
  return value.replace(/[\\=]/g, '\\$&').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}
