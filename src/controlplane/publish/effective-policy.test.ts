import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../model/api-key.js';
import type { AgentManifest, AgentState, Forbid, Grant, ManifestSet } from '../../model/manifests/index.js';
import { compile } from '../../policy/compile.js';
import { decide, type DecisionRequest } from '../../policy/decide.js';
import { loadManifests } from '../../policy/load/load-manifests.js';
import { jwtSubjectKey } from '../../policy/snapshot.js';
import type { AgentRecord, BindingRecord, RuntimeRule } from '../store/governance-store.js';
import { effectivePolicy, runtimeRoleName, type RuntimeState } from './effective-policy.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));
const T0 = new Date('2025-05-01T08:00:00.000Z');
const NOW = Date.parse('2025-05-02T10:00:00.000Z');
const STAFF = 'sam.security@example.com';

let examples: ManifestSet;

beforeAll(async () => {
  const loaded = await loadManifests(EXAMPLES);
  expect(loaded.problems).toEqual([]);
  examples = loaded.set;
});

const NOTHING: RuntimeState = { agents: [], keys: [], bindings: [], rules: [] };

function runtime(parts: Partial<RuntimeState>): RuntimeState {
  return { ...NOTHING, ...parts };
}

function record(name: string, state: AgentState, definition?: AgentManifest): AgentRecord {
  return { name, source: definition ? 'api' : 'manifest', definition, state, stateSince: T0, template: undefined, createdAt: T0, createdBy: STAFF };
}

function grant(id: string, agent: string, rule: Omit<Grant, 'stepUp'> & { stepUp?: boolean }): RuntimeRule {
  return { id, agent, kind: 'grant', rule: { stepUp: false, ...rule }, expiresAt: undefined, source: 'access-request', sourceId: `ar_${id}`, createdAt: T0, createdBy: STAFF };
}

function forbid(id: string, agent: string, rule: Forbid): RuntimeRule {
  return { id, agent, kind: 'forbid', rule, expiresAt: undefined, source: 'access-review', sourceId: undefined, createdAt: T0, createdBy: STAFF };
}

function key(id: string, agent: string | undefined): ApiKeyRecord {
  return { id, digest: 'a'.repeat(64), createdAt: T0, expiresAt: new Date('2026-01-01T00:00:00.000Z'), revokedAt: undefined, ...(agent !== undefined ? { agent } : {}) };
}

function binding(id: string, agent: string, credential: BindingRecord['binding']): BindingRecord {
  return { id, agent, binding: credential, createdAt: T0, createdBy: STAFF };
}

function proposal(name: string, roles: string[], state: AgentState = 'proposed'): AgentManifest {
  return {
    apiVersion: 'warden.dev/v1',
    kind: 'Agent',
    metadata: { name },
    spec: { owner: 'priya.nair@example.com', purpose: 'Proposed through the admin API for a test', roles, state, credentials: [] },
  };
}

function agentOf(set: ManifestSet, name: string): AgentManifest {
  const found = set.agents.find((agent) => agent.metadata.name === name);
  if (!found) throw new Error(`no agent ${name} in the set`);
  return found;
}

const LIST_INSTANCES: DecisionRequest = { agent: 'itops-agent', method: 'GET', path: '/itops/compute/instances', time: NOW };
const RESTART: DecisionRequest = { agent: 'itops-agent', method: 'POST', path: '/itops/compute/instances/i-42/restart', region: 'eu', time: NOW };
const READ_EMPLOYEE: DecisionRequest = { agent: 'itops-agent', method: 'GET', path: '/hr/employees/e-7', time: NOW };
const READ_CHECKLIST: DecisionRequest = { agent: 'itops-agent', method: 'GET', path: '/hr/onboarding/e-7/checklist', time: NOW };

