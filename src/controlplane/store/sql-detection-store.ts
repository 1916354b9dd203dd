import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Alert, ContainmentRecord, DetectorName, Incident, IncidentAction, IncidentStatus, Severity } from '../detection/detection-types.js';
import type { BaselineRecord, DetectionStore, IncidentChange, IncidentFilter, NewIncident } from './detection-store.js';
import type { Database } from './schema.js';

type IncidentRow = Selectable<Database['incidents']>;
type ActionRow = Selectable<Database['incident_actions']>;
type ContainmentRow = Selectable<Database['containments']>;

/** Statuses in which an incident still takes new alerts. */
const ACTIVE: readonly IncidentStatus[] = ['open', 'contained'];

/** DetectionStore over Kysely. */
export class SqlDetectionStore implements DetectionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async saveBaselines(records: readonly BaselineRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const record of records) {
        const row = { subject: record.subject, state: record.state, updated_at: record.updatedAt.toISOString() };
        await trx
          .insertInto('detection_baselines')
          .values(row)
          .onConflict((conflict) => conflict.column('subject').doUpdateSet({ state: row.state, updated_at: row.updated_at }))
          .execute();
      }
    });
  }

  async loadBaselines(): Promise<BaselineRecord[]> {
    const rows = await this.db.selectFrom('detection_baselines').selectAll().orderBy('subject').execute();
    return rows.map((row) => ({ subject: row.subject, state: row.state, updatedAt: new Date(row.updated_at) }));
  }

  async createIncident(incident: NewIncident, at: Date): Promise<Incident> {
    await this.db
      .insertInto('incidents')
      .values({
        id: incident.id,
        agent: incident.agent,
        status: 'open',
        severity: incident.severity,
        detectors: JSON.stringify(incident.detectors),
        alert_count: 0,
        first_event_at: isoTime(incident.firstEventAt),
        detected_at: isoTime(incident.detectedAt),
        contained_at: null,
        resolved_at: null,
        resolution: null,
        hold_id: null,
        updated_at: at.toISOString(),
      })
      .execute();
    return (await this.getIncident(incident.id))!;
  }

  async updateIncident(id: string, change: IncidentChange): Promise<Incident | undefined> {
    const updated = await this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('incidents')
        .set({
          updated_at: change.updatedAt.toISOString(),
          ...(change.status !== undefined ? { status: change.status } : {}),
          ...(change.severity !== undefined ? { severity: change.severity } : {}),
          ...(change.detectors !== undefined ? { detectors: JSON.stringify(change.detectors) } : {}),
          ...(change.firstEventAt !== undefined ? { first_event_at: isoTime(change.firstEventAt) } : {}),
          ...(change.containedAt !== undefined ? { contained_at: isoTime(change.containedAt) } : {}),
          ...(change.resolvedAt !== undefined ? { resolved_at: change.resolvedAt === null ? null : isoTime(change.resolvedAt) } : {}),
          ...(change.resolution !== undefined ? { resolution: change.resolution } : {}),
          ...(change.holdId !== undefined ? { hold_id: change.holdId } : {}),
        })
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      if (change.addAction !== undefined) await appendAction(trx, id, change.addAction);
      return true;
    });
    return updated ? this.getIncident(id) : undefined;
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const row = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    return (await this.withActions([row]))[0];
  }

  async listIncidents(filter: IncidentFilter = {}): Promise<Incident[]> {
    let query = this.db.selectFrom('incidents').selectAll();
    if (filter.status !== undefined && filter.status.length > 0) query = query.where('status', 'in', [...filter.status]);
    if (filter.agent !== undefined) query = query.where('agent', '=', filter.agent);
    if (filter.since !== undefined) query = query.where('detected_at', '>=', isoTime(filter.since));
    const rows = await query
      .orderBy('detected_at', 'desc')
      .orderBy('id', 'desc')
      .limit(clamp(filter.limit ?? 500, 1, 10_000))
      .execute();
    return this.withActions(rows);
  }

  async activeIncidentFor(agent: string): Promise<Incident | undefined> {
    const row = await this.db
      .selectFrom('incidents')
      .selectAll()
      .where('agent', '=', agent)
      .where('status', 'in', [...ACTIVE])
      .orderBy('detected_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return (await this.withActions([row]))[0];
  }

  async addAlert(alert: Alert, incidentId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('detection_alerts')
        .values({ id: alert.id, incident: incidentId, agent: alert.agent, time: isoTime(alert.time), detector: alert.detector, severity: alert.severity, body: JSON.stringify(alert) })
        .execute();
      await trx
        .updateTable('incidents')
        .set((eb) => ({ alert_count: eb('alert_count', '+', 1) }))
        .where('id', '=', incidentId)
        .execute();
    });
  }

  async listAlerts(filter: { readonly incident?: string; readonly agent?: string; readonly limit?: number }): Promise<Alert[]> {
    let query = this.db.selectFrom('detection_alerts').select('body');
    if (filter.incident !== undefined) query = query.where('incident', '=', filter.incident);
    if (filter.agent !== undefined) query = query.where('agent', '=', filter.agent);
    const rows = await query
      .orderBy('time')
      .orderBy('id')
      .limit(clamp(filter.limit ?? 1000, 1, 10_000))
      .execute();
    return rows.map((row) => alertOf(row.body));
  }

  async putContainment(record: ContainmentRecord): Promise<void> {
    const row = {
      id: record.id,
      agent: record.agent,
      kind: record.kind,
      rate: record.rate ?? null,
      since_at: isoTime(record.since),
      until_at: isoTime(record.until),
      incident: record.incident ?? null,
      placed_by: record.by,
    };
    const { id: _id, ...update } = row;
    await this.db.insertInto('containments').values(row).onConflict((conflict) => conflict.column('id').doUpdateSet(update)).execute();
  }

  async listContainments(now: Date): Promise<ContainmentRecord[]> {
    const at = now.toISOString();
    // A lapsed containment is over for good; deleting it here keeps the table to what is in force.
    await this.db.deleteFrom('containments').where('until_at', '<=', at).execute();
    const rows = await this.db.selectFrom('containments').selectAll().where('until_at', '>', at).orderBy('agent').orderBy('since_at').orderBy('id').execute();
    return rows.map(containmentOf);
  }

  async liftContainments(agent: string, incident?: string): Promise<number> {
    let query = this.db.deleteFrom('containments').where('agent', '=', agent);
    if (incident !== undefined) query = query.where('incident', '=', incident);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Attaches each incident's actions, fetched in one query. */
  private async withActions(rows: readonly IncidentRow[]): Promise<Incident[]> {
    if (rows.length === 0) return [];
    const byIncident = new Map<string, IncidentAction[]>();
    // SQLite caps bound parameters; chunk the id list so a long listing never hits the cap.
    for (let start = 0; start < rows.length; start += 500) {
      const ids = rows.slice(start, start + 500).map((row) => row.id);
      const actions = await this.db.selectFrom('incident_actions').selectAll().where('incident', 'in', ids).orderBy('seq').execute();
      for (const action of actions) {
        const list = byIncident.get(action.incident) ?? [];
        list.push(actionOf(action));
        byIncident.set(action.incident, list);
      }
    }
    return rows.map((row) => incidentOf(row, byIncident.get(row.id) ?? []));
  }
}

