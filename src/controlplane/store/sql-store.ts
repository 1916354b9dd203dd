import { Migrator, type Kysely, type Selectable } from 'kysely';
import type { Manifest } from '../../model/manifests/index.js';
import { canonicalJson, contentHash } from '../../policy/content-hash.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';
import { PolicyConflictError, type ManifestDiff, type NewPolicyVersion, type PolicyVersionRecord, type Store, type StoredManifest } from './store.js';

export type SqlDialectName = 'sqlite' | 'postgres';

type VersionRow = Selectable<Database['policy_versions']>;

/** The Store over any SQL database Kysely speaks; dialect factories supply the connection. */
export class SqlStore implements Store {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
  ) {}

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
