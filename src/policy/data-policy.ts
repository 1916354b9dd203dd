import type { ErrorCode } from '../model/errors.js';
import type { DataPolicyManifest } from '../model/manifests/index.js';
import type { CompiledAgent, CompiledOperation } from './snapshot.js';

/** One data policy as it bears on one operation: only the parts that can refuse a call. */
export interface CompiledDataPolicy {
  readonly name: string;
  /** A call must declare one of these purposes; undefined: any (or none). */
  readonly allowPurposes: ReadonlySet<string> | undefined;
  readonly denyPurposes: ReadonlySet<string> | undefined;
  /** Agent regions allowed to read this operation's data, when a residency rule covers the API's data region; undefined: no rule does. */
  readonly agentRegions: readonly string[] | undefined;
  /** The API's data region the residency rule covered. */
  readonly dataRegion: string | undefined;
}

export interface DataRefusal {
  readonly code: ErrorCode;
  readonly message: string;
}

/** `eu` covers `eu` and `eu-west-1`; `eu-west` covers `eu-west-1`, not `eu-central-1`. */
export function regionCovers(listed: string, region: string): boolean {
  return region === listed || (region.startsWith(listed) && region.charCodeAt(listed.length) === 45); // -
}

/** The data policies that cover `operation`, compiled for it; empty for nearly every operation of a policy-free catalog. */
export function dataPoliciesFor(policies: readonly DataPolicyManifest[], operation: CompiledOperation, dataRegion: string | undefined): CompiledDataPolicy[] {
  const covering: CompiledDataPolicy[] = [];
  for (const policy of policies) {
    const scope = policy.spec.appliesTo;
    if (scope?.apis !== undefined && !scope.apis.includes(operation.api.name)) continue;
    if (scope?.sensitivities !== undefined && !scope.sensitivities.includes(operation.api.sensitivity)) continue;
    if (scope?.dataClasses !== undefined && !scope.dataClasses.some((dataClass) => operation.dataClasses.includes(dataClass))) continue;
    const residency = dataRegion === undefined ? [] : (policy.spec.residency ?? []).filter((rule) => rule.dataRegions.some((listed) => regionCovers(listed, dataRegion)));
    const purposes = policy.spec.purposes;
    if (purposes === undefined && residency.length === 0) continue;
    covering.push(Object.freeze({
      name: policy.metadata.name,
      allowPurposes: purposes?.allow === undefined ? undefined : new Set(purposes.allow),
      denyPurposes: purposes?.deny === undefined ? undefined : new Set(purposes.deny),
      agentRegions: residency.length === 0 ? undefined : [...new Set(residency.flatMap((rule) => rule.agentRegions))],
      dataRegion: residency.length === 0 ? undefined : dataRegion,
    }));
  }
  return covering;
}

/**
 * Why this agent may not make this call for the purpose it declared (the `purpose` claim of
 * its verified context token), or undefined. The agent's own purposes come first, then each
 * data policy covering the operation: residency (where the agent runs against where the data
 * lives), then purposes. Every refusal names the rule and what would be allowed.
 */
export function dataRefusal(agent: CompiledAgent, operation: CompiledOperation, purpose: string | undefined): DataRefusal | undefined {
  if (agent.purposes !== null && (purpose === undefined || !agent.purposes.has(purpose))) {
    const allowed = [...agent.purposes].join(', ');
    return purpose === undefined
      ? { code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', message: `agent ${agent.name} must declare its purpose (${allowed}) in the purpose claim of its Warden-Context token` }
      : { code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', message: `agent ${agent.name} may act only for ${allowed}, not for ${purpose}` };
  }
  const policies = operation.dataPolicies;
  for (let i = 0; i < policies.length; i++) {
    const policy = policies[i]!;
    const target = `${operation.api.name}.${operation.id}`;
    if (policy.agentRegions !== undefined) {
      const region = agent.deploymentRegion;
      const where = policy.agentRegions.join(', ');
      if (region === undefined) {
        return { code: 'WARDEN_DATA_REGION_NOT_ALLOWED', message: `${target} reads data kept in ${policy.dataRegion}, which data policy ${policy.name} lets only agents deployed in ${where} read; agent ${agent.name} declares no deploymentRegion` };
      }
      if (!policy.agentRegions.some((listed) => regionCovers(listed, region))) {
        return { code: 'WARDEN_DATA_REGION_NOT_ALLOWED', message: `${target} reads data kept in ${policy.dataRegion}, which data policy ${policy.name} lets only agents deployed in ${where} read, not in ${region}` };
      }
    }
    if (policy.denyPurposes !== undefined && purpose !== undefined && policy.denyPurposes.has(purpose)) {
      return { code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', message: `data policy ${policy.name} never allows ${target} for ${purpose}` };
    }
    if (policy.allowPurposes !== undefined && (purpose === undefined || !policy.allowPurposes.has(purpose))) {
      const allowed = [...policy.allowPurposes].join(', ');
      const declared = purpose === undefined ? 'the call declares no purpose (the purpose claim of the Warden-Context token)' : `not for ${purpose}`;
      return { code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', message: `data policy ${policy.name} allows ${target} only for ${allowed}; ${declared}` };
    }
  }
  return undefined;
}
