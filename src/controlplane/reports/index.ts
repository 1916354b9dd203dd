import { GovernanceError } from '../governance/governance-error.js';
import { accessReviewsDocument, accessReviewsReport } from './access-reviews.js';
import { agentInventoryDocument, agentInventoryReport } from './agent-inventory.js';
import { credentialHygieneDocument, credentialHygieneReport } from './credential-hygiene.js';
import { policyCoverageDocument, policyCoverageReport } from './policy-coverage.js';
import { programMetricsDocument, programMetricsReport } from './program-metrics.js';
import type { ReportContext, ReportPeriod } from './report-context.js';
import type { ReportDocument, ReportOutput } from './report-document.js';
import { violationsDocument, violationsReport } from './violations.js';

export { createReportContext, resolvePeriod, type ReportContext, type ReportContextOptions, type ReportPeriod, type ReportSettings } from './report-context.js';
export type { ReportDocument, ReportMeta, ReportOutput } from './report-document.js';
export { renderReport, REPORT_FORMATS, type RenderedReport, type ReportFormat } from './report-renderers.js';

/** One report: how to compute its typed result and how to lay it out for people. */
export interface ReportDefinition<T = unknown> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  run(context: ReportContext, period: ReportPeriod): Promise<T>;
  document(result: T): ReportDocument;
}

function define<T>(definition: ReportDefinition<T>): ReportDefinition<unknown> {
  return definition as ReportDefinition<unknown>;
}

/** The reports by name, in the order help texts list them. */
export const REPORTS: ReadonlyMap<string, ReportDefinition> = new Map(
  [
    define({
      name: 'agent-inventory',
      title: 'Agent inventory',
      description: 'Every agent with owner, roles, purpose and lifecycle state, who approved each lifecycle step and when, and its access review dates.',
      run: agentInventoryReport,
      document: agentInventoryDocument,
    }),
    define({
      name: 'access-reviews',
      title: 'Access reviews',
      description: 'Access review decisions in the period (who, when, what), reviews overdue or due soon, and the items waiting for a decision.',
      run: accessReviewsReport,
      document: accessReviewsDocument,
    }),
    define({
      name: 'policy-coverage',
      title: 'Access policy coverage',
      description: 'The share of APIs and operations that at least one explicit grant covers, and the ones none does.',
      run: policyCoverageReport,
      document: policyCoverageDocument,
    }),
    define({
      name: 'violations',
      title: 'Permission violations',
      description: 'Permission violations per 1,000 calls in the period, by reason, agent and API, from the audit log.',
      run: violationsReport,
      document: violationsDocument,
    }),
    define({
      name: 'credential-hygiene',
      title: 'Credential hygiene',
      description: 'API keys per agent: expired, expiring soon, never rotated, revoked.',
      run: credentialHygieneReport,
      document: credentialHygieneDocument,
    }),
    define({
      name: 'program-metrics',
      title: 'Agent security programme metrics',
      description: 'Inventory completeness, API ownership, zombie APIs, policy coverage, agent approval rate, violations blocked, and the detection metrics still to come.',
      run: programMetricsReport,
      document: programMetricsDocument,
    }),
  ].map((definition) => [definition.name, definition]),
);

export const REPORT_NAMES: readonly string[] = [...REPORTS.keys()];

/** Runs one report over the period; an unknown name is refused with WARDEN_ADMIN_NOT_FOUND. */
export async function runReport(name: string, context: ReportContext, period: ReportPeriod): Promise<ReportOutput> {
  const definition = REPORTS.get(name);
  if (definition === undefined) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no report is called ${name}; the reports are ${REPORT_NAMES.join(', ')}`);
  const result = await definition.run(context, period);
  return {
    meta: {
      report: definition.name,
      title: definition.title,
      description: definition.description,
      period: { from: period.from.toISOString(), to: period.to.toISOString() },
      generatedAt: context.now.toISOString(),
      wardenVersion: context.wardenVersion,
      policyVersion: context.policy?.record.version ?? null,
    },
    result,
    document: definition.document(result),
  };
}
