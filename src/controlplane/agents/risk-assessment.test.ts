import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AgentManifest, ApiManifest, Forbid, Grant, HttpMethod, ManifestSet, RoleManifest, Sensitivity } from '../../model/manifests/index.js';
import { compile } from '../../policy/compile.js';
import { loadManifests } from '../../policy/load/load-manifests.js';
import type { Snapshot } from '../../policy/snapshot.js';
import type { UsageRecord } from '../store/governance-store.js';
import { assessRisk, riskLevel, type RiskAssessment, type RiskInput } from './risk-assessment.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');
const now = new Date('2026-11-23T10:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);

type OperationSpec = readonly [id: string, method: HttpMethod, path: string, summary?: string];

function api(name: string, operations: readonly OperationSpec[], options: { sensitivity?: Sensitivity; dataClasses?: string[] } = {}): ApiManifest {
  return {
    apiVersion: 'warden.dev/v1',
    kind: 'Api',
    metadata: { name },
    spec: {
      owner: 'team@example.com',
      upstream: { url: 'http://127.0.0.1:9999' },
      basePath: `/${name}`,
      mode: 'enforce',
      lifecycle: { status: 'active' },
      sensitivity: options.sensitivity ?? 'internal',
      criticality: 'medium',
      dataClasses: options.dataClasses ?? [],
      operations: operations.map(([id, method, route, summary]) => ({ id, method, path: route, parameters: [], deprecated: false, ...(summary ? { summary } : {}) })),
    },
  };
}

type GrantSpec = Omit<Grant, 'stepUp'> & { stepUp?: boolean };

function role(name: string, grants: readonly GrantSpec[], forbid: readonly Forbid[] = []): RoleManifest {
  return {
    apiVersion: 'warden.dev/v1',
    kind: 'Role',
    metadata: { name },
    spec: { grants: grants.map((grant) => ({ stepUp: false, ...grant })), forbid: [...forbid] },
  };
}

function agent(name: string, roles: readonly string[], purpose = 'Does things for the test fleet'): AgentManifest {
  return {
    apiVersion: 'warden.dev/v1',
    kind: 'Agent',
    metadata: { name },
    spec: { owner: 'owner@example.com', purpose, roles: [...roles], state: 'active', credentials: [] },
  };
}

/** Fifty read-only pages: enough operations to ask for too many. */
const WIKI_PAGES = Array.from({ length: 50 }, (_, n) => `page${String(n + 1).padStart(2, '0')}`);

const APIS: readonly ApiManifest[] = [
  api('wiki', WIKI_PAGES.map((id) => [id, 'GET', `/pages/${id}`, 'Read a knowledge base article'] as const)),
  api('tickets', [
    ['getTicket', 'GET', '/tickets/{id}', 'Read a support ticket'],
    ['addNote', 'POST', '/tickets/{id}/notes', 'Add a note to a support ticket'],
    ['closeTicket', 'POST', '/tickets/{id}/close', 'Close a support ticket'],
    ['reopenTicket', 'POST', '/tickets/{id}/reopen', 'Reopen a support ticket'],
    ['assignTicket', 'POST', '/tickets/{id}/assign', 'Assign a ticket to a queue'],
  ]),
  api('payments', [
    ['createRefund', 'POST', '/refunds', 'Refund (part of) an order'],
    ['getRefund', 'GET', '/refunds/{id}', "Read a refund's status"],
    ['createPayout', 'POST', '/payouts', 'Pay money out to a bank account'],
  ], { sensitivity: 'restricted', dataClasses: ['financial'] }),
  api('ledger', [
    ['postEntry', 'POST', '/entries', 'Post a journal entry'],
    ['getEntry', 'GET', '/entries/{id}', 'Read a journal entry'],
  ], { sensitivity: 'confidential', dataClasses: ['financial'] }),
  api('payment-links', [['createLink', 'POST', '/links', 'Create a checkout link']]),
  api('people', [['getPerson', 'GET', '/people/{id}', "Read a person's profile"]], { sensitivity: 'confidential', dataClasses: ['pii'] }),
  api('vault', [['getSecret', 'GET', '/secrets/{id}', 'Read a secret']], { dataClasses: ['credentials'] }),
];

function fleet(roles: readonly RoleManifest[], agents: readonly AgentManifest[] = []): Snapshot {
  return compile({ apis: APIS, roles, agents }, { now });
}

function assess(input: Partial<RiskInput> & Pick<RiskInput, 'snapshot' | 'roles'>): RiskAssessment {
  return assessRisk({ purpose: 'Does things for the test fleet', usage: [], now, ...input });
}

function reason(assessment: RiskAssessment, code: string) {
  return assessment.reasons.find((item) => item.code === code);
}

function codes(assessment: RiskAssessment): string[] {
  return assessment.reasons.map((item) => item.code).sort();
}

function used(agentName: string, operations: readonly string[], lastUsedAt: Date, apiName = 'wiki'): UsageRecord[] {
  return operations.map((operation) => ({ agent: agentName, api: apiName, operation, rule: 'reader/grants[0]', lastUsedAt, calls: 3 }));
}

describe('assessRisk: what the roles let the agent call', () => {
  it('counts granted operations, write operations, APIs and data classes', () => {
    const snapshot = fleet([role('support', [{ api: 'tickets', operations: ['getTicket', 'addNote'] }, { api: 'people', operations: ['getPerson'] }])]);
    const result = assess({ snapshot, roles: ['support'] });
    expect(result).toMatchObject({ operations: 3, writeOperations: 1, apis: ['people', 'tickets'], dataClasses: ['pii'] });
  });

  it('subtracts operations any of the roles forbids unconditionally, whichever role granted them', () => {
    const snapshot = fleet([
      role('refunds', [{ api: 'payments', operations: ['*'] }], [{ api: 'payments', operations: ['createPayout'], reason: 'no payouts' }]),
      role('no-ledger', [{ api: 'ledger', operations: ['getEntry'] }], [{ api: 'payments', operations: ['createRefund'] }]),
    ]);
    const alone = assess({ snapshot, roles: ['refunds'] });
    expect(alone.operations).toBe(2);
    expect(reason(alone, 'payments-without-step-up')!.message).toContain('payments.createRefund');
    expect(reason(alone, 'payments-without-step-up')!.message).not.toContain('createPayout');

    // The second role forbids the refund the first one grants: forbids win.
    const both = assess({ snapshot, roles: ['refunds', 'no-ledger'] });
    expect(both.operations).toBe(2);
    expect(both.writeOperations).toBe(0);
    expect(reason(both, 'payments-without-step-up')).toBeUndefined();
  });

  it('keeps operations whose forbid has conditions: they are callable outside them', () => {
    const snapshot = fleet([role('refunds', [{ api: 'payments', operations: ['createRefund'] }], [{ api: 'payments', operations: ['createRefund'], params: { amount: { min: 1000 } } }])]);
    const result = assess({ snapshot, roles: ['refunds'] });
    expect(result.operations).toBe(1);
    expect(reason(result, 'payments-without-step-up')).toBeDefined();
  });

  it('applies the forbids of the examples across roles: hybrid-assistant loses finance to customer-service', async () => {
    const loaded = await loadManifests(examples);
    expect(loaded.problems).toEqual([]);
    const snapshot = compile(loaded.set, { now });
    const hybrid = snapshot.agents.get('hybrid-assistant')!;
    const result = assess({ snapshot, roles: hybrid.roles, purpose: hybrid.purpose, agent: hybrid.name });
    expect(result.apis).toEqual(['crm', 'legacy-warehouse', 'payments']);
    expect(result.operations).toBe(hybrid.access.callable.length);
  });

  it('names unknown roles without failing', () => {
    const snapshot = fleet([role('support', [{ api: 'tickets', operations: ['getTicket'] }])]);
    const result = assess({ snapshot, roles: ['support', 'ghost'] });
    expect(result.operations).toBe(1);
    expect(reason(result, 'unknown-role')).toEqual({ code: 'unknown-role', weight: 0, message: 'role ghost is not defined in the policy in force, so it grants nothing' });
  });
});

describe('assessRisk: excess against peers', () => {
  const roles = [role('reader', [{ api: 'wiki', operations: ['*'] }]), role('narrow', [{ api: 'wiki', operations: WIKI_PAGES.slice(0, 7) }]), role('other', [{ api: 'tickets', operations: ['getTicket'] }])];
  const snapshot = fleet(roles, [
    agent('peer-a', ['reader']),
    agent('peer-b', ['reader']),
    agent('peer-c', ['reader', 'other']),
    agent('peer-idle', ['reader']),
    agent('outsider', ['other']),
    agent('candidate', ['reader']),
  ]);
  const usage: UsageRecord[] = [
    ...used('peer-a', WIKI_PAGES.slice(0, 4), daysAgo(2)),
    ...used('peer-b', WIKI_PAGES.slice(0, 5), daysAgo(10)),
    // Twenty more pages, but 40 days ago: outside the default window.
    ...used('peer-b', WIKI_PAGES.slice(20, 40), daysAgo(40)),
    ...used('peer-c', WIKI_PAGES.slice(0, 7), daysAgo(29)),
    // Repeated records of the same operation count once.
    ...used('peer-c', WIKI_PAGES.slice(0, 7), daysAgo(1)),
    ...used('peer-idle', WIKI_PAGES, daysAgo(45)),
    ...used('outsider', WIKI_PAGES, daysAgo(1)),
    // The candidate's own calls are not a baseline for itself.
    ...used('candidate', WIKI_PAGES, daysAgo(1)),
  ];

  it('flags asking for far more than the median peer uses, with the numbers in the message', () => {
    const result = assess({ snapshot, roles: ['reader'], agent: 'candidate', usage });
    // Peers in the window use 4, 5 and 7 operations; peer-idle has nothing recent, outsider lacks the role.
    expect(reason(result, 'excess')).toEqual({ code: 'excess', weight: 30, message: 'asks for 50 operations; agents with role reader use 5 (median of 3 agents, last 30 days)' });
    expect(reason(result, 'no-baseline')).toBeUndefined();
  });

  it('counts usage inside a longer window', () => {
    const result = assess({ snapshot, roles: ['reader'], agent: 'candidate', usage, peerWindowDays: 60 });
    // peer-b now used 25 and peer-idle 50: 4, 7, 25, 50.
    expect(reason(result, 'excess')!.message).toBe('asks for 50 operations; agents with role reader use 16 (median of 4 agents, last 60 days)');
    expect(reason(result, 'excess')!.weight).toBe(20);
  });

  it('grows the weight with the ratio to the median', () => {
    const tiny = [...used('peer-a', WIKI_PAGES.slice(0, 2), daysAgo(1)), ...used('peer-b', WIKI_PAGES.slice(0, 3), daysAgo(1)), ...used('peer-c', WIKI_PAGES.slice(0, 3), daysAgo(1))];
    const result = assess({ snapshot, roles: ['reader'], agent: 'candidate', usage: tiny });
    expect(reason(result, 'excess')).toMatchObject({ weight: 35, message: 'asks for 50 operations; agents with role reader use 3 (median of 3 agents, last 30 days)' });
  });

  it('stays silent when the request is not clearly more: 7 against 5, or 6 against 2', () => {
    expect(reason(assess({ snapshot, roles: ['narrow'], usage }), 'excess')).toBeUndefined();
    const low = [...used('peer-a', WIKI_PAGES.slice(0, 1), daysAgo(1)), ...used('peer-b', WIKI_PAGES.slice(0, 2), daysAgo(1)), ...used('peer-c', WIKI_PAGES.slice(0, 2), daysAgo(1))];
    const six = fleet([...roles, role('six', [{ api: 'wiki', operations: WIKI_PAGES.slice(0, 6) }])], [agent('peer-a', ['six']), agent('peer-b', ['six']), agent('peer-c', ['six'])]);
    const seven = fleet([...roles, role('seven', [{ api: 'wiki', operations: WIKI_PAGES.slice(0, 7) }])], [agent('peer-a', ['seven']), agent('peer-b', ['seven']), agent('peer-c', ['seven'])]);
    // Over twice the median of 2, but only 4 more.
    expect(reason(assess({ snapshot: six, roles: ['six'], usage: low }), 'excess')).toBeUndefined();
    // Five more: excess.
    expect(reason(assess({ snapshot: seven, roles: ['seven'], usage: low }), 'excess')).toMatchObject({ weight: 20, message: 'asks for 7 operations; agents with role seven use 2 (median of 3 agents, last 30 days)' });
  });

  it('takes the mean of the two middle peers for an even count', () => {
    const even = [...used('peer-a', WIKI_PAGES.slice(0, 4), daysAgo(1)), ...used('peer-b', WIKI_PAGES.slice(0, 5), daysAgo(1))];
    expect(reason(assess({ snapshot, roles: ['reader'], agent: 'candidate', usage: even }), 'excess')!.message).toBe(
      'asks for 50 operations; agents with role reader use 4.5 (median of 2 agents, last 30 days)',
    );
  });

  it('says there is no baseline when no other agent has the role', () => {
    const result = assess({ snapshot, roles: ['narrow'], usage });
    expect(reason(result, 'excess')).toBeUndefined();
    expect(reason(result, 'no-baseline')).toEqual({ code: 'no-baseline', weight: 0, message: 'no other agent has role narrow: nothing to compare its 7 operations with' });
  });

  it('says there is no baseline when peers called nothing in the window, rather than guessing', () => {
    const result = assess({ snapshot, roles: ['reader'], agent: 'candidate', usage: used('peer-a', WIKI_PAGES, daysAgo(31)) });
    expect(reason(result, 'excess')).toBeUndefined();
    expect(reason(result, 'no-baseline')!.message).toBe('no other agent with role reader called anything in the last 30 days: nothing to compare its 50 operations with');
  });

  it('compares with agents sharing any of several roles', () => {
    const result = assess({ snapshot, roles: ['narrow', 'other'], agent: 'candidate', usage: used('outsider', ['getTicket'], daysAgo(1), 'tickets') });
    expect(reason(result, 'excess')).toMatchObject({ message: 'asks for 8 operations; agents with roles narrow or other use 1 (median of 1 agent, last 30 days)' });
  });

  it('rejects a negative window', () => {
    expect(() => assess({ snapshot, roles: ['reader'], usage, peerWindowDays: -1 })).toThrow(RangeError);
  });
});

describe('assessRisk: write access, sensitive data and payments', () => {
  it('flags write access, counts it, names a few and says which need step-up', () => {
    const snapshot = fleet([
      role('reader', [{ api: 'tickets', operations: ['getTicket'] }]),
      role('writer', [{ api: 'tickets', operations: ['*'] }, { api: 'tickets', operations: ['closeTicket'], stepUp: true }]),
      role('gated', [{ api: 'tickets', operations: ['addNote', 'closeTicket'], stepUp: true }]),
    ]);
    expect(reason(assess({ snapshot, roles: ['reader'] }), 'write-access')).toBeUndefined();
    // closeTicket has a grant without step-up too, so it is not "only with step-up".
    expect(reason(assess({ snapshot, roles: ['writer'] }), 'write-access')).toEqual({
      code: 'write-access',
      weight: 11,
      message: 'may change data through 4 write operations: tickets.addNote, tickets.assignTicket, tickets.closeTicket and 1 more',
    });
    expect(reason(assess({ snapshot, roles: ['gated'] }), 'write-access')).toEqual({
      code: 'write-access',
      weight: 7,
      message: 'may change data through 2 write operations (2 only with step-up): tickets.addNote and tickets.closeTicket',
    });
  });

  it('flags restricted APIs and sensitive data classes, and not internal data', () => {
    const snapshot = fleet([
      role('plain', [{ api: 'tickets', operations: ['getTicket'] }, { api: 'ledger', operations: ['getEntry'] }]),
      role('pii', [{ api: 'people', operations: ['getPerson'] }]),
      role('restricted', [{ api: 'payments', operations: ['getRefund'] }, { api: 'vault', operations: ['getSecret'] }]),
      role('public-ish', [{ api: 'tickets', operations: ['getTicket'] }]),
    ]);
    expect(reason(assess({ snapshot, roles: ['public-ish'] }), 'restricted-data')).toBeUndefined();
    expect(reason(assess({ snapshot, roles: ['pii'] }), 'restricted-data')).toEqual({ code: 'restricted-data', weight: 8, message: 'reaches data class pii through 1 operation' });
    expect(reason(assess({ snapshot, roles: ['restricted'] }), 'restricted-data')).toEqual({
      code: 'restricted-data',
      weight: 16,
      message: 'reaches restricted API payments and data classes credentials and financial through 2 operations',
    });
    expect(reason(assess({ snapshot, roles: ['plain'] }), 'restricted-data')!.message).toBe('reaches data class financial through 1 operation');
  });

  it('flags money moved without step-up: payment APIs and financial writes, not reads, not stepped-up writes', () => {
    const snapshot = fleet([
      role('refunds', [{ api: 'payments', operations: ['createRefund', 'getRefund'], id: 'small-refunds', params: { amount: { max: 100 } } }]),
      role('stepped', [{ api: 'payments', operations: ['createRefund', 'createPayout'], stepUp: true }]),
      role('reads', [{ api: 'payments', operations: ['getRefund'] }, { api: 'ledger', operations: ['getEntry'] }]),
      role('bookkeeper', [{ api: 'ledger', operations: ['postEntry'] }]),
      role('links', [{ api: 'payment-links', operations: ['createLink'] }]),
      role('tickets', [{ api: 'tickets', operations: ['addNote'] }]),
    ]);
    expect(reason(assess({ snapshot, roles: ['refunds'] }), 'payments-without-step-up')).toEqual({
      code: 'payments-without-step-up',
      weight: 15,
      message: 'may move money or change financial records with no human approval (no step-up): payments.createRefund (by refunds/grants/small-refunds, limited by conditions)',
    });
    expect(reason(assess({ snapshot, roles: ['stepped'] }), 'payments-without-step-up')).toBeUndefined();
    expect(reason(assess({ snapshot, roles: ['stepped'] }), 'write-access')).toBeDefined();
    expect(reason(assess({ snapshot, roles: ['reads'] }), 'payments-without-step-up')).toBeUndefined();
    expect(reason(assess({ snapshot, roles: ['bookkeeper'] }), 'payments-without-step-up')!.message).toContain('ledger.postEntry (by bookkeeper/grants[0])');
    expect(reason(assess({ snapshot, roles: ['links'] }), 'payments-without-step-up')!.message).toContain('payment-links.createLink');
    expect(reason(assess({ snapshot, roles: ['tickets'] }), 'payments-without-step-up')).toBeUndefined();
    // A step-up grant does not cover a grant without one: the refund still passes unapproved.
    expect(reason(assess({ snapshot, roles: ['refunds', 'stepped'] }), 'payments-without-step-up')).toMatchObject({ weight: 15 });
    expect(reason(assess({ snapshot, roles: ['bookkeeper', 'links', 'refunds'] }), 'payments-without-step-up')!.weight).toBe(25);
  });
});

describe('assessRisk: purpose', () => {
  const snapshot = fleet([
    role('support', [{ api: 'tickets', operations: ['getTicket', 'addNote'] }, { api: 'payments', operations: ['createRefund'], stepUp: true }]),
    role('everything', [{ api: 'tickets', operations: ['getTicket'] }, { api: 'people', operations: ['getPerson'] }, { api: 'vault', operations: ['getSecret'] }, { api: 'ledger', operations: ['getEntry'] }, { api: 'wiki', operations: ['page01'] }]),
  ]);

  it('passes when the purpose mentions each API by name, data or operations', () => {
    expect(reason(assess({ snapshot, roles: ['support'], purpose: 'Answers support tickets and issues small refunds' }), 'purpose-mismatch')).toBeUndefined();
    // "ticket" matches the API name, "refunding" the operation summary.
    expect(reason(assess({ snapshot, roles: ['support'], purpose: 'Triages each ticket, refunding orders when needed' }), 'purpose-mismatch')).toBeUndefined();
  });

  it('flags APIs the purpose never mentions, with a low weight each, capped', () => {
    expect(reason(assess({ snapshot, roles: ['support'], purpose: 'Answers support tickets in the help desk' }), 'purpose-mismatch')).toEqual({
      code: 'purpose-mismatch',
      weight: 4,
      message: 'the stated purpose does not mention payments or what it is for: ask why the agent needs it',
    });
    const all = reason(assess({ snapshot, roles: ['everything'], purpose: 'Writes weekly newsletters' }), 'purpose-mismatch')!;
    expect(all.message).toBe('the stated purpose does not mention ledger, people, tickets, vault and wiki or what they are for: ask why the agent needs them');
    expect(all.weight).toBe(12);
  });

  it('matches loosely but not on generic words', () => {
    // "personal profiles" matches people.getPerson's summary; "read" alone would match nothing.
    expect(reason(assess({ snapshot, roles: ['everything'], purpose: 'Reads personal profiles, secrets, journal entries, tickets and knowledge base articles' }), 'purpose-mismatch')).toBeUndefined();
    expect(reason(assess({ snapshot, roles: ['everything'], purpose: 'Reads, gets and lists records' }), 'purpose-mismatch')!.weight).toBe(12);
  });
});

describe('assessRisk: whole APIs', () => {
  it('flags an API granted whole when it has several operations', () => {
    const snapshot = fleet([
      role('all-tickets', [{ api: 'tickets', operations: ['*'] }]),
      role('some-tickets', [{ api: 'tickets', operations: ['getTicket', 'addNote'] }]),
      role('all-people', [{ api: 'people', operations: ['*'] }]),
    ]);
    expect(reason(assess({ snapshot, roles: ['all-tickets'] }), 'broad-wildcard')).toEqual({ code: 'broad-wildcard', weight: 5, message: 'may call every operation of tickets (5), including the riskiest ones' });
    expect(reason(assess({ snapshot, roles: ['some-tickets'] }), 'broad-wildcard')).toBeUndefined();
    // One operation is the whole API, but no wildcard worth a reviewer's time.
    expect(reason(assess({ snapshot, roles: ['all-people'] }), 'broad-wildcard')).toBeUndefined();
  });
});

describe('assessRisk: access requests (extra operations)', () => {
  const snapshot = fleet(
    [
      role('support', [{ api: 'tickets', operations: ['getTicket', 'addNote'] }], [{ api: 'vault', operations: ['*'], reason: 'no secrets for support' }]),
    ],
    [agent('support-1', ['support']), agent('support-2', ['support']), agent('asker', ['support'])],
  );
  const usage: UsageRecord[] = [
    ...used('support-1', ['getTicket', 'addNote'], daysAgo(3), 'tickets'),
    ...used('support-2', ['getTicket'], daysAgo(3), 'tickets'),
    ...used('support-2', ['getRefund'], daysAgo(3), 'payments'),
  ];

  it('adds the requested operation, names it first, and says no peer uses it', () => {
    const before = assess({ snapshot, roles: ['support'], agent: 'asker', usage, purpose: 'Answers support tickets and refunds' });
    const after = assess({ snapshot, roles: ['support'], agent: 'asker', usage, purpose: 'Answers support tickets and refunds', extra: [{ api: 'payments', operation: 'createPayout' }] });
    expect(after.operations).toBe(before.operations + 1);
    expect(after.writeOperations).toBe(2);
    expect(after.apis).toEqual(['payments', 'tickets']);
    expect(reason(after, 'write-access')!.message).toBe('may change data through 2 write operations: payments.createPayout (requested) and tickets.addNote');
    expect(reason(after, 'payments-without-step-up')!.message).toBe('may move money or change financial records with no human approval (no step-up): payments.createPayout (requested)');
    expect(reason(after, 'unused-by-peers')).toEqual({ code: 'unused-by-peers', weight: 5, message: 'no other agent with role support called payments.createPayout in the last 30 days' });
    expect(after.score).toBeGreaterThan(before.score);
  });

  it('does not say "unused" for an operation a peer calls, nor flag a requested step-up grant as unapproved money', () => {
    const result = assess({ snapshot, roles: ['support'], agent: 'asker', usage, extra: [{ api: 'payments', operation: 'getRefund' }, { api: 'payments', operation: 'createRefund', stepUp: true }] });
    expect(reason(result, 'unused-by-peers')!.message).toBe('no other agent with role support called payments.createRefund in the last 30 days');
    expect(reason(result, 'payments-without-step-up')).toBeUndefined();
    expect(result.operations).toBe(4);
  });

  it('changes nothing for an operation the roles already grant', () => {
    const base = assess({ snapshot, roles: ['support'], agent: 'asker', usage });
    expect(assess({ snapshot, roles: ['support'], agent: 'asker', usage, extra: [{ api: 'tickets', operation: 'getTicket' }] })).toEqual(base);
  });

  it('flags a request that would let an operation behind step-up through without it', () => {
    const gated = fleet([role('refunds', [{ api: 'payments', operations: ['createRefund'], stepUp: true }])]);
    expect(reason(assess({ snapshot: gated, roles: ['refunds'] }), 'payments-without-step-up')).toBeUndefined();
    const result = assess({ snapshot: gated, roles: ['refunds'], extra: [{ api: 'payments', operation: 'createRefund' }] });
    expect(result.operations).toBe(1);
    expect(reason(result, 'payments-without-step-up')!.message).toContain('payments.createRefund (by the access request)');
  });

  it('flags asking for what the role forbids', () => {
    const result = assess({ snapshot, roles: ['support'], agent: 'asker', usage, extra: [{ api: 'vault', operation: 'getSecret' }] });
    expect(reason(result, 'forbidden-by-role')).toEqual({
      code: 'forbidden-by-role',
      weight: 10,
      message: 'asks for what its roles forbid: vault.getSecret (forbidden by support/forbid[0]: no secrets for support); a grant cannot override a forbid, so check the role or the purpose',
    });
    expect(result.dataClasses).toEqual(['credentials']);
  });

  it('names operations the policy does not declare', () => {
    const result = assess({ snapshot, roles: ['support'], agent: 'asker', usage, extra: [{ api: 'tickets', operation: 'mergeTickets' }, { api: 'nowhere', operation: 'x' }] });
    expect(reason(result, 'unknown-operation')).toEqual({ code: 'unknown-operation', weight: 0, message: 'asks for nowhere.x and tickets.mergeTickets, which the policy in force does not declare' });
    expect(result.operations).toBe(2);
  });
});

describe('assessRisk: score and level', () => {
  it('puts scores below 30 at low, below 60 at medium, and the rest at high', () => {
    expect([0, 29, 30, 59, 60, 100].map(riskLevel)).toEqual(['low', 'low', 'medium', 'medium', 'high', 'high']);
  });

  it('scores a read-only internal agent low, with no reasons that weigh', () => {
    const snapshot = fleet([role('reader', [{ api: 'tickets', operations: ['getTicket'] }])]);
    const result = assess({ snapshot, roles: ['reader'], purpose: 'Reads support tickets' });
    expect(result).toMatchObject({ score: 0, level: 'low' });
    expect(codes(result)).toEqual(['no-baseline']);
  });

  it('scores the example support bot medium, and an over-asking payments agent high, capped at 100', async () => {
    const loaded = await loadManifests(examples);
    const examplesSnapshot = compile(loaded.set, { now });
    const bot = examplesSnapshot.agents.get('support-bot')!;
    const support = assess({ snapshot: examplesSnapshot, roles: bot.roles, purpose: bot.purpose, agent: bot.name });
    expect(support.level).toBe('medium');
    expect(codes(support)).toEqual(['no-baseline', 'payments-without-step-up', 'purpose-mismatch', 'restricted-data', 'write-access']);
    expect(support.reasons[0]!.code).toBe('restricted-data');

    const snapshot = fleet(
      [
        role('reader', [{ api: 'wiki', operations: ['page01', 'page02'] }]),
        role('kitchen-sink', [{ api: 'wiki', operations: ['*'] }, { api: 'payments', operations: ['*'] }, { api: 'ledger', operations: ['*'] }, { api: 'payment-links', operations: ['*'] }, { api: 'people', operations: ['*'] }, { api: 'vault', operations: ['*'] }]),
      ],
      [agent('peer', ['reader', 'kitchen-sink'])],
    );
    const greedy = assess({ snapshot, roles: ['kitchen-sink'], usage: used('peer', ['page01', 'page02'], daysAgo(1)), purpose: 'Helps' });
    const total = greedy.reasons.reduce((sum, item) => sum + item.weight, 0);
    expect(total).toBeGreaterThan(100);
    expect(greedy).toMatchObject({ score: 100, level: 'high', operations: 58, writeOperations: 4 });
    expect(greedy.reasons.map((item) => item.weight)).toEqual([...greedy.reasons.map((item) => item.weight)].sort((a, b) => b - a));
  });
});

describe('assessRisk: determinism', () => {
  let set: ManifestSet;
  beforeAll(async () => {
    set = (await loadManifests(examples)).set;
  });

  it('gives the same answer for the same input, whatever the order of roles, usage or manifests', () => {
    const usage: UsageRecord[] = [
      { agent: 'support-bot', api: 'crm', operation: 'getCustomer', rule: 'customer-service/grants/read-task-customer', lastUsedAt: daysAgo(1), calls: 40 },
      { agent: 'support-bot', api: 'crm', operation: 'getTicket', rule: 'customer-service/grants/work-task-ticket', lastUsedAt: daysAgo(2), calls: 12 },
      { agent: 'support-supervisor-bot', api: 'payments', operation: 'createRefund', rule: 'customer-service/grants/small-refunds', lastUsedAt: daysAgo(3), calls: 2 },
      { agent: 'hybrid-assistant', api: 'finance', operation: 'listTransactions', rule: '', lastUsedAt: daysAgo(4), calls: 1 },
    ];
    const input = (snapshot: Snapshot, roles: string[], records: UsageRecord[]): RiskInput => ({
      snapshot,
      roles,
      purpose: 'Answers customer support tickets and pays out refunds',
      agent: 'returns-bot',
      extra: [{ api: 'payments', operation: 'createPayout' }, { api: 'hr', operation: 'getEmployee' }],
      usage: Object.freeze(records),
      now,
    });
    const snapshot = compile(set, { now });
    const first = assessRisk(input(snapshot, ['customer-service', 'refund-supervisor'], usage));
    expect(assessRisk(input(snapshot, ['customer-service', 'refund-supervisor'], usage))).toEqual(first);
    const reversed = compile({ apis: [...set.apis].reverse(), roles: [...set.roles].reverse(), agents: [...set.agents].reverse() }, { now });
    expect(assessRisk(input(reversed, ['refund-supervisor', 'customer-service', 'customer-service'], [...usage].reverse()))).toEqual(first);
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
  });
});
