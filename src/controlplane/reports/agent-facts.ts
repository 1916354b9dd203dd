import type { AgentState } from '../../model/manifests/index.js';
import type { CompiledAgent } from '../../policy/snapshot.js';
import type { AgentTransition, ReviewDecision } from '../store/governance-store.js';
import { addDays, type ReportContext } from './report-context.js';

/** What the reports know of one agent: its definition in the policy, its lifecycle record and history, its review decisions. */
export interface AgentFacts {
  readonly name: string;
  readonly owner: string;
  readonly purpose: string;
  /** Roles of its definition (the runtime role that carries access-request grants is left out). */
  readonly roles: readonly string[];
  readonly state: AgentState;
  readonly stateSince: Date | undefined;
  /** `manifest`, `api` (proposed through the admin API), or `unknown` when the store holds no record yet. */
  readonly source: 'manifest' | 'api' | 'unknown';
  readonly template: string | undefined;
  readonly createdAt: Date | undefined;
  readonly createdBy: string | undefined;
  /** False when the store has a record but the policy in force no longer defines the agent. */
  readonly inPolicy: boolean;
  /** Oldest first. */
  readonly transitions: readonly AgentTransition[];
  /** Oldest first. */
  readonly decisions: readonly ReviewDecision[];
  /** Grants added at run time (access requests) that the agent holds now. */
  readonly runtimeGrants: number;
}

/** Agents that the access review covers: from approval until decommissioning (as `warden review`). */
export const REVIEW_SCOPE_STATES: readonly AgentState[] = ['approved', 'testing', 'active', 'suspended', 'quarantined'];

/** Every agent of the policy in force and of the store, sorted by name. */
export async function loadAgentFacts(context: ReportContext): Promise<AgentFacts[]> {
  const governance = context.store.governance;
  const [records, decisions, rules] = await Promise.all([governance.listAgents(), governance.listReviewDecisions(), governance.listRules()]);
  const byName = new Map(records.map((record) => [record.name, record]));
  const compiled: ReadonlyMap<string, CompiledAgent> = context.policy?.snapshot.agents ?? new Map();
  const names = [...new Set([...compiled.keys(), ...byName.keys()])].sort();
  const facts: AgentFacts[] = [];
  for (const name of names) {
    const agent = compiled.get(name);
    const record = byName.get(name);
    const definition = record?.definition?.spec;
    facts.push({
      name,
      owner: agent?.owner ?? definition?.owner ?? '',
      purpose: agent?.purpose ?? definition?.purpose ?? '',
      roles: (agent?.roles ?? definition?.roles ?? []).filter((role) => !role.startsWith('~')),
      state: record?.state ?? agent?.state ?? 'proposed',
      stateSince: record?.stateSince,
      source: record?.source ?? 'unknown',
      template: record?.template,
      createdAt: record?.createdAt,
      createdBy: record?.createdBy,
      inPolicy: agent !== undefined,
      transitions: record === undefined ? [] : await governance.listTransitions(name),
      decisions: decisions.filter((decision) => decision.agent === name).sort((a, b) => a.at.getTime() - b.at.getTime()),
      runtimeGrants: rules.filter((rule) => rule.agent === name && rule.kind === 'grant').length,
    });
  }
  return facts;
}

/** One approval step as recorded: who took it and when; `automatic` when a pre-approved template approved. */
export interface ApprovalStep {
  readonly by: string;
  readonly at: string;
  readonly automatic: boolean;
}

export interface ApprovalEvidence {
  /** `approve` from proposed (to in_review; to approved for a pre-approved template). */
  readonly securityReview: ApprovalStep | null;
  /** `approve` that made the agent approved. */
  readonly businessApproval: ApprovalStep | null;
  /** `activate`: the acceptance test passed and the agent went into service. */
  readonly acceptance: ApprovalStep | null;
  /** What a reviewer of the evidence would find missing for the agent's state. */
  readonly missing: readonly string[];
}

/** Who approved each lifecycle step, from the agent's transitions. */
export function approvalEvidence(facts: AgentFacts): ApprovalEvidence {
  const step = (match: (transition: AgentTransition) => boolean): ApprovalStep | null => {
    const found = [...facts.transitions].reverse().find(match);
    return found === undefined ? null : { by: found.actor, at: found.at.toISOString(), automatic: found.actor.startsWith('template:') };
  };
  const securityReview = step((transition) => transition.action === 'approve' && transition.from === 'proposed');
  const businessApproval = step((transition) => transition.action === 'approve' && transition.to === 'approved');
  const acceptance = step((transition) => transition.action === 'activate');
  const missing: string[] = [];
  const everApproved = facts.transitions.some((transition) => transition.to !== undefined && REVIEW_SCOPE_STATES.includes(transition.to)) || REVIEW_SCOPE_STATES.includes(facts.state);
  if (everApproved) {
    if (securityReview === null) missing.push('security review');
    if (businessApproval === null) missing.push('business approval');
  }
  const everActive = facts.state === 'active' || facts.transitions.some((transition) => transition.to === 'active');
  if (everActive && acceptance === null) missing.push('acceptance (activation after testing)');
  return { securityReview, businessApproval, acceptance, missing };
}

export type ReviewStatus = 'overdue' | 'due-soon' | 'current' | 'not-in-scope';

export interface ReviewSchedule {
  /** The latest review decision on any item of the agent. */
  readonly lastReview: string | null;
  readonly lastReviewer: string | null;
  /** Null for agents the review does not cover (proposed, in review, decommissioned). */
  readonly nextDue: string | null;
  readonly status: ReviewStatus;
}

/**
 * When the agent's access review is due: `reviewIntervalDays` after its last review decision,
 * or, never reviewed, after it came into the review's scope (its approval, or its creation in
 * a state that is in scope). Overdue once that day has passed.
 */
export function reviewSchedule(facts: AgentFacts, context: ReportContext): ReviewSchedule {
  const last = facts.decisions.at(-1);
  const lastReview = last?.at.toISOString() ?? null;
  const lastReviewer = last?.actor ?? null;
  if (!REVIEW_SCOPE_STATES.includes(facts.state)) return { lastReview, lastReviewer, nextDue: null, status: 'not-in-scope' };
  const entered = facts.transitions.find((transition) => REVIEW_SCOPE_STATES.includes(transition.to))?.at ?? facts.createdAt ?? context.now;
  const base = last !== undefined && last.at > entered ? last.at : entered;
  const due = addDays(base, context.settings.reviewIntervalDays);
  const status: ReviewStatus = due <= context.now ? 'overdue' : due <= addDays(context.now, context.settings.reviewDueSoonDays) ? 'due-soon' : 'current';
  return { lastReview, lastReviewer, nextDue: due.toISOString(), status };
}
