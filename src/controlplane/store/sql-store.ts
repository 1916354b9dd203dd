import type Sqlite from 'better-sqlite3';
import { Migrator, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { ApiKeyRecord } from '../../model/api-key.js';
import type { Manifest } from '../../model/manifests/index.js';
import { canonicalJson, contentHash } from '../../policy/content-hash.js';
import type { DetectionStore } from './detection-store.js';
import type { DiscoveryStore } from './discovery-store.js';
import type { GovernanceStore } from './governance-store.js';
import { migrations } from './migrations/index.js';
import { SqlDetectionStore } from './sql-detection-store.js';
import { SqlDiscoveryStore } from './sql-discovery-store.js';
import { SqlGovernanceStore } from './sql-governance-store.js';
import type { Database } from './schema.js';
import { PolicyConflictError, type ManifestDiff, type NewPolicyVersion, type PolicyVersionRecord, type Store, type StoredManifest } from './store.js';

export type SqlDialectName = 'sqlite' | 'postgres';

type VersionRow = Selectable<Database['policy_versions']>;

/** The Store over any SQL database Kysely speaks; dialect factories supply the connection. */
export class SqlStore implements Store {
  readonly governance: GovernanceStore;
  readonly discovery: DiscoveryStore;
  readonly detection: DetectionStore;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
    /** The SQLite connection itself, for the audit log (controlplane/audit/audit-log.ts), which bypasses Kysely for speed. */
    readonly sqlite?: Sqlite.Database,
  ) {
    this.governance = new SqlGovernanceStore(db);
    this.discovery = new SqlDiscoveryStore(db);
    this.detection = new SqlDetectionStore(db);
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: { getMigrations: async () => migrations(this.dialect) } });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
      throw new Error(`database migration ${failed} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async recordPolicyVersion(input: NewPolicyVersion): Promise<PolicyVersionRecord> {
    return this.db.transaction().execute(async (trx) => {
      const latest = await trx.selectFrom('policy_versions').select(['id', 'applied_at']).orderBy('id', 'desc').limit(1).executeTakeFirst();
      if ('basedOn' in input && (latest === undefined ? input.basedOn !== undefined : Number(latest.id) !== input.basedOn)) {
        throw new PolicyConflictError(`policy version ${latest?.id ?? 'none'} was applied meanwhile; re-read it and apply again`);
      }
      if (latest !== undefined && input.appliedAt.toISOString() < latest.applied_at) {
        throw new PolicyConflictError(`appliedAt ${input.appliedAt.toISOString()} is before the current version's ${latest.applied_at}; check the clock`);
      }
      const row = await trx
        .insertInto('policy_versions')
        .values({
          version: input.version,
          applied_at: input.appliedAt.toISOString(),
          applied_by: input.appliedBy,
          message: input.message ?? null,
          diff: JSON.stringify(input.diff),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      for (const manifest of input.manifests) {
        const content = canonicalJson(manifest.content);
        const hash = contentHash(manifest.content);
        await trx.insertInto('manifest_blobs').values({ hash, content }).onConflict((conflict) => conflict.column('hash').doNothing()).execute();
        await trx
          .insertInto('policy_manifests')
          .values({ version_id: row.id, key: manifest.key, blob_hash: hash, source_file: manifest.source?.file ?? null, source_line: manifest.source?.line ?? null })
          .execute();
      }
      return toRecord(row);
    });
  }

  async currentPolicyVersion(): Promise<PolicyVersionRecord | undefined> {
    const row = await this.db.selectFrom('policy_versions').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async policyVersionAt(time: Date): Promise<PolicyVersionRecord | undefined> {
    const row = await this.db
      .selectFrom('policy_versions')
      .selectAll()
      .where('applied_at', '<=', time.toISOString())
      .orderBy('applied_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async listPolicyVersions(options: { limit?: number; before?: number } = {}): Promise<PolicyVersionRecord[]> {
    let query = this.db.selectFrom('policy_versions').selectAll().orderBy('id', 'desc').limit(Math.min(Math.max(options.limit ?? 50, 1), 1000));
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    return (await query.execute()).map(toRecord);
  }

  async policyManifests(id: number): Promise<StoredManifest[]> {
    const rows = await this.db
      .selectFrom('policy_manifests')
      .innerJoin('manifest_blobs', 'manifest_blobs.hash', 'policy_manifests.blob_hash')
      .select(['policy_manifests.key', 'manifest_blobs.content', 'policy_manifests.source_file', 'policy_manifests.source_line'])
      .where('policy_manifests.version_id', '=', id)
      .orderBy('policy_manifests.key')
      .execute();
    return rows.map((row) => ({
      key: row.key,
      content: JSON.parse(row.content) as Manifest,
      ...(row.source_file !== null ? { source: { file: row.source_file, line: row.source_line ?? 1 } } : {}),
    }));
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    const row = apiKeyRow(record);
    const { id: _id, ...update } = row;
    await this.db.insertInto('api_keys').values(row).onConflict((conflict) => conflict.column('id').doUpdateSet(update)).execute();
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : apiKeyRecord(row);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().orderBy('id').execute();
    return rows.map(apiKeyRecord);
  }

  async revokeApiKey(id: string, at: Date): Promise<boolean> {
    const result = await this.db.updateTable('api_keys').set({ revoked_at: at.toISOString() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async replaceApiKey(id: string, successor: string, expiresAt: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ replaced_by: successor, expires_at: expiresAt.toISOString() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .where('replaced_by', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async markApiKeyWarned(id: string, at: Date): Promise<boolean> {
    const result = await this.db.updateTable('api_keys').set({ expiry_warned_at: at.toISOString() }).where('id', '=', id).where('expiry_warned_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async markApiKeysUsed(lastUsed: ReadonlyMap<string, Date>): Promise<void> {
    if (lastUsed.size === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const [id, at] of lastUsed) {
        const time = at.toISOString();
        // Never move last use backwards: usage from two gateways may arrive out of order.
        await trx.updateTable('api_keys').set({ last_used_at: time }).where('id', '=', id).where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', time)])).execute();
      }
    });
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function toRecord(row: VersionRow): PolicyVersionRecord {
  return {
    id: Number(row.id),
    version: row.version,
    appliedAt: new Date(row.applied_at),
    appliedBy: row.applied_by,
    message: row.message ?? undefined,
    diff: JSON.parse(row.diff) as ManifestDiff,
  };
}

function apiKeyRow(record: ApiKeyRecord): Insertable<Database['api_keys']> & { id: string } {
  return {
    id: record.id,
    digest: record.digest,
    created_at: record.createdAt.toISOString(),
    expires_at: record.expiresAt.toISOString(),
    revoked_at: record.revokedAt?.toISOString() ?? null,
    agent: record.agent ?? null,
    created_by: record.createdBy ?? null,
    last_used_at: record.lastUsedAt?.toISOString() ?? null,
    expiry_warned_at: record.expiryWarnedAt?.toISOString() ?? null,
    replaced_by: record.replacedBy ?? null,
  };
}

function apiKeyRecord(row: Selectable<Database['api_keys']>): ApiKeyRecord {
  return {
    id: row.id,
    digest: row.digest,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    revokedAt: row.revoked_at === null ? undefined : new Date(row.revoked_at),
    ...(row.agent !== null ? { agent: row.agent } : {}),
    ...(row.created_by !== null ? { createdBy: row.created_by } : {}),
    ...(row.last_used_at !== null ? { lastUsedAt: new Date(row.last_used_at) } : {}),
    ...(row.expiry_warned_at !== null ? { expiryWarnedAt: new Date(row.expiry_warned_at) } : {}),
    ...(row.replaced_by !== null ? { replacedBy: row.replaced_by } : {}),
  };
}
