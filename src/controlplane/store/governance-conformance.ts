import { afterEach, describe, expect, it } from 'vitest';
import type { AgentManifest, AgentState, Forbid, Grant } from '../../model/manifests/index.js';
import type {
  AccessDecision,
  AccessRequestRecord,
  AdminTokenRecord,
  AgentRecord,
  ApprovalRecord,
  BindingRecord,
  NewAdminEvent,
  NewTransition,
  OwnerRecord,
  ReviewDecision,
  RuntimeRule,
  UsageRecord,
} from './governance-store.js';
import type { Store } from './store.js';

/** A time with milliseconds, so a backend that drops them fails. `offset` is in milliseconds. */
function at(offset = 0): Date {
  return new Date(Date.parse('2026-03-15T09:30:00.123Z') + offset);
}

function definition(name: string, owner: string): AgentManifest {
  return {
    apiVersion: 'warden.dev/v1',
    kind: 'Agent',
    metadata: { name, description: 'Beantwortet Rückfragen — “quoted” ✓', labels: { team: 'ünïcode — ✓', 'cost-center': '42' } },
    spec: {
      owner,
      purpose: `Handles the ${name} workload for tests, 日本語 included`,
      roles: ['reader', 'refunds'],
      state: 'proposed',
      credentials: [{ type: 'jwt', issuer: 'https://idp.example.com', subject: `${name}-client` }],
      regions: ['eu', 'eu-west-1'],
    },
  };
}

/** An agent proposed through the admin API: its definition names its owner. */
function apiAgent(name: string, owner = 'owner@example.com', overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    name,
    source: 'api',
    definition: definition(name, owner),
    state: 'proposed',
    stateSince: at(),
    template: 'support-agent',
    createdAt: at(),
    createdBy: 'zoë@example.com',
    ...overrides,
  };
}

/** An agent an applied manifest defines: the store holds no definition. */
function manifestAgent(name: string, overrides: Partial<AgentRecord> = {}): AgentRecord {
  return { name, source: 'manifest', definition: undefined, state: 'active', stateSince: at(), template: undefined, createdAt: at(), createdBy: 'warden apply', ...overrides };
}

function create(record: AgentRecord, overrides: Partial<NewTransition> = {}): NewTransition {
  return { to: record.state, action: 'create', actor: record.createdBy, reason: 'first seen', at: record.createdAt, ...overrides };
}

function move(to: AgentState, action: string, time: Date, actor = 'security@example.com', reason = `${action}: Begründung ✓`): NewTransition {
  return { to, action, actor, reason, at: time };
}

function binding(id: string, agent: string, value: BindingRecord['binding'], createdAt = at()): BindingRecord {
  return { id, agent, binding: value, createdAt, createdBy: 'admin@example.com' };
}

const FINGERPRINT_A = `sha256:${'a1'.repeat(32)}`;
const FINGERPRINT_B = `sha256:${'b2'.repeat(32)}`;

function request(id: string, overrides: Partial<AccessRequestRecord> = {}): AccessRequestRecord {
  return {
    id,
    agent: 'support-bot',
    api: 'payments',
    operation: 'createRefund',
    reason: 'Kunde möchte eine Erstattung — “dringend” ✓',
    durationDays: 7,
    status: 'pending',
    risk: { level: 'high', score: 0.75, factors: ['financial', 'pii'], nested: { writes: true, limit: null, note: 'ünïcode ✓' } },
    requestedAt: at(),
    requestedBy: 'agent:support-bot',
    decidedAt: undefined,
    decidedBy: undefined,
    decisionReason: undefined,
    ruleId: undefined,
    ...overrides,
  };
}

function token(id: string, overrides: Partial<AdminTokenRecord> = {}): AdminTokenRecord {
  return {
    id,
    digest: 'ab'.repeat(32),
    subject: 'zoë@example.com',
    roles: ['security', 'owner'],
    createdAt: at(),
    createdBy: 'bootstrap',
    expiresAt: at(90 * 86_400_000),
    revokedAt: undefined,
    lastUsedAt: undefined,
    ...overrides,
  };
}

function event(overrides: Partial<NewAdminEvent> = {}): NewAdminEvent {
  return {
    time: at(),
    actor: 'zoë@example.com',
    roles: ['security'],
    action: 'agent.suspend',
    target: 'agent/support-bot',
    outcome: 'ok',
    detail: 'Verdacht auf Missbrauch ✓',
    before: { state: 'active' },
    after: { state: 'suspended' },
    ...overrides,
  };
}

function usage(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return { agent: 'support-bot', api: 'crm', operation: 'getCustomer', rule: 'reader/grants/read-customers', lastUsedAt: at(), calls: 1, ...overrides };
}

function review(overrides: Partial<ReviewDecision> = {}): ReviewDecision {
  return { agent: 'support-bot', item: 'grant:reader/grants/read-customers', decision: 'confirm', actor: 'owner@example.com', reason: 'still needed ✓', at: at(), ...overrides };
}

const FINGERPRINT_CALL = 'c0'.repeat(32);
const FINGERPRINT_OTHER = 'd1'.repeat(32);

function approval(id: string, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id,
    agent: 'support-bot',
    api: 'payments',
    operation: 'createRefund',
    method: 'POST',
    path: '/payments/refunds',
    query: 'dry=false&note=%C3%BC',
    parameters: { amount: 120.5, currency: 'EUR', note: 'Rückerstattung — “dringend” ✓', lines: [{ sku: 'A-1', qty: 2 }], flag: null },
    context: { customer: 'C-1001', ticket: 'T-42' },
    fingerprint: FINGERPRINT_CALL,
    requestId: 'req-0001',
    status: 'pending',
    requestedAt: at(),
    expiresAt: at(900_000),
    decidedAt: undefined,
    decidedBy: undefined,
    decidedVia: undefined,
    reason: undefined,
    usedAt: undefined,
    usedRequestId: undefined,
    ...overrides,
  };
}

