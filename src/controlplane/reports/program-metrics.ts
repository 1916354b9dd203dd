import { loadAgentFacts } from './agent-facts.js';
import { coverageOf } from './policy-coverage.js';
import { auditEventsIn, inPeriod, ratio, type ReportContext, type ReportPeriod } from './report-context.js';
import type { ReportDocument } from './report-document.js';
import { ViolationTally } from './violations.js';

/**
 * - `measured`: the value is what the data says;
 * - `no data`: it could not be measured from what this installation holds (no policy applied,
 *   no audit log, nothing to divide by), see `note`;
 * - `not yet measured`: Warden does not measure it yet (detection is future work). Never shown as 0.
 */
export type MetricStatus = 'measured' | 'no data' | 'not yet measured';

export interface ProgramMetric {
  readonly id: string;
  readonly label: string;
  readonly value: number | null;
  readonly unit: 'ratio' | 'count' | 'per-1000-calls' | 'hours';
  readonly status: MetricStatus;
  readonly numerator: number | null;
  readonly denominator: number | null;
  readonly definition: string;
  readonly note: string | null;
}

export interface ProgramMetricsReport {
  readonly metrics: readonly ProgramMetric[];
  /** APIs that miss something inventory completeness asks for, and what. */
  readonly incompleteApis: readonly { readonly api: string; readonly missing: readonly string[] }[];
  readonly zombieApis: readonly { readonly api: string; readonly status: string; readonly sunset: string | null; readonly calls: number }[];
  /** Agents proposed through the admin API in the period, and what became of them by now. */
  readonly proposals: { readonly proposed: number; readonly approved: number; readonly approvedAutomatically: number; readonly rejected: number; readonly pending: number; readonly agents: readonly { readonly agent: string; readonly proposedAt: string; readonly outcome: 'approved' | 'rejected' | 'pending' }[] };
}

const NOT_YET = 'not yet measured: anomaly detection is not part of this Warden version; the metric appears once detection records its findings';

