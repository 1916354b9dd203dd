import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { SqlStore } from './sql-store.js';
import { cachingStatements } from './sqlite-statement-cache.js';

/**
 * Opens (creating if needed) the embedded SQLite store. WAL lets readers run while a writer
 * commits; the busy timeout rides out a concurrent `warden apply`.
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
  const store = new SqlStore(new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(database) }) }), 'sqlite', database);
  await store.migrate();
  return store;
}

/** The default store file inside a data directory (`./.warden` unless `--data` says otherwise). */
export function sqliteFileIn(dataDirectory: string): string {
  return path.join(dataDirectory, 'warden.db');
}
