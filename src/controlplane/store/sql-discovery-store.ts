import type { Kysely, Selectable } from 'kysely';
import type { DiscoveryRun, DiscoveryStore, Finding, FindingDecision, FindingKind, FindingStatus, ReportedFinding } from './discovery-store.js';
import type { Database } from './schema.js';

type FindingRow = Selectable<Database['discovery_findings']>;

/** DiscoveryStore over Kysely. */
export class SqlDiscoveryStore implements DiscoveryStore {
  constructor(private readonly db: Kysely<Database>) {}

  async reportFindings(findings: readonly ReportedFinding[], at: Date): Promise<{ readonly added: number; readonly updated: number }> {
    const when = at.toISOString();
    let added = 0;
    let updated = 0;
    await this.db.transaction().execute(async (trx) => {
      for (const finding of findings) {
        const details = JSON.stringify(finding.details);
        const result = await trx.updateTable('discovery_findings').set({ details, kind: finding.kind, subject: finding.subject, last_reported: when }).where('id', '=', finding.id).executeTakeFirst();
        if (Number(result.numUpdatedRows) > 0) {
          updated++;
          continue;
        }
        await trx
          .insertInto('discovery_findings')
          .values({ id: finding.id, kind: finding.kind, subject: finding.subject, details, status: 'open', reason: null, decommission_on: null, decided_by: null, decided_at: null, first_reported: when, last_reported: when })
          .execute();
        added++;
      }
    });
    return { added, updated };
  }

  async listFindings(filter: { readonly status?: readonly FindingStatus[]; readonly kind?: readonly FindingKind[] } = {}): Promise<Finding[]> {
    let query = this.db.selectFrom('discovery_findings').selectAll();
    if (filter.status !== undefined && filter.status.length > 0) query = query.where('status', 'in', [...filter.status]);
    if (filter.kind !== undefined && filter.kind.length > 0) query = query.where('kind', 'in', [...filter.kind]);
    const rows = await query.orderBy('kind').orderBy('subject').execute();
    return rows.map(findingOf);
  }

  async getFinding(id: string): Promise<Finding | undefined> {
    const row = await this.db.selectFrom('discovery_findings').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : findingOf(row);
  }

  async decideFinding(id: string, decision: FindingDecision): Promise<Finding | undefined> {
    const result = await this.db
      .updateTable('discovery_findings')
      .set({
        status: decision.status,
        reason: decision.reason ?? null,
        decommission_on: decision.decommissionOn ?? null,
        decided_by: decision.by,
        decided_at: decision.at.toISOString(),
      })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    return this.getFinding(id);
  }

  async recordDiscoveryRun(run: DiscoveryRun): Promise<void> {
    await this.db.insertInto('discovery_runs').values({ at: run.at, source: run.source, calls: run.calls, observed_endpoints: run.observedEndpoints, documented_owned: run.documentedOwned }).execute();
  }

  async latestDiscoveryRun(): Promise<DiscoveryRun | undefined> {
    const row = await this.db.selectFrom('discovery_runs').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (row === undefined) return undefined;
    return { at: row.at, source: row.source, calls: Number(row.calls), observedEndpoints: Number(row.observed_endpoints), documentedOwned: Number(row.documented_owned) };
  }
}

function findingOf(row: FindingRow): Finding {
  return {
    id: row.id,
    kind: row.kind as FindingKind,
    subject: row.subject,
    details: JSON.parse(row.details) as Record<string, unknown>,
    status: row.status as FindingStatus,
    reason: row.reason ?? undefined,
    decommissionOn: row.decommission_on ?? undefined,
    decidedBy: row.decided_by ?? undefined,
    decidedAt: row.decided_at ?? undefined,
    firstReported: row.first_reported,
    lastReported: row.last_reported,
  };
}