const byId = <T extends { readonly id: string }>(records: readonly T[]): T[] => [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const names = (records: readonly AgentRecord[]): string[] => records.map((record) => record.name).sort();

/**
 * The behaviour every GovernanceStore backend must show (`store.governance`). `open` returns a
 * fresh, empty, migrated store each call; the suite closes it after each test.
 */
export function describeGovernanceConformance(name: string, open: () => Promise<Store>): void {
  describe(`Governance store conformance: ${name}`, () => {
    const opened: Store[] = [];
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });
    const fresh = async (): Promise<Store> => {
      const store = await open();
      opened.push(store);
      return store;
    };

    describe('an empty store', () => {
      it('has no agents, transitions, bindings, rules, requests, tokens, events, owners, usage or reviews', async () => {
        const { governance } = await fresh();
        expect(await governance.getAgent('support-bot')).toBeUndefined();
        expect(await governance.listAgents()).toEqual([]);
        expect(await governance.listTransitions('support-bot')).toEqual([]);
        expect(await governance.listBindings()).toEqual([]);
        expect(await governance.listRules()).toEqual([]);
        expect(await governance.getAccessRequest('req-1')).toBeUndefined();
        expect(await governance.listAccessRequests()).toEqual([]);
        expect(await governance.getAdminToken('tok-1')).toBeUndefined();
        expect(await governance.listAdminTokens()).toEqual([]);
        expect(await governance.listAdminEvents()).toEqual([]);
        expect(await governance.listOwners()).toEqual([]);
        expect(await governance.listUsage()).toEqual([]);
        expect(await governance.listReviewDecisions()).toEqual([]);
        expect(await governance.getApproval('apr_0000000000000000')).toBeUndefined();
        expect(await governance.listApprovals()).toEqual([]);
        expect(await governance.expireApprovals(at())).toEqual([]);
      });
    });

    describe('agents', () => {
      it('round-trips every field of an API agent and of a manifest agent', async () => {
        const { governance } = await fresh();
        const api = apiAgent('support-bot', 'owner@example.com', { stateSince: at(1), createdAt: at(2) });
        const manifest = manifestAgent('billing-bot', { state: 'suspended', stateSince: at(-1), createdAt: at(-5) });
        await governance.createAgent(api, create(api));
        await governance.createAgent(manifest, create(manifest));

        expect(await governance.getAgent('support-bot')).toEqual(api);
        expect(await governance.getAgent('billing-bot')).toEqual(manifest);
        const read = await governance.getAgent('billing-bot');
        expect(read!.definition).toBeUndefined();
        expect(read!.template).toBeUndefined();
        expect(read!.stateSince.toISOString()).toBe('2026-03-15T09:30:00.122Z');
        expect((await governance.getAgent('support-bot'))!.createdAt.toISOString()).toBe('2026-03-15T09:30:00.125Z');

        const listed = await governance.listAgents();
        expect(listed).toHaveLength(2);
        expect(listed.find((record) => record.name === 'support-bot')).toEqual(api);
        expect(listed.find((record) => record.name === 'billing-bot')).toEqual(manifest);
        expect(await governance.getAgent('unknown-bot')).toBeUndefined();
      });

      it('records a create transition with the record', async () => {
        const { governance } = await fresh();
        const record = apiAgent('support-bot');
        await governance.createAgent(record, create(record, { actor: 'zoë@example.com', reason: 'vorgeschlagen ✓', at: at(7) }));
        const transitions = await governance.listTransitions('support-bot');
        expect(transitions).toHaveLength(1);
        expect(transitions[0]).toEqual({ id: transitions[0]!.id, agent: 'support-bot', from: undefined, to: 'proposed', action: 'create', actor: 'zoë@example.com', reason: 'vorgeschlagen ✓', at: at(7) });
        expect(transitions[0]!.from).toBeUndefined();
        expect(Number.isInteger(transitions[0]!.id)).toBe(true);
        expect(transitions[0]!.at.toISOString()).toBe('2026-03-15T09:30:00.130Z');
      });

      it('refuses a name that exists, and writes nothing', async () => {
        const { governance } = await fresh();
        const first = apiAgent('support-bot');
        await governance.createAgent(first, create(first));
        const second = manifestAgent('support-bot', { createdBy: 'someone-else@example.com', createdAt: at(1000) });
        await expect(governance.createAgent(second, create(second))).rejects.toThrow();

        expect(await governance.getAgent('support-bot')).toEqual(first);
        expect(await governance.listAgents()).toEqual([first]);
        const transitions = await governance.listTransitions('support-bot');
        expect(transitions).toHaveLength(1);
        expect(transitions[0]!.actor).toBe(first.createdBy);

        // The store is still usable afterwards.
        const other = manifestAgent('other-bot');
        await governance.createAgent(other, create(other));
        expect(names(await governance.listAgents())).toEqual(['other-bot', 'support-bot']);
      });

      describe('transitionAgent', () => {
        it('moves the state and its time, and records the transition', async () => {
          const { governance } = await fresh();
          const record = apiAgent('support-bot');
          await governance.createAgent(record, create(record));
          expect(await governance.transitionAgent('support-bot', 'proposed', move('in_review', 'submit', at(1001), 'zoë@example.com', 'bitte prüfen ✓'))).toBe(true);

          const read = await governance.getAgent('support-bot');
          expect(read).toEqual({ ...record, state: 'in_review', stateSince: at(1001) });
          expect(read!.stateSince.toISOString()).toBe('2026-03-15T09:30:01.124Z');

          const transitions = await governance.listTransitions('support-bot');
          expect(transitions).toHaveLength(2);
          expect(transitions[1]).toEqual({ id: transitions[1]!.id, agent: 'support-bot', from: 'proposed', to: 'in_review', action: 'submit', actor: 'zoë@example.com', reason: 'bitte prüfen ✓', at: at(1001) });
          expect(transitions[1]!.id).toBeGreaterThan(transitions[0]!.id);
        });

        it('is a compare-and-set: false, and nothing written, when the agent is not in state `from`', async () => {
          const { governance } = await fresh();
          const record = apiAgent('support-bot', 'owner@example.com', { state: 'active' });
          await governance.createAgent(record, create(record));
          const before = await governance.listTransitions('support-bot');

          expect(await governance.transitionAgent('support-bot', 'proposed', move('approved', 'approve', at(5000)))).toBe(false);
          expect(await governance.transitionAgent('support-bot', 'suspended', move('active', 'resume', at(6000)))).toBe(false);
          expect(await governance.getAgent('support-bot')).toEqual(record);
          expect(await governance.listTransitions('support-bot')).toEqual(before);
        });

        it('returns false for an unknown agent and records no transition for it', async () => {
          const { governance } = await fresh();
          expect(await governance.transitionAgent('ghost-bot', 'active', move('suspended', 'suspend', at()))).toBe(false);
          expect(await governance.getAgent('ghost-bot')).toBeUndefined();
          expect(await governance.listTransitions('ghost-bot')).toEqual([]);
        });

        it('lets exactly one of concurrent transitions from the same state win', async () => {
          const { governance } = await fresh();
          const record = apiAgent('support-bot', 'owner@example.com', { state: 'active' });
          await governance.createAgent(record, create(record));
          const attempts: NewTransition[] = [
            move('suspended', 'suspend', at(1), 'a@example.com'),
            move('quarantined', 'quarantine', at(2), 'b@example.com'),
            move('decommissioned', 'decommission', at(3), 'c@example.com'),
            move('suspended', 'suspend', at(4), 'd@example.com'),
          ];
          const results = await Promise.all(attempts.map((attempt) => governance.transitionAgent('support-bot', 'active', attempt)));
          expect(results.filter(Boolean)).toHaveLength(1);
          const winner = attempts[results.indexOf(true)]!;

          const read = await governance.getAgent('support-bot');
          expect(read!.state).toBe(winner.to);
          expect(read!.stateSince).toEqual(winner.at);
          const transitions = await governance.listTransitions('support-bot');
          expect(transitions).toHaveLength(2);
          expect(transitions[1]).toMatchObject({ from: 'active', to: winner.to, action: winner.action, actor: winner.actor, at: winner.at });
        });
      });

      it('lists transitions oldest first, each agent its own', async () => {
        const { governance } = await fresh();
        const one = apiAgent('one-bot');
        const two = manifestAgent('two-bot', { state: 'active' });
        await governance.createAgent(one, create(one));
        await governance.createAgent(two, create(two));
        expect(await governance.transitionAgent('one-bot', 'proposed', move('in_review', 'submit', at(10)))).toBe(true);
        expect(await governance.transitionAgent('two-bot', 'active', move('suspended', 'suspend', at(11)))).toBe(true);
        expect(await governance.transitionAgent('one-bot', 'in_review', move('approved', 'approve', at(12)))).toBe(true);
        expect(await governance.transitionAgent('two-bot', 'suspended', move('active', 'resume', at(13)))).toBe(true);
        // Recorded out of time order: history is the order of the transitions, not of their clocks.
        expect(await governance.transitionAgent('one-bot', 'approved', move('testing', 'test', at(-60_000)))).toBe(true);

        const history = await governance.listTransitions('one-bot');
        expect(history.map((transition) => [transition.from, transition.to, transition.action])).toEqual([
          [undefined, 'proposed', 'create'],
          ['proposed', 'in_review', 'submit'],
          ['in_review', 'approved', 'approve'],
          ['approved', 'testing', 'test'],
        ]);
        for (const transition of history) expect(transition.agent).toBe('one-bot');
        for (let index = 1; index < history.length; index += 1) expect(history[index]!.id).toBeGreaterThan(history[index - 1]!.id);
        expect((await governance.listTransitions('two-bot')).map((transition) => transition.to)).toEqual(['active', 'suspended', 'active']);
        expect((await governance.getAgent('one-bot'))!.stateSince).toEqual(at(-60_000));
      });

      describe('listAgents', () => {
        const seed = async (store: Store) => {
          const records = [
            apiAgent('alpha-bot', 'alice@example.com', { state: 'active' }),
            apiAgent('beta-bot', 'bob@example.com', { state: 'suspended' }),
            apiAgent('gamma-bot', 'alice@example.com', { state: 'proposed' }),
            manifestAgent('delta-bot', { state: 'active' }),
            manifestAgent('epsilon-bot', { state: 'decommissioned' }),
          ];
          for (const record of records) await store.governance.createAgent(record, create(record));
          return records;
        };

        it('filters by states; an empty list matches none', async () => {
          const store = await fresh();
          const records = await seed(store);
          const { governance } = store;
          expect(names(await governance.listAgents())).toEqual(['alpha-bot', 'beta-bot', 'delta-bot', 'epsilon-bot', 'gamma-bot']);
          expect(names(await governance.listAgents({}))).toEqual(['alpha-bot', 'beta-bot', 'delta-bot', 'epsilon-bot', 'gamma-bot']);
          expect(names(await governance.listAgents({ states: ['active'] }))).toEqual(['alpha-bot', 'delta-bot']);
          expect(names(await governance.listAgents({ states: ['suspended', 'decommissioned', 'quarantined'] }))).toEqual(['beta-bot', 'epsilon-bot']);
          expect(await governance.listAgents({ states: [] })).toEqual([]);
          expect(await governance.listAgents({ states: ['in_review'] })).toEqual([]);
          expect((await governance.listAgents({ states: ['active'] })).find((record) => record.name === 'alpha-bot')).toEqual(records[0]);
        });

        it("filters API agents by their definition's owner and always includes manifest agents", async () => {
          const store = await fresh();
          await seed(store);
          const { governance } = store;
          expect(names(await governance.listAgents({ owner: 'alice@example.com' }))).toEqual(['alpha-bot', 'delta-bot', 'epsilon-bot', 'gamma-bot']);
          expect(names(await governance.listAgents({ owner: 'bob@example.com' }))).toEqual(['beta-bot', 'delta-bot', 'epsilon-bot']);
          expect(names(await governance.listAgents({ owner: 'nobody@example.com' }))).toEqual(['delta-bot', 'epsilon-bot']);
          expect(names(await governance.listAgents({ owner: 'alice@example.com', states: ['active'] }))).toEqual(['alpha-bot', 'delta-bot']);
          expect(await governance.listAgents({ owner: 'alice@example.com', states: [] })).toEqual([]);
        });

        it('sees a transition in the state filter', async () => {
          const store = await fresh();
          await seed(store);
          const { governance } = store;
          expect(await governance.transitionAgent('alpha-bot', 'active', move('suspended', 'suspend', at(100)))).toBe(true);
          expect(names(await governance.listAgents({ states: ['active'] }))).toEqual(['delta-bot']);
          expect(names(await governance.listAgents({ states: ['suspended'] }))).toEqual(['alpha-bot', 'beta-bot']);
        });
      });
    });

    describe('credential bindings', () => {
      it('round-trips JWT and mTLS bindings, listed per agent', async () => {
        const { governance } = await fresh();
        const jwt = binding('bind-1', 'support-bot', { type: 'jwt', issuer: 'https://idp.example.com/realms/ünï', subject: 'client “support” ✓' }, at(1));
        const spiffe = binding('bind-2', 'support-bot', { type: 'mtls', spiffeId: 'spiffe://example.org/ns/prod/sa/support' }, at(2));
        const fingerprint = binding('bind-3', 'billing-bot', { type: 'mtls', fingerprint: FINGERPRINT_A }, at(3));
        for (const record of [jwt, spiffe, fingerprint]) await governance.addBinding(record);

        expect(byId(await governance.listBindings())).toEqual([jwt, spiffe, fingerprint]);
        expect(byId(await governance.listBindings('support-bot'))).toEqual([jwt, spiffe]);
        expect(byId(await governance.listBindings('billing-bot'))).toEqual([fingerprint]);
        expect(await governance.listBindings('unknown-bot')).toEqual([]);
        const read = (await governance.listBindings('support-bot')).find((record) => record.id === 'bind-1')!;
        expect(read.createdAt.toISOString()).toBe('2026-03-15T09:30:00.124Z');
        expect(read.binding).not.toHaveProperty('fingerprint');
      });

      it('accepts distinct identities', async () => {
        const { governance } = await fresh();
        const records = [
          binding('bind-1', 'one-bot', { type: 'jwt', issuer: 'https://idp.example.com', subject: 'client' }),
          binding('bind-2', 'two-bot', { type: 'jwt', issuer: 'https://other.example.com', subject: 'client' }),
          binding('bind-3', 'two-bot', { type: 'jwt', issuer: 'https://idp.example.com', subject: 'client-2' }),
          binding('bind-4', 'one-bot', { type: 'mtls', spiffeId: 'spiffe://example.org/one' }),
          binding('bind-5', 'two-bot', { type: 'mtls', spiffeId: 'spiffe://example.org/two' }),
          binding('bind-6', 'one-bot', { type: 'mtls', fingerprint: FINGERPRINT_A }),
          binding('bind-7', 'two-bot', { type: 'mtls', fingerprint: FINGERPRINT_B }),
        ];
        for (const record of records) await governance.addBinding(record);
        expect(byId(await governance.listBindings())).toEqual(records);
      });

      it('refuses the same JWT issuer and subject bound twice, even to another agent', async () => {
        const { governance } = await fresh();
        const first = binding('bind-1', 'one-bot', { type: 'jwt', issuer: 'https://idp.example.com', subject: 'client ✓' });
        await governance.addBinding(first);
        await expect(governance.addBinding(binding('bind-2', 'two-bot', { type: 'jwt', issuer: 'https://idp.example.com', subject: 'client ✓' }))).rejects.toThrow();
        await expect(governance.addBinding(binding('bind-3', 'one-bot', { type: 'jwt', issuer: 'https://idp.example.com', subject: 'client ✓' }))).rejects.toThrow();
        expect(await governance.listBindings()).toEqual([first]);
      });

      it('refuses the same SPIFFE id bound twice, even to another agent', async () => {
        const { governance } = await fresh();
        const first = binding('bind-1', 'one-bot', { type: 'mtls', spiffeId: 'spiffe://example.org/ns/prod/sa/shared' });
        await governance.addBinding(first);
        await expect(governance.addBinding(binding('bind-2', 'two-bot', { type: 'mtls', spiffeId: 'spiffe://example.org/ns/prod/sa/shared' }))).rejects.toThrow();
        await expect(governance.addBinding(binding('bind-3', 'two-bot', { type: 'mtls', spiffeId: 'spiffe://example.org/ns/prod/sa/shared', fingerprint: FINGERPRINT_B }))).rejects.toThrow();
        expect(await governance.listBindings()).toEqual([first]);
      });

      it('refuses the same certificate fingerprint bound twice, even to another agent', async () => {
        const { governance } = await fresh();
        const first = binding('bind-1', 'one-bot', { type: 'mtls', fingerprint: FINGERPRINT_A });
        await governance.addBinding(first);
        await expect(governance.addBinding(binding('bind-2', 'two-bot', { type: 'mtls', fingerprint: FINGERPRINT_A }))).rejects.toThrow();
        expect(await governance.listBindings()).toEqual([first]);
      });

      // The gateway identifies a client certificate by its fingerprint and by its SPIFFE id, each on
      // its own (policy/compile.ts binds both; identify-filter.ts looks up either): a binding names
      // one identity, so uniqueness holds per identity; a certificate's two names are two bindings.
      it('refuses an mTLS binding that names both a fingerprint and a SPIFFE id, and writes nothing', async () => {
        const { governance } = await fresh();
        await expect(governance.addBinding(binding('bind-1', 'one-bot', { type: 'mtls', fingerprint: FINGERPRINT_A, spiffeId: 'spiffe://example.org/one' }))).rejects.toThrow(/one identity/);
        expect(await governance.listBindings()).toEqual([]);
        await governance.addBinding(binding('bind-2', 'one-bot', { type: 'mtls', fingerprint: FINGERPRINT_A }));
        await expect(governance.addBinding(binding('bind-3', 'two-bot', { type: 'mtls', fingerprint: FINGERPRINT_A }))).rejects.toThrow();
      });

      it('removes a binding once, which frees its identity', async () => {
        const { governance } = await fresh();
        const first = binding('bind-1', 'one-bot', { type: 'jwt', issuer: 'https://idp.example.com', subject: 'client' });
        const kept = binding('bind-2', 'one-bot', { type: 'mtls', spiffeId: 'spiffe://example.org/one' });
        await governance.addBinding(first);
        await governance.addBinding(kept);
        expect(await governance.removeBinding('bind-1')).toBe(true);
        expect(await governance.removeBinding('bind-1')).toBe(false);
        expect(await governance.removeBinding('bind-unknown')).toBe(false);
        expect(await governance.listBindings()).toEqual([kept]);

        const rebound = binding('bind-3', 'two-bot', { type: 'jwt', issuer: 'https://idp.example.com', subject: 'client' }, at(9));
        await governance.addBinding(rebound);
        expect(await governance.listBindings('two-bot')).toEqual([rebound]);
        expect(await governance.listBindings('one-bot')).toEqual([kept]);
      });
    });

    describe('runtime rules', () => {
      const grant: Grant = {
        id: 'access-request.req-1',
        api: 'payments',
        operations: ['createRefund', 'POST /refunds/**'],
        params: { amount: { min: 0.01, max: 1234.5 }, currency: { enum: ['EUR', 'CHF'] }, note: { pattern: '^[^"\\\\]*$', maxLength: 200 }, from: { maxDays: 30, rangeEnd: 'to' } },
        response: { allow: ['id', 'amount'], mask: ['customer.iban'] },
        rateLimit: '5/min burst 10',
        stepUp: true,
        timeWindows: [{ days: ['mon', 'fri'], start: '08:00', end: '18:30', timezone: 'Europe/Zürich' }],
        regions: ['eu'],
        expires: '2026-03-22T09:30:00.123Z',
      };
      const forbid: Forbid = { id: 'review.rev-1', api: 'crm', operations: ['*'], params: { country: { equals: 'DE' }, vip: { equals: false } }, reason: 'Zugriff entzogen — “review” ✓\nline two' };

      const rule = (id: string, overrides: Partial<RuntimeRule> = {}): RuntimeRule => ({
        id,
        agent: 'support-bot',
        kind: 'grant',
        rule: grant,
        expiresAt: at(7 * 86_400_000),
        source: 'access-request',
        sourceId: 'req-1',
        createdAt: at(),
        createdBy: 'zoë@example.com',
        ...overrides,
      });

      it('round-trips grants and forbids exactly, expiry and source id optional', async () => {
        const { governance } = await fresh();
        const timeBoxed = rule('rule-1');
        const forever = rule('rule-2', { rule: { api: 'crm', operations: ['getCustomer'], stepUp: false }, expiresAt: undefined, sourceId: undefined, createdAt: at(1) });
        const revoked = rule('rule-3', { agent: 'billing-bot', kind: 'forbid', rule: forbid, expiresAt: undefined, source: 'access-review', sourceId: 'review-2026-q1', createdAt: at(2) });
        for (const record of [timeBoxed, forever, revoked]) await governance.addRule(record);

        const listed = byId(await governance.listRules());
        expect(listed).toEqual([timeBoxed, forever, revoked]);
        expect(listed[0]!.rule).toEqual(grant);
        expect(listed[0]!.expiresAt!.toISOString()).toBe('2026-03-22T09:30:00.123Z');
        expect(listed[1]!.expiresAt).toBeUndefined();
        expect(listed[1]!.sourceId).toBeUndefined();
        expect(listed[1]!.rule).not.toHaveProperty('params');
        expect(listed[2]!.rule).toEqual(forbid);
        expect((listed[2]!.rule as Forbid).reason).toBe('Zugriff entzogen — “review” ✓\nline two');
        expect(listed[2]!.createdAt.toISOString()).toBe('2026-03-15T09:30:00.125Z');
      });

      it('lists per agent and removes a rule once', async () => {
        const { governance } = await fresh();
        const one = rule('rule-1');
        const two = rule('rule-2', { createdAt: at(1) });
        const other = rule('rule-3', { agent: 'billing-bot' });
        for (const record of [one, two, other]) await governance.addRule(record);
        expect(byId(await governance.listRules('support-bot'))).toEqual([one, two]);
        expect(await governance.listRules('billing-bot')).toEqual([other]);
        expect(await governance.listRules('unknown-bot')).toEqual([]);

        expect(await governance.removeRule('rule-1')).toBe(true);
        expect(await governance.removeRule('rule-1')).toBe(false);
        expect(await governance.removeRule('rule-unknown')).toBe(false);
        expect(await governance.listRules('support-bot')).toEqual([two]);
        expect(byId(await governance.listRules())).toEqual([two, other]);
      });
    });

    describe('access requests', () => {
      const decision = (overrides: Partial<AccessDecision> = {}): AccessDecision => ({ status: 'granted', decidedAt: at(3_600_000), decidedBy: 'zoë@example.com', reason: 'passt — ✓', ruleId: 'rule-1', ...overrides });

      it('round-trips every field, pending and decided', async () => {
        const { governance } = await fresh();
        const pending = request('req-1');
        const open = request('req-2', { durationDays: undefined, risk: null, requestedAt: at(1), requestedBy: 'zoë@example.com' });
        const automatic = request('req-3', {
          agent: 'billing-bot',
          status: 'granted',
          risk: [{ factor: 'low' }, 1, 'zwei', true, null],
          durationDays: 30,
          decidedAt: at(2),
          decidedBy: 'template:support-agent',
          decisionReason: 'automatisch ✓',
          ruleId: 'rule-9',
        });
        for (const record of [pending, open, automatic]) await governance.addAccessRequest(record);

        expect(await governance.getAccessRequest('req-1')).toEqual(pending);
        expect(await governance.getAccessRequest('req-2')).toEqual(open);
        expect(await governance.getAccessRequest('req-3')).toEqual(automatic);
        expect(await governance.getAccessRequest('req-unknown')).toBeUndefined();
        const read = (await governance.getAccessRequest('req-2'))!;
        expect(read.durationDays).toBeUndefined();
        expect(read.risk).toBeNull();
        expect(read.decidedAt).toBeUndefined();
        expect(read.decidedBy).toBeUndefined();
        expect(read.decisionReason).toBeUndefined();
        expect(read.ruleId).toBeUndefined();
        expect(read.requestedAt.toISOString()).toBe('2026-03-15T09:30:00.124Z');
        expect(byId(await governance.listAccessRequests())).toEqual([pending, open, automatic]);
      });

      it('filters by status and by agent', async () => {
        const { governance } = await fresh();
        const records = [
          request('req-1'),
          request('req-2', { agent: 'billing-bot' }),
          request('req-3', { status: 'denied', decidedAt: at(5), decidedBy: 'a@example.com', decisionReason: 'nein' }),
          request('req-4', { agent: 'billing-bot', status: 'granted', decidedAt: at(6), decidedBy: 'a@example.com', decisionReason: 'ja', ruleId: 'rule-4' }),
        ];
        for (const record of records) await governance.addAccessRequest(record);
        const ids = async (filter?: Parameters<Store['governance']['listAccessRequests']>[0]) => (await governance.listAccessRequests(filter)).map((record) => record.id).sort();
        expect(await ids()).toEqual(['req-1', 'req-2', 'req-3', 'req-4']);
        expect(await ids({})).toEqual(['req-1', 'req-2', 'req-3', 'req-4']);
        expect(await ids({ status: 'pending' })).toEqual(['req-1', 'req-2']);
        expect(await ids({ status: 'granted' })).toEqual(['req-4']);
        expect(await ids({ status: 'denied' })).toEqual(['req-3']);
        expect(await ids({ agent: 'billing-bot' })).toEqual(['req-2', 'req-4']);
        expect(await ids({ agent: 'support-bot', status: 'pending' })).toEqual(['req-1']);
        expect(await ids({ agent: 'billing-bot', status: 'denied' })).toEqual([]);
        expect(await ids({ agent: 'unknown-bot' })).toEqual([]);
      });

      it('records a decision on a pending request, keeping the rest of the request', async () => {
        const { governance } = await fresh();
        const pending = request('req-1');
        await governance.addAccessRequest(pending);
        expect(await governance.decideAccessRequest('req-1', decision())).toBe(true);
        const read = await governance.getAccessRequest('req-1');
        expect(read).toEqual({ ...pending, status: 'granted', decidedAt: at(3_600_000), decidedBy: 'zoë@example.com', decisionReason: 'passt — ✓', ruleId: 'rule-1' });
        expect(read!.decidedAt!.toISOString()).toBe('2026-03-15T10:30:00.123Z');
        expect((await governance.listAccessRequests({ status: 'pending' })).map((record) => record.id)).toEqual([]);
        expect((await governance.listAccessRequests({ status: 'granted' })).map((record) => record.id)).toEqual(['req-1']);
      });

      it('records a denial without a rule', async () => {
        const { governance } = await fresh();
        await governance.addAccessRequest(request('req-1'));
        expect(await governance.decideAccessRequest('req-1', decision({ status: 'denied', ruleId: undefined, reason: 'zu riskant' }))).toBe(true);
        const read = (await governance.getAccessRequest('req-1'))!;
        expect(read.status).toBe('denied');
        expect(read.ruleId).toBeUndefined();
        expect(read.decisionReason).toBe('zu riskant');
      });

      it('is a compare-and-set: a second decision returns false and does not overwrite the first', async () => {
        const { governance } = await fresh();
        await governance.addAccessRequest(request('req-1'));
        expect(await governance.decideAccessRequest('req-1', decision({ status: 'denied', ruleId: undefined, decidedBy: 'first@example.com', reason: 'first' }))).toBe(true);
        const decided = await governance.getAccessRequest('req-1');
        expect(await governance.decideAccessRequest('req-1', decision({ status: 'granted', decidedBy: 'second@example.com', reason: 'second', ruleId: 'rule-2', decidedAt: at(7_200_000) }))).toBe(false);
        expect(await governance.decideAccessRequest('req-1', decision({ status: 'denied', ruleId: undefined, decidedBy: 'third@example.com', reason: 'third' }))).toBe(false);
        expect(await governance.getAccessRequest('req-1')).toEqual(decided);
        expect(decided!.decidedBy).toBe('first@example.com');
      });

      it('returns false for an unknown request or one created decided', async () => {
        const { governance } = await fresh();
        const automatic = request('req-1', { status: 'granted', decidedAt: at(1), decidedBy: 'template:support-agent', decisionReason: 'automatisch', ruleId: 'rule-1' });
        await governance.addAccessRequest(automatic);
        expect(await governance.decideAccessRequest('req-1', decision({ status: 'denied', ruleId: undefined }))).toBe(false);
        expect(await governance.decideAccessRequest('req-unknown', decision())).toBe(false);
        expect(await governance.getAccessRequest('req-1')).toEqual(automatic);
        expect(await governance.getAccessRequest('req-unknown')).toBeUndefined();
      });

      it('lets exactly one of concurrent decisions win', async () => {
        const { governance } = await fresh();
        await governance.addAccessRequest(request('req-1'));
        const decisions = [
          decision({ decidedBy: 'a@example.com', ruleId: 'rule-a' }),
          decision({ status: 'denied', decidedBy: 'b@example.com', ruleId: undefined }),
          decision({ decidedBy: 'c@example.com', ruleId: 'rule-c' }),
        ];
        const results = await Promise.all(decisions.map((candidate) => governance.decideAccessRequest('req-1', candidate)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = decisions[results.indexOf(true)]!;
        const read = (await governance.getAccessRequest('req-1'))!;
        expect(read.status).toBe(winner.status);
        expect(read.decidedBy).toBe(winner.decidedBy);
        expect(read.ruleId).toBe(winner.ruleId);
      });
    });

    describe('admin tokens', () => {
      it('round-trips every field, roles in order', async () => {
        const { governance } = await fresh();
        const fresh1 = token('tok-1');
        const used = token('tok-2', { subject: 'bob@example.com', roles: ['auditor'], revokedAt: at(5), lastUsedAt: at(3), digest: 'cd'.repeat(32), createdAt: at(1) });
        const all = token('tok-3', { roles: ['owner', 'auditor', 'security', 'admin'], createdAt: at(2) });
        for (const record of [fresh1, used, all]) await governance.putAdminToken(record);

        expect(await governance.getAdminToken('tok-1')).toEqual(fresh1);
        expect(await governance.getAdminToken('tok-2')).toEqual(used);
        expect(await governance.getAdminToken('tok-3')).toEqual(all);
        expect((await governance.getAdminToken('tok-3'))!.roles).toEqual(['owner', 'auditor', 'security', 'admin']);
        expect(await governance.getAdminToken('tok-unknown')).toBeUndefined();
        const read = (await governance.getAdminToken('tok-1'))!;
        expect(read.revokedAt).toBeUndefined();
        expect(read.lastUsedAt).toBeUndefined();
        expect(read.subject).toBe('zoë@example.com');
        expect(read.expiresAt.toISOString()).toBe('2026-06-13T09:30:00.123Z');
        expect(byId(await governance.listAdminTokens())).toEqual([fresh1, used, all]);
      });

      it('replaces the token with the same id', async () => {
        const { governance } = await fresh();
        await governance.putAdminToken(token('tok-1', { lastUsedAt: at(1) }));
        const revoked = token('tok-1', { roles: ['auditor'], revokedAt: at(9), lastUsedAt: undefined, digest: 'ef'.repeat(32), subject: 'other@example.com' });
        await governance.putAdminToken(revoked);
        expect(await governance.getAdminToken('tok-1')).toEqual(revoked);
        expect(await governance.listAdminTokens()).toEqual([revoked]);
      });

      it('marks a token used, and ignores an unknown one', async () => {
        const { governance } = await fresh();
        const record = token('tok-1');
        const other = token('tok-2');
        await governance.putAdminToken(record);
        await governance.putAdminToken(other);
        await governance.markAdminTokenUsed('tok-1', at(60_001));
        expect(await governance.getAdminToken('tok-1')).toEqual({ ...record, lastUsedAt: at(60_001) });
        expect((await governance.getAdminToken('tok-1'))!.lastUsedAt!.toISOString()).toBe('2026-03-15T09:31:00.124Z');
        expect(await governance.getAdminToken('tok-2')).toEqual(other);
        await governance.markAdminTokenUsed('tok-1', at(120_000));
        expect((await governance.getAdminToken('tok-1'))!.lastUsedAt).toEqual(at(120_000));

        await governance.markAdminTokenUsed('tok-unknown', at());
        expect(await governance.getAdminToken('tok-unknown')).toBeUndefined();
        expect(await governance.listAdminTokens()).toHaveLength(2);
      });
    });

    describe('admin events', () => {
      it('appends with increasing seqs and lists newest first, every field round-tripped', async () => {
        const { governance } = await fresh();
        const inputs: NewAdminEvent[] = [
          event({ time: at(1) }),
          event({ time: at(2), actor: 'bob@example.com', roles: ['owner', 'auditor'], action: 'key.issue', target: 'key/key_ab12cd34', detail: undefined, before: undefined, after: { id: 'key_ab12cd34', agent: 'support-bot' } }),
          event({ time: at(3), outcome: 'refused', roles: [], detail: 'role auditor may not suspend', before: undefined, after: undefined }),
          event({ time: at(4), before: null, after: [1, 'zwei', { drei: 3.5 }, [], {}], detail: 'ünïcode — “quoted” ✓\nline two' }),
          event({ time: at(5), before: 0, after: false }),
          event({ time: at(6), before: '', after: 'Text ✓' }),
        ];
        const appended = [];
        for (const input of inputs) appended.push(await governance.appendAdminEvent(input));

        for (const [index, record] of appended.entries()) {
          expect(Number.isInteger(record.seq)).toBe(true);
          expect(record).toEqual({ ...inputs[index]!, seq: record.seq });
          if (index > 0) expect(record.seq).toBeGreaterThan(appended[index - 1]!.seq);
        }

        const listed = await governance.listAdminEvents();
        expect(listed.map((record) => record.seq)).toEqual(appended.map((record) => record.seq).reverse());
        expect(listed).toEqual([...appended].reverse());
        const bySeq = new Map(listed.map((record) => [record.seq, record]));
        const second = bySeq.get(appended[1]!.seq)!;
        expect(second.before).toBeUndefined();
        expect(second.detail).toBeUndefined();
        expect(second.roles).toEqual(['owner', 'auditor']);
        const third = bySeq.get(appended[2]!.seq)!;
        expect(third.outcome).toBe('refused');
        expect(third.roles).toEqual([]);
        expect(third.before).toBeUndefined();
        expect(third.after).toBeUndefined();
        const fourth = bySeq.get(appended[3]!.seq)!;
        expect(fourth.before).toBeNull();
        expect(fourth.after).toEqual([1, 'zwei', { drei: 3.5 }, [], {}]);
        expect(fourth.detail).toBe('ünïcode — “quoted” ✓\nline two');
        const fifth = bySeq.get(appended[4]!.seq)!;
        expect(fifth.before).toBe(0);
        expect(fifth.after).toBe(false);
        const sixth = bySeq.get(appended[5]!.seq)!;
        expect(sixth.before).toBe('');
        expect(sixth.after).toBe('Text ✓');
        expect(sixth.time.toISOString()).toBe('2026-03-15T09:30:00.129Z');
      });

      it('filters by actor, target, limit and beforeSeq', async () => {
        const { governance } = await fresh();
        const plan: Partial<NewAdminEvent>[] = [
          { actor: 'a@example.com', target: 'agent/one' },
          { actor: 'b@example.com', target: 'agent/one' },
          { actor: 'a@example.com', target: 'agent/two' },
          { actor: 'a@example.com', target: 'agent/one' },
          { actor: 'b@example.com', target: 'agent/two' },
          { actor: 'a@example.com', target: 'agent/one' },
        ];
        const seqs: number[] = [];
        for (const [index, overrides] of plan.entries()) seqs.push((await governance.appendAdminEvent(event({ ...overrides, time: at(index) }))).seq);
        const newestFirst = [...seqs].reverse();
        const listed = async (filter?: Parameters<Store['governance']['listAdminEvents']>[0]) => (await governance.listAdminEvents(filter)).map((record) => record.seq);
        const pick = (...indexes: number[]) => indexes.map((index) => seqs[index]!);

        expect(await listed()).toEqual(newestFirst);
        expect(await listed({ limit: 2 })).toEqual(newestFirst.slice(0, 2));
        expect(await listed({ limit: 100 })).toEqual(newestFirst);
        expect(await listed({ beforeSeq: seqs[3]! })).toEqual(pick(2, 1, 0));
        expect(await listed({ beforeSeq: seqs[3]!, limit: 2 })).toEqual(pick(2, 1));
        expect(await listed({ beforeSeq: seqs[0]! })).toEqual([]);
        expect(await listed({ actor: 'a@example.com' })).toEqual(pick(5, 3, 2, 0));
        expect(await listed({ target: 'agent/one' })).toEqual(pick(5, 3, 1, 0));
        expect(await listed({ actor: 'b@example.com', target: 'agent/two' })).toEqual(pick(4));
        expect(await listed({ actor: 'a@example.com', target: 'agent/one', limit: 2 })).toEqual(pick(5, 3));
        expect(await listed({ actor: 'a@example.com', target: 'agent/one', beforeSeq: seqs[3]! })).toEqual(pick(0));
        expect(await listed({ actor: 'nobody@example.com' })).toEqual([]);

        // Walking the pages visits every event exactly once.
        const walked: number[] = [];
        let page = await listed({ limit: 2 });
        while (page.length > 0) {
          walked.push(...page);
          page = await listed({ limit: 2, beforeSeq: page[page.length - 1]! });
        }
        expect(walked).toEqual(newestFirst);
      });

      it('keeps concurrent appends apart', async () => {
        const { governance } = await fresh();
        const records = await Promise.all(Array.from({ length: 8 }, (_, index) => governance.appendAdminEvent(event({ time: at(index), target: `agent/bot-${index}` }))));
        expect(new Set(records.map((record) => record.seq)).size).toBe(8);
        const listed = await governance.listAdminEvents();
        expect(listed).toHaveLength(8);
        for (const record of records) expect(listed.find((candidate) => candidate.seq === record.seq)).toEqual(record);
      });
    });

    describe('owners', () => {
      it('round-trips and replaces the record with the same e-mail address', async () => {
        const { governance } = await fresh();
        const alice: OwnerRecord = { email: 'alice@example.com', active: true, leftAt: undefined, updatedBy: 'hr-sync' };
        const zoe: OwnerRecord = { email: 'zoë@example.com', active: false, leftAt: at(1), updatedBy: 'admin@example.com' };
        await governance.setOwner(alice);
        await governance.setOwner(zoe);
        const sorted = async () => [...(await governance.listOwners())].sort((a, b) => (a.email < b.email ? -1 : 1));
        expect(await sorted()).toEqual([alice, zoe]);
        const read = (await governance.listOwners()).find((record) => record.email === 'zoë@example.com')!;
        expect(read.active).toBe(false);
        expect(read.leftAt!.toISOString()).toBe('2026-03-15T09:30:00.124Z');
        expect((await governance.listOwners()).find((record) => record.email === 'alice@example.com')!.active).toBe(true);

        const left: OwnerRecord = { email: 'alice@example.com', active: false, leftAt: at(86_400_000), updatedBy: 'zoë@example.com' };
        await governance.setOwner(left);
        expect(await sorted()).toEqual([left, zoe]);
        const back: OwnerRecord = { email: 'alice@example.com', active: true, leftAt: undefined, updatedBy: 'hr-sync' };
        await governance.setOwner(back);
        expect(await sorted()).toEqual([back, zoe]);
      });
    });

    describe('usage', () => {
      const key = (record: UsageRecord) => `${record.agent}|${record.api}|${record.operation}|${record.rule}`;
      const sorted = (records: readonly UsageRecord[]) => [...records].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

      it('keeps one row per agent, api, operation and rule, including no rule', async () => {
        const { governance } = await fresh();
        const records = [
          usage(),
          usage({ rule: '', calls: 2, lastUsedAt: at(1) }),
          usage({ operation: 'listCustomers', calls: 3 }),
          usage({ api: 'payments', operation: 'createRefund', rule: 'refunds/grants/small', calls: 4 }),
          usage({ agent: 'billing-bot', calls: 5, lastUsedAt: at(-1) }),
        ];
        await governance.recordUsage(records);
        expect(sorted(await governance.listUsage())).toEqual(sorted(records));
        expect(sorted(await governance.listUsage({ agent: 'support-bot' }))).toEqual(sorted(records.slice(0, 4)));
        expect(await governance.listUsage({ agent: 'billing-bot' })).toEqual([records[4]]);
        expect(await governance.listUsage({ agent: 'unknown-bot' })).toEqual([]);
        const noRule = (await governance.listUsage()).find((record) => record.rule === '')!;
        expect(noRule.calls).toBe(2);
        expect(noRule.lastUsedAt.toISOString()).toBe('2026-03-15T09:30:00.124Z');
      });

      it('adds calls and moves the last use forward, never back', async () => {
        const { governance } = await fresh();
        await governance.recordUsage([usage({ calls: 3, lastUsedAt: at(1000) })]);
        await governance.recordUsage([usage({ calls: 4, lastUsedAt: at(2001) })]);
        expect(await governance.listUsage()).toEqual([usage({ calls: 7, lastUsedAt: at(2001) })]);

        // An older report from another gateway arrives later: its calls count, its time does not.
        await governance.recordUsage([usage({ calls: 5, lastUsedAt: at(1500) })]);
        expect(await governance.listUsage()).toEqual([usage({ calls: 12, lastUsedAt: at(2001) })]);
        // One millisecond earlier is still earlier.
        await governance.recordUsage([usage({ calls: 1, lastUsedAt: at(2000) })]);
        expect(await governance.listUsage()).toEqual([usage({ calls: 13, lastUsedAt: at(2001) })]);
        await governance.recordUsage([usage({ calls: 1, lastUsedAt: at(2002) })]);
        expect(await governance.listUsage()).toEqual([usage({ calls: 14, lastUsedAt: at(2002) })]);
        expect((await governance.listUsage())[0]!.lastUsedAt.toISOString()).toBe('2026-03-15T09:30:02.125Z');
      });

      it('adds up the same key reported twice in one batch, keeping the latest time', async () => {
        const { governance } = await fresh();
        await governance.recordUsage([usage({ calls: 2, lastUsedAt: at(5000) }), usage({ calls: 3, lastUsedAt: at(4000) }), usage({ rule: '', calls: 1 })]);
        expect(sorted(await governance.listUsage())).toEqual(sorted([usage({ calls: 5, lastUsedAt: at(5000) }), usage({ rule: '', calls: 1 })]));
      });

      it('adds concurrent reports and accepts an empty batch', async () => {
        const { governance } = await fresh();
        await governance.recordUsage([]);
        expect(await governance.listUsage()).toEqual([]);
        await Promise.all([
          governance.recordUsage([usage({ calls: 10, lastUsedAt: at(9000) })]),
          governance.recordUsage([usage({ calls: 20, lastUsedAt: at(3000) })]),
          governance.recordUsage([usage({ calls: 30, lastUsedAt: at(6000) })]),
        ]);
        expect(await governance.listUsage()).toEqual([usage({ calls: 60, lastUsedAt: at(9000) })]);
      });
    });

    describe('review decisions', () => {
      it('round-trips decisions in the order they were made, per agent', async () => {
        const { governance } = await fresh();
        const decisions = [
          review({ at: at(3) }),
          review({ agent: 'billing-bot', item: 'idle', decision: 'revoke', reason: 'nicht genutzt — ✓', at: at(1) }),
          review({ item: 'credential:key_ab12cd34', decision: 'revoke', actor: 'zoë@example.com', at: at(3) }),
          review({ item: 'owner', at: at(2) }),
          review({ at: at(4), reason: 'bestätigt — zweite Runde' }),
        ];
        for (const decision of decisions) await governance.addReviewDecision(decision);

        expect(await governance.listReviewDecisions()).toEqual(decisions);
        expect(await governance.listReviewDecisions('support-bot')).toEqual([decisions[0], decisions[2], decisions[3], decisions[4]]);
        expect(await governance.listReviewDecisions('billing-bot')).toEqual([decisions[1]]);
        expect(await governance.listReviewDecisions('unknown-bot')).toEqual([]);
        const read = (await governance.listReviewDecisions('billing-bot'))[0]!;
        expect(read.at.toISOString()).toBe('2026-03-15T09:30:00.124Z');
        expect(read.reason).toBe('nicht genutzt — ✓');
      });
    });

    describe('approvals', () => {
      const approve = (at_: Date, overrides: Partial<Parameters<Store['governance']['decideApproval']>[1]> = {}) => ({ status: 'approved' as const, decidedAt: at_, decidedBy: 'zoë@example.com', via: 'admin' as const, reason: 'passt — ✓', expiresAt: new Date(at_.getTime() + 300_000), ...overrides });
      const use = (usedAt: Date, overrides: Partial<Parameters<Store['governance']['useApproval']>[1]> = {}) => ({ agent: 'support-bot', fingerprint: FINGERPRINT_CALL, usedAt, requestId: 'req-0002', ...overrides });

      it('round-trips every field, pending, decided and used, newest first', async () => {
        const { governance } = await fresh();
        const pending = approval('apr_0000000000000001');
        const bare = approval('apr_0000000000000002', { context: undefined, parameters: {}, query: '', requestedAt: at(1), fingerprint: FINGERPRINT_OTHER });
        const used = approval('apr_0000000000000003', {
          agent: 'billing-bot',
          status: 'used',
          requestedAt: at(2),
          expiresAt: at(600_000),
          decidedAt: at(60_000),
          decidedBy: 'zoë@example.com',
          decidedVia: 'callback',
          reason: 'ok — ✓',
          usedAt: at(120_000),
          usedRequestId: 'req-0009',
        });
        for (const record of [pending, bare, used]) expect(await governance.openApproval(record, at())).toEqual({ record, created: true });

        expect(await governance.getApproval(pending.id)).toEqual(pending);
        expect(await governance.getApproval(bare.id)).toEqual(bare);
        expect(await governance.getApproval(used.id)).toEqual(used);
        const read = (await governance.getApproval(bare.id))!;
        expect(read.context).toBeUndefined();
        expect(read.decidedAt).toBeUndefined();
        expect(read.decidedVia).toBeUndefined();
        expect(read.usedRequestId).toBeUndefined();
        expect(read.requestedAt.toISOString()).toBe('2026-03-15T09:30:00.124Z');
        expect((await governance.getApproval(pending.id))!.parameters).toEqual({ amount: 120.5, currency: 'EUR', note: 'Rückerstattung — “dringend” ✓', lines: [{ sku: 'A-1', qty: 2 }], flag: null });
        expect(await governance.listApprovals()).toEqual([used, bare, pending]);
      });

      it('filters by stored status, agent and limit', async () => {
        const { governance } = await fresh();
        const records = [
          approval('apr_0000000000000001'),
          approval('apr_0000000000000002', { agent: 'billing-bot', requestedAt: at(1) }),
          approval('apr_0000000000000003', { status: 'denied', requestedAt: at(2), fingerprint: FINGERPRINT_OTHER, decidedAt: at(3), decidedBy: 'a@example.com', decidedVia: 'admin', reason: 'nein' }),
          approval('apr_0000000000000004', { status: 'expired', requestedAt: at(3), fingerprint: FINGERPRINT_OTHER }),
        ];
        for (const record of records) await governance.openApproval(record, at());
        const ids = async (filter?: Parameters<Store['governance']['listApprovals']>[0]) => (await governance.listApprovals(filter)).map((record) => record.id);
        expect(await ids()).toEqual(['apr_0000000000000004', 'apr_0000000000000003', 'apr_0000000000000002', 'apr_0000000000000001']);
        expect(await ids({ statuses: ['pending'] })).toEqual(['apr_0000000000000002', 'apr_0000000000000001']);
        expect(await ids({ statuses: ['denied', 'expired'] })).toEqual(['apr_0000000000000004', 'apr_0000000000000003']);
        expect(await ids({ statuses: [] })).toEqual([]);
        expect(await ids({ agent: 'billing-bot' })).toEqual(['apr_0000000000000002']);
        expect(await ids({ agent: 'support-bot', statuses: ['pending'] })).toEqual(['apr_0000000000000001']);
        expect(await ids({ limit: 2 })).toEqual(['apr_0000000000000004', 'apr_0000000000000003']);
        expect(await ids({ agent: 'unknown-bot' })).toEqual([]);
      });

      it('returns the agent\'s open approval of the same call instead of storing another', async () => {
        const { governance } = await fresh();
        const first = approval('apr_0000000000000001');
        await governance.openApproval(first, at());
        // The same call again, pending: the first one, nothing written.
        expect(await governance.openApproval(approval('apr_0000000000000002', { requestId: 'req-0002', requestedAt: at(5) }), at(5))).toEqual({ record: first, created: false });
        // Another agent, or another call: a new one.
        expect((await governance.openApproval(approval('apr_0000000000000003', { agent: 'billing-bot' }), at(6))).created).toBe(true);
        expect((await governance.openApproval(approval('apr_0000000000000004', { fingerprint: FINGERPRINT_OTHER }), at(6))).created).toBe(true);
        // Approved and unused: still open.
        expect(await governance.decideApproval(first.id, approve(at(10)))).toBe(true);
        const again = await governance.openApproval(approval('apr_0000000000000005'), at(20));
        expect(again.created).toBe(false);
        expect(again.record).toMatchObject({ id: first.id, status: 'approved' });
        // Used: the next ask is a new approval.
        expect(await governance.useApproval(first.id, use(at(30)))).toBe(true);
        expect((await governance.openApproval(approval('apr_0000000000000006'), at(40))).created).toBe(true);
        // Expired by the clock, even before a job marks it: a new one.
        expect((await governance.openApproval(approval('apr_0000000000000007'), at(900_001))).created).toBe(true);
        expect((await governance.listApprovals()).map((record) => record.id).sort()).toEqual(['apr_0000000000000001', 'apr_0000000000000003', 'apr_0000000000000004', 'apr_0000000000000006', 'apr_0000000000000007']);
      });

      it('makes one approval of concurrent asks for the same call', async () => {
        const { governance } = await fresh();
        const results = await Promise.all(Array.from({ length: 6 }, (_, index) => governance.openApproval(approval(`apr_000000000000001${index}`, { requestId: `req-${index}` }), at())));
        expect(results.filter((result) => result.created)).toHaveLength(1);
        expect(new Set(results.map((result) => result.record.id)).size).toBe(1);
        expect(await governance.listApprovals()).toHaveLength(1);
      });

      it('decides a pending approval once, while it is not expired', async () => {
        const { governance } = await fresh();
        await governance.openApproval(approval('apr_0000000000000001'), at());
        await governance.openApproval(approval('apr_0000000000000002', { fingerprint: FINGERPRINT_OTHER }), at());
        await governance.openApproval(approval('apr_0000000000000003', { agent: 'billing-bot' }), at());

        expect(await governance.decideApproval('apr_0000000000000001', approve(at(60_000)))).toBe(true);
        expect(await governance.getApproval('apr_0000000000000001')).toEqual(approval('apr_0000000000000001', { status: 'approved', decidedAt: at(60_000), decidedBy: 'zoë@example.com', decidedVia: 'admin', reason: 'passt — ✓', expiresAt: at(360_000) }));
        // A second decision changes nothing.
        expect(await governance.decideApproval('apr_0000000000000001', { status: 'denied', decidedAt: at(61_000), decidedBy: 'other@example.com', via: 'callback', reason: 'zu spät', expiresAt: undefined })).toBe(false);
        expect((await governance.getApproval('apr_0000000000000001'))!.decidedBy).toBe('zoë@example.com');

        // A denial keeps the deadline when none is given.
        expect(await governance.decideApproval('apr_0000000000000002', { status: 'denied', decidedAt: at(1), decidedBy: 'a@example.com', via: 'callback', reason: 'nein ✓', expiresAt: undefined })).toBe(true);
        expect(await governance.getApproval('apr_0000000000000002')).toMatchObject({ status: 'denied', decidedVia: 'callback', expiresAt: at(900_000), reason: 'nein ✓' });

        // At its expiry (to the millisecond) it can no longer be decided.
        expect(await governance.decideApproval('apr_0000000000000003', approve(at(900_000)))).toBe(false);
        expect((await governance.getApproval('apr_0000000000000003'))!.status).toBe('pending');
        expect(await governance.decideApproval('apr_0000000000000003', approve(at(899_999)))).toBe(true);
        expect(await governance.decideApproval('apr_unknown', approve(at()))).toBe(false);
      });

      it('lets exactly one of concurrent decisions win', async () => {
        const { governance } = await fresh();
        await governance.openApproval(approval('apr_0000000000000001'), at());
        const attempts = ['a', 'b', 'c', 'd'].map((who, index) => (index % 2 === 0 ? approve(at(index + 1), { decidedBy: `${who}@example.com` }) : { status: 'denied' as const, decidedAt: at(index + 1), decidedBy: `${who}@example.com`, via: 'admin' as const, reason: 'nein', expiresAt: undefined }));
        const results = await Promise.all(attempts.map((attempt) => governance.decideApproval('apr_0000000000000001', attempt)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = attempts[results.indexOf(true)]!;
        expect(await governance.getApproval('apr_0000000000000001')).toMatchObject({ status: winner.status, decidedBy: winner.decidedBy });
      });

      it('uses an approved approval once, for its own agent and call, before it expires', async () => {
        const { governance } = await fresh();
        await governance.openApproval(approval('apr_0000000000000001'), at());
        // Pending: not usable.
        expect(await governance.useApproval('apr_0000000000000001', use(at(1)))).toBe(false);
        expect(await governance.decideApproval('apr_0000000000000001', approve(at(10_000)))).toBe(true);
        // Another agent, another call, or past its use-by time: refused, nothing written.
        expect(await governance.useApproval('apr_0000000000000001', use(at(20_000), { agent: 'billing-bot' }))).toBe(false);
        expect(await governance.useApproval('apr_0000000000000001', use(at(20_000), { fingerprint: FINGERPRINT_OTHER }))).toBe(false);
        expect(await governance.useApproval('apr_0000000000000001', use(at(310_000)))).toBe(false);
        expect((await governance.getApproval('apr_0000000000000001'))!.status).toBe('approved');

        expect(await governance.useApproval('apr_0000000000000001', use(at(309_999)))).toBe(true);
        expect(await governance.getApproval('apr_0000000000000001')).toMatchObject({ status: 'used', usedAt: at(309_999), usedRequestId: 'req-0002', decidedBy: 'zoë@example.com' });
        expect(await governance.useApproval('apr_0000000000000001', use(at(309_999), { requestId: 'req-0003' }))).toBe(false);
        expect((await governance.getApproval('apr_0000000000000001'))!.usedRequestId).toBe('req-0002');
        expect(await governance.useApproval('apr_unknown', use(at()))).toBe(false);

        // A denied one is never usable.
        await governance.openApproval(approval('apr_0000000000000002', { fingerprint: FINGERPRINT_OTHER }), at());
        await governance.decideApproval('apr_0000000000000002', { status: 'denied', decidedAt: at(1), decidedBy: 'a@example.com', via: 'admin', reason: 'nein', expiresAt: undefined });
        expect(await governance.useApproval('apr_0000000000000002', use(at(2), { fingerprint: FINGERPRINT_OTHER }))).toBe(false);
      });

      it('lets exactly one of concurrent uses through', async () => {
        const { governance } = await fresh();
        await governance.openApproval(approval('apr_0000000000000001'), at());
        await governance.decideApproval('apr_0000000000000001', approve(at(1)));
        const results = await Promise.all(Array.from({ length: 8 }, (_, index) => governance.useApproval('apr_0000000000000001', use(at(2 + index), { requestId: `req-use-${index}` }))));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await governance.getApproval('apr_0000000000000001'))!.usedRequestId).toBe(`req-use-${results.indexOf(true)}`);
      });

      it('marks pending and approved approvals whose time ran out as expired, once', async () => {
        const { governance } = await fresh();
        await governance.openApproval(approval('apr_0000000000000001'), at());
        await governance.openApproval(approval('apr_0000000000000002', { fingerprint: FINGERPRINT_OTHER, expiresAt: at(2_000_000) }), at());
        await governance.openApproval(approval('apr_0000000000000003', { agent: 'billing-bot' }), at());
        await governance.openApproval(approval('apr_0000000000000004', { agent: 'other-bot' }), at());
        await governance.decideApproval('apr_0000000000000003', approve(at(1000)));
        await governance.decideApproval('apr_0000000000000004', { status: 'denied', decidedAt: at(1000), decidedBy: 'a@example.com', via: 'admin', reason: 'nein', expiresAt: undefined });

        // Approved 3 must be used by 301 000; pending 1 runs out at 900 000.
        expect(await governance.expireApprovals(at(300_999))).toEqual([]);
        expect(await governance.expireApprovals(at(301_000))).toEqual(['apr_0000000000000003']);
        expect(await governance.expireApprovals(at(899_999))).toEqual([]);
        expect(await governance.expireApprovals(at(2_000_000))).toEqual(['apr_0000000000000001', 'apr_0000000000000002']);
        expect(await governance.expireApprovals(at(2_000_000))).toEqual([]);
        expect((await governance.getApproval('apr_0000000000000001'))!.status).toBe('expired');
        expect((await governance.getApproval('apr_0000000000000003'))!.status).toBe('expired');
        expect((await governance.getApproval('apr_0000000000000004'))!.status).toBe('denied');
        expect(await governance.decideApproval('apr_0000000000000001', approve(at(1)))).toBe(false);
      });
    });

    describe('persistence through migrate', () => {
      it('keeps governance data when migrate runs again', async () => {
        const store = await fresh();
        const record = apiAgent('support-bot');
        await store.governance.createAgent(record, create(record));
        await store.governance.putAdminToken(token('tok-1'));
        await store.migrate();
        expect(await store.governance.getAgent('support-bot')).toEqual(record);
        expect(await store.governance.getAdminToken('tok-1')).toEqual(token('tok-1'));
      });
    });
  });
}
