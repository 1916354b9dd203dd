import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImmediateSqliteDialect } from './sqlite-immediate-dialect.js';

interface Tables {
  readonly approvals: { readonly id: string };
  readonly audit: { readonly seq: number };
}

describe('ImmediateSqliteDialect', () => {
  let directory: string;
  let db: Kysely<Tables>;
  let other: Sqlite.Database;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'warden-immediate-'));
    const file = path.join(directory, 'warden.db');
    const database = new Sqlite(file);
    database.pragma('journal_mode = WAL');
    database.exec('CREATE TABLE approvals (id TEXT PRIMARY KEY); CREATE TABLE audit (seq INTEGER)');
    db = new Kysely<Tables>({ dialect: new ImmediateSqliteDialect({ database }) });
    // Another writer of the same file, as the audit append worker is; it does not wait.
    other = new Sqlite(file);
    other.pragma('busy_timeout = 0');
  });

  afterEach(async () => {
    other.close();
    await db.destroy();
    await rm(directory, { recursive: true, force: true });
  });

  it('holds the write lock from the start, so a commit elsewhere cannot break a look-up-then-insert', async () => {
    let refusedElsewhere: unknown;
    await db.transaction().execute(async (trx) => {
      expect(await trx.selectFrom('approvals').selectAll().where('id', '=', 'apr_1').executeTakeFirst()).toBeUndefined();
      // Under a deferred BEGIN this commit would succeed and the insert below fail with
      // SQLITE_BUSY_SNAPSHOT; here the other writer is the one that has to wait.
      try {
        other.prepare('INSERT INTO audit (seq) VALUES (1)').run();
      } catch (error) {
        refusedElsewhere = error;
      }
      await trx.insertInto('approvals').values({ id: 'apr_1' }).execute();
    });
    expect((refusedElsewhere as { code?: string }).code).toBe('SQLITE_BUSY');
    expect(await db.selectFrom('approvals').selectAll().execute()).toEqual([{ id: 'apr_1' }]);
    // Once committed, the other writer gets its turn.
    other.prepare('INSERT INTO audit (seq) VALUES (1)').run();
    expect((await sql<{ n: number }>`SELECT count(*) AS n FROM audit`.execute(db)).rows[0]!.n).toBe(1);
  });

  it('rolls a failed transaction back and releases the lock', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('approvals').values({ id: 'apr_2' }).execute();
        throw new Error('the caller gave up');
      }),
    ).rejects.toThrow('the caller gave up');
    expect(await db.selectFrom('approvals').selectAll().execute()).toEqual([]);
    other.prepare('INSERT INTO audit (seq) VALUES (2)').run();
  });
});
