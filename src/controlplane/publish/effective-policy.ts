import type { ApiKeyRecord } from '../../model/api-key.js';
import type { AgentManifest, ApiManifest, CredentialBinding, Forbid, Grant, ManifestSet, OperationDeclaration, RoleManifest } from '../../model/manifests/index.js';
import { selectOperations } from '../../policy/operation-selector.js';
import { compileParamConstraint } from '../../policy/param-constraint.js';
import { compileRate, rateText } from '../../policy/rate-limit.js';
import { jwtSubjectKey } from '../../policy/snapshot.js';
import type { AgentRecord, BindingRecord, RuntimeRule } from '../store/governance-store.js';

/** What the store holds beside the manifests in force. */
export interface RuntimeState {
  readonly agents: readonly AgentRecord[];
  readonly keys: readonly ApiKeyRecord[];
  readonly bindings: readonly BindingRecord[];
  readonly rules: readonly RuntimeRule[];
}

/** The name of the role that carries one agent's runtime rules. `~` keeps it apart from any manifest role. */
export function runtimeRoleName(agent: string): string {
  return `~runtime/${agent}`;
}

/**
 * The policy in force as the gateway must see it: the applied manifests, overlaid with what
 * changed at run time. An agent's lifecycle state is the store's (a suspension is never undone
 * by re-applying an old manifest; manifests set only the initial state). Agents proposed
 * through the admin API join the set; keys issued and identities bound through the API join
 * their agent's credentials; rules from access requests and reviews join as one role per agent.
 * What no longer fits the manifests (a rule on an API that was removed, a role that is gone, a
 * credential bound twice) is left out and reported, never allowed to break the whole policy.
 */
export function effectivePolicy(inForce: ManifestSet, runtime: RuntimeState): { readonly set: ManifestSet; readonly warnings: readonly string[] } {
  const warnings: string[] = [];
  const records = new Map(runtime.agents.map((record) => [record.name, record]));
  const roleNames = new Set(inForce.roles.map((role) => role.metadata.name));
  const apis = new Map(inForce.apis.map((api) => [api.metadata.name, api]));

  const boundByManifest = new Map<string, string>();
  for (const agent of inForce.agents) for (const credential of agent.spec.credentials) for (const key of credentialKeys(credential)) boundByManifest.set(key, agent.metadata.name);

  const extraCredentials = new Map<string, CredentialBinding[]>();
  const addCredential = (agent: string, credential: CredentialBinding, what: string) => {
    const keys = credentialKeys(credential);
    const owner = keys.map((key) => boundByManifest.get(key)).find((bound) => bound !== undefined);
    if (owner !== undefined && owner !== agent) {
      warnings.push(`${what} is bound to ${owner} already; its binding to ${agent} is ignored`);
      return;
    }
    if (owner === agent) return;
    for (const key of keys) boundByManifest.set(key, agent);
    const list = extraCredentials.get(agent) ?? [];
    list.push(credential);
    extraCredentials.set(agent, list);
  };
  for (const key of runtime.keys) if (key.agent !== undefined) addCredential(key.agent, { type: 'apiKey', id: key.id }, `key ${key.id}`);
  for (const binding of runtime.bindings) addCredential(binding.agent, binding.binding, `binding ${binding.id}`);

  const runtimeRoles = new Map<string, RoleManifest>();
  for (const declared of runtime.rules) {
    // A forbid fails closed: narrowed to what is still declared, never dropped while it covers something.
    const rule = declared.kind === 'forbid' ? narrowedForbid(declared, apis.get(declared.rule.api), warnings) : declared;
    if (rule === undefined) continue;
    const problem = ruleProblem(rule, apis.get(rule.rule.api));
    if (problem !== undefined) {
      warnings.push(`runtime ${rule.kind} ${rule.id} of ${rule.agent} ${problem}; it is left out`);
      continue;
    }
    const name = runtimeRoleName(rule.agent);
    const role = runtimeRoles.get(name) ?? { apiVersion: 'warden.dev/v1' as const, kind: 'Role' as const, metadata: { name }, spec: { description: `runtime rules of agent ${rule.agent}`, grants: [] as Grant[], forbid: [] as Forbid[] } };
    const withId = { ...rule.rule, id: rule.id };
    if (rule.kind === 'grant') (role.spec.grants as Grant[]).push(withId as Grant);
    else (role.spec.forbid as Forbid[]).push(withId as Forbid);
    runtimeRoles.set(name, role);
  }

  const overlay = (manifest: AgentManifest, record: AgentRecord | undefined): AgentManifest => {
    const name = manifest.metadata.name;
    const roles = manifest.spec.roles.filter((role) => {
      if (roleNames.has(role)) return true;
      warnings.push(`agent ${name} names role ${role}, which the manifests no longer define; it is left out`);
      return false;
    });
    if (runtimeRoles.has(runtimeRoleName(name))) roles.push(runtimeRoleName(name));
    return {
      ...manifest,
      spec: {
        ...manifest.spec,
        state: record?.state ?? manifest.spec.state,
        roles,
        credentials: [...manifest.spec.credentials, ...(extraCredentials.get(name) ?? [])],
      },
    };
  };

  // A manifest agent whose name an agent proposed through the API holds already takes that
  // agent over only when it asks for no more (same owner, no role the proposal did not have):
  // otherwise a name registered early would inherit whatever a later manifest grants it.
  const adopted = inForce.agents.filter((agent) => {
    const record = records.get(agent.metadata.name);
    if (record?.definition === undefined) return true;
    const fits = agent.spec.owner.toLowerCase() === record.definition.spec.owner.toLowerCase() && agent.spec.roles.every((role) => record.definition!.spec.roles.includes(role));
    if (!fits) warnings.push(`the manifest of agent ${agent.metadata.name} is left out: the name belongs to an agent proposed through the admin API by ${record.createdBy} with other owner or roles; rename one of them`);
    return fits;
  });
  const agents: AgentManifest[] = adopted.map((agent) => overlay(agent, records.get(agent.metadata.name)));
  const defined = new Set(adopted.map((agent) => agent.metadata.name));
  for (const record of runtime.agents) {
    if (record.definition === undefined || defined.has(record.name)) continue;
    agents.push(overlay(record.definition, record));
  }
  const usedRuntimeRoles = [...runtimeRoles.values()].filter((role) => agents.some((agent) => agent.spec.roles.includes(role.metadata.name)));
  return {
    set: {
      apis: inForce.apis,
      roles: [...inForce.roles, ...usedRuntimeRoles],
      agents,
      ...(inForce.templates !== undefined ? { templates: inForce.templates } : {}),
      ...(inForce.playbooks !== undefined ? { playbooks: inForce.playbooks } : {}),
      ...(inForce.dataPolicies !== undefined ? { dataPolicies: inForce.dataPolicies } : {}),
    },
    warnings,
  };
}

