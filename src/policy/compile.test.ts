import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ManifestSet } from '../model/manifests/index.js';
import { compile } from './compile.js';
import type { Containment } from './containment.js';
import { decide, type DecisionRequest } from './decide.js';
import { loadManifests } from './load/load-manifests.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
const time = Date.parse('2026-11-23T10:00:00Z');
const requests: DecisionRequest[] = [
  { agent: 'support-bot', method: 'GET', path: '/crm/customers/C-1', context: { customer: 'C-1' }, region: 'eu', time },
  { agent: 'support-bot', method: 'GET', path: '/hr/employees/E-1', region: 'eu', time },
  { agent: 'hybrid-assistant', method: 'GET', path: '/finance/transactions', query: { from: '2026-11-01' }, time },
  { agent: 'support-supervisor-bot', method: 'POST', path: '/payments/refunds', body: { orderId: 'O-1', amount: 2000, currency: 'EUR' }, time },
  { agent: 'finance-analyst', method: 'GET', path: '/warehouse/orders', query: { since: '2026-11-01' }, time },
];

function reversed(set: ManifestSet): ManifestSet {
  return { apis: [...set.apis].reverse(), roles: [...set.roles].reverse(), agents: [...set.agents].reverse(), templates: [...(set.templates ?? [])].reverse(), playbooks: [...(set.playbooks ?? [])].reverse(), dataPolicies: [...(set.dataPolicies ?? [])].reverse() };
}

describe('compile', () => {
  let set: ManifestSet;
  beforeAll(async () => {
    const loaded = await loadManifests(examples);
    expect(loaded.problems).toEqual([]);
    set = loaded.set;
  });

  it('versions by content: the same manifests in another order give the same version and decisions', () => {
    const a = compile(set);
    const b = compile(reversed(set));
    expect(b.version).toBe(a.version);
    expect(a.version).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const request of requests) expect(decide(b, request)).toEqual(decide(a, request));
  });

  it('gives a new version when any policy content changes', () => {
    const changed: ManifestSet = {
      ...set,
      agents: set.agents.map((agent) => (agent.metadata.name === 'support-bot' ? { ...agent, spec: { ...agent.spec, state: 'suspended' as const } } : agent)),
    };
    expect(compile(changed).version).not.toBe(compile(set).version);
  });

  it('produces a snapshot whose records cannot be edited in place', () => {
    const snapshot = compile(set);
    const agent = snapshot.agents.get('support-bot')!;
    expect(() => {
      (agent as { state: string }).state = 'active';
    }).toThrow(TypeError);
    const allowed = decide(snapshot, requests[0]!);
    expect(allowed.allowed).toBe(true);
    expect(() => {
      (allowed as { allowed: boolean }).allowed = false;
    }).toThrow(TypeError);
    expect(Object.isFrozen(snapshot.operations[0])).toBe(true);
  });

  it('is unaffected by later edits to the manifests it was compiled from', () => {
    const copy = structuredClone({ apis: set.apis, roles: set.roles, agents: set.agents }) as ManifestSet;
    const snapshot = compile(copy);
    (copy.agents.find((agent) => agent.metadata.name === 'support-bot')!.spec as { state: string }).state = 'suspended';
    expect(decide(snapshot, requests[0]!).allowed).toBe(true);
  });
});

