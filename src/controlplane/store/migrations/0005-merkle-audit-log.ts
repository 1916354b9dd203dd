import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The audit log as an append-only Merkle log (RFC 6962 hashing; controlplane/audit/):
 *
 * - `audit_blocks`: records in `seq` order, many per row: the writer appends one row per flush
 *   (a few hundred records), which is what lets one process append ≥ 100,000 records/s. A
 *   block holds the records' text (one JSON line each, an empty line once a record is pruned),
 *   their 32-byte leaf hashes (kept when records are pruned, so the tree stays verifiable) and
 *   a summary (time span, agents, APIs, data classes) that lets a query skip whole blocks.
 *   Blocks never cross a segment boundary.
 * - `audit_nodes`: hashes of complete aligned subtrees of 256 leaves and more, so roots and
 *   proofs over millions of records read kilobytes, not the whole log.
 * - `audit_checkpoints`: signed tree heads (size, root, time), each naming the one before.
 * - `audit_segments`: sealed segments that retention has pruned, and whether any record is left.
 * - `audit_holds`: legal holds on an agent or an incident; held records are never pruned.
 * - `audit_sink_cursors`: how far each SIEM export sink has delivered.
 *
 * The hash-chained table of the earlier format (`audit_events`, plain SHA-256 chain) is kept,
 * renamed to `audit_events_v1` and untouched, so nothing is lost by the upgrade.
 */
export function merkleAuditLog(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`ALTER TABLE audit_events RENAME TO audit_events_v1`.execute(db);
      await db.schema
        .createTable('audit_blocks')
        .addColumn('first_seq', 'integer', (column) => column.primaryKey())
        .addColumn('last_seq', 'integer', (column) => column.notNull())
        .addColumn('min_time', 'text', (column) => column.notNull())
        .addColumn('max_time', 'text', (column) => column.notNull())
        // `|a|b|` lists, so that `LIKE '%|a|%'` finds blocks holding a value.
        .addColumn('agents', 'text', (column) => column.notNull())
        .addColumn('apis', 'text', (column) => column.notNull())
        .addColumn('data_classes', 'text', (column) => column.notNull())
        .addColumn('records', 'text', (column) => column.notNull())
        .addColumn('hashes', 'blob', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('audit_blocks_max_time').on('audit_blocks').column('max_time').execute();
      await db.schema
        .createTable('audit_nodes')
        .addColumn('level', 'integer', (column) => column.notNull())
        .addColumn('idx', 'integer', (column) => column.notNull())
        .addColumn('hash', 'blob', (column) => column.notNull())
        .addPrimaryKeyConstraint('audit_nodes_pk', ['level', 'idx'])
        .execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('tree_size', 'integer', (column) => column.primaryKey())
        .addColumn('time', 'text', (column) => column.notNull())
        .addColumn('root', 'text', (column) => column.notNull())
        .addColumn('key_id', 'text', (column) => column.notNull())
        // The signed text (it names the previous checkpoint) and its Ed25519 signature (base64).
        .addColumn('body', 'text', (column) => column.notNull())
        .addColumn('signature', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('audit_segments')
        .addColumn('idx', 'integer', (column) => column.primaryKey())
        // The hash of the segment's last record: the next segment's first record names it as prevHash.
        .addColumn('last_hash', 'text', (column) => column.notNull())
        .addColumn('pruned_at', 'text', (column) => column.notNull())
        // Records pruned and kept (held or not yet expired) by the last pruning of the segment.
        .addColumn('pruned', 'integer', (column) => column.notNull())
        .addColumn('kept', 'integer', (column) => column.notNull())
        // 1 when no record was left and the segment's blocks were deleted (its subtree node stands in).
        .addColumn('dropped', 'integer', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('audit_holds')
        .addColumn('id', 'text', (column) => column.primaryKey())
        // `agent`: everything the agent did; `incident`: the agent's records in the incident's time window.
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('target', 'text', (column) => column.notNull())
        .addColumn('agent', 'text', (column) => column.notNull())
        .addColumn('from_time', 'text')
        .addColumn('to_time', 'text')
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('created_by', 'text', (column) => column.notNull())
        .addColumn('released_at', 'text')
        .addColumn('released_by', 'text')
        .execute();
      await db.schema
        .createTable('audit_sink_cursors')
        .addColumn('name', 'text', (column) => column.primaryKey())
        .addColumn('seq', 'integer', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['audit_sink_cursors', 'audit_holds', 'audit_segments', 'audit_checkpoints', 'audit_nodes', 'audit_blocks']) await db.schema.dropTable(table).execute();
      await sql`ALTER TABLE audit_events_v1 RENAME TO audit_events`.execute(db);
    },
  };
}
