import { Option } from 'commander';
import { openSqliteStore, sqliteFileIn } from '../controlplane/store/sqlite-store.js';
import type { Store } from '../controlplane/store/store.js';

/** `--data DIR`: where the embedded store lives; `WARDEN_DATA` or `./.warden` by default. */
export const dataOption = new Option('--data <dir>', 'data directory of the embedded store').env('WARDEN_DATA').default('.warden');

/** Opens the store for one command and always closes it, so the database is never left locked. */
export async function withStore<T>(dataDirectory: string, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openSqliteStore(sqliteFileIn(dataDirectory));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