describe('compile: time-boxed grants, testing agents and templates', () => {
  let set: ManifestSet;
  beforeAll(async () => {
    set = (await loadManifests(examples)).set;
  });

  /** The examples with one more role, granted to support-bot, whose only grant ends at `expires`. */
  function withTemporaryGrant(expires: string): ManifestSet {
    const role = {
      apiVersion: 'warden.dev/v1' as const,
      kind: 'Role' as const,
      metadata: { name: 'temporary-hr' },
      spec: { grants: [{ api: 'hr', operations: ['getOnboardingChecklist'], stepUp: false, expires }], forbid: [] },
    };
    return {
      ...set,
      roles: [...set.roles, role],
      agents: set.agents.map((agent) => (agent.metadata.name === 'itops-agent' ? { ...agent, spec: { ...agent.spec, roles: [...agent.spec.roles, 'temporary-hr'] } } : agent)),
    };
  }

  it('allows a time-boxed grant until it ends, then denies with WARDEN_AUTHZ_GRANT_EXPIRED', () => {
    const snapshot = compile(withTemporaryGrant('2026-11-23T10:00:00Z'));
    const request = { agent: 'itops-agent', method: 'GET', path: '/hr/onboarding/E-7/checklist', time: time - 1 };
    expect(decide(snapshot, request)).toMatchObject({ allowed: true, matched: { role: 'temporary-hr' } });
    expect(decide(snapshot, { ...request, time })).toMatchObject({ allowed: false, reason: 'WARDEN_AUTHZ_GRANT_EXPIRED' });
  });

  it('decides for an agent in acceptance testing as for an active one', () => {
    const testing: ManifestSet = { ...set, agents: set.agents.map((agent) => (agent.metadata.name === 'support-bot' ? { ...agent, spec: { ...agent.spec, state: 'testing' as const } } : agent)) };
    expect(decide(compile(testing), requests[0]!).allowed).toBe(true);
  });

  it('versions templates with the policy', () => {
    const template = { apiVersion: 'warden.dev/v1' as const, kind: 'AgentTemplate' as const, metadata: { name: 'standard-support-bot' }, spec: { roles: ['customer-service'], preApproved: true } };
    const withTemplate = compile({ ...set, templates: [template] });
    expect(withTemplate.version).not.toBe(compile(set).version);
    expect(compile({ ...set, templates: [{ ...template, spec: { ...template.spec, preApproved: false } }] }).version).not.toBe(withTemplate.version);
  });
});

describe('compile: playbooks and containments', () => {
  let set: ManifestSet;
  beforeAll(async () => {
    set = (await loadManifests(examples)).set;
  });
  const now = new Date(time);
  const throttle = (id: string, agent: string, rate: string, untilMs: number): Containment => ({ id, agent, kind: 'throttle', rate, until: time + untilMs });
  const stepUp = (id: string, agent: string, untilMs: number): Containment => ({ id, agent, kind: 'step-up', rate: undefined, until: time + untilMs });

  it('versions playbooks with the policy', () => {
    const without = compile({ ...set, playbooks: [] });
    expect(compile(set).version).not.toBe(without.version);
    const playbook = set.playbooks![0]!;
    const edited = { ...playbook, spec: { ...playbook.spec, rules: playbook.spec.rules.slice(1) } };
    expect(compile({ ...set, playbooks: [edited] }).version).not.toBe(compile(set).version);
  });

  it('gives a contained agent its throttles and step-up, each with its end, and every other agent none', () => {
    const snapshot = compile(set, { now, containments: [throttle('cnt_b', 'support-bot', '10/minute', 3_600_000), stepUp('cnt_c', 'support-bot', 60_000), stepUp('cnt_d', 'support-bot', 120_000), throttle('cnt_a', 'support-bot', '1/s', 60_000)] });
    expect(snapshot.agents.get('support-bot')!.containment).toEqual({
      throttles: [
        { bucket: 'containment/cnt_a', rate: expect.objectContaining({ limit: 1, periodMs: 1000, emissionMs: 1000, failClosed: false }), until: time + 60_000 },
        { bucket: 'containment/cnt_b', rate: expect.objectContaining({ limit: 10, periodMs: 60_000, emissionMs: 6000 }), until: time + 3_600_000 },
      ],
      stepUpUntil: time + 120_000,
    });
    expect(Object.isFrozen(snapshot.agents.get('support-bot')!.containment)).toBe(true);
    expect(snapshot.agents.get('finance-analyst')!.containment).toBeUndefined();
    expect(compile(set, { now }).agents.get('support-bot')!.containment).toBeUndefined();
  });

  it('versions the containments in force, in any order, and leaves out lapsed ones and those of unknown agents', () => {
    const plain = compile(set, { now }).version;
    const a = throttle('cnt_a', 'support-bot', '10/minute', 60_000);
    const b = stepUp('cnt_b', 'finance-analyst', 60_000);
    const contained = compile(set, { now, containments: [a, b] }).version;
    expect(contained).not.toBe(plain);
    expect(compile(set, { now, containments: [b, a] }).version).toBe(contained);
    expect(compile(set, { now, containments: [a, b, stepUp('cnt_lapsed', 'support-bot', 0), stepUp('cnt_gone', 'no-such-bot', 60_000)] }).version).toBe(contained);
    expect(compile(set, { now, containments: [stepUp('cnt_lapsed', 'support-bot', 0)] }).version).toBe(plain);
    expect(compile(set, { now, containments: [{ ...a, until: a.until + 1 }, b] }).version).not.toBe(contained);
  });

  it('refuses a throttle whose rate does not parse', () => {
    expect(() => compile(set, { now, containments: [throttle('cnt_x', 'support-bot', 'fast', 60_000)] })).toThrow('containment cnt_x of agent support-bot: "fast" is not a rate');
  });
});

