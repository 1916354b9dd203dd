import type { AuditEvent } from '../../model/audit-event.js';
import type { ErrorCode } from '../../model/errors.js';
import { auditEventsIn, type ReportContext, type ReportPeriod } from './report-context.js';
import type { ReportDocument } from './report-document.js';

/**
 * The decision reasons that count as permission violations: an identified agent asked for
 * something its policy (grants, forbids, parameter and context conditions, lifecycle state,
 * regions, human approvals) does not allow. Each with why it counts.
 *
 * Not counted: failed authentication (no agent is identified), unknown routes and retired APIs
 * (catalogue, not permission), request hygiene refusals (malformed or ambiguous requests), rate
 * limits and quotas, step-up calls waiting, expired or used (process, not refusal), upstream and
 * gateway errors. Those are listed beside the violations as "not counted", by reason.
 */
export const VIOLATION_REASONS: Readonly<Partial<Record<ErrorCode, string>>> = Object.freeze({
  WARDEN_AUTHZ_NOT_GRANTED: 'no grant of its roles covers the operation',
  WARDEN_AUTHZ_FORBIDDEN: 'a forbid rule denies the operation',
  WARDEN_AUTHZ_PARAM_VIOLATION: 'a parameter value outside what the grant allows',
  WARDEN_AUTHZ_PARAM_MISSING: 'a parameter the grant constrains was left out',
  WARDEN_AUTHZ_CONTEXT_MISSING: 'the call carries no task context the grant is bound to',
  WARDEN_AUTHZ_CONTEXT_MISMATCH: 'the call acts outside its task context (another customer, ticket, …)',
  WARDEN_AUTHZ_GRANT_EXPIRED: 'the time-boxed grant has ended',
  WARDEN_AUTHZ_OUTSIDE_TIME_WINDOW: 'outside the grant\'s time window',
  WARDEN_AUTHZ_REGION_NOT_ALLOWED: 'from a region the grant does not allow',
  WARDEN_AGENT_NOT_ACTIVE: 'the agent is not active (proposed, suspended, quarantined, decommissioned, …)',
  WARDEN_AGENT_REGION_NOT_ALLOWED: 'from a region the agent may not call from',
  WARDEN_STEP_UP_DENIED: 'a person denied the approval the call needed',
  WARDEN_STEP_UP_MISMATCH: 'an approval used for another call than the one approved',
  WARDEN_STEP_UP_INVALID: 'an approval that is not the agent\'s',
});

/** Whether a record is a permission violation: refused (or, in monitor mode, would have been) for a reason of VIOLATION_REASONS. */
export function isViolation(event: AuditEvent): boolean {
  return (event.decision.outcome === 'deny' || event.decision.outcome === 'would-deny') && Object.hasOwn(VIOLATION_REASONS, event.decision.reason);
}

/** Records without an identified agent or a matched API are grouped under these names. */
export const UNIDENTIFIED_AGENT = '(unidentified)';
export const NO_API = '(no API matched)';

export interface ViolationCount {
  readonly calls: number;
  readonly violations: number;
  /** Violations per 1,000 calls, 2 decimals; null without calls. */
  readonly perThousandCalls: number | null;
}

export interface ViolationsReport extends ViolationCount {
  /** Violations that were refused. */
  readonly blocked: number;
  /** Violations monitor mode let pass (`would-deny`). */
  readonly monitored: number;
  readonly byReason: readonly { readonly reason: string; readonly meaning: string; readonly violations: number; readonly blocked: number; readonly monitored: number }[];
  readonly byAgent: readonly ({ readonly agent: string } & ViolationCount)[];
  readonly byApi: readonly ({ readonly api: string } & ViolationCount)[];
  /** Refusals and errors that are not violations, by reason. */
  readonly notCounted: readonly { readonly reason: string; readonly outcome: string; readonly count: number }[];
  /** The newest violations, newest first (at most RECENT_LIMIT). */
  readonly recent: readonly { readonly time: string; readonly agent: string; readonly api: string; readonly operation: string | null; readonly reason: string; readonly outcome: string; readonly requestId: string }[];
  /** The reasons counted, for the reader. */
  readonly countedReasons: readonly string[];
}

const RECENT_LIMIT = 100;

/** Violations per 1,000 calls, rounded to 2 decimals. */
export function perThousand(violations: number, calls: number): number | null {
  return calls === 0 ? null : Math.round((violations / calls) * 100_000) / 100;
}

/** Counts calls and violations record by record, so one pass over the audit log can feed several reports. */
export class ViolationTally {
  calls = 0;
  violations = 0;
  blocked = 0;
  readonly #reasons = new Map<string, { violations: number; blocked: number }>();
  readonly #agents = new Map<string, { calls: number; violations: number }>();
  readonly #apis = new Map<string, { calls: number; violations: number }>();
  readonly #other = new Map<string, number>();
  #recent: ViolationsReport['recent'][number][] = [];

