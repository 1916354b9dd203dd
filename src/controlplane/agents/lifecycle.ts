import type { AgentState } from '../../model/manifests/index.js';
import type { AdminRole, AgentTransition } from '../store/governance-store.js';

/**
 * The agent lifecycle as an explicit state machine:
 *
 *   proposed ─approve (security review)→ in_review ─approve (business approval)→ approved
 *   approved ─test→ testing ─activate→ active ─suspend→ suspended ─reinstate→ (back)
 *   active|testing|suspended ─quarantine→ quarantined ─reinstate→ (back)
 *   proposed|in_review|approved|testing ─reject→ decommissioned
 *   any (but decommissioned) ─decommission→ decommissioned
 *
 * Each action names who may take it. The two approvals are the four-eyes step: a security
 * reviewer first, then a business approver who is another person, never the agent's owner and
 * never the person who proposed it. Reinstating returns an agent to where it was before it was
 * suspended or quarantined: a suspended agent in acceptance testing goes back to testing, not
 * into service.
 */
export const LIFECYCLE_ACTIONS = ['approve', 'reject', 'test', 'activate', 'suspend', 'quarantine', 'reinstate', 'decommission'] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

interface ActionRule {
  readonly from: readonly AgentState[];
  /** Where the action leads from each state it applies to. */
  readonly to: (from: AgentState) => AgentState;
  /** Admin roles that may take it for any agent. */
  readonly roles: readonly AdminRole[];
  /** Whether an `owner` may take it for their own agents. */
  readonly ownerMay: boolean;
  readonly meaning: string;
}

const RULES: Readonly<Record<LifecycleAction, ActionRule>> = {
  approve: {
    from: ['proposed', 'in_review'],
    to: (from) => (from === 'proposed' ? 'in_review' : 'approved'),
    roles: ['security', 'admin'],
    ownerMay: false,
    meaning: 'security review (proposed → in_review), then business approval by another person (in_review → approved)',
  },
  reject: { from: ['proposed', 'in_review', 'approved', 'testing'], to: () => 'decommissioned', roles: ['security', 'admin'], ownerMay: false, meaning: 'ends a proposal that is not fit to run' },
  test: { from: ['approved'], to: () => 'testing', roles: ['admin', 'security'], ownerMay: true, meaning: 'starts the acceptance test (staging upstreams, or monitor-mode APIs)' },
  activate: { from: ['testing'], to: () => 'active', roles: ['admin', 'security'], ownerMay: true, meaning: 'puts an agent that passed its acceptance test into service' },
  suspend: { from: ['active', 'testing'], to: () => 'suspended', roles: ['security', 'admin'], ownerMay: true, meaning: 'stops all calls until reinstated' },
  quarantine: { from: ['active', 'testing', 'suspended'], to: () => 'quarantined', roles: ['security', 'admin'], ownerMay: false, meaning: 'stops all calls while an incident is looked into' },
  reinstate: { from: ['suspended', 'quarantined'], to: () => 'active', roles: ['security', 'admin'], ownerMay: false, meaning: 'returns a suspended or quarantined agent to the state it was in before (active or testing)' },
  decommission: {
    from: ['proposed', 'in_review', 'approved', 'testing', 'active', 'suspended', 'quarantined'],
    to: () => 'decommissioned',
    roles: ['admin', 'security'],
    ownerMay: true,
    meaning: 'retires the agent for good: credentials revoked, audit trail kept',
  },
};

/** Who acts: a human's subject (e-mail) and roles, or the system (`template:…`, `detector:…`). */
export interface Actor {
  readonly subject: string;
  readonly roles: readonly AdminRole[];
}

export type TransitionPlan =
  | { readonly ok: true; readonly to: AgentState }
  | { readonly ok: false; readonly kind: 'illegal' | 'forbidden'; readonly message: string; readonly legal: readonly LifecycleAction[] };

/** The actions that apply to an agent in `state`, whoever takes them. */
export function legalActions(state: AgentState): LifecycleAction[] {
  return LIFECYCLE_ACTIONS.filter((action) => RULES[action].from.includes(state));
}

/** What an action means, for help texts and errors. */
export function actionMeaning(action: LifecycleAction): string {
  return RULES[action].meaning;
}

/**
 * Whether `actor` may take `action` on an agent in `state` owned by `owner`, and where it
 * leads. `history` is the agent's transitions, to keep the two approvals with two people.
 */
export function planTransition(agent: { readonly state: AgentState; readonly owner: string }, action: LifecycleAction, actor: Actor, history: readonly AgentTransition[]): TransitionPlan {
  const rule = RULES[action];
  const legal = legalActions(agent.state);
  if (!rule.from.includes(agent.state)) {
    const options = legal.length === 0 ? 'nothing; it is final' : legal.join(', ');
    return { ok: false, kind: 'illegal', message: `cannot ${action} an agent that is ${agent.state}; from ${agent.state} the actions are: ${options}`, legal };
  }
  const isOwner = actor.subject.toLowerCase() === agent.owner.toLowerCase();
  if (action === 'approve' && isOwner) return { ok: false, kind: 'forbidden', message: `${actor.subject} owns this agent and cannot approve it; another security reviewer or approver must`, legal };
  const byRole = rule.roles.some((role) => actor.roles.includes(role));
  const byOwnership = rule.ownerMay && isOwner && actor.roles.includes('owner');
  if (!byRole && !byOwnership) {
    const who = [...rule.roles, ...(rule.ownerMay ? ['the agent\'s owner'] : [])].join(', ');
    return { ok: false, kind: 'forbidden', message: `${action} needs one of: ${who}; ${actor.subject} has ${actor.roles.join(', ') || 'no role'}`, legal };
  }
  if (action === 'approve' && agent.state === 'proposed' && !actor.roles.includes('security')) {
    return { ok: false, kind: 'forbidden', message: 'the first approval is the security review: it needs the security role', legal };
  }
  const proposer = history.find((transition) => transition.action === 'propose')?.actor;
  if (action === 'approve' && proposer !== undefined && proposer.toLowerCase() === actor.subject.toLowerCase()) {
    return { ok: false, kind: 'forbidden', message: `${actor.subject} proposed this agent and cannot approve it; another person must`, legal };
  }
  if (action === 'approve' && agent.state === 'in_review') {
    if (!actor.roles.includes('admin')) return { ok: false, kind: 'forbidden', message: 'the second approval is the business approval: it needs the admin role', legal };
    const reviewer = [...history].reverse().find((transition) => transition.to === 'in_review')?.actor;
    if (reviewer !== undefined && reviewer.toLowerCase() === actor.subject.toLowerCase()) {
      return { ok: false, kind: 'forbidden', message: `${actor.subject} did the security review; the business approval must come from another person`, legal };
    }
  }
  return { ok: true, to: action === 'reinstate' ? stateBeforeHold(history) : rule.to(agent.state) };
}

/** Where an agent stood before its current suspension or quarantine (a quarantine may follow a suspension). */
function stateBeforeHold(history: readonly AgentTransition[]): AgentState {
  for (let index = history.length - 1; index >= 0; index--) {
    const from = history[index]!.from;
    if (from === undefined) break;
    if (from !== 'suspended' && from !== 'quarantined') return from === 'testing' ? 'testing' : 'active';
  }
  return 'active';
}
