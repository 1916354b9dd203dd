import type { AgentState, ApiMode, CriticalityLevel, HttpMethod, ParameterDeclaration, Sensitivity } from '../model/manifests/index.js';
import type { AgentContainment } from './containment.js';
import type { CompiledDataPolicy } from './data-policy.js';
import type { CompiledPiiRules, CompiledResponseRules } from './data-rules.js';
import type { Decision } from './decision.js';
import type { Condition } from './evaluation.js';
import type { CompiledQuota } from './quota.js';
import type { CompiledRate } from './rate-limit.js';

/** Where a rule came from: `role-name/grants[2]` (or its id), stable across manifest reordering of other roles. */
export interface RuleRef {
  readonly role: string;
  readonly kind: 'grant' | 'forbid';
  readonly index: number;
  readonly id?: string;
}

export interface CompiledApi {
  readonly name: string;
  readonly owner: string;
  readonly status: 'active' | 'deprecated' | 'retired';
  /** Epoch ms of the day it was deprecated (UTC), if given. */
  readonly deprecatedAt: number | undefined;
  /** Epoch ms of the sunset day's start (UTC), if any. */
  readonly sunsetAt: number | undefined;
  readonly sunset: string | undefined;
  readonly replacement: string | undefined;
  readonly sensitivity: Sensitivity;
  readonly criticality: CriticalityLevel;
  readonly basePath: string;
  readonly dataClasses: readonly string[];
  /** Where the API keeps its data, for residency rules. */
  readonly dataRegion: string | undefined;
  readonly mode: ApiMode;
  /** `discovery: learn`: undeclared paths under the base path are recorded against this API (and forwarded in monitor mode). */
  readonly learn: boolean;
  /** Origin of the upstream service, e.g. `http://10.0.0.5:8080`; the gateway forwards the full path. */
  readonly upstream: string;
  /** Path prefix of the upstream URL (`''` when it has none), put before the agent's path. */
  readonly upstreamPath: string;
  /** Where agents in acceptance testing are sent (origin and path prefix); undefined: they may not call this API. */
  readonly staging: { readonly origin: string; readonly path: string } | undefined;
  /** How the gateway authenticates to the upstream; the secret is a reference resolved by the gateway. */
  readonly upstreamAuth: UpstreamAuth | undefined;
  /** Adaptive protection: when the upstream counts as overloaded, lower-priority agents are shed. */
  readonly protection: ApiProtection | undefined;
}

export interface ApiProtection {
  readonly maxLatencyMs: number | undefined;
  readonly maxErrorRate: number | undefined;
  readonly windowMs: number;
  readonly minRequests: number;
}

/** Shedding order: 0 critical (shed last), 1 high, 2 normal, 3 low (shed first). */
export const PRIORITY_RANK = { critical: 0, high: 1, normal: 2, low: 3 } as const;

/** A role's rate limit over a whole API (or every API of a sensitivity), per agent. */
export interface ScopedLimit {
  /** Which limit, e.g. `support/limits/crm-overall` or `support/limits[0]`. */
  readonly bucket: string;
  readonly rate: CompiledRate;
}

export interface UpstreamAuth {
  readonly type: 'bearer' | 'header' | 'basic';
  readonly header: string | undefined;
  /** `env:NAME`, `file:PATH` or `vault:PATH#key`. */
  readonly secret: string;
}

export interface CompiledOperation {
  /** Position in `Snapshot.operations`, the key of every per-operation table. */
  readonly index: number;
  readonly api: CompiledApi;
  readonly id: string;
  readonly method: HttpMethod;
  /** Template relative to the base path, as declared. */
  readonly path: string;
  /** Template including the base path, as agents call it. */
  readonly fullPath: string;
  /** `fullPath` split into segments, kept for ranking alternatives without allocating. */
  readonly segments: readonly string[];
  readonly effect: 'read' | 'write';
  readonly dataClasses: readonly string[];
  readonly parameters: readonly ParameterDeclaration[];
  readonly deprecated: boolean;
  readonly summary: string | undefined;
  /** Content words of the summary and path, for ranking alternatives. */
  readonly words: readonly string[];
  /**
   * Some rule constrains a parameter that is not in the path, so the body must be parsed
   * before deciding (JSON and form bodies). Otherwise the gateway streams the body unread.
   */
  readonly inspectsBody: boolean;
  /** The data policies covering it (purposes, residency); empty for most. */
  readonly dataPolicies: readonly CompiledDataPolicy[];
}

export interface CompiledGrant {
  readonly ref: RuleRef;
  readonly conditions: readonly Condition[];
  /** Decided once at compile time per operation: allow decisions carry no per-request data. */
  readonly allow: Decision;
}

