import { describe, expect, it } from 'vitest';
import { AGENT_STATES, type AgentState } from '../../model/manifests/index.js';
import type { AdminRole, AgentTransition } from '../store/governance-store.js';
import { LIFECYCLE_ACTIONS, actionMeaning, legalActions, planTransition, type Actor, type LifecycleAction, type TransitionPlan } from './lifecycle.js';

const OWNER = 'alice.martin@example.com';
const OTHER_OWNER = 'omar.haddad@example.com';

/** The documented machine (lifecycle.ts header and DESIGN.md): action → (from → to). */
const MACHINE: Readonly<Record<LifecycleAction, Partial<Record<AgentState, AgentState>>>> = {
  approve: { proposed: 'in_review', in_review: 'approved' },
  reject: { proposed: 'decommissioned', in_review: 'decommissioned', approved: 'decommissioned', testing: 'decommissioned' },
  test: { approved: 'testing' },
  activate: { testing: 'active' },
  suspend: { active: 'suspended', testing: 'suspended' },
  quarantine: { active: 'quarantined', testing: 'quarantined', suspended: 'quarantined' },
  reinstate: { suspended: 'active', quarantined: 'active' },
  decommission: {
    proposed: 'decommissioned',
    in_review: 'decommissioned',
    approved: 'decommissioned',
    testing: 'decommissioned',
    active: 'decommissioned',
    suspended: 'decommissioned',
    quarantined: 'decommissioned',
  },
};

/** The legal actions per state, in the order LIFECYCLE_ACTIONS lists them. */
const LEGAL: Readonly<Record<AgentState, readonly LifecycleAction[]>> = {
  proposed: ['approve', 'reject', 'decommission'],
  in_review: ['approve', 'reject', 'decommission'],
  approved: ['reject', 'test', 'decommission'],
  testing: ['reject', 'activate', 'suspend', 'quarantine', 'decommission'],
  active: ['suspend', 'quarantine', 'decommission'],
  suspended: ['quarantine', 'reinstate', 'decommission'],
  quarantined: ['reinstate', 'decommission'],
  decommissioned: [],
};

/** Actions an agent's owner (with the `owner` role) may take on their own agent. */
const OWNER_MAY: readonly LifecycleAction[] = ['test', 'activate', 'suspend', 'decommission'];

const T0 = new Date('2025-03-01T09:00:00.000Z');

function person(subject: string, ...roles: AdminRole[]): Actor {
  return { subject, roles };
}

const admin = person('ada.admin@example.com', 'admin');
const security = person('sam.security@example.com', 'security');
const secondSecurity = person('sue.security@example.com', 'security');
const secondAdmin = person('bo.admin@example.com', 'admin');
const securityAdmin = person('max.both@example.com', 'security', 'admin');
const owner = person(OWNER, 'owner');
const otherOwner = person(OTHER_OWNER, 'owner');
const auditor = person('audrey.auditor@example.com', 'auditor');

const agent = (state: AgentState) => ({ state, owner: OWNER });

/** A history in which `reviewer` did the security review (proposed → in_review). */
function reviewedBy(reviewer: string): AgentTransition[] {
  return [
    { id: 1, agent: 'returns-bot', from: undefined, to: 'proposed', action: 'create', actor: OWNER, reason: 'proposed', at: T0 },
    { id: 2, agent: 'returns-bot', from: 'proposed', to: 'in_review', action: 'approve', actor: reviewer, reason: 'security review passed', at: new Date(T0.getTime() + 60_000) },
  ];
}

function expectOk(plan: TransitionPlan, to: AgentState): void {
  expect(plan).toEqual({ ok: true, to });
}

function expectForbidden(plan: TransitionPlan): Extract<TransitionPlan, { ok: false }> {
  expect(plan.ok).toBe(false);
  if (plan.ok) throw new Error('unreachable');
  expect(plan.kind).toBe('forbidden');
  return plan;
}

