import type { DetectionStore } from './detection-store.js';
import type { DiscoveryStore } from './discovery-store.js';
import type { ApiKeyRecord } from '../../model/api-key.js';
import type { GovernanceStore } from './governance-store.js';
import type { Manifest, SourceRef } from '../../model/manifests/index.js';

/** One manifest as applied: its validated content (defaults filled) and where it came from. */
export interface StoredManifest {
  /** `Kind/name`. */
  readonly key: string;
  readonly content: Manifest;
  readonly source?: SourceRef;
}

/** A field that differs between two applied versions of one manifest. */
export interface FieldChange {
  /** Dotted path, e.g. `spec.grants[0].params.amount.max`. */
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ManifestDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly { readonly key: string; readonly changes: readonly FieldChange[] }[];
}

/** One `warden apply`: who put which policy in force, when, and what it changed. */
export interface PolicyVersionRecord {
  /** Sequence number, increasing with every apply. */
  readonly id: number;
  /** The snapshot content hash (`sha256:…`). */
  readonly version: string;
  readonly appliedAt: Date;
  readonly appliedBy: string;
  readonly message: string | undefined;
  readonly diff: ManifestDiff;
}

export interface NewPolicyVersion {
  /**
   * The id of the version this one was diffed against (undefined: the store was empty).
   * Recording fails with `PolicyConflictError` if another version landed in between, so two
   * concurrent applies can never record a diff against a version that is no longer current.
   */
  readonly basedOn?: number | undefined;
  readonly version: string;
  readonly appliedAt: Date;
  readonly appliedBy: string;
  readonly message?: string;
  readonly diff: ManifestDiff;
  readonly manifests: readonly StoredManifest[];
}

/** Another apply landed first; the caller should re-read the current version and retry. */
export class PolicyConflictError extends Error {
  override name = 'PolicyConflictError';
}

/**
 * The control plane's persistence. Implementations (SQLite embedded, PostgreSQL for
 * scale-out) pass one conformance suite; nothing above this interface knows which it is.
 */
export interface Store {
  /** Lifecycle, runtime credentials and rules, access requests, admin tokens and log, usage. */
  readonly governance: GovernanceStore;
  /** Discovery findings, their review decisions, and the completeness each run measured. */
  readonly discovery: DiscoveryStore;
  /** Detection baselines, alerts, incidents and the time-boxed containments playbooks placed. */
  readonly detection: DetectionStore;
  /** Brings the schema up to date; safe to call on every start. */
  migrate(): Promise<void>;
  /**
   * Records a new version atomically: the version row and all its manifests, or nothing.
   * Refuses (PolicyConflictError) a stale `basedOn` and an `appliedAt` before the current
   * version's, so ids and times order versions the same way.
   */
  recordPolicyVersion(input: NewPolicyVersion): Promise<PolicyVersionRecord>;
  /** The version in force now: the latest applied. */
  currentPolicyVersion(): Promise<PolicyVersionRecord | undefined>;
  /** The version that was in force at `time`: the latest applied at or before it. */
  policyVersionAt(time: Date): Promise<PolicyVersionRecord | undefined>;
  /** Newest first; `before` pages by id. */
  listPolicyVersions(options?: { readonly limit?: number; readonly before?: number }): Promise<PolicyVersionRecord[]>;
  /** The complete manifest set of one version, sorted by key. */
  policyManifests(id: number): Promise<StoredManifest[]>;
  /** Stores a newly issued key, or replaces the key with the same id (rotation). Only digests are stored. */
  putApiKey(record: ApiKeyRecord): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, revoked and expired included, sorted by id. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Revokes a key unless it is revoked already; true when this call revoked it. */
  revokeApiKey(id: string, at: Date): Promise<boolean>;
  /**
   * Marks a key as replaced by `successor`, working until `expiresAt`, unless it is revoked or
   * was replaced already; true when this call did it (so two rotations never both win).
   */
  replaceApiKey(id: string, successor: string, expiresAt: Date): Promise<boolean>;
  /** Notes that the owner was warned of the key's expiry, unless someone did already; true when this call did. */
  markApiKeyWarned(id: string, at: Date): Promise<boolean>;
  /** Records when keys were last used; an older time than the stored one is ignored. */
  markApiKeysUsed(lastUsed: ReadonlyMap<string, Date>): Promise<void>;
  close(): Promise<void>;
}