/**
 * A runtime forbid as far as the manifests still declare what it covers: selectors of removed
 * operations are dropped, a parameter condition that no longer fits is dropped (the forbid gets
 * broader, not narrower). Undefined only when nothing it covered exists any more.
 */
function narrowedForbid(rule: RuntimeRule, api: ApiManifest | undefined, warnings: string[]): RuntimeRule | undefined {
  const why = (text: string) => warnings.push(`runtime forbid ${rule.id} of ${rule.agent} ${text}`);
  if (api === undefined) {
    why(`names API ${rule.rule.api}, which the manifests no longer declare; it is left out`);
    return undefined;
  }
  const operations = rule.rule.operations.filter((selector) => !('error' in selectOperations(selector, api.spec.operations)));
  if (operations.length === 0) {
    why('covers no operation the manifests still declare; it is left out');
    return undefined;
  }
  let forbid: Forbid = { ...(rule.rule as Forbid), operations };
  if (operations.length < rule.rule.operations.length) why(`keeps only ${operations.join(', ')}: the others are no longer declared`);
  if (forbid.params !== undefined && ruleProblem({ ...rule, rule: forbid }, api) !== undefined) {
    const { params: _params, ...unconditional } = forbid;
    forbid = unconditional;
    why('has a condition that no longer fits; it now applies without it');
  }
  return { ...rule, rule: forbid };
}

/**
 * Why a runtime rule no longer compiles against the manifests in force: its API or operations
 * are gone, or a parameter condition or rate limit no longer fits a changed declaration.
 */
function ruleProblem(rule: RuntimeRule, api: ApiManifest | undefined): string | undefined {
  if (api === undefined) return `names API ${rule.rule.api}, which the manifests no longer declare`;
  const selected = new Set<OperationDeclaration>();
  for (const selector of rule.rule.operations) {
    const selection = selectOperations(selector, api.spec.operations);
    if ('error' in selection) return `names ${rule.rule.api} operations that the manifests no longer declare`;
    for (const operation of selection.matched) selected.add(operation);
  }
  for (const [name, constraint] of Object.entries(rule.rule.params ?? {})) {
    const declaredType = [...selected].flatMap((operation) => operation.parameters).find((parameter) => parameter.name === name)?.type;
    const compiled = compileParamConstraint(name, constraint, declaredType);
    if ('error' in compiled) return `has a condition on ${name} that no longer fits: ${compiled.error}`;
  }
  const rateLimit = (rule.rule as Grant).rateLimit;
  if (rateLimit !== undefined && 'error' in compileRate(rateLimit)) return `has a rate limit that does not parse (${rateText(rateLimit)})`;
  return undefined;
}

/** The identities a credential names; a manifest's mTLS binding may name a fingerprint and a SPIFFE id. */
function credentialKeys(credential: CredentialBinding): string[] {
  if (credential.type === 'apiKey') return [`apiKey ${credential.id}`];
  if (credential.type === 'jwt') return [`jwt ${jwtSubjectKey(credential.issuer, credential.subject)}`];
  return [credential.fingerprint, credential.spiffeId].filter((id): id is string => id !== undefined).map((id) => `mtls ${id}`);
}
