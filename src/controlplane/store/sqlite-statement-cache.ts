import type Sqlite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

const MAX_STATEMENTS = 256;

/**
 * The better-sqlite3 database as Kysely's SQLite driver sees it, with prepared statements
 * kept by their SQL text: the driver prepares every query it runs, and preparing costs more
 * than running a small insert. A statement still iterating (a streamed query) is busy and
 * cannot be reused, so a fresh one is prepared then.
 */
export function cachingStatements(database: Sqlite.Database): SqliteDatabase {
  const statements = new Map<string, Sqlite.Statement>();
  return {
    close: () => database.close(),
    prepare(sql) {
      const cached = statements.get(sql);
      if (cached !== undefined && !cached.busy) return cached;
      const statement = database.prepare(sql);
      if (statements.size >= MAX_STATEMENTS) statements.delete(statements.keys().next().value!);
      statements.set(sql, statement);
      return statement;
    },
  };
}
