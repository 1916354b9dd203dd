import type { Kysely, Migration } from 'kysely';

/**
 * Step-up approvals: a call a grant with `stepUp: true` held for a human, bound to the call's
 * fingerprint, decided once (`pending` → `approved` | `denied` | `expired`) and used once
 * (`approved` → `used`). Times are ISO-8601 UTC with milliseconds, so text order is time order
 * and the conditional updates compare them in the database.
 */
export function approvals(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('approvals')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('agent', 'text', (column) => column.notNull())
        .addColumn('api', 'text', (column) => column.notNull())
        .addColumn('operation', 'text', (column) => column.notNull())
        .addColumn('method', 'text', (column) => column.notNull())
        .addColumn('path', 'text', (column) => column.notNull())
        .addColumn('query', 'text', (column) => column.notNull())
        // What the approver is shown: path, query and body parameters by name (JSON).
        .addColumn('parameters', 'text', (column) => column.notNull())
        // Verified task-context claims (JSON), null when the call carried none.
        .addColumn('context', 'text')
        .addColumn('fingerprint', 'text', (column) => column.notNull())
        .addColumn('request_id', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('requested_at', 'text', (column) => column.notNull())
        // Pending: when it expires undecided; approved: by when the call must be sent.
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .addColumn('decided_at', 'text')
        .addColumn('decided_by', 'text')
        // `admin` (the admin API or CLI) or `callback` (a signed chat-ops callback).
        .addColumn('decided_via', 'text')
        .addColumn('reason', 'text')
        .addColumn('used_at', 'text')
        .addColumn('used_request_id', 'text')
        .execute();
      // An agent's open approval for the same call is looked up on every held call.
      await db.schema.createIndex('approvals_open').on('approvals').columns(['agent', 'fingerprint', 'status']).execute();
      await db.schema.createIndex('approvals_status').on('approvals').columns(['status', 'expires_at']).execute();
      await db.schema.createIndex('approvals_requested').on('approvals').columns(['requested_at', 'id']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('approvals').execute();
    },
  };
}
