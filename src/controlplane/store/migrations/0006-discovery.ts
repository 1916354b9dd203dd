import type { Kysely, Migration } from 'kysely';

/**
 * Discovery (controlplane/discovery/):
 *
 * - `discovery_findings`: what discovery found that a person should look at — shadow, zombie
 *   and orphan endpoints, unregistered clients, APIs an active scan found — and the review
 *   decision on each (`open` → `adopted` | `ignored` with a reason | `decommission` with a
 *   date). The id is derived from what was found, so a later import updates the same row and
 *   a decision survives it.
 * - `discovery_runs`: one row per import or scan, with the inventory completeness it measured,
 *   so reports can show the latest figure and its trend.
 */
export function discovery(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('discovery_findings')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('subject', 'text', (column) => column.notNull())
        // The latest inventory entry (JSON): hits, statuses, zombie reason, endpoints touched, …
        .addColumn('details', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('reason', 'text')
        .addColumn('decommission_on', 'text')
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'text')
        .addColumn('first_reported', 'text', (column) => column.notNull())
        .addColumn('last_reported', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('discovery_findings_status').on('discovery_findings').columns(['status', 'kind']).execute();
      await db.schema
        .createTable('discovery_runs')
        .addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement())
        .addColumn('at', 'text', (column) => column.notNull())
        .addColumn('source', 'text', (column) => column.notNull())
        .addColumn('calls', 'integer', (column) => column.notNull())
        .addColumn('observed_endpoints', 'integer', (column) => column.notNull())
        .addColumn('documented_owned', 'integer', (column) => column.notNull())
        .execute();
    },
  };
}
