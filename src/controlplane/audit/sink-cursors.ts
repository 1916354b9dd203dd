import type Sqlite from 'better-sqlite3';

/**
 * How far each export sink has delivered (`audit_sink_cursors`): the `seq` of the last record
 * the sink's receiver took. A sink moves its cursor only after a delivery succeeded, so one
 * that was down resumes after the last record it delivered: no gap, and no record twice.
 */
export class SinkCursors {
  readonly #get: Sqlite.Statement<[string], { seq: number }>;
  readonly #set: Sqlite.Statement<[string, number, string]>;

  constructor(db: Sqlite.Database) {
    this.#get = db.prepare('SELECT seq FROM audit_sink_cursors WHERE name = ?');
    this.#set = db.prepare('INSERT INTO audit_sink_cursors (name, seq, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at');
  }

  /** The last `seq` the sink delivered; 0 for a sink that has delivered nothing. */
  get(name: string): number {
    return this.#get.get(name)?.seq ?? 0;
  }

  set(name: string, seq: number, at = new Date()): void {
    this.#set.run(name, seq, at.toISOString());
  }
}