describe('compile: learning undeclared paths (discovery: learn)', () => {
  let set: ManifestSet;
  beforeAll(async () => {
    set = (await loadManifests(examples)).set;
  });

  /** The examples with `discovery: learn` on the named APIs, plus any extra APIs. */
  function learning(names: readonly string[], extra: ManifestSet['apis'] = []): ManifestSet {
    return { ...set, apis: [...set.apis.map((api) => (names.includes(api.metadata.name) ? { ...api, spec: { ...api.spec, discovery: 'learn' as const } } : api)), ...extra] };
  }

  /** An API without operations at `basePath` that learns. */
  function learner(name: string, basePath: string): ManifestSet['apis'][number] {
    const crm = set.apis.find((api) => api.metadata.name === 'crm')!;
    return { ...crm, metadata: { name }, spec: { ...crm.spec, basePath, operations: [], discovery: 'learn' } };
  }

  it('compiles the flag: off unless the manifest says learn, and a change of policy', () => {
    // The examples: only the legacy warehouse learns.
    const off = compile(set);
    const on = compile(learning(['crm']));
    expect([...off.apis.values()].filter((api) => api.learn).map((api) => api.name)).toEqual(['legacy-warehouse']);
    expect(off.apis.get('crm')!.learn).toBe(false);
    expect(on.apis.get('crm')!.learn).toBe(true);
    expect(on.apis.get('hr')!.learn).toBe(false);
    expect(on.version).not.toBe(off.version);
    // An explicit off learns nothing either.
    expect(compile({ ...set, apis: set.apis.map((api) => ({ ...api, spec: { ...api.spec, discovery: 'off' as const } })) }).apis.get('crm')!.learn).toBe(false);
  });

  it('finds the learning API by the longest base path on a segment boundary', () => {
    const snapshot = compile(learning(['crm', 'hr']));
    expect(snapshot.learningApi('/crm')?.name).toBe('crm');
    expect(snapshot.learningApi('/crm/customers/C-1/orders')?.name).toBe('crm');
    expect(snapshot.learningApi('/hr/x')?.name).toBe('hr');
    expect(snapshot.learningApi('/crmx')).toBeUndefined();
    expect(snapshot.learningApi('/payments/refunds')).toBeUndefined();
    expect(snapshot.learningApi('/')).toBeUndefined();

    const nested = compile(learning(['crm'], [learner('edge', '/'), learner('crm-admin', '/crm/admin')]));
    expect(nested.learningApi('/crm/admin/users')?.name).toBe('crm-admin');
    expect(nested.learningApi('/crm/adminx')?.name).toBe('crm');
    expect(nested.learningApi('/crm')?.name).toBe('crm');
    expect(nested.learningApi('/crmx')?.name).toBe('edge');
    expect(nested.learningApi('/payments/refunds')?.name).toBe('edge');
    expect(nested.learningApi('/')?.name).toBe('edge');
  });

  it('refuses two learning APIs on one base path', () => {
    expect(() => compile(learning(['crm'], [learner('crm-shadow', '/crm')]))).toThrow(/crm.*crm-shadow.*both learn under \/crm/);
  });
});
