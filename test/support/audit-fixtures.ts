import Sqlite from 'better-sqlite3';
import type { AuditEvent } from '../../src/model/audit-event.js';

type Overrides = Partial<Omit<AuditEvent, 'agent' | 'api'>> & {
  readonly agent?: string;
  readonly api?: { readonly name: string; readonly operation: string; readonly dataClasses?: readonly string[] };
};

/** An AuditEvent for tests: record `n` at 09:00 UTC on 15 March 2026 plus n ms, overridable field by field. */
export function auditEvent(n: number, overrides: Overrides = {}): AuditEvent {
  const { agent, api, ...rest } = overrides;
  return {
    v: 1,
    id: `id-${n}`,
    time: new Date(Date.UTC(2026, 2, 15, 9, 0, 0, n)).toISOString(),
    requestId: `req-${n}`,
    traceId: undefined,
    node: 'test',
    agent: agent === undefined ? undefined : { id: agent, name: agent, roles: ['reader'], owner: 'owner@example.com' },
    credential: undefined,
    src: { ip: '127.0.0.1', country: undefined },
    http: { method: 'GET', rawPath: '/x', canonicalPath: '/x', queryParams: [], status: 200, bytesIn: 0, bytesOut: 0, durationMs: 1, upstreamMs: undefined },
    api: api === undefined ? undefined : { name: api.name, operation: api.operation, template: '/x', sensitivity: 'internal', dataClasses: [...(api.dataClasses ?? [])] },
    decision: { outcome: 'allow', reason: 'GRANTED', rule: undefined, policyVersion: undefined, monitored: false },
    limits: undefined,
    data: undefined,
    context: undefined,
    ...rest,
  };
}

/** The stored record texts in seq order (pruned ones as ''), read over a connection of its own, as an auditor would. */
export function storedAuditTexts(file: string): string[] {
  const database = new Sqlite(file, { readonly: true });
  try {
    return (database.prepare('SELECT records FROM audit_blocks ORDER BY first_seq').all() as { records: string }[]).flatMap((row) => row.records.split('\n'));
  } finally {
    database.close();
  }
}

/**
 * Edits the stored text of record `seq` in place, the way an insider with the database file
 * would: `edit` returns the new text, or undefined to cut the record out of its block.
 */
export function editStoredRecord(database: Sqlite.Database, seq: number, edit: (text: string) => string | undefined): void {
  const block = database.prepare('SELECT first_seq, records FROM audit_blocks WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1').get(seq) as { first_seq: number; records: string };
  const lines = block.records.split('\n');
  const changed = edit(lines[seq - block.first_seq]!);
  if (changed === undefined) lines.splice(seq - block.first_seq, 1);
  else lines[seq - block.first_seq] = changed;
  database.prepare('UPDATE audit_blocks SET records = ? WHERE first_seq = ?').run(lines.join('\n'), block.first_seq);
}