  add(event: AuditEvent): void {
    this.calls++;
    const agent = event.agent?.name ?? UNIDENTIFIED_AGENT;
    const api = event.api?.name ?? NO_API;
    const violation = isViolation(event);
    bump(this.#agents, agent, violation);
    bump(this.#apis, api, violation);
    if (violation) {
      const blocked = event.decision.outcome === 'deny';
      this.violations++;
      if (blocked) this.blocked++;
      const reason = this.#reasons.get(event.decision.reason) ?? { violations: 0, blocked: 0 };
      reason.violations++;
      if (blocked) reason.blocked++;
      this.#reasons.set(event.decision.reason, reason);
      this.#recent.push({ time: event.time, agent, api, operation: event.api?.operation ?? null, reason: event.decision.reason, outcome: event.decision.outcome, requestId: event.requestId });
      if (this.#recent.length > RECENT_LIMIT * 2) this.#recent = newest(this.#recent);
    } else if (event.decision.outcome !== 'allow') {
      const key = `${event.decision.reason}\n${event.decision.outcome}`;
      this.#other.set(key, (this.#other.get(key) ?? 0) + 1);
    }
  }

  result(): ViolationsReport {
    const counts = <K extends string>(map: Map<string, { calls: number; violations: number }>, key: K) =>
      [...map]
        .map(([name, count]) => ({ [key]: name, calls: count.calls, violations: count.violations, perThousandCalls: perThousand(count.violations, count.calls) }) as { [P in K]: string } & ViolationCount)
        .sort((a, b) => b.violations - a.violations || (b.perThousandCalls ?? 0) - (a.perThousandCalls ?? 0) || a[key].localeCompare(b[key]));
    return {
      calls: this.calls,
      violations: this.violations,
      perThousandCalls: perThousand(this.violations, this.calls),
      blocked: this.blocked,
      monitored: this.violations - this.blocked,
      byReason: [...this.#reasons]
        .map(([reason, count]) => ({ reason, meaning: VIOLATION_REASONS[reason as ErrorCode] ?? '', violations: count.violations, blocked: count.blocked, monitored: count.violations - count.blocked }))
        .sort((a, b) => b.violations - a.violations || a.reason.localeCompare(b.reason)),
      byAgent: counts(this.#agents, 'agent'),
      byApi: counts(this.#apis, 'api'),
      notCounted: [...this.#other]
        .map(([key, count]) => {
          const [reason, outcome] = key.split('\n') as [string, string];
          return { reason, outcome, count };
        })
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason) || a.outcome.localeCompare(b.outcome)),
      recent: newest(this.#recent),
      countedReasons: Object.keys(VIOLATION_REASONS),
    };
  }
}

function bump(map: Map<string, { calls: number; violations: number }>, key: string, violation: boolean): void {
  const count = map.get(key) ?? { calls: 0, violations: 0 };
  count.calls++;
  if (violation) count.violations++;
  map.set(key, count);
}

function newest<T extends { readonly time: string; readonly requestId: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => b.time.localeCompare(a.time) || b.requestId.localeCompare(a.requestId)).slice(0, RECENT_LIMIT);
}

/** Permission violations in the period from the audit log: per 1,000 calls, by reason, agent and API. */
export async function violationsReport(context: ReportContext, period: ReportPeriod): Promise<ViolationsReport> {
  const tally = new ViolationTally();
  for (const event of auditEventsIn(context, period)) tally.add(event);
  return tally.result();
}

export function violationsDocument(report: ViolationsReport): ReportDocument {
  const countColumns = [
    { key: 'calls', label: 'Calls', kind: 'number' },
    { key: 'violations', label: 'Violations', kind: 'number' },
    { key: 'perThousandCalls', label: 'per 1,000 calls', kind: 'number' },
  ] as const;
  return {
    summary: [
      { label: 'Violations per 1,000 calls', value: report.perThousandCalls, kind: 'number', note: `${report.violations} of ${report.calls} calls` },
      { label: 'Violations blocked', value: report.blocked },
      { label: 'Violations let pass in monitor mode', value: report.monitored },
      { label: 'Calls in the period', value: report.calls },
    ],
    tables: [
      {
        id: 'by-reason',
        title: 'Violations by reason',
        columns: [
          { key: 'reason', label: 'Reason' },
          { key: 'meaning', label: 'Meaning' },
          { key: 'violations', label: 'Violations', kind: 'number' },
          { key: 'blocked', label: 'Blocked', kind: 'number' },
          { key: 'monitored', label: 'Monitor mode', kind: 'number' },
        ],
        rows: report.byReason.map((row) => ({ ...row })),
        empty: 'no violations in the period',
      },
      { id: 'by-agent', title: 'By agent', columns: [{ key: 'agent', label: 'Agent' }, ...countColumns], rows: report.byAgent.map((row) => ({ ...row })), empty: 'no calls in the period' },
      { id: 'by-api', title: 'By API', columns: [{ key: 'api', label: 'API' }, ...countColumns], rows: report.byApi.map((row) => ({ ...row })), empty: 'no calls in the period' },
      {
        id: 'not-counted',
        title: 'Refusals and errors not counted as violations',
        columns: [
          { key: 'reason', label: 'Reason' },
          { key: 'outcome', label: 'Outcome' },
          { key: 'count', label: 'Calls', kind: 'number' },
        ],
        rows: report.notCounted.map((row) => ({ ...row })),
        empty: 'none',
      },
      {
        id: 'recent',
        title: `Latest violations (up to ${RECENT_LIMIT})`,
        columns: [
          { key: 'time', label: 'When', kind: 'time' },
          { key: 'agent', label: 'Agent' },
          { key: 'api', label: 'API' },
          { key: 'operation', label: 'Operation' },
          { key: 'reason', label: 'Reason' },
          { key: 'outcome', label: 'Outcome' },
          { key: 'requestId', label: 'Request' },
        ],
        rows: report.recent.map((row) => ({ ...row })),
        empty: 'no violations in the period',
      },
    ],
    notes: [
      `A violation is a call an identified agent made that its policy does not allow: an audit record with outcome deny (blocked) or would-deny (monitor mode) and one of these reasons: ${report.countedReasons.join(', ')}.`,
      'Not counted: authentication failures (no agent identified), unknown routes and retired APIs, malformed or ambiguous requests, rate limits and quotas, step-up calls waiting or expired, upstream and gateway errors. They are listed under "not counted".',
      'Calls: every audit record in the period (one per request, whatever its outcome).',
    ],
  };
}
