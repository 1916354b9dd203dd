import { describe, expect, it } from 'vitest';
import type { AgentManifest } from '../../model/manifests/index.js';
import type { StoredManifest } from '../store/store.js';
import { diffManifests, formatDiff } from './diff-manifests.js';

function agent(name: string, spec: Partial<AgentManifest['spec']> = {}): StoredManifest {
  const content: AgentManifest = {
    apiVersion: 'warden.dev/v1',
    kind: 'Agent',
    metadata: { name },
    spec: { owner: 'owner@example.com', purpose: 'Does things for the diff tests', roles: ['reader'], state: 'active', credentials: [], ...spec },
  };
  return { key: `Agent/${name}`, content };
}

describe('formatDiff', () => {
  it('prints nothing for no changes', () => {
    expect(formatDiff({ added: [], removed: [], changed: [] })).toEqual([]);
  });

  it('prints added, removed, then changed with one indented line per field', () => {
    const lines = formatDiff({
      added: ['Agent/new-bot', 'Role/auditor'],
      removed: ['Api/legacy-fax'],
      changed: [
        {
          key: 'Role/refund-supervisor',
          changes: [
            { field: 'spec.grants[0].params.amount.max', before: 5000, after: 4000 },
            { field: 'spec.grants[0].stepUp', before: true, after: false },
            { field: 'spec.description', before: 'old', after: 'new' },
          ],
        },
        { key: 'Agent/support-bot', changes: [{ field: 'spec.roles', before: ['a'], after: ['a', 'b'] }] },
      ],
    });
    expect(lines).toEqual([
      '+ Agent/new-bot',
      '+ Role/auditor',
      '- Api/legacy-fax',
      '~ Role/refund-supervisor',
      '    spec.grants[0].params.amount.max: 5000 → 4000',
      '    spec.grants[0].stepUp: true → false',
      '    spec.description: "old" → "new"',
      '~ Agent/support-bot',
      '    spec.roles: ["a"] → ["a","b"]',
    ]);
  });

  it('shows a missing side as (none) and null as null', () => {
    expect(
      formatDiff({
        added: [],
        removed: [],
        changed: [{ key: 'Agent/x', changes: [{ field: 'spec.regions', before: undefined, after: ['eu'] }, { field: 'metadata.description', before: 'gone', after: undefined }, { field: 'spec.value', before: null, after: 0 }] }],
      }),
    ).toEqual(['~ Agent/x', '    spec.regions: (none) → ["eu"]', '    metadata.description: "gone" → (none)', '    spec.value: null → 0']);
  });

  it('shortens long values to 80 characters with an ellipsis', () => {
    const long = 'x'.repeat(200);
    const lines = formatDiff({ added: [], removed: [], changed: [{ key: 'Agent/x', changes: [{ field: 'spec.purpose', before: long, after: 'short' }] }] });
    const shortened = `"${'x'.repeat(76)}…`;
    expect(shortened).toHaveLength(78);
    expect(lines).toEqual(['~ Agent/x', `    spec.purpose: ${shortened} → "short"`]);

    const exactly80 = `"${'y'.repeat(78)}"`;
    const kept = formatDiff({ added: [], removed: [], changed: [{ key: 'Agent/y', changes: [{ field: 'f', before: 'y'.repeat(78), after: 1 }] }] });
    expect(kept[1]).toBe(`    f: ${exactly80} → 1`);
  });

  it('formats what diffManifests produces', () => {
    const diff = diffManifests([agent('kept'), agent('changed'), agent('gone')], [agent('kept'), agent('changed', { state: 'suspended', roles: ['reader', 'writer'] }), agent('fresh')]);
    expect(formatDiff(diff)).toEqual(['+ Agent/fresh', '- Agent/gone', '~ Agent/changed', '    spec.roles: ["reader"] → ["reader","writer"]', '    spec.state: "active" → "suspended"']);
  });
});

describe('diffManifests', () => {
  it('reports array elements by index when the length is unchanged', () => {
    const diff = diffManifests([agent('a', { roles: ['one', 'two'] })], [agent('a', { roles: ['one', 'three'] })]);
    expect(diff.changed).toEqual([{ key: 'Agent/a', changes: [{ field: 'spec.roles[1]', before: 'two', after: 'three' }] }]);
  });

  it('reports a field that appears as added from undefined', () => {
    const diff = diffManifests([agent('a')], [agent('a', { regions: ['eu'] })]);
    expect(diff.changed).toEqual([{ key: 'Agent/a', changes: [{ field: 'spec.regions', before: undefined, after: ['eu'] }] }]);
  });

  it('ignores key order and sorts added and removed keys', () => {
    const original = agent('a').content as AgentManifest;
    const { owner, purpose, roles, state, credentials } = original.spec;
    const reordered: StoredManifest = { key: 'Agent/a', content: { spec: { state, roles, purpose, owner, credentials }, metadata: original.metadata, kind: 'Agent', apiVersion: 'warden.dev/v1' } };
    expect(Object.keys(reordered.content)).not.toEqual(Object.keys(original));
    expect(diffManifests([agent('a')], [agent('a')])).toEqual({ added: [], removed: [], changed: [] });
    expect(diffManifests([agent('a'), agent('z'), agent('m')], [reordered, agent('y'), agent('b')])).toEqual({ added: ['Agent/b', 'Agent/y'], removed: ['Agent/m', 'Agent/z'], changed: [] });
  });
});