/** An actor entitled to take `action` from `state` according to the rules (the second approval needs another person than the reviewer). */
function entitled(action: LifecycleAction, state: AgentState): { actor: Actor; history: AgentTransition[] } {
  if (action === 'approve' && state === 'in_review') return { actor: admin, history: reviewedBy(security.subject) };
  if (action === 'approve') return { actor: security, history: [] };
  return { actor: securityAdmin, history: [] };
}

describe('legalActions', () => {
  it.each(AGENT_STATES.map((state) => [state]))('lists exactly the documented actions from %s, in action order', (state) => {
    expect(legalActions(state)).toEqual(LEGAL[state]);
  });

  it('agrees with the documented machine for every state', () => {
    for (const state of AGENT_STATES) {
      expect(legalActions(state)).toEqual(LIFECYCLE_ACTIONS.filter((action) => MACHINE[action][state] !== undefined));
    }
  });

  it('leaves nothing to do with a decommissioned agent', () => {
    expect(legalActions('decommissioned')).toEqual([]);
  });

  it('returns a fresh array each time (callers may not corrupt the machine)', () => {
    const first = legalActions('active');
    first.push('approve');
    expect(legalActions('active')).toEqual(['suspend', 'quarantine', 'decommission']);
  });
});

describe('actionMeaning', () => {
  it.each(LIFECYCLE_ACTIONS.map((action) => [action]))('explains %s in a sentence', (action) => {
    expect(actionMeaning(action).length).toBeGreaterThan(10);
  });
});

describe('planTransition: every action from every state', () => {
  const cases = LIFECYCLE_ACTIONS.flatMap((action) => AGENT_STATES.map((state) => [action, state] as const));

  it.each(cases)('%s from %s: the documented target, or illegal with the legal actions', (action, state) => {
    const { actor, history } = entitled(action, state);
    const plan = planTransition(agent(state), action, actor, history);
    const target = MACHINE[action][state];
    if (target !== undefined) {
      expectOk(plan, target);
      return;
    }
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.kind).toBe('illegal');
    expect(plan.legal).toEqual(LEGAL[state]);
    expect(plan.message).toContain(`cannot ${action} an agent that is ${state}`);
    if (LEGAL[state].length > 0) expect(plan.message).toContain(LEGAL[state].join(', '));
  });

  it('calls decommissioned final in the message of every refused action', () => {
    for (const action of LIFECYCLE_ACTIONS) {
      const plan = planTransition(agent('decommissioned'), action, securityAdmin, []);
      expect(plan).toMatchObject({ ok: false, kind: 'illegal', legal: [] });
      if (!plan.ok) expect(plan.message).toContain('nothing; it is final');
    }
  });

  it('reports an illegal action as illegal whoever asks (the state is checked before the actor)', () => {
    for (const actor of [auditor, otherOwner, owner, person('nobody@example.com')]) {
      expect(planTransition(agent('active'), 'approve', actor, [])).toMatchObject({ ok: false, kind: 'illegal', legal: LEGAL.active });
      expect(planTransition(agent('decommissioned'), 'reinstate', actor, [])).toMatchObject({ ok: false, kind: 'illegal', legal: [] });
    }
  });

  it('lists the legal actions on a forbidden plan too', () => {
    const plan = expectForbidden(planTransition(agent('testing'), 'activate', auditor, []));
    expect(plan.legal).toEqual(LEGAL.testing);
  });
});

