import type { AgentManifest, AgentTemplateManifest, ApiManifest, DataPolicyManifest, ManifestSet, PlaybookManifest, RoleManifest } from '../../model/manifests/index.js';
import type { PolicyVersionRecord, Store } from '../store/store.js';

/** The manifests of the version in force, as a set the compiler takes; undefined before the first apply. */
export async function policyInForce(store: Store): Promise<{ readonly record: PolicyVersionRecord; readonly set: ManifestSet } | undefined> {
  const record = await store.currentPolicyVersion();
  if (record === undefined) return undefined;
  const apis: ApiManifest[] = [];
  const agents: AgentManifest[] = [];
  const roles: RoleManifest[] = [];
  const templates: AgentTemplateManifest[] = [];
  const playbooks: PlaybookManifest[] = [];
  const dataPolicies: DataPolicyManifest[] = [];
  for (const { content } of await store.policyManifests(record.id)) {
    if (content.kind === 'Api') apis.push(content);
    else if (content.kind === 'Agent') agents.push(content);
    else if (content.kind === 'Role') roles.push(content);
    else if (content.kind === 'AgentTemplate') templates.push(content);
    else if (content.kind === 'Playbook') playbooks.push(content);
    else dataPolicies.push(content);
  }
  return { record, set: { apis, agents, roles, templates, playbooks, dataPolicies } };
}
