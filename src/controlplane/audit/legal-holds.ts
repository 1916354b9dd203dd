import { randomUUID } from 'node:crypto';
import type Sqlite from 'better-sqlite3';
import type { AuditEvent } from '../../model/audit-event.js';

/**
 * A legal hold keeps records regardless of retention: all of an agent's records (`agent`), or
 * an incident's — the agent's records in the incident's time window (`incident`). A released
 * hold stays listed with who released it and when.
 */
export interface LegalHold {
  readonly id: string;
  readonly kind: 'agent' | 'incident';
  /** The agent's name, or the incident's id. */
  readonly target: string;
  readonly agent: string;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly reason: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly releasedAt: string | undefined;
  readonly releasedBy: string | undefined;
}

export interface NewLegalHold {
  readonly kind: 'agent' | 'incident';
  readonly target: string;
  /** The agent whose records are held (for `agent` holds, the target itself). */
  readonly agent: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly reason: string;
  readonly by: string;
}

interface HoldRow {
  id: string;
  kind: string;
  target: string;
  agent: string;
  from_time: string | null;
  to_time: string | null;
  reason: string;
  created_at: string;
  created_by: string;
  released_at: string | null;
  released_by: string | null;
}

export class LegalHolds {
  constructor(private readonly db: Sqlite.Database) {}

  place(hold: NewLegalHold, now = new Date()): LegalHold {
    if (hold.reason.trim() === '') throw new RangeError('a legal hold needs a reason (the matter or ticket it is for)');
    if (hold.from !== undefined && hold.to !== undefined && hold.from >= hold.to) throw new RangeError('a legal hold\'s `from` must be before its `to`');
    const id = `hold_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    this.db
      .prepare('INSERT INTO audit_holds (id, kind, target, agent, from_time, to_time, reason, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, hold.kind, hold.target, hold.agent, hold.from?.toISOString() ?? null, hold.to?.toISOString() ?? null, hold.reason, now.toISOString(), hold.by);
    return this.get(id)!;
  }

  /** Releases an active hold; false when there is no such active hold. */
  release(id: string, by: string, now = new Date()): boolean {
    return this.db.prepare('UPDATE audit_holds SET released_at = ?, released_by = ? WHERE id = ? AND released_at IS NULL').run(now.toISOString(), by, id).changes === 1;
  }

  get(id: string): LegalHold | undefined {
    const row = this.db.prepare<[string], HoldRow>('SELECT * FROM audit_holds WHERE id = ?').get(id);
    return row === undefined ? undefined : fromRow(row);
  }

  /** Every hold, newest first; only active ones unless `all`. */
  list(options: { readonly all?: boolean } = {}): LegalHold[] {
    return this.db
      .prepare<[], HoldRow>(`SELECT * FROM audit_holds ${options.all === true ? '' : 'WHERE released_at IS NULL'} ORDER BY created_at DESC, id`)
      .all()
      .map(fromRow);
  }

  /** A test for "is this record held", over the holds active now. */
  heldTest(): (event: AuditEvent) => boolean {
    const holds = this.list();
    return (event) => holds.some((hold) => event.agent?.name === hold.agent && (hold.from === undefined || event.time >= hold.from) && (hold.to === undefined || event.time < hold.to));
  }
}

function fromRow(row: HoldRow): LegalHold {
  return {
    id: row.id,
    kind: row.kind as LegalHold['kind'],
    target: row.target,
    agent: row.agent,
    from: row.from_time ?? undefined,
    to: row.to_time ?? undefined,
    reason: row.reason,
    createdAt: row.created_at,
    createdBy: row.created_by,
    releasedAt: row.released_at ?? undefined,
    releasedBy: row.released_by ?? undefined,
  };
}