/** The metrics an agent-security programme tracks, over the period. */
export async function programMetricsReport(context: ReportContext, period: ReportPeriod): Promise<ProgramMetricsReport> {
  const policy = context.policy;
  const owners = await context.store.governance.listOwners();
  const left = new Set(owners.filter((owner) => !owner.active).map((owner) => owner.email.toLowerCase()));
  const metrics: ProgramMetric[] = [];
  const metric = (fields: Omit<ProgramMetric, 'status' | 'note' | 'numerator' | 'denominator'> & Partial<ProgramMetric>): void => {
    metrics.push({ status: 'measured', note: null, numerator: null, denominator: null, ...fields });
  };
  const noPolicy = 'no policy has been applied yet (`warden apply DIR`)';

  // Inventory: what the applied Api manifests say.
  const apis = policy?.applied.apis ?? [];
  const incompleteApis: { api: string; missing: string[] }[] = [];
  let owned = 0;
  for (const api of [...apis].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const missing: string[] = [];
    const owner = api.spec.owner.trim();
    if (owner === '') missing.push('owner');
    else if (left.has(owner.toLowerCase())) missing.push(`owner (${owner} has left)`);
    else owned++;
    if (api.spec.sensitivity === undefined) missing.push('sensitivity');
    if (api.spec.operations.length === 0 && api.spec.openapi === undefined) missing.push('spec (no operation declared, no OpenAPI document)');
    if (missing.length > 0) incompleteApis.push({ api: api.metadata.name, missing });
  }
  const apiCount = apis.length;
  const fraction = (numerator: number, denominator: number, empty: string) =>
    policy === undefined ? { value: null, status: 'no data' as const, note: noPolicy } : denominator === 0 ? { value: null, status: 'no data' as const, note: empty } : { value: ratio(numerator, denominator), numerator, denominator };
  metric({
    id: 'api-inventory-completeness',
    label: 'API inventory completeness',
    unit: 'ratio',
    definition: 'share of catalogued APIs with an owner who has not left, a sensitivity and a spec (declared operations or an OpenAPI document)',
    ...fraction(apiCount - incompleteApis.length, apiCount, 'no API is catalogued'),
    ...(policy !== undefined && apiCount > 0 ? { note: 'sensitivity defaults to internal when a manifest leaves it out, so it cannot be told from an explicit choice; APIs not yet catalogued (discovery) are not counted' } : {}),
  });
  // Inventory completeness as discovery measured it on real traffic (warden discover import).
  const traffic = await context.store.discovery.latestDiscoveryRun();
  metric({
    id: 'observed-inventory-completeness',
    label: 'Observed endpoints documented and owned',
    unit: 'ratio',
    definition: 'of the endpoints discovery observed in traffic (latest warden discover import), the share that a document or the catalog describes and whose API has an owner',
    ...(traffic === undefined
      ? { value: null, status: 'no data', note: 'no traffic has been imported yet (warden discover import LOG… or --audit)' }
      : traffic.observedEndpoints === 0
        ? { value: null, status: 'no data', note: `the latest import (${traffic.at}) observed no endpoint` }
        : { value: ratio(traffic.documentedOwned, traffic.observedEndpoints), numerator: traffic.documentedOwned, denominator: traffic.observedEndpoints, note: `measured ${traffic.at} over ${traffic.calls} calls` }),
  });
  metric({ id: 'apis-with-owner', label: 'APIs with an owner', unit: 'ratio', definition: 'share of catalogued APIs whose owner is named and not recorded as having left', ...fraction(owned, apiCount, 'no API is catalogued') });

  // One pass over the audit log for zombies and violations.
  let audit: { tally: ViolationTally; calls: Map<string, number> } | undefined;
  const auditProblem = context.audit === undefined ? 'the audit log of this store cannot be read here' : undefined;
  if (context.audit !== undefined) {
    const tally = new ViolationTally();
    const calls = new Map<string, number>();
    for (const event of auditEventsIn(context, period)) {
      tally.add(event);
      if (event.api !== undefined) calls.set(event.api.name, (calls.get(event.api.name) ?? 0) + 1);
    }
    audit = { tally, calls };
  }

  const zombieApis: ProgramMetricsReport['zombieApis'][number][] = [];
  if (policy !== undefined && audit !== undefined) {
    for (const api of [...policy.snapshot.apis.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const sunsetPassed = api.sunsetAt !== undefined && api.sunsetAt <= context.now.getTime();
      const calls = audit.calls.get(api.name) ?? 0;
      if ((api.status !== 'active' || sunsetPassed) && calls > 0) zombieApis.push({ api: api.name, status: api.status === 'active' ? 'past sunset' : api.status, sunset: api.sunset ?? null, calls });
    }
  }
  metric({
    id: 'zombie-apis',
    label: 'Zombie APIs',
    unit: 'count',
    definition: 'APIs whose lifecycle is deprecated or retired (or past their sunset date) that still received calls in the period, refused calls included',
    ...(policy === undefined ? { value: null, status: 'no data', note: noPolicy } : audit === undefined ? { value: null, status: 'no data', note: auditProblem ?? null } : { value: zombieApis.length }),
  });

  const coverage = policy === undefined ? undefined : coverageOf(policy.snapshot, policy.record.version);
  metric({
    id: 'access-policy-coverage',
    label: 'Access policy coverage',
    unit: 'ratio',
    definition: 'share of declared operations that at least one explicit grant covers (see the policy-coverage report)',
    ...(coverage === undefined
      ? { value: null, status: 'no data', note: noPolicy }
      : coverage.operations.total === 0
        ? { value: null, status: 'no data', note: 'no operation is declared' }
        : { value: coverage.operations.share, numerator: coverage.operations.covered, denominator: coverage.operations.total, note: `APIs: ${coverage.apis.covered} of ${coverage.apis.total} have at least one covered operation` }),
  });

  const facts = await loadAgentFacts(context);
  const proposalsInPeriod = facts
    .map((agent) => ({ agent, proposal: agent.transitions.find((transition) => transition.action === 'propose') }))
    .filter((entry) => entry.proposal !== undefined && inPeriod(entry.proposal.at, period));
  const proposalRows = proposalsInPeriod.map(({ agent, proposal }) => {
    const approval = agent.transitions.find((transition) => transition.to === 'approved');
    const outcome: 'approved' | 'rejected' | 'pending' = approval !== undefined ? 'approved' : agent.state === 'decommissioned' ? 'rejected' : 'pending';
    return { agent: agent.name, proposedAt: proposal!.at.toISOString(), outcome, automatic: approval?.actor.startsWith('template:') === true };
  });
  const approved = proposalRows.filter((row) => row.outcome === 'approved').length;
  metric({
    id: 'agent-approval-rate',
    label: 'Agent approval rate',
    unit: 'ratio',
    definition: 'of the agents proposed in the period, the share approved by now (pre-approved templates included)',
    ...(proposalRows.length === 0 ? { value: null, status: 'no data', note: 'no agent was proposed in the period' } : { value: ratio(approved, proposalRows.length), numerator: approved, denominator: proposalRows.length }),
  });

  const violations = audit?.tally.result();
  metric({
    id: 'violations-blocked',
    label: 'Violations blocked',
    unit: 'count',
    definition: 'permission violations refused in the period (see the violations report for the reasons counted)',
    ...(violations === undefined ? { value: null, status: 'no data', note: auditProblem ?? null } : { value: violations.blocked }),
  });
  metric({
    id: 'violations-per-1000-calls',
    label: 'Violations per 1,000 calls',
    unit: 'per-1000-calls',
    definition: 'permission violations (blocked or let pass in monitor mode) per 1,000 calls in the period',
    ...(violations === undefined
      ? { value: null, status: 'no data', note: auditProblem ?? null }
      : violations.calls === 0
        ? { value: null, status: 'no data', note: 'no calls in the period' }
        : { value: violations.perThousandCalls, numerator: violations.violations, denominator: violations.calls }),
  });

  for (const [id, label, unit, definition] of [
    ['anomalies-detected', 'Anomalies detected', 'count', 'anomalous agent behaviour flagged by detection in the period'],
    ['mean-time-to-detect', 'Mean time to detect', 'hours', 'from the first anomalous call to its detection, averaged'],
    ['mean-time-to-respond', 'Mean time to respond', 'hours', 'from detection to containment (suspension, quarantine, revocation), averaged'],
    ['false-positive-rate', 'False-positive rate', 'ratio', 'share of detections a person dismissed as not a problem'],
  ] as const) {
    metric({ id, label, unit, definition, value: null, status: 'not yet measured', note: NOT_YET });
  }

  return {
    metrics,
    incompleteApis,
    zombieApis,
    proposals: {
      proposed: proposalRows.length,
      approved,
      approvedAutomatically: proposalRows.filter((row) => row.automatic).length,
      rejected: proposalRows.filter((row) => row.outcome === 'rejected').length,
      pending: proposalRows.filter((row) => row.outcome === 'pending').length,
      agents: proposalRows.map(({ agent, proposedAt, outcome }) => ({ agent, proposedAt, outcome })),
    },
  };
}

export function programMetricsDocument(report: ProgramMetricsReport): ReportDocument {
  const shown = (metric: ProgramMetric) => (metric.unit === 'ratio' ? 'ratio' : 'number') as 'ratio' | 'number';
  return {
    summary: report.metrics.map((metric) => ({
      label: metric.label,
      value: metric.value,
      kind: shown(metric),
      ...(metric.status !== 'measured' ? { note: metric.status } : metric.numerator !== null ? { note: `${metric.numerator} of ${metric.denominator}` } : {}),
    })),
    tables: [
      {
        id: 'metrics',
        title: 'Metrics',
        columns: [
          { key: 'label', label: 'Metric' },
          { key: 'value', label: 'Value' },
          { key: 'status', label: 'Status' },
          { key: 'definition', label: 'Definition' },
          { key: 'note', label: 'Note' },
        ],
        rows: report.metrics.map((metric) => ({ label: metric.label, value: formatMetric(metric), status: metric.status, definition: metric.definition, note: metric.note })),
        empty: 'no metrics',
      },
      {
        id: 'incomplete-apis',
        title: 'APIs missing inventory information',
        columns: [
          { key: 'api', label: 'API' },
          { key: 'missing', label: 'Missing', kind: 'list' },
        ],
        rows: report.incompleteApis.map((row) => ({ ...row })),
        empty: 'every catalogued API has an owner, a sensitivity and a spec',
      },
      {
        id: 'zombie-apis',
        title: 'Zombie APIs',
        columns: [
          { key: 'api', label: 'API' },
          { key: 'status', label: 'Lifecycle' },
          { key: 'sunset', label: 'Sunset' },
          { key: 'calls', label: 'Calls in the period', kind: 'number' },
        ],
        rows: report.zombieApis.map((row) => ({ ...row })),
        empty: 'no deprecated or retired API received calls in the period',
      },
      {
        id: 'proposals',
        title: 'Agents proposed in the period',
        columns: [
          { key: 'agent', label: 'Agent' },
          { key: 'proposedAt', label: 'Proposed', kind: 'time' },
          { key: 'outcome', label: 'Outcome now' },
        ],
        rows: report.proposals.agents.map((row) => ({ ...row })),
        empty: 'no agent was proposed in the period',
      },
    ],
    notes: [
      'Metrics marked "not yet measured" need anomaly detection, which this version does not have; they are shown empty, never as zero.',
      '"no data": the installation holds nothing to measure it from (see the note).',
      'Agent approval rate counts agents proposed through the admin API; agents defined in manifests are not proposals.',
    ],
  };
}

/** A metric's value as people read it; `—` when there is none. */
function formatMetric(metric: ProgramMetric): string {
  if (metric.value === null) return '—';
  if (metric.unit === 'ratio') return `${(metric.value * 100).toFixed(1)} %`;
  if (metric.unit === 'hours') return `${metric.value.toFixed(1)} h`;
  return String(metric.value);
}

