import type { AuditMatch } from './audit-query.js';

/** The columns of a CSV export of audit records, in order, with how each is read from a record. */
const COLUMNS: readonly (readonly [string, (match: AuditMatch) => string | number | undefined])[] = [
  ['seq', (match) => match.seq],
  ['time', (match) => match.event.time],
  ['agent', (match) => match.event.agent?.name],
  ['credential', (match) => match.event.credential?.id],
  ['src_ip', (match) => match.event.src.ip],
  ['country', (match) => match.event.src.country],
  ['method', (match) => match.event.http.method],
  ['path', (match) => match.event.http.rawPath],
  ['api', (match) => match.event.api?.name],
  ['operation', (match) => match.event.api?.operation],
  ['data_classes', (match) => match.event.api?.dataClasses.join(' ')],
  ['decision', (match) => match.event.decision.outcome],
  ['reason', (match) => match.event.decision.reason],
  ['rule', (match) => match.event.decision.rule],
  ['status', (match) => match.event.http.status],
  ['records', (match) => match.event.data?.records],
  ['bytes_out', (match) => match.event.http.bytesOut],
  ['duration_ms', (match) => match.event.http.durationMs],
  ['request_id', (match) => match.event.requestId],
  ['hash', (match) => /"hash":"(sha256:[0-9a-f]{64})"\}$/.exec(match.json)?.[1]],
];

/** Audit records as CSV (RFC 4180), a line at a time, header first. */
export function* auditCsv(matches: Iterable<AuditMatch>): Generator<string> {
  yield `${COLUMNS.map(([name]) => name).join(',')}\r\n`;
  for (const match of matches) yield `${COLUMNS.map(([, read]) => csvCell(read(match))).join(',')}\r\n`;
}

/**
 * One CSV cell: quoted when it holds a comma, quote or line break (RFC 4180), and prefixed with
 * `'` when a spreadsheet would take it for a formula (`=`, `+`, `-`, `@`, tab, CR): paths and
 * names come from agents, and an export is opened by people.
 */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
