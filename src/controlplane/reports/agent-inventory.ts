import { AGENT_STATES, type AgentState } from '../../model/manifests/index.js';
import { approvalEvidence, loadAgentFacts, reviewSchedule, type ApprovalStep, type ReviewStatus } from './agent-facts.js';
import { inPeriod, type ReportContext, type ReportPeriod } from './report-context.js';
import type { ReportDocument } from './report-document.js';

export interface InventoryAgent {
  readonly name: string;
  readonly owner: string;
  /** False when the owner is recorded as having left (`warden owners left`). */
  readonly ownerActive: boolean;
  readonly roles: readonly string[];
  readonly runtimeGrants: number;
  readonly purpose: string;
  readonly state: AgentState;
  readonly stateSince: string | null;
  readonly source: 'manifest' | 'api' | 'unknown';
  readonly template: string | null;
  readonly createdAt: string | null;
  readonly createdBy: string | null;
  readonly inPolicy: boolean;
  readonly approvals: {
    readonly securityReview: ApprovalStep | null;
    readonly businessApproval: ApprovalStep | null;
    readonly acceptance: ApprovalStep | null;
  };
  /** Lifecycle steps the agent's state implies but no transition records (e.g. an agent applied as active). */
  readonly missingEvidence: readonly string[];
  readonly lastAccessReview: string | null;
  readonly lastReviewer: string | null;
  readonly nextReviewDue: string | null;
  readonly reviewStatus: ReviewStatus;
  /** Lifecycle transitions in the period. */
  readonly transitionsInPeriod: number;
}

export interface AgentInventoryReport {
  /** The inventory is the state at this time; the period counts transitions only. */
  readonly asOf: string;
  readonly total: number;
  readonly byState: Readonly<Record<AgentState, number>>;
  /** Agents whose state is backed by every approval it implies. */
  readonly completeEvidence: number;
  readonly reviewsOverdue: number;
  readonly ownersLeft: number;
  /** Reviews are due this many days after the last one. */
  readonly reviewIntervalDays: number;
  readonly agents: readonly InventoryAgent[];
}

/** Every agent with owner, roles, purpose, lifecycle state, who approved each step and when, and its access review dates. */
export async function agentInventoryReport(context: ReportContext, period: ReportPeriod): Promise<AgentInventoryReport> {
  const [facts, owners] = await Promise.all([loadAgentFacts(context), context.store.governance.listOwners()]);
  const left = new Set(owners.filter((owner) => !owner.active).map((owner) => owner.email.toLowerCase()));
  const agents = facts.map((agent): InventoryAgent => {
    const evidence = approvalEvidence(agent);
    const schedule = reviewSchedule(agent, context);
    return {
      name: agent.name,
      owner: agent.owner,
      ownerActive: !left.has(agent.owner.toLowerCase()),
      roles: agent.roles,
      runtimeGrants: agent.runtimeGrants,
      purpose: agent.purpose,
      state: agent.state,
      stateSince: agent.stateSince?.toISOString() ?? null,
      source: agent.source,
      template: agent.template ?? null,
      createdAt: agent.createdAt?.toISOString() ?? null,
      createdBy: agent.createdBy ?? null,
      inPolicy: agent.inPolicy,
      approvals: { securityReview: evidence.securityReview, businessApproval: evidence.businessApproval, acceptance: evidence.acceptance },
      missingEvidence: evidence.missing,
      lastAccessReview: schedule.lastReview,
      lastReviewer: schedule.lastReviewer,
      nextReviewDue: schedule.nextDue,
      reviewStatus: schedule.status,
      transitionsInPeriod: agent.transitions.filter((transition) => inPeriod(transition.at, period)).length,
    };
  });
  const byState = Object.fromEntries(AGENT_STATES.map((state) => [state, agents.filter((agent) => agent.state === state).length])) as Record<AgentState, number>;
  return {
    asOf: context.now.toISOString(),
    total: agents.length,
    byState,
    completeEvidence: agents.filter((agent) => agent.missingEvidence.length === 0).length,
    reviewsOverdue: agents.filter((agent) => agent.reviewStatus === 'overdue').length,
    ownersLeft: agents.filter((agent) => !agent.ownerActive).length,
    reviewIntervalDays: context.settings.reviewIntervalDays,
    agents,
  };
}

