import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cachingStatements } from './sqlite-statement-cache.js';

describe('cachingStatements', () => {
  it('prepares a query once and reuses the statement', () => {
    const database = new Sqlite(':memory:');
    const cached = cachingStatements(database);
    const first = cached.prepare('select 1 as one');
    expect(cached.prepare('select 1 as one')).toBe(first);
    expect(cached.prepare('select 2 as two')).not.toBe(first);
    database.close();
  });

  it('prepares a fresh statement while the cached one is still iterating, so a streamed query is not broken', () => {
    const database = new Sqlite(':memory:');
    database.exec('create table t (n integer); insert into t values (1), (2), (3)');
    const cached = cachingStatements(database);
    const streaming = cached.prepare('select n from t order by n');
    const rows = streaming.iterate([]);
    expect(rows.next().value).toEqual({ n: 1 });
    const second = cached.prepare('select n from t order by n');
    expect(second).not.toBe(streaming);
    expect(second.all([])).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect([...rows]).toEqual([{ n: 2 }, { n: 3 }]);
    database.close();
  });
});
