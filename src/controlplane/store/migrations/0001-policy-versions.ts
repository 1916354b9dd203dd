import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../sql-store.js';

/** Policy history: every applied version and the manifests it consisted of. */
export function policyVersions(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('policy_versions')
        .addColumn('id', 'integer', (column) => (dialect === 'sqlite' ? column.primaryKey().autoIncrement() : column.primaryKey().generatedAlwaysAsIdentity()))
        .addColumn('version', 'text', (column) => column.notNull())
        .addColumn('applied_at', 'text', (column) => column.notNull())
        .addColumn('applied_by', 'text', (column) => column.notNull())
        .addColumn('message', 'text')
        .addColumn('diff', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('policy_versions_applied_at').on('policy_versions').column('applied_at').execute();
      await db.schema
        .createTable('manifest_blobs')
        .addColumn('hash', 'text', (column) => column.primaryKey())
        .addColumn('content', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('policy_manifests')
        .addColumn('version_id', 'integer', (column) => column.notNull().references('policy_versions.id'))
        .addColumn('key', 'text', (column) => column.notNull())
        .addColumn('blob_hash', 'text', (column) => column.notNull().references('manifest_blobs.hash'))
        .addColumn('source_file', 'text')
        .addColumn('source_line', 'integer')
        .addPrimaryKeyConstraint('policy_manifests_pk', ['version_id', 'key'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('policy_manifests').execute();
      await db.schema.dropTable('manifest_blobs').execute();
      await db.schema.dropTable('policy_versions').execute();
    },
  };
}
