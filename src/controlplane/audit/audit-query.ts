import type Sqlite from 'better-sqlite3';
import type { AuditEvent } from '../../model/audit-event.js';
import type { AuditLog } from './audit-log.js';

/** What `warden audit query` and `GET /audit/events` filter by; every field is optional and they combine with AND. */
export interface AuditFilter {
  /** Records whose `time` is at or after this. */
  readonly from?: Date;
  /** Records whose `time` is before this. */
  readonly to?: Date;
  readonly agent?: string;
  readonly api?: string;
  readonly operation?: string;
  /** A data class the called operation touches (`api.dataClasses`). */
  readonly dataClass?: string;
  readonly decision?: AuditEvent['decision']['outcome'];
  /** An exact status (`404`) or a class (`4xx`). */
  readonly status?: string;
  readonly srcIp?: string;
  readonly country?: string;
  /** Case-insensitive text in the path, agent, API, operation, reason, rule, request id or credential id. */
  readonly text?: string;
}

export interface AuditMatch {
  readonly seq: number;
  readonly json: string;
  readonly event: AuditEvent;
}

export interface AuditPage {
  readonly records: AuditMatch[];
  /** Pass as `cursor` to get the next page; absent on the last page. */
  readonly next: string | undefined;
}

const BLOCKS_PER_READ = 32;

/**
 * Every record matching `filter`, in `seq` order (or newest first), read block by block: the
 * SQL picks blocks whose time span and agent, API and data-class summaries can hold a match,
 * a cheap text test skips most records of those blocks without parsing them, and the
 * remaining records are parsed and matched exactly.
 */
export function* scanAudit(log: AuditLog, filter: AuditFilter, options: { readonly afterSeq?: number; readonly beforeSeq?: number; readonly newestFirst?: boolean } = {}): Generator<AuditMatch> {
  const blocks = candidateBlocks(log.db, filter, options.newestFirst === true);
  const mayMatch = textTest(filter);
  const matches = recordTest(filter);
  let bound = options.newestFirst === true ? (options.beforeSeq ?? Number.MAX_SAFE_INTEGER) : (options.afterSeq ?? 0) - MAX_BLOCK_SPAN;
  for (;;) {
    const rows = blocks(bound);
    if (rows.length === 0) return;
    for (const row of rows) {
      const lines = row.records.split('\n');
      const order = options.newestFirst === true ? lines.map((_, index) => lines.length - 1 - index) : lines.map((_, index) => index);
      for (const index of order) {
        const json = lines[index]!;
        const seq = row.first_seq + index;
        if (json === '' || seq <= (options.afterSeq ?? 0) || seq >= (options.beforeSeq ?? Number.MAX_SAFE_INTEGER) || !mayMatch(json)) continue;
        const event = JSON.parse(json) as AuditEvent;
        if (matches(event)) yield { seq, json, event };
      }
      bound = row.first_seq;
    }
  }
}

/** One page of matches after (or, newest first, before) a cursor from the previous page. */
export function queryAudit(log: AuditLog, filter: AuditFilter, page: { readonly limit: number; readonly cursor?: string; readonly newestFirst?: boolean }): AuditPage {
  const position = page.cursor === undefined ? undefined : parseCursor(page.cursor);
  const records: AuditMatch[] = [];
  const scan = scanAudit(log, filter, page.newestFirst === true ? { newestFirst: true, ...(position !== undefined ? { beforeSeq: position } : {}) } : { afterSeq: position ?? 0 });
  for (const match of scan) {
    if (records.length === page.limit) return { records, next: String(records[records.length - 1]!.seq) };
    records.push(match);
  }
  return { records, next: undefined };
}

/** A cursor is the `seq` of the last record of the page before: a plain number, checked. */
export function parseCursor(cursor: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(cursor)) throw new RangeError(`cursor ${JSON.stringify(cursor.slice(0, 40))} is not one this API gave; pass the \`next\` value of the previous page`);
  return Number(cursor);
}

// A block holds at most this many records, so a block holding `seq` starts after `seq - MAX_BLOCK_SPAN`.
const MAX_BLOCK_SPAN = 512;

interface CandidateRow {
  first_seq: number;
  records: string;
}

/** A reader of the next blocks past `bound` (exclusive) that may hold matches. */
function candidateBlocks(db: Sqlite.Database, filter: AuditFilter, newestFirst: boolean): (bound: number) => CandidateRow[] {
  const where: string[] = [newestFirst ? 'first_seq < @bound' : 'first_seq > @bound'];
  const parameters: Record<string, string | number> = {};
  if (filter.from !== undefined) {
    where.push('max_time >= @from');
    parameters.from = filter.from.toISOString();
  }
  if (filter.to !== undefined) {
    where.push('min_time < @to');
    parameters.to = filter.to.toISOString();
  }
  for (const [column, value] of [['agents', filter.agent], ['apis', filter.api], ['data_classes', filter.dataClass]] as const) {
    if (value === undefined) continue;
    // `|` separates the summary's names, so `|name|` matches the whole name; LIKE's own wildcards are escaped.
    where.push(`${column} LIKE @${column} ESCAPE '\\'`);
    parameters[column] = `%|${value.replace(/[\\%_]/g, (character) => `\\${character}`)}|%`;
  }
  const statement = db.prepare<Record<string, string | number>, CandidateRow>(
    `SELECT first_seq, records FROM audit_blocks WHERE ${where.join(' AND ')} ORDER BY first_seq ${newestFirst ? 'DESC' : 'ASC'} LIMIT ${BLOCKS_PER_READ}`,
  );
  return (bound) => statement.all({ ...parameters, bound });
}