describe('planTransition: who may act', () => {
  /** Every legal (action, state) pair with the history the second approval needs. */
  const legalPairs = LIFECYCLE_ACTIONS.flatMap((action) => AGENT_STATES.filter((state) => MACHINE[action][state] !== undefined).map((state) => [action, state] as const));
  const historyFor = (action: LifecycleAction, state: AgentState) => (action === 'approve' && state === 'in_review' ? reviewedBy(secondSecurity.subject) : []);

  it.each(legalPairs)('admin: %s from %s', (action, state) => {
    const plan = planTransition(agent(state), action, admin, historyFor(action, state));
    // The first approval is the security review: an admin without the security role may not do it.
    if (action === 'approve' && state === 'proposed') {
      expect(expectForbidden(plan).message).toContain('security role');
      return;
    }
    expectOk(plan, MACHINE[action][state]!);
  });

  it.each(legalPairs)('security: %s from %s', (action, state) => {
    const plan = planTransition(agent(state), action, security, historyFor(action, state));
    // The second approval is the business approval: it needs the admin role.
    if (action === 'approve' && state === 'in_review') {
      expect(expectForbidden(plan).message).toContain('admin role');
      return;
    }
    expectOk(plan, MACHINE[action][state]!);
  });

  it.each(legalPairs)('owner of the agent: %s from %s', (action, state) => {
    const plan = planTransition(agent(state), action, owner, historyFor(action, state));
    if (OWNER_MAY.includes(action)) expectOk(plan, MACHINE[action][state]!);
    else expectForbidden(plan);
  });

  it.each(legalPairs)('owner of another agent: %s from %s is forbidden', (action, state) => {
    const plan = expectForbidden(planTransition(agent(state), action, otherOwner, historyFor(action, state)));
    expect(plan.message).toContain(action);
  });

  it.each(legalPairs)('auditor: %s from %s is forbidden', (action, state) => {
    const plan = expectForbidden(planTransition(agent(state), action, auditor, historyFor(action, state)));
    expect(plan.legal).toEqual(LEGAL[state]);
  });

  it.each(legalPairs)('someone without a role: %s from %s is forbidden', (action, state) => {
    const plan = expectForbidden(planTransition(agent(state), action, person('nobody@example.com'), historyFor(action, state)));
    expect(plan.message).toContain('no role');
  });

  it('names who may take a refused action', () => {
    const suspend = expectForbidden(planTransition(agent('active'), 'suspend', auditor, []));
    expect(suspend.message).toContain("the agent's owner");
    expect(suspend.message).toContain('security');
    expect(suspend.message).toContain('admin');
    expect(suspend.message).toContain(auditor.subject);
    const quarantine = expectForbidden(planTransition(agent('active'), 'quarantine', owner, []));
    expect(quarantine.message).not.toContain("the agent's owner");
  });

  it('needs the owner role as well as the ownership: the owner by e-mail alone has no rights', () => {
    expectForbidden(planTransition(agent('active'), 'suspend', person(OWNER), []));
    expectForbidden(planTransition(agent('active'), 'suspend', person(OWNER, 'auditor'), []));
    expectOk(planTransition(agent('active'), 'suspend', person(OWNER, 'owner'), []), 'suspended');
  });

  it('recognises the owner whatever the case of the e-mail address', () => {
    expectOk(planTransition(agent('approved'), 'test', person('Alice.Martin@Example.COM', 'owner'), []), 'testing');
    expectOk(planTransition({ state: 'testing', owner: 'ALICE.MARTIN@EXAMPLE.COM' }, 'activate', person(OWNER, 'owner'), []), 'active');
  });

  it('lets an owner who also has a staff role take staff actions on their own agent, except approvals', () => {
    const ownerSecurity = person(OWNER, 'owner', 'security');
    expectOk(planTransition(agent('active'), 'quarantine', ownerSecurity, []), 'quarantined');
    expectOk(planTransition(agent('suspended'), 'reinstate', ownerSecurity, []), 'active');
    expectOk(planTransition(agent('proposed'), 'reject', ownerSecurity, []), 'decommissioned');
    expectForbidden(planTransition(agent('proposed'), 'approve', ownerSecurity, []));
  });

  it('lets the system act with a staff role (a detector suspends, a template approves)', () => {
    expectOk(planTransition(agent('active'), 'suspend', person('detector:credential-stuffing', 'security'), []), 'suspended');
    expectOk(planTransition(agent('active'), 'quarantine', person('detector:exfiltration', 'security'), []), 'quarantined');
  });
});

