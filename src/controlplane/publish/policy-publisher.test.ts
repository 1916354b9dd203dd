import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AgentManifest, ManifestSet } from '../../model/manifests/index.js';
import { decide, type DecisionRequest } from '../../policy/decide.js';
import { loadManifests } from '../../policy/load/load-manifests.js';
import { applyManifests } from '../manifests/apply-manifests.js';
import type { GovernanceStore, RuntimeRule } from '../store/governance-store.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { PolicyPublisher, type PublishedPolicy } from './policy-publisher.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));
const T1 = new Date('2025-06-01T09:00:00.000Z');
const T2 = new Date('2025-06-02T09:00:00.000Z');
const NOW = new Date('2025-06-03T10:00:00.000Z');
const APPLIER = 'alice.martin@example.com';
const STAFF = 'sam.security@example.com';

const LIST_INSTANCES: DecisionRequest = { agent: 'itops-agent', method: 'GET', path: '/itops/compute/instances', time: NOW.getTime() };
const READ_EMPLOYEE: DecisionRequest = { agent: 'itops-agent', method: 'GET', path: '/hr/employees/e-7', time: NOW.getTime() };

let examples: ManifestSet;
let directory: string;
let store: Store;

beforeAll(async () => {
  const loaded = await loadManifests(EXAMPLES);
  expect(loaded.problems).toEqual([]);
  examples = loaded.set;
});

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'warden-publisher-'));
  store = await openSqliteStore(path.join(directory, 'warden.db'));
});

