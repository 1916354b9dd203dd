import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, sqliteFileIn } from './sqlite-store.js';
import { describeGovernanceConformance } from './governance-conformance.js';
import { describeStoreConformance } from './store-conformance.js';

let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'warden-sqlite-store-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A file path in its own fresh folder, so every test starts from an empty database. */
function freshFile(): string {
  counter += 1;
  return path.join(root, `case-${counter}`, 'warden.db');
}

describeStoreConformance('sqlite', () => openSqliteStore(freshFile()));
describeGovernanceConformance('sqlite', () => openSqliteStore(freshFile()));

describe('openSqliteStore', () => {
  it('puts the database in WAL mode', async () => {
    const file = freshFile();
    const store = await openSqliteStore(file);
    try {
      const database = new Sqlite(file, { readonly: true });
      try {
        expect(database.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        database.close();
      }
    } finally {
      await store.close();
    }
  });

  it('keeps data across close and reopen', async () => {
    const file = freshFile();
    const appliedAt = new Date('2025-06-01T08:30:00.123Z');
    const first = await openSqliteStore(file);
    const record = await first.recordPolicyVersion({
      version: 'sha256:persisted',
      appliedAt,
      appliedBy: 'bob@example.com',
      message: 'kept on disk',
      diff: { added: ['Agent/kept'], removed: [], changed: [] },
      manifests: [
        {
          key: 'Agent/kept',
          content: { apiVersion: 'warden.dev/v1', kind: 'Agent', metadata: { name: 'kept' }, spec: { owner: 'bob@example.com', purpose: 'Survives a restart of the store', roles: ['reader'], state: 'active', credentials: [] } },
          source: { file: 'agents.yaml', line: 4 },
        },
      ],
    });
    await first.close();

    const second = await openSqliteStore(file);
    try {
      expect(await second.currentPolicyVersion()).toEqual(record);
      expect(await second.policyVersionAt(appliedAt)).toEqual(record);
      const manifests = await second.policyManifests(record.id);
      expect(manifests.map((manifest) => manifest.key)).toEqual(['Agent/kept']);
      expect(manifests[0]?.source).toEqual({ file: 'agents.yaml', line: 4 });
      const next = await second.recordPolicyVersion({ version: 'sha256:after-reopen', appliedAt: new Date('2025-06-02T00:00:00.000Z'), appliedBy: 'bob@example.com', diff: { added: [], removed: ['Agent/kept'], changed: [] }, manifests: [] });
      expect(next.id).toBeGreaterThan(record.id);
    } finally {
      await second.close();
    }
  });

  it('creates missing parent directories', async () => {
    const file = path.join(root, 'missing', 'deeper', 'still', 'warden.db');
    expect(existsSync(path.dirname(file))).toBe(false);
    const store = await openSqliteStore(file);
    try {
      expect(existsSync(file)).toBe(true);
      expect(await store.currentPolicyVersion()).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('places the default file inside the data directory', () => {
    expect(sqliteFileIn(path.join('some', 'data'))).toBe(path.join('some', 'data', 'warden.db'));
  });
});
