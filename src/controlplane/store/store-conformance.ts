import { afterEach, describe, expect, it } from 'vitest';
import type { AgentManifest } from '../../model/manifests/index.js';
import type { ApiKeyRecord } from '../../model/api-key.js';
import type { Alert, ContainmentRecord } from '../detection/detection-types.js';
import { PolicyConflictError, type ManifestDiff, type NewPolicyVersion, type Store, type StoredManifest } from './store.js';

const NO_CHANGES: ManifestDiff = { added: [], removed: [], changed: [] };

function agent(name: string, purpose = `Handles the ${name} workload for tests`): AgentManifest {
  return {
    apiVersion: 'warden.dev/v1',
    kind: 'Agent',
    metadata: { name, labels: { team: 'ünïcode — ✓' } },
    spec: { owner: 'owner@example.com', purpose, roles: ['reader'], state: 'active', credentials: [{ type: 'apiKey', id: `key_${name.replace(/-/g, '')}000000` }] },
  };
}

function stored(name: string, source?: { file: string; line: number }, purpose?: string): StoredManifest {
  const content = agent(name, purpose);
  return source ? { key: `Agent/${name}`, content, source } : { key: `Agent/${name}`, content };
}

function version(overrides: Partial<NewPolicyVersion> & { appliedAt: Date }): NewPolicyVersion {
  return { version: `sha256:${overrides.appliedAt.getTime().toString(16).padStart(64, '0')}`, appliedBy: 'tester', diff: NO_CHANGES, manifests: [], ...overrides };
}

function alertOf(id: string, overrides: Partial<Alert> = {}): Alert {
  return {
    id,
    time: '2026-03-02T10:05:00.000Z',
    firstEventTime: '2026-03-02T10:00:00.000Z',
    agent: 'crm-reader',
    roles: ['crm-read'],
    detector: 'burst',
    severity: 'medium',
    score: 72.5,
    reasons: ['412 calls in 5 minutes against a usual 20 for Monday 10:00'],
    eventIds: ['evt_1', 'evt_2'],
    api: 'crm',
    sensitivity: 'confidential',
    credential: 'key_crmreader01',
    ...overrides,
  };
}

function containment(id: string, overrides: Partial<ContainmentRecord> = {}): ContainmentRecord {
  return { id, agent: 'crm-reader', kind: 'throttle', rate: '10/minute', since: '2026-03-02T10:05:00.000Z', until: '2026-03-02T11:05:00.000Z', incident: 'inc_0000000000000001', by: 'playbook:bulk-read', ...overrides };
}

/**
 * The behaviour every Store backend must show. `open` returns a fresh, empty, migrated store
 * each call; the suite closes it after each test.
 */