describe('effectivePolicy without runtime state', () => {
  it('is the applied manifests, compiling to the same version', () => {
    const { set, warnings } = effectivePolicy(examples, NOTHING);
    expect(warnings).toEqual([]);
    expect(set.apis).toEqual(examples.apis);
    expect(set.roles).toEqual(examples.roles);
    expect(set.agents).toEqual(examples.agents);
    expect(set.templates).toEqual(examples.templates);
    expect(compile(set).version).toBe(compile(examples).version);
  });

  it('leaves templates out when the manifests have none', () => {
    const { templates: _templates, ...withoutTemplates } = examples;
    const { set } = effectivePolicy(withoutTemplates, NOTHING);
    expect('templates' in set).toBe(false);
  });

  it('never changes the manifests it is given', () => {
    const before = structuredClone({ apis: examples.apis, roles: examples.roles, agents: examples.agents });
    effectivePolicy(examples, runtime({
      agents: [record('itops-agent', 'suspended'), record('new-bot', 'active', proposal('new-bot', ['it-operations']))],
      keys: [key('key_runtime0001', 'itops-agent')],
      bindings: [binding('bd_1', 'itops-agent', { type: 'mtls', spiffeId: 'spiffe://example.com/agents/itops' })],
      rules: [grant('rt_hr01', 'itops-agent', { api: 'hr', operations: ['getEmployee'] })],
    }));
    expect({ apis: examples.apis, roles: examples.roles, agents: examples.agents }).toEqual(before);
  });
});

describe('effectivePolicy: lifecycle state', () => {
  it('takes the store state over the manifest state: a suspended agent is denied though its manifest says active', () => {
    expect(agentOf(examples, 'itops-agent').spec.state).toBe('active');
    expect(decide(compile(effectivePolicy(examples, NOTHING).set), LIST_INSTANCES).allowed).toBe(true);

    const { set, warnings } = effectivePolicy(examples, runtime({ agents: [record('itops-agent', 'suspended')] }));
    expect(warnings).toEqual([]);
    expect(agentOf(set, 'itops-agent').spec.state).toBe('suspended');
    const decision = decide(compile(set), LIST_INSTANCES);
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe('WARDEN_AGENT_NOT_ACTIVE');
  });

  it.each(['quarantined', 'decommissioned', 'proposed', 'in_review', 'approved'] as const)('denies an agent the store has as %s', (state) => {
    const decision = decide(compile(effectivePolicy(examples, runtime({ agents: [record('itops-agent', state)] })).set), LIST_INSTANCES);
    expect(decision).toMatchObject({ allowed: false, reason: 'WARDEN_AGENT_NOT_ACTIVE' });
  });

  it('takes the store state in the other direction too: a reinstated agent runs though its manifest still says suspended', () => {
    expect(agentOf(examples, 'legacy-reporter').spec.state).toBe('suspended');
    const request: DecisionRequest = { agent: 'legacy-reporter', method: 'GET', path: '/finance/reports/r-1', time: NOW };
    expect(decide(compile(examples), request).reason).toBe('WARDEN_AGENT_NOT_ACTIVE');
    const { set } = effectivePolicy(examples, runtime({ agents: [record('legacy-reporter', 'active')] }));
    expect(decide(compile(set), request)).toMatchObject({ allowed: true, reason: 'GRANTED' });
  });

  it('keeps the manifest state of an agent the store has no record of', () => {
    const { set } = effectivePolicy(examples, runtime({ agents: [record('itops-agent', 'suspended')] }));
    expect(agentOf(set, 'support-bot').spec.state).toBe('active');
    expect(agentOf(set, 'returns-bot').spec.state).toBe('proposed');
  });

  it('changes only the state of an agent: owner, purpose, roles and credentials stay the manifest\'s', () => {
    const { set } = effectivePolicy(examples, runtime({ agents: [record('support-bot', 'suspended')] }));
    expect(agentOf(set, 'support-bot')).toEqual({ ...agentOf(examples, 'support-bot'), spec: { ...agentOf(examples, 'support-bot').spec, state: 'suspended' } });
  });
});

