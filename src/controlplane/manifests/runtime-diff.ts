import type { ManifestSet } from '../../model/manifests/index.js';
import type { RuntimeState } from '../publish/effective-policy.js';

/** One way the running policy differs from the manifests (what `warden diff` shows). */
export interface RuntimeDifference {
  readonly agent: string;
  /** `state`: lifecycle changed at run time; `agent`: proposed through the API, in no manifest; `key`, `binding`, `rule`: added at run time. */
  readonly kind: 'state' | 'agent' | 'key' | 'binding' | 'rule';
  /** What the manifests say, where they say something. */
  readonly manifest: string | undefined;
  /** What is in force. */
  readonly runtime: string;
}

/**
 * What runs beyond the manifests: teams that keep manifests in git see here what to carry back
 * (or to undo) — states changed by lifecycle actions, agents proposed through the API, keys
 * issued and identities bound at run time, grants from access requests, forbids from reviews.
 */
export function runtimeDiff(manifests: ManifestSet, runtime: RuntimeState): RuntimeDifference[] {
  const differences: RuntimeDifference[] = [];
  const declared = new Map(manifests.agents.map((agent) => [agent.metadata.name, agent]));
  for (const record of runtime.agents) {
    const manifest = declared.get(record.name);
    if (manifest === undefined) {
      if (record.definition !== undefined) differences.push({ agent: record.name, kind: 'agent', manifest: undefined, runtime: `proposed by ${record.createdBy}, ${record.state}, roles ${record.definition.spec.roles.join(', ')}` });
      continue;
    }
    if (manifest.spec.state !== record.state) differences.push({ agent: record.name, kind: 'state', manifest: manifest.spec.state, runtime: record.state });
  }
  for (const key of runtime.keys) {
    if (key.agent === undefined) continue;
    const status = key.revokedAt !== undefined ? 'revoked' : `expires ${key.expiresAt.toISOString()}`;
    differences.push({ agent: key.agent, kind: 'key', manifest: undefined, runtime: `API key ${key.id} (${status})` });
  }
  for (const binding of runtime.bindings) {
    const what = binding.binding.type === 'jwt' ? `JWT ${binding.binding.issuer} ${binding.binding.subject}` : `certificate ${binding.binding.spiffeId ?? binding.binding.fingerprint}`;
    differences.push({ agent: binding.agent, kind: 'binding', manifest: undefined, runtime: `${what} (${binding.id}, by ${binding.createdBy})` });
  }
  for (const rule of runtime.rules) {
    const until = rule.expiresAt === undefined ? '' : ` until ${rule.expiresAt.toISOString()}`;
    differences.push({ agent: rule.agent, kind: 'rule', manifest: undefined, runtime: `${rule.kind} ${rule.rule.api} ${rule.rule.operations.join(', ')}${until} (${rule.id}, ${rule.source}${rule.sourceId ? ` ${rule.sourceId}` : ''})` });
  }
  const order = ['agent', 'state', 'key', 'binding', 'rule'];
  return differences.sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : order.indexOf(a.kind) - order.indexOf(b.kind)));
}