export function describeStoreConformance(name: string, open: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    const opened: Store[] = [];
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });
    const fresh = async (): Promise<Store> => {
      const store = await open();
      opened.push(store);
      return store;
    };

    describe('migrate', () => {
      it('is idempotent', async () => {
        const store = await fresh();
        await store.migrate();
        await store.migrate();
        const record = await store.recordPolicyVersion(version({ appliedAt: new Date('2025-01-01T00:00:00.000Z'), manifests: [stored('alpha')] }));
        await store.migrate();
        expect(await store.currentPolicyVersion()).toEqual(record);
        expect(await store.policyManifests(record.id)).toHaveLength(1);
      });
    });

    describe('an empty store', () => {
      it('has no current version, no versions and no manifests', async () => {
        const store = await fresh();
        expect(await store.currentPolicyVersion()).toBeUndefined();
        expect(await store.policyVersionAt(new Date())).toBeUndefined();
        expect(await store.listPolicyVersions()).toEqual([]);
        expect(await store.policyManifests(1)).toEqual([]);
      });
    });

    describe('recordPolicyVersion', () => {
      it('refuses a version based on one that is no longer current, and records nothing', async () => {
        const store = await fresh();
        const first = await store.recordPolicyVersion(version({ basedOn: undefined, appliedAt: new Date(Date.UTC(2025, 0, 1)) }));
        await store.recordPolicyVersion(version({ basedOn: first.id, appliedAt: new Date(Date.UTC(2025, 0, 2)) }));
        await expect(store.recordPolicyVersion(version({ basedOn: first.id, appliedAt: new Date(Date.UTC(2025, 0, 3)) }))).rejects.toThrow(PolicyConflictError);
        await expect(store.recordPolicyVersion(version({ basedOn: undefined, appliedAt: new Date(Date.UTC(2025, 0, 3)) }))).rejects.toThrow(PolicyConflictError);
        expect(await store.listPolicyVersions()).toHaveLength(2);
      });

      it('refuses a version applied before the current one, so ids and times agree', async () => {
        const store = await fresh();
        await store.recordPolicyVersion(version({ appliedAt: new Date(Date.UTC(2025, 0, 2)) }));
        await expect(store.recordPolicyVersion(version({ appliedAt: new Date(Date.UTC(2025, 0, 1)) }))).rejects.toThrow(PolicyConflictError);
        expect(await store.listPolicyVersions()).toHaveLength(1);
      });

      it('returns increasing ids', async () => {
        const store = await fresh();
        const ids: number[] = [];
        for (let index = 0; index < 4; index += 1) {
          ids.push((await store.recordPolicyVersion(version({ appliedAt: new Date(Date.UTC(2025, 0, 1 + index)) }))).id);
        }
        for (const id of ids) expect(Number.isInteger(id)).toBe(true);
        for (let index = 1; index < ids.length; index += 1) expect(ids[index]!).toBeGreaterThan(ids[index - 1]!);
      });

      it('round-trips every field, message present', async () => {
        const store = await fresh();
        const diff: ManifestDiff = {
          added: ['Agent/new-one', 'Role/new-role'],
          removed: ['Api/gone'],
          changed: [
            {
              key: 'Role/refunds',
              changes: [
                { field: 'spec.grants[0].params.amount.max', before: 500, after: 1000 },
                { field: 'spec.grants[1]', before: { api: 'payments', operations: ['a', 'b'] }, after: null },
                { field: 'metadata.description', before: 'old “text”', after: 'new ✓' },
              ],
            },
          ],
        };
        const appliedAt = new Date('2025-03-05T10:11:12.345Z');
        const record = await store.recordPolicyVersion({ version: 'sha256:abc123', appliedAt, appliedBy: 'alice@example.com', message: 'raise the refund limit', diff, manifests: [stored('alpha')] });
        expect(record.version).toBe('sha256:abc123');
        expect(record.appliedAt).toBeInstanceOf(Date);
        expect(record.appliedAt.getTime()).toBe(appliedAt.getTime());
        expect(record.appliedBy).toBe('alice@example.com');
        expect(record.message).toBe('raise the refund limit');
        expect(record.diff).toEqual(diff);

        for (const read of [await store.currentPolicyVersion(), (await store.listPolicyVersions())[0], await store.policyVersionAt(appliedAt)]) {
          expect(read).toBeDefined();
          expect(read!.id).toBe(record.id);
          expect(read!.version).toBe('sha256:abc123');
          expect(read!.appliedAt.getTime()).toBe(appliedAt.getTime());
          expect(read!.appliedBy).toBe('alice@example.com');
          expect(read!.message).toBe('raise the refund limit');
          expect(read!.diff).toEqual(diff);
        }
      });

      it('round-trips an absent message as undefined', async () => {
        const store = await fresh();
        const record = await store.recordPolicyVersion(version({ appliedAt: new Date('2025-03-05T10:11:12.001Z') }));
        expect(record.message).toBeUndefined();
        const read = await store.currentPolicyVersion();
        expect(read).toBeDefined();
        expect(read!.message).toBeUndefined();
        expect(read!.appliedAt.getTime()).toBe(Date.parse('2025-03-05T10:11:12.001Z'));
      });

      it('is atomic: a failing manifest leaves no version row and no manifests behind', async () => {
        const store = await fresh();
        const first = await store.recordPolicyVersion(version({ appliedAt: new Date('2025-01-01T00:00:00.000Z'), manifests: [stored('alpha')] }));
        // The same key twice in one version must be rejected; the second copy differs in content.
        const duplicate = version({
          appliedAt: new Date('2025-01-02T00:00:00.000Z'),
          manifests: [stored('beta'), stored('gamma', undefined, 'The first copy of gamma for tests'), stored('gamma', undefined, 'The second copy of gamma for tests')],
        });
        await expect(store.recordPolicyVersion(duplicate)).rejects.toThrow();

        expect(await store.currentPolicyVersion()).toEqual(first);
        expect(await store.listPolicyVersions()).toEqual([first]);
        expect(await store.policyVersionAt(new Date('2025-01-03T00:00:00.000Z'))).toEqual(first);
        expect((await store.policyManifests(first.id)).map((manifest) => manifest.key)).toEqual(['Agent/alpha']);

        // The store is still usable afterwards, and nothing of the failed call leaks into the next version.
        const next = await store.recordPolicyVersion(version({ appliedAt: new Date('2025-01-04T00:00:00.000Z'), manifests: [stored('delta')] }));
        expect(next.id).toBeGreaterThan(first.id);
        expect((await store.listPolicyVersions()).map((record) => record.id)).toEqual([next.id, first.id]);
        expect(await store.policyManifests(next.id)).toEqual([stored('delta')]);
      });

      it('keeps concurrent records apart', async () => {
        const store = await fresh();
        const names = ['one', 'two', 'three', 'four', 'five'];
        const records = await Promise.all(
          names.map((name, index) => store.recordPolicyVersion(version({ appliedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, index)), version: `sha256:${name}`, manifests: [stored(name), stored('common')] }))),
        );
        expect(new Set(records.map((record) => record.id)).size).toBe(names.length);
        expect(await store.listPolicyVersions()).toHaveLength(names.length);
        for (const [index, record] of records.entries()) {
          expect(await store.policyManifests(record.id)).toEqual([stored('common'), stored(names[index]!)].sort((a, b) => (a.key < b.key ? -1 : 1)));
        }
      });
    });

    describe('policyManifests', () => {
      it('returns the complete set sorted by key, content and source as stored', async () => {
        const store = await fresh();
        // Byte order, not a locale collation: "a-c" sorts before "ab", "Agent/" before "Api/".
        const manifests: StoredManifest[] = [
          { key: 'Role/zeta', content: { apiVersion: 'warden.dev/v1', kind: 'Role', metadata: { name: 'zeta' }, spec: { grants: [{ api: 'crm', operations: ['*'], params: { amount: { min: 0.01, max: 5000 } }, stepUp: false }], forbid: [] } }, source: { file: 'roles/zeta.yaml', line: 1 } },
          stored('ab', { file: 'agents/agents.yaml', line: 12 }),
          {
            key: 'Api/crm',
            content: {
              apiVersion: 'warden.dev/v1',
              kind: 'Api',
              metadata: { name: 'crm', description: 'Customer records' },
              spec: {
                owner: 'crm-team',
                upstream: { url: 'http://localhost:1' },
                basePath: '/crm',
                mode: 'enforce',
                lifecycle: { status: 'active' },
                sensitivity: 'confidential',
                criticality: 'high',
                dataClasses: ['pii'],
                operations: [{ id: 'getCustomer', method: 'GET', path: '/customers/{id}', parameters: [{ name: 'id', in: 'path', type: 'string', required: true }], deprecated: false }],
              },
            },
          },
          stored('a-c', { file: 'agents/agents.yaml', line: 1 }),
          stored('b2'),
          stored('b10', { file: 'agents/more/agents.yaml', line: 400 }),
        ];
        const record = await store.recordPolicyVersion(version({ appliedAt: new Date('2025-01-01T00:00:00.000Z'), manifests }));
        const read = await store.policyManifests(record.id);
        const expected = [...manifests].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        expect(read.map((manifest) => manifest.key)).toEqual(expected.map((manifest) => manifest.key));
        expect(read).toEqual(expected);
        for (const [index, manifest] of read.entries()) {
          if (expected[index]!.source === undefined) expect(manifest).not.toHaveProperty('source');
          else expect(manifest.source).toEqual(expected[index]!.source);
        }
      });

      it('returns a manifest unchanged across versions correctly for each version', async () => {
        const store = await fresh();
        const shared = stored('shared', { file: 'a.yaml', line: 3 });
        const v1 = await store.recordPolicyVersion(version({ appliedAt: new Date('2025-01-01T00:00:00.000Z'), manifests: [shared, stored('only-v1')] }));
        // Same content under the same key (deduplicated by hash), moved to another file line.
        const moved = { ...stored('shared'), source: { file: 'b.yaml', line: 9 } };
        const v2 = await store.recordPolicyVersion(version({ appliedAt: new Date('2025-01-02T00:00:00.000Z'), manifests: [moved, stored('only-v2')] }));
        // A third version changes the shared manifest's content.
        const changed = stored('shared', { file: 'b.yaml', line: 9 }, 'A new purpose for the shared agent');
        const v3 = await store.recordPolicyVersion(version({ appliedAt: new Date('2025-01-03T00:00:00.000Z'), manifests: [changed] }));

        expect(await store.policyManifests(v1.id)).toEqual([stored('only-v1'), shared]);
        expect(await store.policyManifests(v2.id)).toEqual([stored('only-v2'), moved]);
        expect(await store.policyManifests(v3.id)).toEqual([changed]);
      });

      it('returns nothing for an unknown version id', async () => {
        const store = await fresh();
        const record = await store.recordPolicyVersion(version({ appliedAt: new Date('2025-01-01T00:00:00.000Z'), manifests: [stored('alpha')] }));
        expect(await store.policyManifests(record.id + 1000)).toEqual([]);
      });
    });

    describe('currentPolicyVersion', () => {
      it('is the latest recorded version', async () => {
        const store = await fresh();
        const first = await store.recordPolicyVersion(version({ appliedAt: new Date('2025-01-01T00:00:00.000Z') }));
        expect((await store.currentPolicyVersion())?.id).toBe(first.id);
        const second = await store.recordPolicyVersion(version({ appliedAt: new Date('2025-01-02T00:00:00.000Z') }));
        expect(await store.currentPolicyVersion()).toEqual(second);
      });
    });

    describe('policyVersionAt', () => {
      it('returns the version in force at a moment', async () => {
        const store = await fresh();
        const t1 = new Date('2025-01-01T12:00:00.100Z');
        const t2 = new Date('2025-01-01T12:00:00.200Z');
        const t3 = new Date('2025-02-01T00:00:00.000Z');
        const v1 = await store.recordPolicyVersion(version({ appliedAt: t1 }));
        const v2 = await store.recordPolicyVersion(version({ appliedAt: t2 }));
        const v3 = await store.recordPolicyVersion(version({ appliedAt: t3 }));
        const at = async (time: Date | string) => (await store.policyVersionAt(typeof time === 'string' ? new Date(time) : time))?.id;

        expect(await at('2024-12-31T23:59:59.999Z')).toBeUndefined();
        expect(await at('2025-01-01T12:00:00.099Z')).toBeUndefined();
        expect(await at(t1)).toBe(v1.id);
        expect(await at('2025-01-01T12:00:00.150Z')).toBe(v1.id);
        expect(await at('2025-01-01T12:00:00.199Z')).toBe(v1.id);
        expect(await at(t2)).toBe(v2.id);
        expect(await at('2025-01-15T00:00:00.000Z')).toBe(v2.id);
        expect(await at(t3)).toBe(v3.id);
        expect(await at('2030-01-01T00:00:00.000Z')).toBe(v3.id);
        expect(await store.policyVersionAt(new Date('2025-01-15T00:00:00.000Z'))).toEqual(v2);
      });

      it('prefers the later of two versions applied in the same millisecond', async () => {
        const store = await fresh();
        const time = new Date('2025-01-01T00:00:00.000Z');
        await store.recordPolicyVersion(version({ appliedAt: time, version: 'sha256:first' }));
        const later = await store.recordPolicyVersion(version({ appliedAt: time, version: 'sha256:second' }));
        expect((await store.policyVersionAt(time))?.id).toBe(later.id);
        expect((await store.currentPolicyVersion())?.id).toBe(later.id);
      });
    });

    describe('listPolicyVersions', () => {
      it('lists newest first, with limit and before paging', async () => {
        const store = await fresh();
        const ids: number[] = [];
        for (let index = 0; index < 5; index += 1) {
          ids.push((await store.recordPolicyVersion(version({ appliedAt: new Date(Date.UTC(2025, 0, 1 + index)) }))).id);
        }
        const newestFirst = [...ids].reverse();
        const listed = async (options?: { limit?: number; before?: number }) => (await store.listPolicyVersions(options)).map((record) => record.id);

        expect(await listed()).toEqual(newestFirst);
        expect(await listed({ limit: 2 })).toEqual(newestFirst.slice(0, 2));
        expect(await listed({ limit: 100 })).toEqual(newestFirst);
        expect(await listed({ before: ids[3]! })).toEqual(newestFirst.slice(2));
        expect(await listed({ before: ids[3]!, limit: 2 })).toEqual(newestFirst.slice(2, 4));
        expect(await listed({ before: ids[0]! })).toEqual([]);

        // Walking the pages visits every version exactly once.
        const walked: number[] = [];
        let page = await listed({ limit: 2 });
        while (page.length > 0) {
          walked.push(...page);
          page = await listed({ limit: 2, before: page[page.length - 1]! });
        }
        expect(walked).toEqual(newestFirst);

        const records = await store.listPolicyVersions({ limit: 1 });
        expect(records[0]?.appliedAt.toISOString()).toBe('2025-01-05T00:00:00.000Z');
      });
    });

    describe('API keys', () => {
      const key = (id: string, digest: string, revokedAt?: Date): ApiKeyRecord => ({
        id,
        digest,
        createdAt: new Date('2026-01-01T00:00:00.000Z'),
        expiresAt: new Date('2026-04-01T00:00:00.000Z'),
        revokedAt,
      });

      it('lists stored keys sorted by id, every field round-tripped', async () => {
        const store = await fresh();
        await store.putApiKey(key('key_zulu0001', 'ab'.repeat(32)));
        await store.putApiKey(key('key_alpha001', 'cd'.repeat(32), new Date('2026-02-01T12:00:00.000Z')));
        expect(await store.listApiKeys()).toEqual([key('key_alpha001', 'cd'.repeat(32), new Date('2026-02-01T12:00:00.000Z')), key('key_zulu0001', 'ab'.repeat(32))]);
      });

      it('replaces the key with the same id (rotation, revocation)', async () => {
        const store = await fresh();
        await store.putApiKey(key('key_alpha001', 'ab'.repeat(32)));
        await store.putApiKey(key('key_alpha001', 'ef'.repeat(32), new Date('2026-03-01T00:00:00.000Z')));
        expect(await store.listApiKeys()).toEqual([key('key_alpha001', 'ef'.repeat(32), new Date('2026-03-01T00:00:00.000Z'))]);
      });

      /** A key issued through the admin API, every optional field set, times with milliseconds. */
      const issued = (id: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
        ...key(id, '0f'.repeat(32)),
        createdAt: new Date('2026-01-01T08:00:00.123Z'),
        expiresAt: new Date('2026-04-01T08:00:00.456Z'),
        agent: 'support-bot',
        createdBy: 'zoë@example.com',
        lastUsedAt: new Date('2026-01-15T12:34:56.789Z'),
        expiryWarnedAt: new Date('2026-03-18T08:00:00.001Z'),
        replacedBy: 'key_beta0001',
        ...overrides,
      });

      it('gets a key by id, undefined for an unknown one', async () => {
        const store = await fresh();
        await store.putApiKey(key('key_zulu0001', 'ab'.repeat(32)));
        await store.putApiKey(key('key_alpha001', 'cd'.repeat(32), new Date('2026-02-01T12:00:00.000Z')));
        expect(await store.getApiKey('key_alpha001')).toEqual(key('key_alpha001', 'cd'.repeat(32), new Date('2026-02-01T12:00:00.000Z')));
        expect(await store.getApiKey('key_zulu0001')).toEqual(key('key_zulu0001', 'ab'.repeat(32)));
        expect(await store.getApiKey('key_unknown1')).toBeUndefined();
      });

      it('round-trips the optional fields, and keeps absent ones absent', async () => {
        const store = await fresh();
        const full = issued('key_alpha001');
        const plain = key('key_zulu0001', 'ab'.repeat(32));
        await store.putApiKey(full);
        await store.putApiKey(plain);
        expect(await store.getApiKey('key_alpha001')).toEqual(full);
        expect(await store.listApiKeys()).toEqual([full, plain]);

        const read = (await store.getApiKey('key_alpha001'))!;
        expect(read.agent).toBe('support-bot');
        expect(read.createdBy).toBe('zoë@example.com');
        expect(read.replacedBy).toBe('key_beta0001');
        expect(read.lastUsedAt!.toISOString()).toBe('2026-01-15T12:34:56.789Z');
        expect(read.expiryWarnedAt!.toISOString()).toBe('2026-03-18T08:00:00.001Z');
        expect(read.createdAt.toISOString()).toBe('2026-01-01T08:00:00.123Z');
        expect(read.expiresAt.toISOString()).toBe('2026-04-01T08:00:00.456Z');

        const bare = (await store.getApiKey('key_zulu0001'))!;
        for (const field of ['agent', 'createdBy', 'lastUsedAt', 'expiryWarnedAt', 'replacedBy', 'revokedAt'] as const) expect(bare[field]).toBeUndefined();
      });

      it('replaces the optional fields with the key (rotation marks the old key replaced)', async () => {
        const store = await fresh();
        await store.putApiKey(issued('key_alpha001', { replacedBy: undefined, expiryWarnedAt: undefined }));
        const rotated = issued('key_alpha001', { replacedBy: 'key_gamma001', revokedAt: new Date('2026-02-02T02:02:02.202Z') });
        await store.putApiKey(rotated);
        expect(await store.getApiKey('key_alpha001')).toEqual(rotated);
        expect(await store.listApiKeys()).toEqual([rotated]);
      });

      describe('conditional key updates (revoke, replace, warn)', () => {
        it('revokes once: a second revocation changes nothing and says so', async () => {
          const store = await fresh();
          await store.putApiKey(issued('key_alpha001', { revokedAt: undefined }));
          expect(await store.revokeApiKey('key_alpha001', new Date('2026-02-01T00:00:00.000Z'))).toBe(true);
          expect(await store.revokeApiKey('key_alpha001', new Date('2026-03-01T00:00:00.000Z'))).toBe(false);
          expect((await store.getApiKey('key_alpha001'))?.revokedAt?.toISOString()).toBe('2026-02-01T00:00:00.000Z');
          expect(await store.revokeApiKey('key_nothere01', new Date())).toBe(false);
        });

        it('replaces a key once, and never a revoked one: a rotation cannot bring a revoked key back', async () => {
          const store = await fresh();
          await store.putApiKey(issued('key_alpha001', { revokedAt: undefined, replacedBy: undefined }));
          const overlap = new Date('2026-01-02T08:00:00.000Z');
          expect(await store.replaceApiKey('key_alpha001', 'key_beta0001', overlap)).toBe(true);
          expect(await store.replaceApiKey('key_alpha001', 'key_gamma001', overlap)).toBe(false);
          expect(await store.getApiKey('key_alpha001')).toMatchObject({ replacedBy: 'key_beta0001', expiresAt: overlap });
          await store.putApiKey(issued('key_delta001', { revokedAt: undefined, replacedBy: undefined }));
          expect(await store.revokeApiKey('key_delta001', new Date('2026-02-01T00:00:00.000Z'))).toBe(true);
          expect(await store.replaceApiKey('key_delta001', 'key_epsilon1', overlap)).toBe(false);
          const revoked = await store.getApiKey('key_delta001');
          expect(revoked?.revokedAt?.toISOString()).toBe('2026-02-01T00:00:00.000Z');
          expect(revoked?.replacedBy).toBeUndefined();
        });

        it('notes an expiry warning once', async () => {
          const store = await fresh();
          await store.putApiKey(issued('key_alpha001', { expiryWarnedAt: undefined }));
          expect(await store.markApiKeyWarned('key_alpha001', new Date('2026-03-20T00:00:00.000Z'))).toBe(true);
          expect(await store.markApiKeyWarned('key_alpha001', new Date('2026-03-21T00:00:00.000Z'))).toBe(false);
          expect((await store.getApiKey('key_alpha001'))?.expiryWarnedAt?.toISOString()).toBe('2026-03-20T00:00:00.000Z');
        });
      });

      describe('markApiKeysUsed', () => {
        it('records the last use of several keys at once, touching nothing else', async () => {
          const store = await fresh();
          const never = key('key_alpha001', 'ab'.repeat(32));
          const before = issued('key_beta0001');
          const untouched = issued('key_gamma001');
          for (const record of [never, before, untouched]) await store.putApiKey(record);
          await store.markApiKeysUsed(
            new Map([
              ['key_alpha001', new Date('2026-02-01T10:00:00.001Z')],
              ['key_beta0001', new Date('2026-02-01T10:00:00.002Z')],
            ]),
          );
          expect(await store.getApiKey('key_alpha001')).toEqual({ ...never, lastUsedAt: new Date('2026-02-01T10:00:00.001Z') });
          expect(await store.getApiKey('key_beta0001')).toEqual({ ...before, lastUsedAt: new Date('2026-02-01T10:00:00.002Z') });
          expect(await store.getApiKey('key_gamma001')).toEqual(untouched);
          expect((await store.listApiKeys()).map((record) => record.lastUsedAt?.toISOString())).toEqual(['2026-02-01T10:00:00.001Z', '2026-02-01T10:00:00.002Z', '2026-01-15T12:34:56.789Z']);
        });

        it('never moves the last use backwards', async () => {
          const store = await fresh();
          await store.putApiKey(issued('key_alpha001', { lastUsedAt: undefined }));
          const used = (time: string) => store.markApiKeysUsed(new Map([['key_alpha001', new Date(time)]]));
          const last = async () => (await store.getApiKey('key_alpha001'))!.lastUsedAt?.toISOString();

          await used('2026-02-01T10:00:00.500Z');
          expect(await last()).toBe('2026-02-01T10:00:00.500Z');
          await used('2026-02-01T10:00:00.499Z');
          expect(await last()).toBe('2026-02-01T10:00:00.500Z');
          await used('2026-01-01T00:00:00.000Z');
          expect(await last()).toBe('2026-02-01T10:00:00.500Z');
          await used('2026-02-01T10:00:00.500Z');
          expect(await last()).toBe('2026-02-01T10:00:00.500Z');
          await used('2026-02-01T10:00:00.501Z');
          expect(await last()).toBe('2026-02-01T10:00:00.501Z');
          await used('2026-02-01T10:00:01.000Z');
          expect(await last()).toBe('2026-02-01T10:00:01.000Z');
        });

        it('keeps the latest of concurrent reports from several gateways', async () => {
          const store = await fresh();
          await store.putApiKey(key('key_alpha001', 'ab'.repeat(32)));
          await store.putApiKey(key('key_beta0001', 'cd'.repeat(32)));
          await Promise.all([
            store.markApiKeysUsed(new Map([['key_alpha001', new Date('2026-02-01T10:00:09.000Z')], ['key_beta0001', new Date('2026-02-01T10:00:01.000Z')]])),
            store.markApiKeysUsed(new Map([['key_alpha001', new Date('2026-02-01T10:00:03.000Z')], ['key_beta0001', new Date('2026-02-01T10:00:07.000Z')]])),
            store.markApiKeysUsed(new Map([['key_alpha001', new Date('2026-02-01T10:00:06.000Z')]])),
          ]);
          expect((await store.getApiKey('key_alpha001'))!.lastUsedAt).toEqual(new Date('2026-02-01T10:00:09.000Z'));
          expect((await store.getApiKey('key_beta0001'))!.lastUsedAt).toEqual(new Date('2026-02-01T10:00:07.000Z'));
        });

        it('ignores unknown keys and accepts an empty map', async () => {
          const store = await fresh();
          const record = key('key_alpha001', 'ab'.repeat(32));
          await store.putApiKey(record);
          await store.markApiKeysUsed(new Map());
          await store.markApiKeysUsed(new Map([['key_unknown1', new Date('2026-02-01T10:00:00.000Z')]]));
          expect(await store.getApiKey('key_unknown1')).toBeUndefined();
          expect(await store.listApiKeys()).toEqual([record]);
          expect((await store.getApiKey('key_alpha001'))!.lastUsedAt).toBeUndefined();
        });
      });
    });
    describe('detection', () => {
      const newIncident = (id: string, agent = 'crm-reader', detectedAt = '2026-03-02T10:05:00.000Z') => ({ id, agent, severity: 'medium' as const, detectors: ['burst' as const], firstEventAt: '2026-03-02T10:00:00.000Z', detectedAt });

      it('saves baselines, replacing those of the same subject', async () => {
        const store = await fresh();
        expect(await store.detection.loadBaselines()).toEqual([]);
        await store.detection.saveBaselines([
          { subject: 'role:crm-read', state: '{"rate":1}', updatedAt: new Date('2026-03-01T00:00:00.000Z') },
          { subject: 'agent:crm-reader', state: '{"rate":2}', updatedAt: new Date('2026-03-01T00:00:00.000Z') },
        ]);
        await store.detection.saveBaselines([{ subject: 'agent:crm-reader', state: '{"rate":3}', updatedAt: new Date('2026-03-02T00:00:00.000Z') }]);
        await store.detection.saveBaselines([]);
        expect(await store.detection.loadBaselines()).toEqual([
          { subject: 'agent:crm-reader', state: '{"rate":3}', updatedAt: new Date('2026-03-02T00:00:00.000Z') },
          { subject: 'role:crm-read', state: '{"rate":1}', updatedAt: new Date('2026-03-01T00:00:00.000Z') },
        ]);
      });

      it('creates an open incident with no alerts and no actions', async () => {
        const store = await fresh();
        const created = await store.detection.createIncident(newIncident('inc_0000000000000001'), new Date('2026-03-02T10:05:01.000Z'));
        expect(created).toEqual({
          id: 'inc_0000000000000001',
          agent: 'crm-reader',
          status: 'open',
          severity: 'medium',
          detectors: ['burst'],
          alertCount: 0,
          firstEventAt: '2026-03-02T10:00:00.000Z',
          detectedAt: '2026-03-02T10:05:00.000Z',
          containedAt: undefined,
          resolvedAt: undefined,
          resolution: undefined,
          holdId: undefined,
          actions: [],
          updatedAt: '2026-03-02T10:05:01.000Z',
        });
        expect(await store.detection.getIncident('inc_0000000000000001')).toEqual(created);
        expect(await store.detection.getIncident('inc_ffffffffffffffff')).toBeUndefined();
      });

      it('applies changes, keeps what a change leaves out, and appends actions in order', async () => {
        const store = await fresh();
        await store.detection.createIncident(newIncident('inc_0000000000000001'), new Date('2026-03-02T10:05:01.000Z'));
        const actions = [
          { time: '2026-03-02T10:05:02.000Z', by: 'detector', action: 'hold', detail: 'legal hold hold_1 placed', ok: true },
          { time: '2026-03-02T10:05:03.000Z', by: 'playbook:bulk-read', action: 'throttle', detail: '10/minute for 1 h', ok: true },
          { time: '2026-03-02T10:05:03.000Z', by: 'playbook:bulk-read', action: 'revoke-credentials', detail: 'no credential to revoke', ok: false },
        ];
        await store.detection.updateIncident('inc_0000000000000001', { holdId: 'hold_1', addAction: actions[0], updatedAt: new Date('2026-03-02T10:05:02.000Z') });
        await store.detection.updateIncident('inc_0000000000000001', { status: 'contained', containedAt: '2026-03-02T10:05:03.000Z', addAction: actions[1], updatedAt: new Date('2026-03-02T10:05:03.000Z') });
        await store.detection.updateIncident('inc_0000000000000001', { severity: 'critical', detectors: ['burst', 'bulk-read'], firstEventAt: '2026-03-02T09:58:00.000Z', addAction: actions[2], updatedAt: new Date('2026-03-02T10:05:04.000Z') });
        const updated = await store.detection.updateIncident('inc_0000000000000001', { status: 'resolved', resolvedAt: '2026-03-02T12:00:00.000Z', resolution: 'owner confirmed a migration job', updatedAt: new Date('2026-03-02T12:00:00.000Z') });
        expect(updated).toMatchObject({
          status: 'resolved',
          severity: 'critical',
          detectors: ['burst', 'bulk-read'],
          firstEventAt: '2026-03-02T09:58:00.000Z',
          detectedAt: '2026-03-02T10:05:00.000Z',
          containedAt: '2026-03-02T10:05:03.000Z',
          resolvedAt: '2026-03-02T12:00:00.000Z',
          resolution: 'owner confirmed a migration job',
          holdId: 'hold_1',
          updatedAt: '2026-03-02T12:00:00.000Z',
        });
        expect(updated!.actions).toEqual(actions);
        expect(await store.detection.getIncident('inc_0000000000000001')).toEqual(updated);
        const reopened = await store.detection.updateIncident('inc_0000000000000001', { status: 'open', resolvedAt: null, resolution: null, updatedAt: new Date('2026-03-02T13:00:00.000Z') });
        expect(reopened).toMatchObject({ status: 'open', resolvedAt: undefined, resolution: undefined, containedAt: '2026-03-02T10:05:03.000Z', holdId: 'hold_1' });
        expect(await store.detection.updateIncident('inc_ffffffffffffffff', { status: 'resolved', addAction: actions[0], updatedAt: new Date() })).toBeUndefined();
      });

      it('finds the agent\'s active incident: open or contained, never closed', async () => {
        const store = await fresh();
        expect(await store.detection.activeIncidentFor('crm-reader')).toBeUndefined();
        await store.detection.createIncident(newIncident('inc_0000000000000001', 'crm-reader', '2026-03-01T10:00:00.000Z'), new Date('2026-03-01T10:00:00.000Z'));
        await store.detection.updateIncident('inc_0000000000000001', { status: 'false_positive', resolvedAt: '2026-03-01T11:00:00.000Z', updatedAt: new Date('2026-03-01T11:00:00.000Z') });
        expect(await store.detection.activeIncidentFor('crm-reader')).toBeUndefined();
        await store.detection.createIncident(newIncident('inc_0000000000000002', 'crm-reader', '2026-03-02T10:00:00.000Z'), new Date('2026-03-02T10:00:00.000Z'));
        await store.detection.createIncident(newIncident('inc_0000000000000003', 'billing-bot', '2026-03-02T10:00:00.000Z'), new Date('2026-03-02T10:00:00.000Z'));
        expect((await store.detection.activeIncidentFor('crm-reader'))?.id).toBe('inc_0000000000000002');
        await store.detection.updateIncident('inc_0000000000000002', { status: 'contained', updatedAt: new Date('2026-03-02T10:01:00.000Z') });
        expect((await store.detection.activeIncidentFor('crm-reader'))?.id).toBe('inc_0000000000000002');
        expect((await store.detection.activeIncidentFor('billing-bot'))?.id).toBe('inc_0000000000000003');
      });

      it('lists incidents newest first, by status and agent', async () => {
        const store = await fresh();
        await store.detection.createIncident(newIncident('inc_0000000000000001', 'crm-reader', '2026-03-01T10:00:00.000Z'), new Date('2026-03-01T10:00:00.000Z'));
        await store.detection.createIncident(newIncident('inc_0000000000000002', 'billing-bot', '2026-03-03T10:00:00.000Z'), new Date('2026-03-03T10:00:00.000Z'));
        await store.detection.createIncident(newIncident('inc_0000000000000003', 'crm-reader', '2026-03-02T10:00:00.000Z'), new Date('2026-03-02T10:00:00.000Z'));
        await store.detection.updateIncident('inc_0000000000000001', { status: 'resolved', updatedAt: new Date('2026-03-04T00:00:00.000Z') });
        const ids = (list: { id: string }[]) => list.map((incident) => incident.id);
        expect(ids(await store.detection.listIncidents())).toEqual(['inc_0000000000000002', 'inc_0000000000000003', 'inc_0000000000000001']);
        expect(ids(await store.detection.listIncidents({ status: ['open', 'contained'] }))).toEqual(['inc_0000000000000002', 'inc_0000000000000003']);
        expect(ids(await store.detection.listIncidents({ agent: 'crm-reader' }))).toEqual(['inc_0000000000000003', 'inc_0000000000000001']);
        expect(ids(await store.detection.listIncidents({ agent: 'crm-reader', status: ['resolved'] }))).toEqual(['inc_0000000000000001']);
        expect(ids(await store.detection.listIncidents({ limit: 1 }))).toEqual(['inc_0000000000000002']);
        expect(ids(await store.detection.listIncidents({ since: '2026-03-02T10:00:00.000Z' }))).toEqual(['inc_0000000000000002', 'inc_0000000000000003']);
      });

      it('stores alerts under their incident, counts them and lists them oldest first', async () => {
        const store = await fresh();
        await store.detection.createIncident(newIncident('inc_0000000000000001'), new Date('2026-03-02T10:05:00.000Z'));
        await store.detection.createIncident(newIncident('inc_0000000000000002', 'billing-bot'), new Date('2026-03-02T10:05:00.000Z'));
        const later = alertOf('alr_0000000000000002', { time: '2026-03-02T10:09:00.000Z', detector: 'bulk-read', severity: 'high' });
        const earlier = alertOf('alr_0000000000000001');
        const sparse = alertOf('alr_0000000000000003', { agent: 'billing-bot', api: undefined, sensitivity: undefined, credential: undefined });
        await store.detection.addAlert(later, 'inc_0000000000000001');
        await store.detection.addAlert(earlier, 'inc_0000000000000001');
        await store.detection.addAlert(sparse, 'inc_0000000000000002');
        expect(await store.detection.listAlerts({ incident: 'inc_0000000000000001' })).toEqual([earlier, later]);
        expect(await store.detection.listAlerts({ agent: 'billing-bot' })).toEqual([sparse]);
        expect(await store.detection.listAlerts({ incident: 'inc_0000000000000001', limit: 1 })).toEqual([earlier]);
        expect((await store.detection.getIncident('inc_0000000000000001'))!.alertCount).toBe(2);
        expect((await store.detection.getIncident('inc_0000000000000002'))!.alertCount).toBe(1);
      });

      it('lists containments in force, which lapse at their until', async () => {
        const store = await fresh();
        const throttle = containment('cnt_0000000000000001');
        const stepUp = containment('cnt_0000000000000002', { kind: 'step-up', rate: undefined, until: '2026-03-02T12:00:00.000Z', incident: undefined, by: 'sam@example.com' });
        await store.detection.putContainment(throttle);
        await store.detection.putContainment(stepUp);
        expect(await store.detection.listContainments(new Date('2026-03-02T10:30:00.000Z'))).toEqual([throttle, stepUp]);
        expect(await store.detection.listContainments(new Date('2026-03-02T11:04:59.999Z'))).toEqual([throttle, stepUp]);
        expect(await store.detection.listContainments(new Date('2026-03-02T11:05:00.000Z'))).toEqual([stepUp]);
        expect(await store.detection.listContainments(new Date('2026-03-02T12:00:00.000Z'))).toEqual([]);
      });

      it('replaces a containment put again with the same id (an extension)', async () => {
        const store = await fresh();
        await store.detection.putContainment(containment('cnt_0000000000000001'));
        const extended = containment('cnt_0000000000000001', { until: '2026-03-02T13:00:00.000Z', rate: '5/minute' });
        await store.detection.putContainment(extended);
        expect(await store.detection.listContainments(new Date('2026-03-02T12:00:00.000Z'))).toEqual([extended]);
      });

      it('lifts an agent\'s containments, all or those of one incident', async () => {
        const store = await fresh();
        const now = new Date('2026-03-02T10:30:00.000Z');
        const first = containment('cnt_0000000000000001');
        const second = containment('cnt_0000000000000002', { kind: 'step-up', rate: undefined, incident: 'inc_0000000000000002' });
        const other = containment('cnt_0000000000000003', { agent: 'billing-bot' });
        for (const record of [first, second, other]) await store.detection.putContainment(record);
        expect(await store.detection.liftContainments('crm-reader', 'inc_0000000000000001')).toBe(1);
        expect(await store.detection.listContainments(now)).toEqual([other, second].sort((a, b) => a.agent.localeCompare(b.agent)));
        expect(await store.detection.liftContainments('crm-reader')).toBe(1);
        expect(await store.detection.liftContainments('crm-reader')).toBe(0);
        expect(await store.detection.listContainments(now)).toEqual([other]);
      });
    });
  });
}
