import type { ColumnDefinitionBuilder, Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../sql-store.js';

/**
 * Detection (controlplane/detection/):
 *
 * - `detection_baselines`: what normal looks like per agent and per role, as the engine exported
 *   it, so a restart does not relearn from nothing.
 * - `incidents` and `incident_actions`: alerts about one agent grouped while the incident is
 *   open or contained, and what was done about it. Actions are their own rows so appending one
 *   never rewrites the incident and their order is the insertion order.
 * - `detection_alerts`: every alert, under its incident; the columns incident views filter on,
 *   and the rest (reasons, event ids, …) as JSON.
 * - `containments`: time-boxed throttles and step-ups put on an agent; a row lapses at
 *   `until_at` or when a person lifts it.
 */
export function detection(dialect: SqlDialectName): Migration {
  const serial = (column: ColumnDefinitionBuilder) => (dialect === 'sqlite' ? column.primaryKey().autoIncrement() : column.primaryKey().generatedAlwaysAsIdentity());
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('detection_baselines')
        .addColumn('subject', 'text', (column) => column.primaryKey())
        .addColumn('state', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('incidents')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('agent', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('severity', 'text', (column) => column.notNull())
        // JSON array of detector names.
        .addColumn('detectors', 'text', (column) => column.notNull())
        .addColumn('alert_count', 'integer', (column) => column.notNull())
        .addColumn('first_event_at', 'text', (column) => column.notNull())
        .addColumn('detected_at', 'text', (column) => column.notNull())
        .addColumn('contained_at', 'text')
        .addColumn('resolved_at', 'text')
        .addColumn('resolution', 'text')
        .addColumn('hold_id', 'text')
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
      // New alerts look up the agent's active incident; lists filter by status, newest first.
      await db.schema.createIndex('incidents_agent_status').on('incidents').columns(['agent', 'status']).execute();
      await db.schema.createIndex('incidents_status_detected').on('incidents').columns(['status', 'detected_at']).execute();
      await db.schema.createIndex('incidents_detected').on('incidents').columns(['detected_at']).execute();

      await db.schema
        .createTable('incident_actions')
        .addColumn('seq', 'integer', serial)
        .addColumn('incident', 'text', (column) => column.notNull())
        .addColumn('time', 'text', (column) => column.notNull())
        .addColumn('actor', 'text', (column) => column.notNull())
        .addColumn('action', 'text', (column) => column.notNull())
        .addColumn('detail', 'text', (column) => column.notNull())
        .addColumn('ok', 'integer', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('incident_actions_incident').on('incident_actions').columns(['incident', 'seq']).execute();

      await db.schema
        .createTable('detection_alerts')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('incident', 'text', (column) => column.notNull())
        .addColumn('agent', 'text', (column) => column.notNull())
        .addColumn('time', 'text', (column) => column.notNull())
        .addColumn('detector', 'text', (column) => column.notNull())
        .addColumn('severity', 'text', (column) => column.notNull())
        // The whole Alert as JSON: reasons, event ids, roles, api, …
        .addColumn('body', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('detection_alerts_incident').on('detection_alerts').columns(['incident', 'time']).execute();
      await db.schema.createIndex('detection_alerts_agent').on('detection_alerts').columns(['agent', 'time']).execute();

      await db.schema
        .createTable('containments')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('agent', 'text', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('rate', 'text')
        .addColumn('since_at', 'text', (column) => column.notNull())
        .addColumn('until_at', 'text', (column) => column.notNull())
        .addColumn('incident', 'text')
        .addColumn('placed_by', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('containments_until').on('containments').columns(['until_at']).execute();
      await db.schema.createIndex('containments_agent').on('containments').columns(['agent', 'incident']).execute();
    },
  };
}
