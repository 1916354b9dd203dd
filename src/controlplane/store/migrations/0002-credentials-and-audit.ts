import type { Kysely, Migration } from 'kysely';

/** Warden-issued API keys (digests only) and the audit log the data plane writes. */
export function credentialsAndAudit(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('digest', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      // `seq` is assigned by the audit writer, which also chains the hashes, so it is a plain key.
      await db.schema
        .createTable('audit_events')
        .addColumn('seq', 'bigint', (column) => column.primaryKey())
        .addColumn('id', 'text', (column) => column.notNull().unique())
        .addColumn('time', 'text', (column) => column.notNull())
        .addColumn('request_id', 'text', (column) => column.notNull())
        .addColumn('agent', 'text')
        .addColumn('api', 'text')
        .addColumn('operation', 'text')
        .addColumn('decision', 'text', (column) => column.notNull())
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('status', 'integer', (column) => column.notNull())
        .addColumn('event', 'text', (column) => column.notNull())
        .addColumn('hash', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('audit_events_time').on('audit_events').column('time').execute();
      await db.schema.createIndex('audit_events_agent_time').on('audit_events').columns(['agent', 'time']).execute();
      await db.schema.createIndex('audit_events_api_time').on('audit_events').columns(['api', 'time']).execute();
      await db.schema.createIndex('audit_events_decision_time').on('audit_events').columns(['decision', 'time']).execute();
      await db.schema.createIndex('audit_events_request_id').on('audit_events').column('request_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('audit_events').execute();
      await db.schema.dropTable('api_keys').execute();
    },
  };
}