describe('effectivePolicy: agents proposed through the admin API', () => {
  it('adds them in their store state, with their definition', () => {
    const definition = proposal('capacity-bot', ['it-operations']);
    const { set, warnings } = effectivePolicy(examples, runtime({ agents: [record('capacity-bot', 'active', definition)] }));
    expect(warnings).toEqual([]);
    expect(set.agents).toHaveLength(examples.agents.length + 1);
    expect(agentOf(set, 'capacity-bot')).toEqual({ ...definition, spec: { ...definition.spec, state: 'active' } });
    const snapshot = compile(set);
    expect(snapshot.agents.get('capacity-bot')?.owner).toBe('priya.nair@example.com');
    expect(decide(snapshot, { ...LIST_INSTANCES, agent: 'capacity-bot' }).allowed).toBe(true);
  });

  it('keeps a proposal that is not yet active from calling', () => {
    const { set } = effectivePolicy(examples, runtime({ agents: [record('capacity-bot', 'in_review', proposal('capacity-bot', ['it-operations']))] }));
    expect(decide(compile(set), { ...LIST_INSTANCES, agent: 'capacity-bot' }).reason).toBe('WARDEN_AGENT_NOT_ACTIVE');
  });

  it('lets the manifest take over an agent the API proposed when it asks for no more (carrying it back to git), in the store state', () => {
    const manifest = agentOf(examples, 'itops-agent');
    const definition = { ...proposal('itops-agent', [...manifest.spec.roles, 'hr-onboarding']), spec: { ...proposal('itops-agent', [...manifest.spec.roles, 'hr-onboarding']).spec, owner: manifest.spec.owner.toUpperCase(), purpose: 'An old proposal under the same name' } };
    const { set, warnings } = effectivePolicy(examples, runtime({ agents: [record('itops-agent', 'suspended', definition)] }));
    expect(warnings).toEqual([]);
    expect(set.agents.filter((agent) => agent.metadata.name === 'itops-agent')).toHaveLength(1);
    const agent = agentOf(set, 'itops-agent');
    expect(agent.spec.purpose).toBe(manifest.spec.purpose);
    expect(agent.spec.roles).toEqual(['it-operations']);
    expect(agent.spec.state).toBe('suspended');
  });

  it('keeps an API-proposed agent when a later manifest under its name asks for more, and leaves the manifest out', () => {
    // A name registered early must not inherit the roles (or owner) a later manifest gives it.
    const definition = proposal('itops-agent', ['hr-onboarding'], 'active');
    const { set, warnings } = effectivePolicy(examples, runtime({ agents: [record('itops-agent', 'active', definition)] }));
    expect(set.agents.filter((agent) => agent.metadata.name === 'itops-agent')).toHaveLength(1);
    expect(agentOf(set, 'itops-agent').spec).toMatchObject({ owner: 'priya.nair@example.com', roles: ['hr-onboarding'] });
    expect(warnings).toEqual([`the manifest of agent itops-agent is left out: the name belongs to an agent proposed through the admin API by ${STAFF} with other owner or roles; rename one of them`]);
    expect(() => compile(set)).not.toThrow();
  });

  it('ignores the record of a manifest agent the manifests no longer define', () => {
    const { set, warnings } = effectivePolicy(examples, runtime({ agents: [record('retired-bot', 'active')] }));
    expect(warnings).toEqual([]);
    expect(set.agents.map((agent) => agent.metadata.name)).not.toContain('retired-bot');
  });

  it('leaves out, with a warning, a role the manifests no longer define', () => {
    const { set, warnings } = effectivePolicy(examples, runtime({ agents: [record('capacity-bot', 'active', proposal('capacity-bot', ['it-operations', 'gone-role']))] }));
    expect(agentOf(set, 'capacity-bot').spec.roles).toEqual(['it-operations']);
    expect(warnings).toEqual(['agent capacity-bot names role gone-role, which the manifests no longer define; it is left out']);
    expect(() => compile(set)).not.toThrow();
  });
});