async function appendAction(trx: Transaction<Database>, incident: string, action: IncidentAction): Promise<void> {
  await trx
    .insertInto('incident_actions')
    .values({ incident, time: isoTime(action.time), actor: action.by, action: action.action, detail: action.detail, ok: action.ok ? 1 : 0 })
    .execute();
}

/** Normalises a time to ISO 8601 UTC with milliseconds, so text order is time order. */
function isoTime(time: string): string {
  const parsed = new Date(time);
  return Number.isNaN(parsed.getTime()) ? time : parsed.toISOString();
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(Math.trunc(value), low), high);
}

function incidentOf(row: IncidentRow, actions: readonly IncidentAction[]): Incident {
  return {
    id: row.id,
    agent: row.agent,
    status: row.status as IncidentStatus,
    severity: row.severity as Severity,
    detectors: JSON.parse(row.detectors) as DetectorName[],
    alertCount: Number(row.alert_count),
    firstEventAt: row.first_event_at,
    detectedAt: row.detected_at,
    containedAt: row.contained_at ?? undefined,
    resolvedAt: row.resolved_at ?? undefined,
    resolution: row.resolution ?? undefined,
    holdId: row.hold_id ?? undefined,
    actions,
    updatedAt: row.updated_at,
  };
}

function actionOf(row: ActionRow): IncidentAction {
  return { time: row.time, by: row.actor, action: row.action, detail: row.detail, ok: Number(row.ok) === 1 };
}

function alertOf(body: string): Alert {
  const alert = JSON.parse(body) as Alert;
  // JSON drops undefined members; put them back so an alert reads the same as it was raised.
  return { ...alert, api: alert.api ?? undefined, sensitivity: alert.sensitivity ?? undefined, credential: alert.credential ?? undefined };
}

function containmentOf(row: ContainmentRow): ContainmentRecord {
  return {
    id: row.id,
    agent: row.agent,
    kind: row.kind as ContainmentRecord['kind'],
    rate: row.rate ?? undefined,
    since: row.since_at,
    until: row.until_at,
    incident: row.incident ?? undefined,
    by: row.placed_by,
  };
}
