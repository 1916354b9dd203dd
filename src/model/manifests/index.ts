import type { AgentManifest } from './agent.js';
import type { AgentTemplateManifest } from './agent-template.js';
import type { ApiManifest } from './api.js';
import type { DataPolicyManifest } from './data-policy.js';
import type { SourceRef } from './common.js';
import type { PlaybookManifest } from './playbook.js';
import type { RoleManifest } from './role.js';
import { AgentManifestSchema } from './agent.js';
import { AgentTemplateManifestSchema } from './agent-template.js';
import { ApiManifestSchema } from './api.js';
import { DataPolicyManifestSchema } from './data-policy.js';
import { PlaybookManifestSchema } from './playbook.js';
import { RoleManifestSchema } from './role.js';

export * from './common.js';
export * from './api.js';
export * from './agent.js';
export * from './agent-template.js';
export * from './role.js';
export * from './playbook.js';
export * from './data-policy.js';

/** One schema per kind; the schema is the documentation of the kind. */
export const MANIFEST_SCHEMAS = {
  Api: ApiManifestSchema,
  Agent: AgentManifestSchema,
  Role: RoleManifestSchema,
  AgentTemplate: AgentTemplateManifestSchema,
  Playbook: PlaybookManifestSchema,
  DataPolicy: DataPolicyManifestSchema,
} as const;

export type ManifestKind = keyof typeof MANIFEST_SCHEMAS;
export const MANIFEST_KINDS = Object.keys(MANIFEST_SCHEMAS) as ManifestKind[];
export type Manifest = ApiManifest | AgentManifest | RoleManifest | AgentTemplateManifest | PlaybookManifest | DataPolicyManifest;

/** A validated manifest folder, ready for the compiler. Sources are kept apart from the policy content. */
export interface ManifestSet {
  readonly apis: readonly ApiManifest[];
  readonly agents: readonly AgentManifest[];
  readonly roles: readonly RoleManifest[];
  /** Standard kinds of agent; absent means none. */
  readonly templates?: readonly AgentTemplateManifest[];
  /** What to do about alerts; absent means none (every alert is only raised). */
  readonly playbooks?: readonly PlaybookManifest[];
  /** Purpose and residency rules over the catalog; absent means none. */
  readonly dataPolicies?: readonly DataPolicyManifest[];
  /** `Kind/name` → where it was defined; absent for manifests built in code. */
  readonly sources?: ReadonlyMap<string, SourceRef>;
}

/** `Api/crm`: the key under which a manifest is known in sources, stores and diffs. */
export function manifestKey(manifest: { kind: string; metadata: { name: string } }): string {
  return `${manifest.kind}/${manifest.metadata.name}`;
}
