import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';

/**
 * Kysely's SQLite dialect with every transaction begun IMMEDIATE, holding the write lock from
 * its first statement. A deferred transaction that reads and then writes fails at once with
 * SQLITE_BUSY_SNAPSHOT — the busy timeout cannot help — when another connection commits in
 * between; the audit append worker and the CLI write the same file all the time, so a
 * look-up-then-insert (an approval, a credential rotation) would fail under load. Taken up
 * front, the lock is waited for under the busy timeout instead.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  // SqliteDialect keeps its config private; this copy is what createDriver hands on.
  constructor(private readonly config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