/** A test on a record's text that is false only when the record cannot match: it saves parsing most records. */
function textTest(filter: AuditFilter): (json: string) => boolean {
  // Each of these values appears in the record's text exactly as JSON writes it when the record matches.
  const needles = [filter.agent, filter.api, filter.operation, filter.dataClass, filter.srcIp, filter.country]
    .filter((value): value is string => value !== undefined)
    .map((value) => JSON.stringify(value));
  if (filter.decision !== undefined) needles.push(`"outcome":"${filter.decision}"`);
  return (json) => needles.every((needle) => json.includes(needle));
}

/** The exact test on a parsed record. */
function recordTest(filter: AuditFilter): (event: AuditEvent) => boolean {
  const from = filter.from?.toISOString();
  const to = filter.to?.toISOString();
  const status = statusTest(filter.status);
  const text = filter.text?.toLowerCase();
  return (event) =>
    (from === undefined || event.time >= from) &&
    (to === undefined || event.time < to) &&
    (filter.agent === undefined || event.agent?.name === filter.agent) &&
    (filter.api === undefined || event.api?.name === filter.api) &&
    (filter.operation === undefined || event.api?.operation === filter.operation) &&
    (filter.dataClass === undefined || (event.api?.dataClasses.includes(filter.dataClass) ?? false)) &&
    (filter.decision === undefined || event.decision.outcome === filter.decision) &&
    status(event.http.status) &&
    (filter.srcIp === undefined || event.src.ip === filter.srcIp) &&
    (filter.country === undefined || event.src.country === filter.country) &&
    (text === undefined || searchableText(event).includes(text));
}

function statusTest(status: string | undefined): (value: number) => boolean {
  if (status === undefined) return () => true;
  if (/^[1-5]xx$/i.test(status)) {
    const hundreds = Number(status[0]);
    return (value) => Math.floor(value / 100) === hundreds;
  }
  if (/^[0-9]{1,3}$/.test(status)) return (value) => value === Number(status);
  throw new RangeError(`status ${JSON.stringify(status)} is neither a status code (404) nor a class (4xx)`);
}

function searchableText(event: AuditEvent): string {
  return [event.http.rawPath, event.http.canonicalPath, event.agent?.name, event.api?.name, event.api?.operation, event.decision.reason, event.decision.rule, event.requestId, event.credential?.id]
    .filter((value) => value !== undefined)
    .join('\n')
    .toLowerCase();
}

/** "Who accessed it, and what did they read": matches grouped by agent, then by API operation. */
export interface AccessSummary {
  readonly agent: string;
  readonly calls: number;
  readonly allowed: number;
  readonly refused: number;
  /** Records the upstream returned to the agent, where the gateway counted them. */
  readonly records: number;
  readonly first: string;
  readonly last: string;
  readonly operations: { readonly operation: string; readonly calls: number; readonly allowed: number; readonly records: number }[];
}

export function summarizeAccess(matches: Iterable<AuditMatch>): AccessSummary[] {
  const agents = new Map<string, { calls: number; allowed: number; refused: number; records: number; first: string; last: string; operations: Map<string, { calls: number; allowed: number; records: number }> }>();
  for (const { event } of matches) {
    const name = event.agent?.name ?? '(unidentified)';
    let agent = agents.get(name);
    if (agent === undefined) {
      agent = { calls: 0, allowed: 0, refused: 0, records: 0, first: event.time, last: event.time, operations: new Map() };
      agents.set(name, agent);
    }
    const allowed = event.decision.outcome === 'allow' || event.decision.outcome === 'would-deny';
    const records = allowed ? (event.data?.records ?? 0) : 0;
    agent.calls++;
    if (allowed) agent.allowed++;
    else agent.refused++;
    agent.records += records;
    if (event.time < agent.first) agent.first = event.time;
    if (event.time > agent.last) agent.last = event.time;
    // Calls no API matched are grouped by method only: their paths are the caller's to invent.
    const key = event.api === undefined ? `${event.http.method} (no API)` : event.api.undeclared === true ? `${event.api.name} (undeclared ${event.http.method})` : `${event.api.name}.${event.api.operation}`;
    const operation = agent.operations.get(key) ?? { calls: 0, allowed: 0, records: 0 };
    operation.calls++;
    if (allowed) operation.allowed++;
    operation.records += records;
    agent.operations.set(key, operation);
  }
  return [...agents]
    .map(([agent, totals]) => ({
      agent,
      calls: totals.calls,
      allowed: totals.allowed,
      refused: totals.refused,
      records: totals.records,
      first: totals.first,
      last: totals.last,
      operations: [...totals.operations].map(([operation, counts]) => ({ operation, ...counts })).sort((a, b) => b.calls - a.calls || a.operation.localeCompare(b.operation)),
    }))
    .sort((a, b) => b.calls - a.calls || a.agent.localeCompare(b.agent));
}