describe('planTransition: the two approvals', () => {
  it('takes the security review from proposed to in_review, then the business approval to approved', () => {
    expectOk(planTransition(agent('proposed'), 'approve', security, []), 'in_review');
    expectOk(planTransition(agent('in_review'), 'approve', admin, reviewedBy(security.subject)), 'approved');
  });

  it('needs the security role for the security review', () => {
    const plan = expectForbidden(planTransition(agent('proposed'), 'approve', admin, []));
    expect(plan.message).toContain('security review');
    expectOk(planTransition(agent('proposed'), 'approve', securityAdmin, []), 'in_review');
  });

  it('needs the admin role for the business approval', () => {
    const plan = expectForbidden(planTransition(agent('in_review'), 'approve', secondSecurity, reviewedBy(security.subject)));
    expect(plan.message).toContain('business approval');
  });

  it('refuses the business approval from the person who did the security review', () => {
    const plan = expectForbidden(planTransition(agent('in_review'), 'approve', securityAdmin, reviewedBy(securityAdmin.subject)));
    expect(plan.message).toContain('did the security review');
    expect(plan.message).toContain(securityAdmin.subject);
    expect(plan.legal).toEqual(LEGAL.in_review);
  });

  it('compares the reviewer and the approver case-insensitively', () => {
    expectForbidden(planTransition(agent('in_review'), 'approve', person('Max.Both@EXAMPLE.com', 'security', 'admin'), reviewedBy('max.both@example.com')));
    expectForbidden(planTransition(agent('in_review'), 'approve', person('max.both@example.com', 'admin'), reviewedBy('MAX.BOTH@example.COM')));
  });

  it('accepts the business approval from another admin than the reviewer', () => {
    expectOk(planTransition(agent('in_review'), 'approve', secondAdmin, reviewedBy(securityAdmin.subject)), 'approved');
    expectOk(planTransition(agent('in_review'), 'approve', securityAdmin, reviewedBy(security.subject)), 'approved');
  });

  it('takes the latest security review when the history holds several', () => {
    const history: AgentTransition[] = [
      ...reviewedBy(security.subject),
      { id: 3, agent: 'returns-bot', from: 'in_review', to: 'in_review', action: 'approve', actor: securityAdmin.subject, reason: 'reviewed again', at: new Date(T0.getTime() + 120_000) },
    ];
    expectForbidden(planTransition(agent('in_review'), 'approve', securityAdmin, history));
    expectOk(planTransition(agent('in_review'), 'approve', admin, history), 'approved');
  });

  it('counts whoever put the agent in review as the reviewer, even at creation', () => {
    const created: AgentTransition[] = [{ id: 1, agent: 'returns-bot', from: undefined, to: 'in_review', action: 'create', actor: 'ada.admin@example.com', reason: 'first applied in a manifest', at: T0 }];
    expectForbidden(planTransition(agent('in_review'), 'approve', admin, created));
    expectOk(planTransition(agent('in_review'), 'approve', secondAdmin, created), 'approved');
  });

  describe('the owner never approves their own agent', () => {
    const roleSets: AdminRole[][] = [['owner'], ['security'], ['admin'], ['security', 'admin'], ['owner', 'security', 'admin'], ['admin', 'security', 'owner', 'auditor']];

    it.each(roleSets.map((roles) => [roles.join('+'), roles] as const))('as %s, neither the security review nor the business approval', (_label, roles) => {
      const review = expectForbidden(planTransition(agent('proposed'), 'approve', person(OWNER, ...roles), []));
      expect(review.message).toContain('owns this agent');
      const approval = expectForbidden(planTransition(agent('in_review'), 'approve', person(OWNER, ...roles), reviewedBy(security.subject)));
      expect(approval.message).toContain('owns this agent');
    });

    it('whatever the case of the e-mail address', () => {
      const shouting = person('ALICE.MARTIN@EXAMPLE.COM', 'security', 'admin');
      expectForbidden(planTransition(agent('proposed'), 'approve', shouting, []));
      expectForbidden(planTransition(agent('in_review'), 'approve', shouting, reviewedBy(security.subject)));
    });

    it('while the owner of another agent with the right roles may approve this one', () => {
      expectOk(planTransition(agent('proposed'), 'approve', person(OTHER_OWNER, 'owner', 'security'), []), 'in_review');
      expectOk(planTransition(agent('in_review'), 'approve', person(OTHER_OWNER, 'owner', 'admin'), reviewedBy(security.subject)), 'approved');
    });
  });

  it('walks a proposal all the way to active with four eyes and the owner', () => {
    let state: AgentState = 'proposed';
    const history: AgentTransition[] = [{ id: 1, agent: 'returns-bot', from: undefined, to: 'proposed', action: 'create', actor: OWNER, reason: 'proposed', at: T0 }];
    const step = (action: LifecycleAction, actor: Actor) => {
      const plan = planTransition({ state, owner: OWNER }, action, actor, history);
      if (!plan.ok) throw new Error(plan.message);
      history.push({ id: history.length + 1, agent: 'returns-bot', from: state, to: plan.to, action, actor: actor.subject, reason: action, at: T0 });
      state = plan.to;
    };
    step('approve', securityAdmin);
    expectForbidden(planTransition({ state, owner: OWNER }, 'approve', securityAdmin, history));
    step('approve', admin);
    step('test', owner);
    step('activate', owner);
    step('suspend', owner);
    expectForbidden(planTransition({ state, owner: OWNER }, 'reinstate', owner, history));
    step('reinstate', security);
    step('quarantine', security);
    step('decommission', owner);
    expect(state).toBe('decommissioned');
    expect(legalActions(state)).toEqual([]);
  });
});

