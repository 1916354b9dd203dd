import { INCIDENT_STATUSES, SEVERITIES, type Incident, type IncidentStatus, type Severity } from './detection-types.js';

/** The median and mean of some durations; null when there are none. */
export interface DurationStats {
  readonly count: number;
  readonly medianMs: number | null;
  readonly meanMs: number | null;
}

/** How detection and response are doing over a set of incidents (docs/incidents.md). */
export interface IncidentMetrics {
  readonly total: number;
  readonly byStatus: Readonly<Record<IncidentStatus, number>>;
  readonly bySeverity: Readonly<Record<Severity, number>>;
  /** Mean time to detect: detectedAt − firstEventAt, over every incident. */
  readonly mttd: DurationStats;
  /** Mean time to contain: containedAt − detectedAt, over incidents that were contained. */
  readonly mttc: DurationStats;
  /** Mean time to resolve: resolvedAt − detectedAt, over closed incidents (resolved or false positive). */
  readonly mttr: DurationStats;
  /** false_positive / closed; null while nothing is closed. */
  readonly falsePositiveRate: number | null;
}

/** Counts, MTTD, MTTC, MTTR and the false-positive rate of `incidents`. */
export function incidentMetrics(incidents: readonly Incident[]): IncidentMetrics {
  const byStatus = Object.fromEntries(INCIDENT_STATUSES.map((status) => [status, 0])) as Record<IncidentStatus, number>;
  const bySeverity = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  const detect: number[] = [];
  const contain: number[] = [];
  const resolve: number[] = [];
  for (const incident of incidents) {
    byStatus[incident.status]++;
    bySeverity[incident.severity]++;
    detect.push(between(incident.firstEventAt, incident.detectedAt));
    if (incident.containedAt !== undefined) contain.push(between(incident.detectedAt, incident.containedAt));
    if (incident.resolvedAt !== undefined && (incident.status === 'resolved' || incident.status === 'false_positive')) resolve.push(between(incident.detectedAt, incident.resolvedAt));
  }
  const closed = byStatus.resolved + byStatus.false_positive;
  return {
    total: incidents.length,
    byStatus,
    bySeverity,
    mttd: stats(detect),
    mttc: stats(contain),
    mttr: stats(resolve),
    falsePositiveRate: closed === 0 ? null : byStatus.false_positive / closed,
  };
}

/** Milliseconds from `from` to `to`, never negative (clocks of replayed records may disagree with the wall clock). */
function between(from: string, to: string): number {
  return Math.max(0, Date.parse(to) - Date.parse(from));
}

function stats(values: number[]): DurationStats {
  if (values.length === 0) return { count: 0, medianMs: null, meanMs: null };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { count: values.length, medianMs: median, meanMs: values.reduce((sum, value) => sum + value, 0) / values.length };
}
