import type { AuditEvent } from '../../model/audit-event.js';
import type { Alert, Incident } from './detection-types.js';

/** One call of the agent, as the audit log recorded it. */
export interface TimelineRequest {
  readonly kind: 'request';
  readonly time: string;
  /** The audit record's id. */
  readonly id: string;
  readonly method: string;
  /** The canonical path (the raw one when the request was refused before routing). */
  readonly path: string;
  readonly api: string | undefined;
  readonly operation: string | undefined;
  readonly decision: AuditEvent['decision']['outcome'];
  readonly reason: string;
  readonly status: number;
  readonly records: number | undefined;
  readonly customer: string | undefined;
}

export interface TimelineAlert {
  readonly kind: 'alert';
  readonly time: string;
  readonly id: string;
  readonly detector: Alert['detector'];
  readonly severity: Alert['severity'];
  readonly score: number;
  readonly reasons: readonly string[];
}

export interface TimelineAction {
  readonly kind: 'action';
  readonly time: string;
  readonly by: string;
  readonly action: string;
  readonly detail: string;
  readonly ok: boolean;
}

export type TimelineEntry = TimelineRequest | TimelineAlert | TimelineAction;

/** Calls and records of one API operation in the window. */
export interface OperationTouched {
  readonly api: string;
  readonly operation: string;
  readonly calls: number;
  /** Calls that reached the upstream (allowed, or let through by monitor mode). */
  readonly passed: number;
  readonly records: number;
}

/** What data the agent touched in the window: what a breach assessment starts from. */
export interface DataTouched {
  readonly calls: number;
  readonly denied: number;
  readonly recordsReturned: number;
  readonly operations: readonly OperationTouched[];
  /** Data classes of the operations whose calls passed. */
  readonly dataClasses: readonly string[];
  readonly customers: { readonly count: number; readonly ids: readonly string[] };
}

/** An incident's story: the agent's calls around it, its alerts and what was done, in time order. */
export interface IncidentTimeline {
  readonly incident: Incident;
  readonly from: string;
  readonly to: string;
  readonly entries: readonly TimelineEntry[];
  /** How many of the window's calls are in `entries`, of how many there were. */
  readonly requests: { readonly shown: number; readonly total: number; readonly truncated: boolean };
  readonly touched: DataTouched;
  /** Said when the audit log could not be read here, so the calls are missing. */
  readonly note: string | undefined;
}

/** How many customer ids the summary lists (the count is always exact). */
const CUSTOMER_IDS = 100;
const KIND_ORDER = { request: 0, alert: 1, action: 2 } as const;

/**
 * Builds the timeline from the agent's audit records in the window (oldest first), keeping the
 * first `cap` calls as entries but summarising all of them.
 */
export function buildTimeline(incident: Incident, alerts: readonly Alert[], events: Iterable<AuditEvent>, window: { readonly from: string; readonly to: string; readonly cap: number; readonly note?: string }): IncidentTimeline {
  const requests: TimelineRequest[] = [];
  const operations = new Map<string, { api: string; operation: string; calls: number; passed: number; records: number }>();
  const dataClasses = new Set<string>();
  const customers = new Set<string>();
  let calls = 0;
  let denied = 0;
  let recordsReturned = 0;
  for (const event of events) {
    calls++;
    const passed = event.decision.outcome === 'allow' || event.decision.outcome === 'would-deny';
    const records = event.data?.records;
    if (event.decision.outcome === 'deny') denied++;
    if (passed && records !== undefined) recordsReturned += records;
    const customer = event.context?.['customer'];
    if (customer !== undefined) customers.add(customer);
    if (event.api !== undefined) {
      const operation = event.api.operation === '' ? '(undeclared)' : event.api.operation;
      const key = `${event.api.name}\u0000${operation}`;
      const entry = operations.get(key) ?? { api: event.api.name, operation, calls: 0, passed: 0, records: 0 };
      entry.calls++;
      if (passed) {
        entry.passed++;
        entry.records += records ?? 0;
        for (const dataClass of event.api.dataClasses) dataClasses.add(dataClass);
      }
      operations.set(key, entry);
    }
    if (requests.length < window.cap) requests.push(requestEntry(event));
  }
  const entries: TimelineEntry[] = [
    ...requests,
    ...alerts.map((alert): TimelineAlert => ({ kind: 'alert', time: alert.time, id: alert.id, detector: alert.detector, severity: alert.severity, score: alert.score, reasons: alert.reasons })),
    ...incident.actions.map((action): TimelineAction => ({ kind: 'action', ...action })),
  ];
  // Stable: calls keep their log order among equal times, and a call comes before the alert it tipped.
  entries.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  return {
    incident,
    from: window.from,
    to: window.to,
    entries,
    requests: { shown: requests.length, total: calls, truncated: calls > requests.length },
    touched: {
      calls,
      denied,
      recordsReturned,
      operations: [...operations.values()].sort((a, b) => b.calls - a.calls || a.api.localeCompare(b.api) || a.operation.localeCompare(b.operation)),
      dataClasses: [...dataClasses].sort(),
      customers: { count: customers.size, ids: [...customers].sort().slice(0, CUSTOMER_IDS) },
    },
    note: window.note,
  };
}

function requestEntry(event: AuditEvent): TimelineRequest {
  return {
    kind: 'request',
    time: event.time,
    id: event.id,
    method: event.http.method,
    path: event.http.canonicalPath ?? event.http.rawPath,
    api: event.api?.name,
    operation: event.api === undefined || event.api.operation === '' ? undefined : event.api.operation,
    decision: event.decision.outcome,
    reason: event.decision.reason,
    status: event.http.status,
    records: event.data?.records,
    customer: event.context?.['customer'],
  };
}