describe('effectivePolicy: runtime credentials', () => {
  it('adds a key issued through the API to its agent', () => {
    const { set, warnings } = effectivePolicy(examples, runtime({ keys: [key('key_runtime0001', 'finance-analyst')] }));
    expect(warnings).toEqual([]);
    expect(agentOf(set, 'finance-analyst').spec.credentials).toEqual([...agentOf(examples, 'finance-analyst').spec.credentials, { type: 'apiKey', id: 'key_runtime0001' }]);
    expect(compile(set).credentials.apiKeys.get('key_runtime0001')).toBe('finance-analyst');
  });

  it('adds keys to an agent proposed through the API', () => {
    const { set } = effectivePolicy(examples, runtime({ agents: [record('capacity-bot', 'active', proposal('capacity-bot', ['it-operations']))], keys: [key('key_capacity001', 'capacity-bot')] }));
    expect(compile(set).credentials.apiKeys.get('key_capacity001')).toBe('capacity-bot');
  });

  it('ignores keys without an agent (the manifests bind those)', () => {
    const { set, warnings } = effectivePolicy(examples, runtime({ keys: [key('key_supportbot01', undefined), key('key_loose00001', undefined)] }));
    expect(warnings).toEqual([]);
    expect(set.agents).toEqual(examples.agents);
  });

  it('does not repeat a key the agent\'s manifest binds already, and says nothing about it', () => {
    const { set, warnings } = effectivePolicy(examples, runtime({ keys: [key('key_itopsagent01', 'itops-agent')] }));
    expect(warnings).toEqual([]);
    expect(agentOf(set, 'itops-agent').spec.credentials).toEqual([{ type: 'apiKey', id: 'key_itopsagent01' }]);
  });

  it('leaves out, with a warning, a key the manifests bind to another agent', () => {
    const { set, warnings } = effectivePolicy(examples, runtime({ keys: [key('key_supportbot01', 'itops-agent')] }));
    expect(warnings).toEqual(['key key_supportbot01 is bound to support-bot already; its binding to itops-agent is ignored']);
    expect(agentOf(set, 'itops-agent').spec.credentials).toEqual(agentOf(examples, 'itops-agent').spec.credentials);
    expect(compile(set).credentials.apiKeys.get('key_supportbot01')).toBe('support-bot');
  });

  it('adds JWT and mTLS identities bound through the API', () => {
    const jwt = { type: 'jwt' as const, issuer: 'https://login.example.com/', subject: 'itops-svc' };
    const mtls = { type: 'mtls' as const, spiffeId: 'spiffe://example.com/agents/itops' };
    const fingerprint = { type: 'mtls' as const, fingerprint: `sha256:${'b'.repeat(64)}` };
    const { set, warnings } = effectivePolicy(examples, runtime({ bindings: [binding('bd_1', 'itops-agent', jwt), binding('bd_2', 'itops-agent', mtls), binding('bd_3', 'itops-agent', fingerprint)] }));
    expect(warnings).toEqual([]);
    expect(agentOf(set, 'itops-agent').spec.credentials).toEqual([{ type: 'apiKey', id: 'key_itopsagent01' }, jwt, mtls, fingerprint]);
    const credentials = compile(set).credentials;
    expect(credentials.jwtSubjects.get(jwtSubjectKey(jwt.issuer, jwt.subject))).toBe('itops-agent');
    expect(credentials.certificates.get(mtls.spiffeId)).toBe('itops-agent');
    expect(credentials.certificates.get(fingerprint.fingerprint)).toBe('itops-agent');
  });

  it('leaves out, with a warning, an identity the manifests bind to another agent', () => {
    const financeJwt = { type: 'jwt' as const, issuer: 'https://login.example.com/', subject: 'finance-analyst-svc' };
    const onboardingCertificate = { type: 'mtls' as const, spiffeId: 'spiffe://example.com/agents/onboarding-assistant' };
    const { set, warnings } = effectivePolicy(examples, runtime({ bindings: [binding('bd_jwt', 'itops-agent', financeJwt), binding('bd_cert', 'itops-agent', onboardingCertificate)] }));
    expect(warnings).toEqual([
      'binding bd_jwt is bound to finance-analyst already; its binding to itops-agent is ignored',
      'binding bd_cert is bound to onboarding-assistant already; its binding to itops-agent is ignored',
    ]);
    expect(agentOf(set, 'itops-agent').spec.credentials).toEqual(agentOf(examples, 'itops-agent').spec.credentials);
    const credentials = compile(set).credentials;
    expect(credentials.jwtSubjects.get(jwtSubjectKey(financeJwt.issuer, financeJwt.subject))).toBe('finance-analyst');
    expect(credentials.certificates.get(onboardingCertificate.spiffeId)).toBe('onboarding-assistant');
  });

  it('keeps the first of two runtime bindings of one identity and warns about the second, so compile never fails', () => {
    const jwt = { type: 'jwt' as const, issuer: 'https://login.example.com/', subject: 'shared-svc' };
    const { set, warnings } = effectivePolicy(examples, runtime({ bindings: [binding('bd_a', 'itops-agent', jwt), binding('bd_b', 'support-bot', jwt)] }));
    expect(warnings).toEqual(['binding bd_b is bound to itops-agent already; its binding to support-bot is ignored']);
    expect(agentOf(set, 'support-bot').spec.credentials).toEqual(agentOf(examples, 'support-bot').spec.credentials);
    const credentials = compile(set).credentials;
    expect(credentials.jwtSubjects.get(jwtSubjectKey(jwt.issuer, jwt.subject))).toBe('itops-agent');
  });
});