describe('planTransition: reinstating and proposing', () => {
  /** A history of `[from, to, action]` steps, oldest first. */
  function history(...steps: [AgentState | undefined, AgentState, string, string?][]): AgentTransition[] {
    return steps.map(([from, to, action, actor], index) => ({ id: index + 1, agent: 'a', from, to, action, actor: actor ?? admin.subject, reason: 'because', at: new Date(T0.getTime() + index) }));
  }

  it('returns a suspended agent that was in acceptance testing to testing, not into service', () => {
    const steps = history([undefined, 'approved', 'create'], ['approved', 'testing', 'test'], ['testing', 'suspended', 'suspend']);
    expectOk(planTransition(agent('suspended'), 'reinstate', security, steps), 'testing');
  });

  it('returns an agent quarantined after a suspension to where it was before both', () => {
    const fromTesting = history([undefined, 'testing', 'create'], ['testing', 'suspended', 'suspend'], ['suspended', 'quarantined', 'quarantine']);
    expectOk(planTransition(agent('quarantined'), 'reinstate', security, fromTesting), 'testing');
    const fromActive = history([undefined, 'active', 'create'], ['active', 'suspended', 'suspend'], ['suspended', 'quarantined', 'quarantine']);
    expectOk(planTransition(agent('quarantined'), 'reinstate', security, fromActive), 'active');
  });

  it('does not let the person who proposed an agent approve it, in either stage', () => {
    const proposedBySecurity = history([undefined, 'proposed', 'propose', securityAdmin.subject.toUpperCase()]);
    expect(expectForbidden(planTransition(agent('proposed'), 'approve', securityAdmin, proposedBySecurity)).message).toContain('proposed this agent');
    const reviewed = history([undefined, 'proposed', 'propose', securityAdmin.subject], ['proposed', 'in_review', 'approve', security.subject]);
    expectForbidden(planTransition(agent('in_review'), 'approve', securityAdmin, reviewed));
    expectOk(planTransition(agent('in_review'), 'approve', admin, reviewed), 'approved');
  });
});
