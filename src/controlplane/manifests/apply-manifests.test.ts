import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { manifestKey, type ManifestSet, type RoleManifest } from '../../model/manifests/index.js';
import { compile } from '../../policy/compile.js';
import { loadManifests } from '../../policy/load/load-manifests.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import type { Store, StoredManifest } from '../store/store.js';
import { applyManifests } from './apply-manifests.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));
const T1 = new Date('2025-01-10T09:00:00.000Z');
const BETWEEN = new Date('2025-01-15T12:00:00.000Z');
const T2 = new Date('2025-01-20T09:00:00.000Z');
const REFUND_SUPERVISOR = 'Role/refund-supervisor';
const MAX_FIELD = 'spec.grants[0].params.amount.max';

let examples: ManifestSet;
let directory: string;
let store: Store;

beforeAll(async () => {
  const loaded = await loadManifests(EXAMPLES);
  expect(loaded.problems).toEqual([]);
  examples = loaded.set;
});

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'warden-apply-'));
  store = await openSqliteStore(path.join(directory, 'warden.db'));
});

afterEach(async () => {
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

function keysOf(set: ManifestSet): string[] {
  return [...set.apis, ...set.roles, ...set.agents, ...(set.templates ?? []), ...(set.playbooks ?? []), ...(set.dataPolicies ?? [])].map(manifestKey).sort();
}

function refundSupervisor(set: ManifestSet): RoleManifest {
  const role = set.roles.find((candidate) => candidate.metadata.name === 'refund-supervisor');
  if (!role) throw new Error('examples lack Role/refund-supervisor');
  return role;
}

function refundMax(role: RoleManifest): number | undefined {
  return role.spec.grants[0]?.params?.amount?.max;
}

/** A deep copy of the examples with the supervisor's refund ceiling lowered. */
function withLowerRefundMax(set: ManifestSet, max: number): ManifestSet {
  const copy = structuredClone(set);
  const amount = refundSupervisor(copy).spec.grants[0]?.params?.amount;
  if (!amount) throw new Error('Role/refund-supervisor has no amount constraint on its first grant');
  amount.max = max;
  return copy;
}

describe('applyManifests', () => {
  it('records the first apply as version 1 with every manifest added', async () => {
    const result = await applyManifests(store, examples, { appliedBy: 'alice@example.com', message: 'initial policy', now: T1 });

    expect(result.changed).toBe(true);
    expect(result.record.id).toBe(1);
    expect(result.record.version).toBe(compile(examples).version);
    expect(result.record.appliedAt.getTime()).toBe(T1.getTime());
    expect(result.record.appliedBy).toBe('alice@example.com');
    expect(result.record.message).toBe('initial policy');
    expect(result.diff).toEqual({ added: keysOf(examples), removed: [], changed: [] });
    expect(result.record.diff).toEqual(result.diff);

    expect(await store.listPolicyVersions()).toEqual([result.record]);
    const stored = await store.policyManifests(result.record.id);
    const expected: StoredManifest[] = [...examples.apis, ...examples.roles, ...examples.agents, ...(examples.templates ?? []), ...(examples.playbooks ?? []), ...(examples.dataPolicies ?? [])]
      .map((content) => ({ key: manifestKey(content), content, source: examples.sources!.get(manifestKey(content))! }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(stored).toEqual(expected);
    for (const manifest of stored) expect(manifest.source?.file).toMatch(/examples[/\\]/);
  });

  it('records nothing when the same set is applied again', async () => {
    const first = await applyManifests(store, examples, { appliedBy: 'alice@example.com', now: T1 });
    const again = await applyManifests(store, structuredClone(examples), { appliedBy: 'bob@example.com', message: 'no-op', now: T2 });

    expect(again.changed).toBe(false);
    expect(again.diff).toEqual({ added: [], removed: [], changed: [] });
    expect(again.record).toEqual(first.record);
    expect(await store.listPolicyVersions()).toEqual([first.record]);
  });

  it('records a changed field as version 2 with exactly that field in the diff', async () => {
    const before = refundMax(refundSupervisor(examples));
    expect(before).toBe(5000);
    const first = await applyManifests(store, examples, { appliedBy: 'alice@example.com', now: T1 });
    const second = await applyManifests(store, withLowerRefundMax(examples, 4000), { appliedBy: 'bob@example.com', message: 'lower the ceiling', now: T2 });

    expect(second.changed).toBe(true);
    expect(second.record.id).toBe(2);
    expect(second.record.id).toBeGreaterThan(first.record.id);
    expect(second.record.version).not.toBe(first.record.version);
    expect(second.diff).toEqual({ added: [], removed: [], changed: [{ key: REFUND_SUPERVISOR, changes: [{ field: MAX_FIELD, before: 5000, after: 4000 }] }] });
    expect((await store.currentPolicyVersion())?.diff).toEqual(second.diff);
    // The examples themselves were not touched by the deep copy.
    expect(refundMax(refundSupervisor(examples))).toBe(5000);
  });

  it('shows a removed agent in removed', async () => {
    await applyManifests(store, examples, { appliedBy: 'alice@example.com', now: T1 });
    const without: ManifestSet = { ...examples, agents: examples.agents.filter((agent) => agent.metadata.name !== 'returns-bot') };
    expect(without.agents.length).toBe(examples.agents.length - 1);
    const result = await applyManifests(store, without, { appliedBy: 'alice@example.com', now: T2 });

    expect(result.changed).toBe(true);
    expect(result.diff).toEqual({ added: [], removed: ['Agent/returns-bot'], changed: [] });
    const manifests = await store.policyManifests(result.record.id);
    expect(manifests.map((manifest) => manifest.key)).toEqual(keysOf(without));
  });

  it('tells which policy was in force at a past moment', async () => {
    const first = await applyManifests(store, examples, { appliedBy: 'alice@example.com', now: T1 });
    const second = await applyManifests(store, withLowerRefundMax(examples, 4000), { appliedBy: 'bob@example.com', now: T2 });

    expect(await store.policyVersionAt(new Date(T1.getTime() - 1))).toBeUndefined();

    const then = await store.policyVersionAt(BETWEEN);
    expect(then).toEqual(first.record);
    const thenManifests = await store.policyManifests(then!.id);
    const oldRole = thenManifests.find((manifest) => manifest.key === REFUND_SUPERVISOR)?.content as RoleManifest | undefined;
    expect(oldRole && refundMax(oldRole)).toBe(5000);

    const now = await store.policyVersionAt(T2);
    expect(now).toEqual(second.record);
    const newRole = (await store.policyManifests(now!.id)).find((manifest) => manifest.key === REFUND_SUPERVISOR)?.content as RoleManifest | undefined;
    expect(newRole && refundMax(newRole)).toBe(4000);

    // The stored old set compiles back to the version it was recorded under.
    const rebuilt: ManifestSet = {
      apis: thenManifests.flatMap((manifest) => (manifest.content.kind === 'Api' ? [manifest.content] : [])),
      roles: thenManifests.flatMap((manifest) => (manifest.content.kind === 'Role' ? [manifest.content] : [])),
      agents: thenManifests.flatMap((manifest) => (manifest.content.kind === 'Agent' ? [manifest.content] : [])),
      templates: thenManifests.flatMap((manifest) => (manifest.content.kind === 'AgentTemplate' ? [manifest.content] : [])),
      playbooks: thenManifests.flatMap((manifest) => (manifest.content.kind === 'Playbook' ? [manifest.content] : [])),
      dataPolicies: thenManifests.flatMap((manifest) => (manifest.content.kind === 'DataPolicy' ? [manifest.content] : [])),
    };
    expect(compile(rebuilt).version).toBe(first.record.version);
  });
});
