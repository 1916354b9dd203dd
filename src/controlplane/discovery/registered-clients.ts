import type { AgentManifest } from '../../model/manifests/index.js';
import type { Store } from '../store/store.js';

/**
 * Every client identity that belongs to a registered agent, in the forms traffic names them:
 * agent names, API key ids (`key_…`), token identities (`issuer#subject`), certificate
 * fingerprints and SPIFFE ids, from the manifests in force and the bindings made at run time.
 */
export async function registeredClients(store: Store, agents: readonly AgentManifest[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const agent of agents) {
    known.add(agent.metadata.name);
    for (const binding of agent.spec.credentials) {
      if (binding.type === 'apiKey') known.add(binding.id);
      else if (binding.type === 'jwt') known.add(`${binding.issuer}#${binding.subject}`);
      else {
        if (binding.fingerprint !== undefined) known.add(binding.fingerprint);
        if (binding.spiffeId !== undefined) known.add(binding.spiffeId);
      }
    }
  }
  for (const record of await store.governance.listAgents()) known.add(record.name);
  for (const key of await store.listApiKeys()) if (key.agent !== undefined) known.add(key.id);
  for (const record of await store.governance.listBindings()) {
    known.add(record.agent);
    const binding = record.binding;
    if (binding.type === 'jwt') known.add(`${binding.issuer}#${binding.subject}`);
    else {
      if (binding.fingerprint !== undefined) known.add(binding.fingerprint);
      if (binding.spiffeId !== undefined) known.add(binding.spiffeId);
    }
  }
  return known;
}