export interface CompiledForbid {
  readonly ref: RuleRef;
  /** Empty: the forbid always applies. */
  readonly conditions: readonly Condition[];
  readonly reason: string | undefined;
}

/**
 * One role's rules per operation index. Tables are per role, not per agent, so ten thousand
 * agents sharing a few hundred roles share a few hundred small tables that stay in cache.
 * Grants and forbids are separate maps: most operations have no forbid, and each lookup is
 * one hop to the list the decision needs.
 */
export interface RoleTable {
  readonly role: string;
  readonly grants: ReadonlyMap<number, readonly CompiledGrant[]>;
  readonly forbids: ReadonlyMap<number, readonly CompiledForbid[]>;
}

/** Everything one set of roles may and may not do. */
export interface AccessTable {
  /** Sorted by role name, so "first grant" never depends on manifest order. */
  readonly roles: readonly RoleTable[];
  /** Operations with a grant and no unconditional forbid: the candidates for alternatives. */
  readonly callable: readonly number[];
  /** The highest priority of the roles (PRIORITY_RANK; normal when no role says). */
  readonly priority: number;
  /** The roles' API-wide limits by API name; absent: none. */
  readonly apiLimits: ReadonlyMap<string, readonly ScopedLimit[]>;
}

export interface CompiledAgent {
  readonly name: string;
  readonly owner: string;
  readonly purpose: string;
  readonly state: AgentState;
  readonly roles: readonly string[];
  readonly regions: ReadonlySet<string> | null;
  /** The purposes it may declare; null: any (or none). */
  readonly purposes: ReadonlySet<string> | null;
  /** Where it runs, for residency rules. */
  readonly deploymentRegion: string | undefined;
  readonly access: AccessTable;
  /** Throttles and step-up placed on the agent by a playbook or a person; absent for nearly every agent. */
  readonly containment?: AgentContainment | undefined;
}

export interface RouteMatch {
  readonly operation: CompiledOperation;
  readonly params: Readonly<Record<string, string | undefined>>;
}

export interface GrantObligations {
  readonly stepUp: boolean;
  /** The grant's rule, e.g. `support/grants/read-customers`: with the agent, its rate limit's key. */
  readonly bucket: string;
  readonly rateLimit: CompiledRate | undefined;
  readonly quotas: readonly CompiledQuota[];
  /** Some quota counts records, so the answer must be read and counted. */
  readonly countsRecords: boolean;
  /** Field rules, PII masking and task-bound rows over the answer. */
  readonly response: CompiledResponseRules | undefined;
  /** PII masking over a JSON request body before it is forwarded. */
  readonly request: CompiledPiiRules | undefined;
}

/**
 * Which agent each credential identifies. Every binding names exactly one agent (the loader
 * refuses a credential bound twice); a credential found in none is an unregistered client.
 */
export interface CredentialBindings {
  /** Warden API key id (`key_…`) → agent name. */
  readonly apiKeys: ReadonlyMap<string, string>;
  /** `issuer` + newline + `subject` → agent name. */
  readonly jwtSubjects: ReadonlyMap<string, string>;
  /** `sha256:<hex>` certificate fingerprint or `spiffe://…` id → agent name. */
  readonly certificates: ReadonlyMap<string, string>;
}

/** Key of `CredentialBindings.jwtSubjects`. */
export function jwtSubjectKey(issuer: string, subject: string): string {
  return `${issuer}\n${subject}`;
}

/**
 * The compiled, immutable policy the data plane evaluates. Built by `compile()`, swapped
 * whole, never edited: a change of policy is a new snapshot with a new version.
 */
export interface Snapshot {
  /** `sha256:` + hex of the canonical policy content; equal content, equal version. */
  readonly version: string;
  readonly compiledAt: string;
  readonly agents: ReadonlyMap<string, CompiledAgent>;
  /** Every role's rules by role name, for governance (risk of a proposal); decisions go through agents. */
  readonly roles: ReadonlyMap<string, RoleTable>;
  readonly apis: ReadonlyMap<string, CompiledApi>;
  readonly operations: readonly CompiledOperation[];
  readonly credentials: CredentialBindings;
  /** Finds the operation for a method and canonical path. */
  route(method: string, path: string): RouteMatch | undefined;
  /**
   * The API that learns a canonical path no operation matched: of the APIs with
   * `discovery: learn`, the one whose base path is the longest prefix of `path` on a segment
   * boundary. Only for route misses; routed calls never ask.
   */
  learningApi(path: string): CompiledApi | undefined;
}