afterEach(async () => {
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

/** A publisher that remembers every hand-off and warning. */
function publisherOn(target: Store): { publisher: PolicyPublisher; published: PublishedPolicy[]; warnings: string[] } {
  const published: PublishedPolicy[] = [];
  const warnings: string[] = [];
  const publisher = new PolicyPublisher(target, { onPublish: (policy) => published.push(policy), onWarning: (warning) => warnings.push(warning), now: () => NOW });
  return { publisher, published, warnings };
}

/** The real store with some methods replaced; everything else goes to the store itself. */
function storeWith(overrides: Partial<Store>, governanceOverrides: Partial<GovernanceStore> = {}): Store {
  const governance = new Proxy(store.governance, {
    get(target, property, receiver) {
      if (Object.hasOwn(governanceOverrides, property)) return governanceOverrides[property as keyof GovernanceStore];
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Proxy(store, {
    get(target, property) {
      if (property === 'governance') return governance;
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Store];
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A latch a wrapped store method waits on, once. */
function latch() {
  let enter!: () => void;
  let release!: () => void;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return { entered, released, enter, release };
}

function grantRule(id: string, agent: string, api: string, operation: string): RuntimeRule {
  return { id, agent, kind: 'grant', rule: { api, operations: [operation], stepUp: false }, expiresAt: undefined, source: 'access-request', sourceId: undefined, createdAt: T1, createdBy: STAFF };
}

function capacityBot(): AgentManifest {
  return {
    apiVersion: 'warden.dev/v1',
    kind: 'Agent',
    metadata: { name: 'capacity-bot' },
    spec: { owner: 'jonas.berg@example.com', purpose: 'Plans compute capacity for the next quarter', roles: ['it-operations'], state: 'active', credentials: [] },
  };
}

describe('PolicyPublisher.publish', () => {
  it('publishes nothing before the first apply', async () => {
    const { publisher, published } = publisherOn(store);
    expect(await publisher.publish()).toBeUndefined();
    expect(published).toEqual([]);
    expect(publisher.current).toBeUndefined();
    expect(publisher.manifests).toBeUndefined();
    expect(await store.governance.listAgents()).toEqual([]);
  });

  it('builds the snapshot of the applied manifests and hands it down', async () => {
    const applied = await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const { publisher, published, warnings } = publisherOn(store);
    const policy = await publisher.publish();

    expect(policy).toBeDefined();
    expect(published).toEqual([policy]);
    expect(publisher.current).toBe(policy);
    expect(policy!.appliedVersion).toBe(applied.record.id);
    expect(policy!.warnings).toEqual([]);
    expect(warnings).toEqual([]);
    expect(policy!.keys).toEqual([]);
    expect(policy!.buildMs).toBeGreaterThanOrEqual(0);
    expect(policy!.snapshot.compiledAt).toBe(NOW.toISOString());
    // Without runtime changes the effective policy is the applied one, version and all.
    expect(policy!.snapshot.version).toBe(applied.record.version);
    expect([...policy!.snapshot.agents.keys()].sort()).toEqual(examples.agents.map((agent) => agent.metadata.name).sort());
    expect(decide(policy!.snapshot, LIST_INSTANCES).allowed).toBe(true);
    expect(publisher.manifests?.agents.map((agent) => agent.metadata.name).sort()).toEqual(examples.agents.map((agent) => agent.metadata.name).sort());
    expect(publisher.manifests?.templates?.map((template) => template.metadata.name).sort()).toEqual(examples.templates?.map((template) => template.metadata.name).sort());
  });

  it('gives every manifest agent a lifecycle record in its manifest state on the first build, once', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const { publisher } = publisherOn(store);
    await publisher.publish();

    const records = await store.governance.listAgents();
    expect(records.map((record) => [record.name, record.state]).sort()).toEqual(examples.agents.map((agent) => [agent.metadata.name, agent.spec.state]).sort());
    for (const record of records) {
      expect(record).toMatchObject({ source: 'manifest', definition: undefined, template: undefined, createdBy: APPLIER });
      expect(record.createdAt.getTime()).toBe(NOW.getTime());
    }
    expect(await store.governance.listTransitions('returns-bot')).toEqual([
      expect.objectContaining({ agent: 'returns-bot', from: undefined, to: 'proposed', action: 'create', actor: APPLIER, reason: 'first applied in a manifest' }),
    ]);

    await publisher.publish();
    await publisher.publish();
    expect(await store.governance.listAgents()).toHaveLength(examples.agents.length);
    expect(await store.governance.listTransitions('returns-bot')).toHaveLength(1);
  });

  it('hands down the store state: a suspension in the store denies the agent, a reinstatement lets it call again', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const { publisher } = publisherOn(store);
    await publisher.publish();

    expect(await store.governance.transitionAgent('itops-agent', 'active', { to: 'suspended', action: 'suspend', actor: STAFF, reason: 'incident', at: NOW })).toBe(true);
    const suspended = await publisher.publish();
    expect(suspended!.snapshot.agents.get('itops-agent')?.state).toBe('suspended');
    expect(decide(suspended!.snapshot, LIST_INSTANCES)).toMatchObject({ allowed: false, reason: 'WARDEN_AGENT_NOT_ACTIVE' });

    await store.governance.transitionAgent('itops-agent', 'suspended', { to: 'active', action: 'reinstate', actor: STAFF, reason: 'resolved', at: NOW });
    expect(decide((await publisher.publish())!.snapshot, LIST_INSTANCES).allowed).toBe(true);
  });

  it('hands down the containments in force: throttles and step-up of the agent, in the version, gone once lapsed or lifted', async () => {
    const applied = await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const { publisher } = publisherOn(store);
    const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
    const common = { agent: 'itops-agent', since: NOW.toISOString(), incident: 'inc_0000000000000001', by: 'playbook:default-response' };
    await store.detection.putContainment({ ...common, id: 'cnt_0000000000000001', kind: 'throttle', rate: '10/minute', until: at(3_600_000) });
    await store.detection.putContainment({ ...common, id: 'cnt_0000000000000002', kind: 'step-up', rate: undefined, until: at(86_400_000) });
    await store.detection.putContainment({ ...common, id: 'cnt_0000000000000003', kind: 'throttle', rate: '1/s', until: at(-1) });
    const contained = await publisher.publish();
    const agent = contained!.snapshot.agents.get('itops-agent')!;
    expect(agent.containment).toEqual({
      throttles: [{ bucket: 'containment/cnt_0000000000000001', rate: expect.objectContaining({ limit: 10, periodMs: 60_000 }), until: NOW.getTime() + 3_600_000 }],
      stepUpUntil: NOW.getTime() + 86_400_000,
    });
    expect(contained!.snapshot.agents.get('finance-analyst')!.containment).toBeUndefined();
    // The gateway decides differently, so the version says so; the decision itself is unchanged.
    expect(contained!.snapshot.version).not.toBe(applied.record.version);
    expect(decide(contained!.snapshot, LIST_INSTANCES)).toMatchObject({ allowed: true, policyVersion: contained!.snapshot.version });

    expect(await store.detection.liftContainments('itops-agent')).toBe(2);
    const lifted = await publisher.publish();
    expect(lifted!.snapshot.agents.get('itops-agent')!.containment).toBeUndefined();
    expect(lifted!.snapshot.version).toBe(applied.record.version);
  });

  it('holds a throttle whose rate cannot be read to one call a minute, and says so', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const { publisher, warnings } = publisherOn(store);
    const until = new Date(NOW.getTime() + 60_000).toISOString();
    await store.detection.putContainment({ id: 'cnt_00000000000000aa', agent: 'itops-agent', kind: 'throttle', rate: 'ten a minute', since: NOW.toISOString(), until, incident: undefined, by: STAFF });
    const policy = await publisher.publish();
    expect(policy!.snapshot.agents.get('itops-agent')!.containment!.throttles[0]!.rate).toMatchObject({ limit: 1, periodMs: 60_000 });
    expect(warnings).toEqual([`containment cnt_00000000000000aa of itops-agent has no readable rate ("ten a minute"); the agent is held to 1/minute until ${until}`]);
  });

  it('joins keys issued through the API to their agent and hands the keys down', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const { publisher } = publisherOn(store);
    const key = { id: 'key_runtime0001', digest: 'c'.repeat(64), createdAt: T1, expiresAt: new Date('2026-01-01T00:00:00.000Z'), revokedAt: undefined, agent: 'finance-analyst', createdBy: STAFF };
    await store.putApiKey(key);
    const policy = await publisher.publish();
    expect(policy!.keys.map((record) => record.id)).toEqual(['key_runtime0001']);
    expect(policy!.snapshot.credentials.apiKeys.get('key_runtime0001')).toBe('finance-analyst');
  });

  it('puts runtime rules in force and takes them out again', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const { publisher } = publisherOn(store);
    expect(decide((await publisher.publish())!.snapshot, READ_EMPLOYEE).allowed).toBe(false);

    await store.governance.addRule(grantRule('rt_hr01', 'itops-agent', 'hr', 'getEmployee'));
    const granted = await publisher.publish();
    expect(decide(granted!.snapshot, READ_EMPLOYEE)).toMatchObject({ allowed: true, matched: { role: '~runtime/itops-agent', id: 'rt_hr01' } });

    await store.governance.removeRule('rt_hr01');
    expect(decide((await publisher.publish())!.snapshot, READ_EMPLOYEE).allowed).toBe(false);
  });

  it('reports what it had to leave out, and publishes the rest', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const { publisher, warnings } = publisherOn(store);
    await store.governance.addRule(grantRule('rt_gone', 'itops-agent', 'billing', 'getInvoice'));
    const policy = await publisher.publish();
    const expected = 'runtime grant rt_gone of itops-agent names API billing, which the manifests no longer declare; it is left out';
    expect(policy!.warnings).toEqual([expected]);
    expect(warnings).toEqual([expected]);
    expect(decide(policy!.snapshot, LIST_INSTANCES).allowed).toBe(true);
    // The next build still carries it, but the log is told once.
    await store.governance.addRule(grantRule('rt_gone2', 'itops-agent', 'billing', 'getInvoice'));
    expect((await publisher.publish())!.warnings).toContain(expected);
    expect(warnings).toEqual([expected, expected.replace('rt_gone', 'rt_gone2')]);
  });

  it('lets calls made before a build starts share that build', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const { publisher, published } = publisherOn(store);
    const first = publisher.publish();
    const second = publisher.publish();
    expect(second).toBe(first);
    expect(await first).toBe(await second);
    expect(published).toHaveLength(1);
  });

  it('runs one build at a time: calls during a build share the single build that follows it, which sees what changed', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const hold = latch();
    let holding = true;
    let builds = 0;
    const gated = storeWith({}, {
      // Reads the rules, then waits: the build in progress has read what it will publish.
      listRules: async (agent?: string) => {
        builds++;
        const rules = await store.governance.listRules(agent);
        if (holding) {
          holding = false;
          hold.enter();
          await hold.released;
        }
        return rules;
      },
    });
    const { publisher, published } = publisherOn(gated);

    const first = publisher.publish();
    await hold.entered;
    await store.governance.addRule(grantRule('rt_hr01', 'itops-agent', 'hr', 'getEmployee'));
    const second = publisher.publish();
    const third = publisher.publish();
    const fourth = publisher.publish();
    expect(second).not.toBe(first);
    expect(third).toBe(second);
    expect(fourth).toBe(second);
    hold.release();

    const [a, b, c, d] = await Promise.all([first, second, third, fourth]);
    expect(builds).toBe(2);
    expect(published).toEqual([a, b]);
    expect(c).toBe(b);
    expect(d).toBe(b);
    expect(decide(a!.snapshot, READ_EMPLOYEE).allowed).toBe(false);
    expect(decide(b!.snapshot, READ_EMPLOYEE).allowed).toBe(true);
    expect(publisher.current).toBe(b);
  });

  it('never lets a failed build stop the next one', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const hold = latch();
    let failing = true;
    const gated = storeWith({}, {
      listRules: async (agent?: string) => {
        if (failing) {
          failing = false;
          hold.enter();
          await hold.released;
          throw new Error('database is locked');
        }
        return store.governance.listRules(agent);
      },
    });
    const { publisher, published } = publisherOn(gated);

    const first = publisher.publish();
    const firstOutcome = first.then(() => 'resolved', (error: Error) => error.message);
    await hold.entered;
    const second = publisher.publish();
    hold.release();

    expect(await firstOutcome).toBe('database is locked');
    const policy = await second;
    expect(policy).toBeDefined();
    expect(published).toEqual([policy]);
    expect(publisher.current).toBe(policy);
    expect(await publisher.publish()).toBeDefined();
  });

  it('retries a failed build on its own until the change is in force', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    let failures = 2;
    const gated = storeWith({}, {
      listBindings: async (agent?: string) => {
        if (failures > 0) {
          failures--;
          throw new Error('disk I/O error');
        }
        return store.governance.listBindings(agent);
      },
    });
    const { publisher, published } = publisherOn(gated);
    try {
      await expect(publisher.publish()).rejects.toThrow('disk I/O error');
      // Nobody calls publish() again: the retries (one a second) must get the policy down.
      const deadline = Date.now() + 5000;
      while (published.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(published).toHaveLength(1);
      expect(failures).toBe(0);
    } finally {
      publisher.stop();
    }
  });

  it('keeps the last policy handed down when a build fails', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    let failing = false;
    const gated = storeWith({}, {
      listBindings: async (agent?: string) => {
        if (failing) throw new Error('disk I/O error');
        return store.governance.listBindings(agent);
      },
    });
    const { publisher, published } = publisherOn(gated);
    const good = await publisher.publish();
    failing = true;
    await expect(publisher.publish()).rejects.toThrow('disk I/O error');
    expect(publisher.current).toBe(good);
    expect(published).toEqual([good]);
  });

  it('picks up a newly applied version, reading the manifests only when the version changed', async () => {
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    let manifestReads = 0;
    const counting = storeWith({
      policyManifests: async (id: number) => {
        manifestReads++;
        return store.policyManifests(id);
      },
    });
    const { publisher } = publisherOn(counting);
    const first = await publisher.publish();
    await publisher.publish();
    await publisher.publish();
    expect(first!.appliedVersion).toBe(1);
    expect(manifestReads).toBe(1);

    // Version 2 adds an agent and says legacy-reporter is active again.
    const next = structuredClone({ apis: examples.apis, roles: examples.roles, agents: examples.agents, templates: examples.templates }) as ManifestSet;
    const reporter = next.agents.find((agent) => agent.metadata.name === 'legacy-reporter')!;
    (reporter.spec as { state: string }).state = 'active';
    (next.agents as AgentManifest[]).push(capacityBot());
    const applied = await applyManifests(store, next, { appliedBy: 'jonas.berg@example.com', now: T2 });
    expect(applied.record.id).toBe(2);

    const second = await publisher.publish();
    expect(manifestReads).toBe(2);
    expect(second!.appliedVersion).toBe(2);
    expect(publisher.manifests?.agents.map((agent) => agent.metadata.name)).toContain('capacity-bot');
    expect(decide(second!.snapshot, { ...LIST_INSTANCES, agent: 'capacity-bot' }).allowed).toBe(true);

    // The new agent gets its record from the version that introduced it.
    expect(await store.governance.getAgent('capacity-bot')).toMatchObject({ source: 'manifest', state: 'active', createdBy: 'jonas.berg@example.com' });
    // A manifest sets only the initial state: the store keeps legacy-reporter suspended.
    expect((await store.governance.getAgent('legacy-reporter'))?.state).toBe('suspended');
    expect(second!.snapshot.agents.get('legacy-reporter')?.state).toBe('suspended');
  });

  it('keeps publishing when a new version of an Api no longer fits a runtime rule\'s parameter constraint', async () => {
    // A payout grant limited by amount, granted while payments declared amount as a number.
    await applyManifests(store, examples, { appliedBy: APPLIER, now: T1 });
    const { publisher } = publisherOn(store);
    await store.governance.addRule({ ...grantRule('rt_payouts', 'itops-agent', 'payments', 'createPayout'), rule: { api: 'payments', operations: ['createPayout'], params: { amount: { max: 500 } }, stepUp: false } });
    expect(await publisher.publish()).toBeDefined();

    // Version 2 declares amount as a decimal string; the manifests themselves compile and apply.
    const next = structuredClone({ apis: examples.apis, roles: examples.roles, agents: examples.agents, templates: examples.templates }) as ManifestSet;
    const payout = next.apis.find((api) => api.metadata.name === 'payments')!.spec.operations.find((operation) => operation.id === 'createPayout')!;
    (payout.parameters.find((parameter) => parameter.name === 'amount') as { type: string }).type = 'string';
    await applyManifests(store, next, { appliedBy: APPLIER, now: T2 });

    // A suspension must still reach the gateway.
    await store.governance.transitionAgent('support-bot', 'active', { to: 'suspended', action: 'suspend', actor: STAFF, reason: 'incident', at: NOW });
    const policy = await publisher.publish();
    expect(policy?.appliedVersion).toBe(2);
    expect(policy?.snapshot.agents.get('support-bot')?.state).toBe('suspended');
    expect(policy?.warnings.some((warning) => warning.includes('rt_payouts'))).toBe(true);
  });
});
