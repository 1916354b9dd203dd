import type { AgentState } from '../../model/manifests/index.js';
import { loadAgentFacts, reviewSchedule, type ReviewStatus } from './agent-facts.js';
import { inPeriod, type ReportContext, type ReportPeriod } from './report-context.js';
import type { ReportDocument } from './report-document.js';

export interface ReviewDecisionRow {
  readonly at: string;
  readonly agent: string;
  readonly item: string;
  readonly decision: 'confirm' | 'revoke';
  readonly actor: string;
  readonly reason: string;
}

export interface ReviewScheduleRow {
  readonly agent: string;
  readonly owner: string;
  readonly state: AgentState;
  readonly lastReview: string | null;
  readonly lastReviewer: string | null;
  readonly nextDue: string;
  readonly status: Exclude<ReviewStatus, 'not-in-scope'>;
  /** Items of the access review waiting for a decision now. */
  readonly openItems: number;
}

export interface OpenReviewItemRow {
  readonly agent: string;
  readonly owner: string;
  readonly state: string;
  readonly item: string;
  readonly kind: string;
  readonly detail: string;
}

export interface AccessReviewsReport {
  readonly summary: {
    /** Review decisions taken in the period. */
    readonly decisions: number;
    readonly confirmed: number;
    readonly revoked: number;
    /** Agents with at least one decision in the period. */
    readonly agentsReviewed: number;
    readonly reviewers: readonly string[];
    /** Agents the access review covers (approved up to quarantined). */
    readonly agentsInScope: number;
    readonly overdue: number;
    readonly dueSoon: number;
    /** Items waiting for a decision now, and on how many agents. */
    readonly openItems: number;
    readonly agentsWithOpenItems: number;
  };
  readonly reviewIntervalDays: number;
  /** Oldest first. */
  readonly decisions: readonly ReviewDecisionRow[];
  /** Agents in scope, overdue first, then by due date. */
  readonly schedule: readonly ReviewScheduleRow[];
  readonly openItems: readonly OpenReviewItemRow[];
}

/** Access reviews done in the period (who, when, decision) and what is pending or overdue now. */
export async function accessReviewsReport(context: ReportContext, period: ReportPeriod): Promise<AccessReviewsReport> {
  const [facts, reviews] = await Promise.all([loadAgentFacts(context), context.reviewItems()]);
  const decisions = facts
    .flatMap((agent) => agent.decisions)
    .filter((decision) => inPeriod(decision.at, period))
    .sort((a, b) => a.at.getTime() - b.at.getTime() || a.agent.localeCompare(b.agent))
    .map((decision): ReviewDecisionRow => ({ at: decision.at.toISOString(), agent: decision.agent, item: decision.item, decision: decision.decision, actor: decision.actor, reason: decision.reason }));
  const openItems = reviews.flatMap((review) => review.items.map((item): OpenReviewItemRow => ({ agent: review.agent, owner: review.owner, state: review.state, item: item.item, kind: item.kind, detail: item.detail })));
  const open = new Map(reviews.map((review) => [review.agent, review.items.length]));
  const rank = { overdue: 0, 'due-soon': 1, current: 2 } as const;
  const schedule: ReviewScheduleRow[] = [];
  for (const agent of facts) {
    const planned = reviewSchedule(agent, context);
    if (planned.status === 'not-in-scope' || planned.nextDue === null) continue;
    schedule.push({ agent: agent.name, owner: agent.owner, state: agent.state, lastReview: planned.lastReview, lastReviewer: planned.lastReviewer, nextDue: planned.nextDue, status: planned.status, openItems: open.get(agent.name) ?? 0 });
  }
  schedule.sort((a, b) => rank[a.status] - rank[b.status] || a.nextDue.localeCompare(b.nextDue) || a.agent.localeCompare(b.agent));
  return {
    summary: {
      decisions: decisions.length,
      confirmed: decisions.filter((decision) => decision.decision === 'confirm').length,
      revoked: decisions.filter((decision) => decision.decision === 'revoke').length,
      agentsReviewed: new Set(decisions.map((decision) => decision.agent)).size,
      reviewers: [...new Set(decisions.map((decision) => decision.actor))].sort(),
      agentsInScope: schedule.length,
      overdue: schedule.filter((row) => row.status === 'overdue').length,
      dueSoon: schedule.filter((row) => row.status === 'due-soon').length,
      openItems: openItems.length,
      agentsWithOpenItems: reviews.filter((review) => review.items.length > 0).length,
    },
    reviewIntervalDays: context.settings.reviewIntervalDays,
    decisions,
    schedule,
    openItems,
  };
}

export function accessReviewsDocument(report: AccessReviewsReport): ReportDocument {
  const { summary } = report;
  return {
    summary: [
      { label: 'Review decisions in the period', value: summary.decisions, note: `${summary.confirmed} confirmed, ${summary.revoked} revoked` },
      { label: 'Agents reviewed in the period', value: summary.agentsReviewed },
      { label: 'Reviewers', value: summary.reviewers, kind: 'list' },
      { label: 'Agents in review scope', value: summary.agentsInScope },
      { label: 'Reviews overdue', value: summary.overdue },
      { label: 'Reviews due soon', value: summary.dueSoon },
      { label: 'Open review items', value: summary.openItems, note: `on ${summary.agentsWithOpenItems} agent(s)` },
    ],
    tables: [
      {
        id: 'decisions',
        title: 'Review decisions in the period',
        columns: [
          { key: 'at', label: 'When', kind: 'time' },
          { key: 'agent', label: 'Agent' },
          { key: 'item', label: 'Item' },
          { key: 'decision', label: 'Decision' },
          { key: 'actor', label: 'Reviewer' },
          { key: 'reason', label: 'Reason' },
        ],
        rows: report.decisions.map((row) => ({ ...row })),
        empty: 'no review decisions in the period',
      },
      {
        id: 'schedule',
        title: 'Review schedule',
        columns: [
          { key: 'agent', label: 'Agent' },
          { key: 'owner', label: 'Owner' },
          { key: 'state', label: 'State' },
          { key: 'lastReview', label: 'Last review', kind: 'time' },
          { key: 'lastReviewer', label: 'by' },
          { key: 'nextDue', label: 'Next due', kind: 'time' },
          { key: 'status', label: 'Status' },
          { key: 'openItems', label: 'Open items', kind: 'number' },
        ],
        rows: report.schedule.map((row) => ({ ...row })),
        empty: 'no agent is in the review scope',
      },
      {
        id: 'open-items',
        title: 'Open review items',
        columns: [
          { key: 'agent', label: 'Agent' },
          { key: 'owner', label: 'Owner' },
          { key: 'item', label: 'Item' },
          { key: 'kind', label: 'Kind' },
          { key: 'detail', label: 'Detail' },
        ],
        rows: report.openItems.map((row) => ({ agent: row.agent, owner: row.owner, item: row.item, kind: row.kind, detail: row.detail })),
        empty: 'nothing waits for a review decision',
      },
    ],
    notes: [
      'A review decision confirms or revokes one item of the access review (`warden review confirm|revoke`): an unused grant, an idle agent, a key near expiry, an owner who left.',
      `An agent in scope (approved, testing, active, suspended, quarantined) is due for review ${report.reviewIntervalDays} days after its last review decision, or after it came into scope if never reviewed; overdue once that day has passed. To certify an agent with no open item, confirm its \`owner\` item.`,
      'Open items are what `warden review` lists now, whatever the period.',
    ],
  };
}
