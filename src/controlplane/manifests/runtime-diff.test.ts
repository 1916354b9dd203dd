import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ManifestSet } from '../../model/manifests/index.js';
import { loadManifests } from '../../policy/load/load-manifests.js';
import type { AgentRecord } from '../store/governance-store.js';
import { runtimeDiff } from './runtime-diff.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');
const at = new Date('2026-11-01T10:00:00.000Z');
let manifests: ManifestSet;

beforeAll(async () => {
  manifests = (await loadManifests(examples)).set;
});

function record(name: string, state: AgentRecord['state'], definition?: AgentRecord['definition']): AgentRecord {
  return { name, source: definition ? 'api' : 'manifest', definition, state, stateSince: at, template: undefined, createdAt: at, createdBy: 'sam@example.com' };
}

describe('runtimeDiff', () => {
  it('is empty when the store holds only what the manifests say', () => {
    const agents = manifests.agents.map((agent) => record(agent.metadata.name, agent.spec.state));
    expect(runtimeDiff(manifests, { agents, keys: [], bindings: [], rules: [] })).toEqual([]);
  });

  it('lists changed states, API agents, runtime keys, bindings and rules, per agent in a fixed order', () => {
    const proposed = { ...manifests.agents[0]!, metadata: { name: 'returns-bot-2' }, spec: { ...manifests.agents[0]!.spec, roles: ['customer-service'] } };
    const differences = runtimeDiff(manifests, {
      agents: [record('support-bot', 'suspended'), record('returns-bot-2', 'approved', proposed), record('finance-analyst', 'active')],
      keys: [
        { id: 'key_0123456789abcdef', digest: 'ab', createdAt: at, expiresAt: new Date('2027-01-30T10:00:00.000Z'), revokedAt: undefined, agent: 'support-bot' },
        { id: 'key_manifestbound', digest: 'cd', createdAt: at, expiresAt: at, revokedAt: undefined },
      ],
      bindings: [{ id: 'bnd_1', agent: 'support-bot', binding: { type: 'mtls', spiffeId: 'spiffe://example.org/support' }, createdAt: at, createdBy: 'alice.martin@example.com' }],
      rules: [{ id: 'rt_1', agent: 'support-bot', kind: 'grant', rule: { api: 'crm', operations: ['searchCustomers'], stepUp: false }, expiresAt: new Date('2026-11-08T10:00:00.000Z'), source: 'access-request', sourceId: 'ar_1', createdAt: at, createdBy: 'sam@example.com' }],
    });
    expect(differences).toEqual([
      { agent: 'returns-bot-2', kind: 'agent', manifest: undefined, runtime: 'proposed by sam@example.com, approved, roles customer-service' },
      { agent: 'support-bot', kind: 'state', manifest: 'active', runtime: 'suspended' },
      { agent: 'support-bot', kind: 'key', manifest: undefined, runtime: 'API key key_0123456789abcdef (expires 2027-01-30T10:00:00.000Z)' },
      { agent: 'support-bot', kind: 'binding', manifest: undefined, runtime: 'certificate spiffe://example.org/support (bnd_1, by alice.martin@example.com)' },
      { agent: 'support-bot', kind: 'rule', manifest: undefined, runtime: 'grant crm searchCustomers until 2026-11-08T10:00:00.000Z (rt_1, access-request ar_1)' },
    ]);
  });
});
