import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { SqlStore } from './sql-store.js';
import { ImmediateSqliteDialect } from './sqlite-immediate-dialect.js';
import { cachingStatements } from './sqlite-statement-cache.js';

/**
 * Opens (creating if needed) the embedded SQLite store. WAL lets readers run while a writer
 * commits; the busy timeout rides out a concurrent `warden apply`, and transactions take the
 * write lock up front (ImmediateSqliteDialect) so the audit append worker's commits cannot break them.
 */
export async function openSqliteStore(file: string): Promise<SqlStore> {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new Sqlite(file);
  // Takes effect only when the file is new. The audit log writes rows of a few hundred KB;
  // 16 KiB pages halve what SQLite spends on their overflow chains against the 4 KiB default.
  database.pragma('page_size = 16384');
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  database.pragma('synchronous = NORMAL');
  const store = new SqlStore(new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: cachingStatements(database) }) }), 'sqlite', database);
  await store.migrate();
  return store;
}

/** The default store file inside a data directory (`./.warden` unless `--data` says otherwise). */
export function sqliteFileIn(dataDirectory: string): string {
  return path.join(dataDirectory, 'warden.db');
}