describe('effectivePolicy: runtime rules', () => {
  it('puts an agent\'s runtime rules in one role named ~runtime/<agent> that only this agent holds', () => {
    const rules = [grant('rt_hr01', 'itops-agent', { api: 'hr', operations: ['getEmployee'] }), forbid('rt_no_restart', 'itops-agent', { api: 'it-ops', operations: ['restartInstance'], reason: 'revoked in review' })];
    const { set, warnings } = effectivePolicy(examples, runtime({ rules }));
    expect(warnings).toEqual([]);
    expect(runtimeRoleName('itops-agent')).toBe('~runtime/itops-agent');
    const role = set.roles.find((candidate) => candidate.metadata.name === '~runtime/itops-agent');
    expect(role?.spec.grants).toEqual([{ api: 'hr', operations: ['getEmployee'], stepUp: false, id: 'rt_hr01' }]);
    expect(role?.spec.forbid).toEqual([{ api: 'it-ops', operations: ['restartInstance'], reason: 'revoked in review', id: 'rt_no_restart' }]);
    expect(set.roles).toHaveLength(examples.roles.length + 1);
    expect(agentOf(set, 'itops-agent').spec.roles).toEqual(['it-operations', '~runtime/itops-agent']);
    for (const agent of set.agents.filter((candidate) => candidate.metadata.name !== 'itops-agent')) expect(agent.spec.roles).not.toContain('~runtime/itops-agent');
  });

  it('allows exactly the granted operation, to exactly that agent, by the runtime rule', () => {
    const before = compile(examples);
    expect(decide(before, READ_EMPLOYEE).reason).toBe('WARDEN_AUTHZ_NOT_GRANTED');

    const { set } = effectivePolicy(examples, runtime({ rules: [grant('rt_hr01', 'itops-agent', { api: 'hr', operations: ['getEmployee'] })] }));
    const snapshot = compile(set);
    const allowed = decide(snapshot, READ_EMPLOYEE);
    expect(allowed.allowed).toBe(true);
    expect(allowed.matched).toEqual({ role: '~runtime/itops-agent', kind: 'grant', index: 0, id: 'rt_hr01' });
    // Nothing next to it on the same API, and nothing for another agent.
    expect(decide(snapshot, READ_CHECKLIST)).toMatchObject({ allowed: false, reason: 'WARDEN_AUTHZ_NOT_GRANTED' });
    expect(decide(snapshot, { ...READ_EMPLOYEE, method: 'POST', path: '/hr/employees' }).allowed).toBe(false);
    expect(decide(snapshot, { ...READ_EMPLOYEE, agent: 'finance-analyst' })).toMatchObject({ allowed: false });
    // What the manifests granted still holds.
    expect(decide(snapshot, LIST_INSTANCES).allowed).toBe(true);
  });

  it('lets a runtime forbid win over a manifest role\'s grant', () => {
    expect(decide(compile(examples), RESTART)).toMatchObject({ allowed: true, matched: { role: 'it-operations', id: 'restart' } });
    const { set } = effectivePolicy(examples, runtime({ rules: [forbid('rt_no_restart', 'itops-agent', { api: 'it-ops', operations: ['restartInstance'], reason: 'revoked in an access review' })] }));
    const snapshot = compile(set);
    const decision = decide(snapshot, RESTART);
    expect(decision).toMatchObject({ allowed: false, reason: 'WARDEN_AUTHZ_FORBIDDEN', matched: { role: '~runtime/itops-agent', kind: 'forbid', id: 'rt_no_restart' } });
    expect(decision.message).toContain('revoked in an access review');
    expect(decide(snapshot, LIST_INSTANCES).allowed).toBe(true);
  });

  it('lets a manifest forbid win over a runtime grant', () => {
    // customer-service forbids all of hr: a runtime grant cannot open it.
    const { set } = effectivePolicy(examples, runtime({ rules: [grant('rt_hr02', 'support-bot', { api: 'hr', operations: ['getEmployee'] })] }));
    const decision = decide(compile(set), { agent: 'support-bot', method: 'GET', path: '/hr/employees/e-7', region: 'eu', time: NOW });
    expect(decision).toMatchObject({ allowed: false, reason: 'WARDEN_AUTHZ_FORBIDDEN', matched: { role: 'customer-service', kind: 'forbid' } });
  });

  it('ends a time-boxed runtime grant at its expiry', () => {
    const { set } = effectivePolicy(examples, runtime({ rules: [grant('rt_hr03', 'itops-agent', { api: 'hr', operations: ['getEmployee'], expires: '2025-05-02T12:00:00Z' })] }));
    const snapshot = compile(set);
    expect(decide(snapshot, READ_EMPLOYEE).allowed).toBe(true);
    expect(decide(snapshot, { ...READ_EMPLOYEE, time: Date.parse('2025-05-02T12:00:00Z') })).toMatchObject({ allowed: false, reason: 'WARDEN_AUTHZ_GRANT_EXPIRED' });
  });

  it('gives each agent its own runtime role', () => {
    const { set } = effectivePolicy(examples, runtime({
      rules: [grant('rt_a', 'itops-agent', { api: 'hr', operations: ['getEmployee'] }), grant('rt_b', 'finance-analyst', { api: 'it-ops', operations: ['listInstances'] })],
    }));
    const snapshot = compile(set);
    expect(agentOf(set, 'finance-analyst').spec.roles).toEqual(['financial-analyst', '~runtime/finance-analyst']);
    expect(decide(snapshot, { ...LIST_INSTANCES, agent: 'finance-analyst' }).matched).toMatchObject({ role: '~runtime/finance-analyst', id: 'rt_b' });
    expect(decide(snapshot, { ...READ_EMPLOYEE, agent: 'finance-analyst' }).allowed).toBe(false);
    expect(decide(snapshot, READ_EMPLOYEE).matched).toMatchObject({ role: '~runtime/itops-agent', id: 'rt_a' });
  });

  it('gives an agent proposed through the API its runtime rules', () => {
    const { set } = effectivePolicy(examples, runtime({
      agents: [record('capacity-bot', 'active', proposal('capacity-bot', ['it-operations']))],
      rules: [grant('rt_c', 'capacity-bot', { api: 'hr', operations: ['getEmployee'] })],
    }));
    expect(agentOf(set, 'capacity-bot').spec.roles).toEqual(['it-operations', '~runtime/capacity-bot']);
    expect(decide(compile(set), { ...READ_EMPLOYEE, agent: 'capacity-bot' }).allowed).toBe(true);
  });

  it('leaves out the runtime role of an agent that no longer exists', () => {
    const { set, warnings } = effectivePolicy(examples, runtime({ rules: [grant('rt_ghost', 'ghost-bot', { api: 'hr', operations: ['getEmployee'] })] }));
    expect(warnings).toEqual([]);
    expect(set.roles).toEqual(examples.roles);
  });

  it('leaves out, with a warning, a rule on an API the manifests no longer declare', () => {
    const { set, warnings } = effectivePolicy(examples, runtime({ rules: [grant('rt_gone', 'itops-agent', { api: 'billing', operations: ['getInvoice'] })] }));
    expect(warnings).toEqual(['runtime grant rt_gone of itops-agent names API billing, which the manifests no longer declare; it is left out']);
    expect(set.roles).toEqual(examples.roles);
    expect(agentOf(set, 'itops-agent').spec.roles).toEqual(['it-operations']);
    expect(() => compile(set)).not.toThrow();
  });

  it('leaves out, with a warning, a rule on an operation the API no longer declares, keeping the agent\'s other runtime rules', () => {
    const { set, warnings } = effectivePolicy(examples, runtime({
      rules: [
        grant('rt_ok', 'itops-agent', { api: 'hr', operations: ['getEmployee'] }),
        grant('rt_op_gone', 'itops-agent', { api: 'hr', operations: ['getEmployee', 'fireEmployee'] }),
        forbid('rt_glob_gone', 'itops-agent', { api: 'it-ops', operations: ['DELETE /storage/**'] }),
      ],
    }));
    expect(warnings).toEqual([
      'runtime grant rt_op_gone of itops-agent names hr operations that the manifests no longer declare; it is left out',
      'runtime forbid rt_glob_gone of itops-agent covers no operation the manifests still declare; it is left out',
    ]);
    const role = set.roles.find((candidate) => candidate.metadata.name === '~runtime/itops-agent');
    expect(role?.spec.grants.map((rule) => rule.id)).toEqual(['rt_ok']);
    expect(role?.spec.forbid).toEqual([]);
    expect(decide(compile(set), READ_EMPLOYEE).allowed).toBe(true);
  });

  it('narrows a runtime forbid to the operations still declared instead of dropping it (fail closed)', () => {
    const { set, warnings } = effectivePolicy(examples, runtime({ rules: [grant('rt_read', 'itops-agent', { api: 'hr', operations: ['getEmployee'] }), forbid('rt_mixed', 'itops-agent', { api: 'hr', operations: ['getEmployee', 'fireEmployee'] })] }));
    expect(warnings).toEqual(['runtime forbid rt_mixed of itops-agent keeps only getEmployee: the others are no longer declared']);
    expect(decide(compile(set), READ_EMPLOYEE)).toMatchObject({ allowed: false, reason: 'WARDEN_AUTHZ_FORBIDDEN' });
  });

  it('accepts selectors that still match: "*" and method+path globs', () => {
    const { set, warnings } = effectivePolicy(examples, runtime({ rules: [grant('rt_glob', 'itops-agent', { api: 'hr', operations: ['GET /onboarding/**'] }), forbid('rt_all', 'itops-agent', { api: 'payments', operations: ['*'] })] }));
    expect(warnings).toEqual([]);
    const snapshot = compile(set);
    expect(decide(snapshot, READ_CHECKLIST).allowed).toBe(true);
    expect(decide(snapshot, READ_EMPLOYEE).allowed).toBe(false);
  });

  it('leaves out a runtime rule whose parameter constraint no longer fits the operation, never breaking compile()', () => {
    // A payout grant limited by amount, granted while payments declared amount as a number.
    const payouts = grant('rt_payouts', 'itops-agent', { api: 'payments', operations: ['createPayout'], params: { amount: { max: 500 } } });
    const payout: DecisionRequest = { agent: 'itops-agent', method: 'POST', path: '/payments/payouts', body: { amount: 100, account: 'DE00' }, time: NOW };
    const granted = effectivePolicy(examples, runtime({ rules: [payouts] }));
    expect(granted.warnings).toEqual([]);
    expect(decide(compile(granted.set), payout).allowed).toBe(true);

    // Then a new version of the Api declares amount as a decimal string; the manifests themselves compile.
    const changed = structuredClone({ apis: examples.apis, roles: examples.roles, agents: examples.agents, templates: examples.templates }) as ManifestSet;
    const payments = changed.apis.find((api) => api.metadata.name === 'payments')!;
    const amount = payments.spec.operations.find((operation) => operation.id === 'createPayout')!.parameters.find((parameter) => parameter.name === 'amount')!;
    (amount as { type: string }).type = 'string';
    expect(() => compile(changed)).not.toThrow();

    let result: ReturnType<typeof effectivePolicy> | undefined;
    expect(() => {
      result = effectivePolicy(changed, runtime({ rules: [payouts, grant('rt_hr01', 'itops-agent', { api: 'hr', operations: ['getEmployee'] })] }));
      compile(result.set);
    }).not.toThrow();
    expect(result!.warnings.some((warning) => warning.includes('rt_payouts'))).toBe(true);
    const snapshot = compile(result!.set);
    expect(decide(snapshot, READ_EMPLOYEE).allowed).toBe(true);
    expect(decide(snapshot, { ...payout, body: { amount: '100', account: 'DE00' } }).allowed).toBe(false);
  });
});
