import { formatRuleRef } from '../../policy/decision.js';
import type { Snapshot } from '../../policy/snapshot.js';
import { ratio, requirePolicy, type ReportContext, type ReportPeriod } from './report-context.js';
import type { ReportDocument } from './report-document.js';

export interface CoverageOperation {
  readonly api: string;
  readonly operation: string;
  readonly method: string;
  /** The path as agents call it (base path included). */
  readonly path: string;
  readonly effect: 'read' | 'write';
  readonly covered: boolean;
  /** Grants that cover it (`role/grants/id`); runtime grants from access requests show under `~runtime/<agent>`. */
  readonly grants: readonly string[];
  /** Agents that hold one of those grants (decommissioned ones left out). */
  readonly agents: readonly string[];
}

export interface CoverageApi {
  readonly api: string;
  readonly owner: string;
  readonly status: 'active' | 'deprecated' | 'retired';
  readonly operations: number;
  readonly coveredOperations: number;
  /** Share of its operations covered; null when it declares none. */
  readonly share: number | null;
  /** At least one operation covered. */
  readonly covered: boolean;
}

export interface PolicyCoverageReport {
  readonly policyVersion: string;
  readonly apis: { readonly total: number; readonly covered: number; readonly fullyCovered: number; readonly share: number | null };
  readonly operations: { readonly total: number; readonly covered: number; readonly share: number | null };
  readonly perApi: readonly CoverageApi[];
  readonly uncoveredApis: readonly string[];
  readonly uncoveredOperations: readonly { readonly api: string; readonly operation: string; readonly method: string; readonly path: string }[];
  readonly operationDetail: readonly CoverageOperation[];
}

/** The share of APIs and operations of the policy in force that at least one explicit grant covers. */
export async function policyCoverageReport(context: ReportContext, _period: ReportPeriod): Promise<PolicyCoverageReport> {
  const policy = requirePolicy(context);
  return coverageOf(policy.snapshot, policy.record.version);
}

/** Coverage of one compiled policy: any grant of any role counts, whether or not an agent holds the role. */
export function coverageOf(snapshot: Snapshot, policyVersion: string): PolicyCoverageReport {
  const grantsByOperation = new Map<number, Set<string>>();
  const rolesByOperation = new Map<number, Set<string>>();
  for (const table of snapshot.roles.values()) {
    for (const [index, grants] of table.grants) {
      if (grants.length === 0) continue;
      const refs = grantsByOperation.get(index) ?? new Set<string>();
      for (const grant of grants) refs.add(formatRuleRef(grant.ref));
      grantsByOperation.set(index, refs);
      const roles = rolesByOperation.get(index) ?? new Set<string>();
      roles.add(table.role);
      rolesByOperation.set(index, roles);
    }
  }
  const agentsByRole = new Map<string, string[]>();
  for (const agent of snapshot.agents.values()) {
    if (agent.state === 'decommissioned') continue;
    for (const role of agent.access.roles) agentsByRole.set(role.role, [...(agentsByRole.get(role.role) ?? []), agent.name]);
  }
  const operationDetail = [...snapshot.operations]
    .sort((a, b) => a.api.name.localeCompare(b.api.name) || a.id.localeCompare(b.id))
    .map((operation): CoverageOperation => {
      const grants = [...(grantsByOperation.get(operation.index) ?? [])].sort();
      const agents = [...new Set([...(rolesByOperation.get(operation.index) ?? [])].flatMap((role) => agentsByRole.get(role) ?? []))].sort();
      return { api: operation.api.name, operation: operation.id, method: operation.method, path: operation.fullPath, effect: operation.effect, covered: grants.length > 0, grants, agents };
    });
  const perApi = [...snapshot.apis.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((api): CoverageApi => {
      const mine = operationDetail.filter((operation) => operation.api === api.name);
      const covered = mine.filter((operation) => operation.covered).length;
      return { api: api.name, owner: api.owner, status: api.status, operations: mine.length, coveredOperations: covered, share: ratio(covered, mine.length), covered: covered > 0 };
    });
  const coveredOperations = operationDetail.filter((operation) => operation.covered).length;
  const coveredApis = perApi.filter((api) => api.covered).length;
  return {
    policyVersion,
    apis: { total: perApi.length, covered: coveredApis, fullyCovered: perApi.filter((api) => api.operations > 0 && api.coveredOperations === api.operations).length, share: ratio(coveredApis, perApi.length) },
    operations: { total: operationDetail.length, covered: coveredOperations, share: ratio(coveredOperations, operationDetail.length) },
    perApi,
    uncoveredApis: perApi.filter((api) => !api.covered).map((api) => api.api),
    uncoveredOperations: operationDetail.filter((operation) => !operation.covered).map(({ api, operation, method, path }) => ({ api, operation, method, path })),
    operationDetail,
  };
}

export function policyCoverageDocument(report: PolicyCoverageReport): ReportDocument {
  return {
    summary: [
      { label: 'Operations covered by a grant', value: report.operations.share, kind: 'ratio', note: `${report.operations.covered} of ${report.operations.total}` },
      { label: 'APIs covered by a grant', value: report.apis.share, kind: 'ratio', note: `${report.apis.covered} of ${report.apis.total}; ${report.apis.fullyCovered} fully` },
      { label: 'Uncovered operations', value: report.uncoveredOperations.length },
      { label: 'Uncovered APIs', value: report.uncoveredApis, kind: 'list' },
      { label: 'Policy version', value: report.policyVersion },
    ],
    tables: [
      {
        id: 'apis',
        title: 'Coverage per API',
        columns: [
          { key: 'api', label: 'API' },
          { key: 'owner', label: 'Owner' },
          { key: 'status', label: 'Lifecycle' },
          { key: 'operations', label: 'Operations', kind: 'number' },
          { key: 'coveredOperations', label: 'Covered', kind: 'number' },
          { key: 'share', label: 'Share', kind: 'ratio' },
        ],
        rows: report.perApi.map(({ api, owner, status, operations, coveredOperations, share }) => ({ api, owner, status, operations, coveredOperations, share })),
        empty: 'the policy declares no API',
      },
      {
        id: 'uncovered',
        title: 'Operations no grant covers',
        columns: [
          { key: 'api', label: 'API' },
          { key: 'operation', label: 'Operation' },
          { key: 'method', label: 'Method' },
          { key: 'path', label: 'Path' },
        ],
        rows: report.uncoveredOperations.map((row) => ({ ...row })),
        empty: 'every operation is covered by a grant',
      },
      {
        id: 'operations',
        title: 'Operations and the grants that cover them',
        columns: [
          { key: 'api', label: 'API' },
          { key: 'operation', label: 'Operation' },
          { key: 'method', label: 'Method' },
          { key: 'path', label: 'Path' },
          { key: 'effect', label: 'Effect' },
          { key: 'grants', label: 'Grants', kind: 'list' },
          { key: 'agents', label: 'Agents holding them', kind: 'list' },
        ],
        rows: report.operationDetail.map(({ api, operation, method, path, effect, grants, agents }) => ({ api, operation, method, path, effect, grants, agents })),
        empty: 'the policy declares no operation',
      },
    ],
    notes: [
      'An operation is covered when at least one grant of any role in the policy in force selects it (by id, `*` or a method and path glob), runtime grants from access requests included; forbids and parameter conditions are not weighed. An API is covered when at least one of its operations is.',
      'Warden denies by default: an uncovered operation is unreachable for every agent. Uncovered operations are either not meant for agents (consider removing them from the manifest) or still need a role.',
    ],
  };
}