const step = (value: ApprovalStep | null) => (value === null ? null : `${value.by}${value.automatic ? ' (automatic)' : ''}`);

export function agentInventoryDocument(report: AgentInventoryReport): ReportDocument {
  return {
    summary: [
      { label: 'Agents', value: report.total },
      ...AGENT_STATES.filter((state) => report.byState[state] > 0).map((state) => ({ label: `In state ${state}`, value: report.byState[state] })),
      { label: 'Approval evidence complete', value: report.completeEvidence, note: `of ${report.total}` },
      { label: 'Access reviews overdue', value: report.reviewsOverdue },
      { label: 'Agents whose owner left', value: report.ownersLeft },
    ],
    tables: [
      {
        id: 'agents',
        title: 'Agents',
        columns: [
          { key: 'name', label: 'Agent' },
          { key: 'owner', label: 'Owner' },
          { key: 'roles', label: 'Roles', kind: 'list' },
          { key: 'purpose', label: 'Purpose' },
          { key: 'state', label: 'State' },
          { key: 'stateSince', label: 'Since', kind: 'time' },
          { key: 'source', label: 'Source' },
        ],
        rows: report.agents.map((agent) => ({
          name: agent.name,
          owner: agent.ownerActive ? agent.owner : `${agent.owner} (left)`,
          roles: agent.runtimeGrants > 0 ? [...agent.roles, `+${agent.runtimeGrants} runtime grant(s)`] : agent.roles,
          purpose: agent.purpose,
          state: agent.inPolicy ? agent.state : `${agent.state} (no longer in the policy)`,
          stateSince: agent.stateSince,
          source: agent.template === null ? agent.source : `${agent.source}, template ${agent.template}`,
        })),
        empty: 'no agents',
      },
      {
        id: 'approvals',
        title: 'Approval evidence',
        columns: [
          { key: 'name', label: 'Agent' },
          { key: 'securityReviewBy', label: 'Security review by' },
          { key: 'securityReviewAt', label: 'at', kind: 'time' },
          { key: 'businessApprovalBy', label: 'Business approval by' },
          { key: 'businessApprovalAt', label: 'at', kind: 'time' },
          { key: 'acceptanceBy', label: 'Acceptance by' },
          { key: 'acceptanceAt', label: 'at', kind: 'time' },
          { key: 'missing', label: 'Missing', kind: 'list' },
        ],
        rows: report.agents.map((agent) => ({
          name: agent.name,
          securityReviewBy: step(agent.approvals.securityReview),
          securityReviewAt: agent.approvals.securityReview?.at ?? null,
          businessApprovalBy: step(agent.approvals.businessApproval),
          businessApprovalAt: agent.approvals.businessApproval?.at ?? null,
          acceptanceBy: step(agent.approvals.acceptance),
          acceptanceAt: agent.approvals.acceptance?.at ?? null,
          missing: agent.missingEvidence,
        })),
        empty: 'no agents',
      },
      {
        id: 'reviews',
        title: 'Access reviews',
        columns: [
          { key: 'name', label: 'Agent' },
          { key: 'lastReview', label: 'Last review', kind: 'time' },
          { key: 'lastReviewer', label: 'by' },
          { key: 'nextDue', label: 'Next due', kind: 'time' },
          { key: 'status', label: 'Status' },
        ],
        rows: report.agents.map((agent) => ({ name: agent.name, lastReview: agent.lastAccessReview, lastReviewer: agent.lastReviewer, nextDue: agent.nextReviewDue, status: agent.reviewStatus })),
        empty: 'no agents',
      },
    ],
    notes: [
      `The inventory shows every agent as of ${report.asOf}; the period only selects which lifecycle transitions are counted.`,
      'Security review: the approval that took the agent out of `proposed`; business approval: the approval that made it `approved`; acceptance: its activation after testing. "automatic" marks a pre-approved template.',
      'Missing evidence: an approval the agent\'s state implies but no recorded transition shows, typically an agent whose state was set in its manifest.',
      `An agent's access review is due ${report.reviewIntervalDays} days after its last review decision (or after it was approved, if never reviewed); agents proposed, in review or decommissioned are not in scope.`,
    ],
  };
}
