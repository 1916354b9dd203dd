import type { ColumnDefinitionBuilder, Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../sql-store.js';

/**
 * Governance: the runtime side of the policy. Agent lifecycle records and their history,
 * credentials issued and bound at run time, rules added by access requests and reviews,
 * admin tokens and the admin action log, owners, and usage seen by the gateway.
 */
export function governance(dialect: SqlDialectName): Migration {
  const serial = (column: ColumnDefinitionBuilder) => (dialect === 'sqlite' ? column.primaryKey().autoIncrement() : column.primaryKey().generatedAlwaysAsIdentity());
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('agent_records')
        .addColumn('name', 'text', (column) => column.primaryKey())
        // `manifest`: defined by an applied Agent manifest; `api`: proposed through the admin API.
        .addColumn('source', 'text', (column) => column.notNull())
        // The Agent manifest of an API-proposed agent; null for manifest agents (the manifest is the definition).
        .addColumn('definition', 'text')
        .addColumn('state', 'text', (column) => column.notNull())
        .addColumn('state_since', 'text', (column) => column.notNull())
        .addColumn('template', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('created_by', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('agent_transitions')
        .addColumn('id', 'integer', serial)
        .addColumn('agent', 'text', (column) => column.notNull())
        .addColumn('from_state', 'text')
        .addColumn('to_state', 'text', (column) => column.notNull())
        .addColumn('action', 'text', (column) => column.notNull())
        .addColumn('actor', 'text', (column) => column.notNull())
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('at', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('agent_transitions_agent').on('agent_transitions').columns(['agent', 'id']).execute();

      await db.schema.alterTable('api_keys').addColumn('agent', 'text').execute();
      await db.schema.alterTable('api_keys').addColumn('created_by', 'text').execute();
      await db.schema.alterTable('api_keys').addColumn('last_used_at', 'text').execute();
      await db.schema.alterTable('api_keys').addColumn('expiry_warned_at', 'text').execute();
      await db.schema.alterTable('api_keys').addColumn('replaced_by', 'text').execute();

      await db.schema
        .createTable('credential_bindings')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('agent', 'text', (column) => column.notNull())
        // The binding as an Agent manifest writes it (jwt or mtls), JSON.
        .addColumn('binding', 'text', (column) => column.notNull())
        // One canonical key per bound identity, so no identity is bound twice.
        .addColumn('identity', 'text', (column) => column.notNull().unique())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('created_by', 'text', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('runtime_rules')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('agent', 'text', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('rule', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('source', 'text', (column) => column.notNull())
        .addColumn('source_id', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('created_by', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('runtime_rules_agent').on('runtime_rules').column('agent').execute();

      await db.schema
        .createTable('access_requests')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('agent', 'text', (column) => column.notNull())
        .addColumn('api', 'text', (column) => column.notNull())
        .addColumn('operation', 'text', (column) => column.notNull())
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('duration_days', 'integer')
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('risk', 'text', (column) => column.notNull())
        .addColumn('requested_at', 'text', (column) => column.notNull())
        .addColumn('requested_by', 'text', (column) => column.notNull())
        .addColumn('decided_at', 'text')
        .addColumn('decided_by', 'text')
        .addColumn('decision_reason', 'text')
        .addColumn('rule_id', 'text')
        .execute();
      await db.schema.createIndex('access_requests_status').on('access_requests').columns(['status', 'requested_at']).execute();

      await db.schema
        .createTable('admin_tokens')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('digest', 'text', (column) => column.notNull())
        .addColumn('subject', 'text', (column) => column.notNull())
        .addColumn('roles', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('created_by', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('last_used_at', 'text')
        .execute();

      await db.schema
        .createTable('admin_events')
        .addColumn('seq', 'integer', serial)
        .addColumn('time', 'text', (column) => column.notNull())
        .addColumn('actor', 'text', (column) => column.notNull())
        .addColumn('roles', 'text', (column) => column.notNull())
        .addColumn('action', 'text', (column) => column.notNull())
        .addColumn('target', 'text', (column) => column.notNull())
        .addColumn('outcome', 'text', (column) => column.notNull())
        .addColumn('detail', 'text')
        .addColumn('before', 'text')
        .addColumn('after', 'text')
        .execute();
      await db.schema.createIndex('admin_events_time').on('admin_events').column('time').execute();

      await db.schema
        .createTable('owners')
        .addColumn('email', 'text', (column) => column.primaryKey())
        .addColumn('active', 'integer', (column) => column.notNull())
        .addColumn('left_at', 'text')
        .addColumn('updated_by', 'text', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('usage')
        .addColumn('agent', 'text', (column) => column.notNull())
        .addColumn('api', 'text', (column) => column.notNull())
        .addColumn('operation', 'text', (column) => column.notNull())
        // The rule that allowed the calls (`role/grants/id`); '' for calls no rule allowed.
        .addColumn('rule', 'text', (column) => column.notNull())
        .addColumn('last_used_at', 'text', (column) => column.notNull())
        .addColumn('calls', 'integer', (column) => column.notNull())
        .addPrimaryKeyConstraint('usage_pk', ['agent', 'api', 'operation', 'rule'])
        .execute();

      await db.schema
        .createTable('review_decisions')
        .addColumn('id', 'integer', serial)
        .addColumn('agent', 'text', (column) => column.notNull())
        .addColumn('item', 'text', (column) => column.notNull())
        .addColumn('decision', 'text', (column) => column.notNull())
        .addColumn('actor', 'text', (column) => column.notNull())
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('at', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('review_decisions_agent').on('review_decisions').columns(['agent', 'item']).execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['review_decisions', 'usage', 'owners', 'admin_events', 'admin_tokens', 'access_requests', 'runtime_rules', 'credential_bindings', 'agent_transitions', 'agent_records']) {
        await db.schema.dropTable(table).execute();
      }
      for (const column of ['replaced_by', 'expiry_warned_at', 'last_used_at', 'created_by', 'agent']) await db.schema.alterTable('api_keys').dropColumn(column).execute();
    },
  };
}
