import type { Alert, ContainmentRecord, Incident, IncidentAction, IncidentStatus, Severity, DetectorName } from '../detection/detection-types.js';

/** One persisted baseline: an agent's (`agent:<name>`) or a role's (`role:<name>`), as the engine exported it. */
export interface BaselineRecord {
  readonly subject: string;
  /** The engine's own JSON; the store never looks inside. */
  readonly state: string;
  readonly updatedAt: Date;
}

export interface NewIncident {
  readonly id: string;
  readonly agent: string;
  readonly severity: Severity;
  readonly detectors: readonly DetectorName[];
  readonly firstEventAt: string;
  readonly detectedAt: string;
}

export interface IncidentFilter {
  readonly status?: readonly IncidentStatus[];
  readonly agent?: string;
  /** ISO 8601: incidents detected at or after it. */
  readonly since?: string;
  /** At most this many (default 500, at most 10,000). */
  readonly limit?: number;
}

/** Changes to an incident; fields left out stay as they are. */
export interface IncidentChange {
  readonly status?: IncidentStatus;
  readonly severity?: Severity;
  readonly detectors?: readonly DetectorName[];
  readonly firstEventAt?: string;
  readonly containedAt?: string;
  /** null clears it (a reopened incident). */
  readonly resolvedAt?: string | null;
  /** null clears it (a reopened incident). */
  readonly resolution?: string | null;
  readonly holdId?: string;
  /** Appended to the incident's actions. */
  readonly addAction?: IncidentAction;
  readonly updatedAt: Date;
}

/** Baselines, alerts, incidents and time-boxed containments of detection (issue 8). */
export interface DetectionStore {
  /** Writes baselines, replacing those of the same subject. */
  saveBaselines(records: readonly BaselineRecord[]): Promise<void>;
  loadBaselines(): Promise<BaselineRecord[]>;

  createIncident(incident: NewIncident, at: Date): Promise<Incident>;
  /** Applies a change; undefined when no incident has the id. */
  updateIncident(id: string, change: IncidentChange): Promise<Incident | undefined>;
  getIncident(id: string): Promise<Incident | undefined>;
  /** Newest first (by detectedAt), optionally of some statuses, one agent, or detected at or after `since`. */
  listIncidents(filter?: IncidentFilter): Promise<Incident[]>;
  /** The agent's incident that is still open or contained, if any: new alerts join it. */
  activeIncidentFor(agent: string): Promise<Incident | undefined>;

  /** Stores an alert under its incident (alert count grows by one). */
  addAlert(alert: Alert, incidentId: string): Promise<void>;
  /** Oldest first. */
  listAlerts(filter: { readonly incident?: string; readonly agent?: string; readonly limit?: number }): Promise<Alert[]>;

  putContainment(record: ContainmentRecord): Promise<void>;
  /** Containments not yet lapsed at `now` (lapsed ones may be deleted on the way). */
  listContainments(now: Date): Promise<ContainmentRecord[]>;
  /** Lifts an agent's containments (all, or of one incident); returns how many were lifted. */
  liftContainments(agent: string, incident?: string): Promise<number>;
}
