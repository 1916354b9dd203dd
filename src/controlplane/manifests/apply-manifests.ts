import { manifestKey, type ManifestSet } from '../../model/manifests/index.js';
import { compile } from '../../policy/compile.js';
import type { ManifestDiff, PolicyVersionRecord, Store, StoredManifest } from '../store/store.js';
import { diffManifests } from './diff-manifests.js';

export interface ApplyResult {
  /** The version in force after the apply. */
  readonly record: PolicyVersionRecord;
  /** False when the content equals the version already in force: nothing was recorded. */
  readonly changed: boolean;
  readonly diff: ManifestDiff;
}

/**
 * Puts a validated manifest set in force: compiles it (so nothing uncompilable is ever
 * stored), diffs it against the version in force and records who applied it and why.
 */
export async function applyManifests(store: Store, set: ManifestSet, who: { appliedBy: string; message?: string; now?: Date }): Promise<ApplyResult> {
  const snapshot = compile(set);
  const manifests: StoredManifest[] = [...set.apis, ...set.roles, ...set.agents, ...(set.templates ?? []), ...(set.playbooks ?? []), ...(set.dataPolicies ?? [])].map((content) => {
    const key = manifestKey(content);
    const source = set.sources?.get(key);
    return source ? { key, content, source } : { key, content };
  });
  const current = await store.currentPolicyVersion();
  if (current && current.version === snapshot.version) {
    return { record: current, changed: false, diff: { added: [], removed: [], changed: [] } };
  }
  const previous = current ? await store.policyManifests(current.id) : [];
  const diff = diffManifests(previous, manifests);
  const record = await store.recordPolicyVersion({
    basedOn: current?.id,
    version: snapshot.version,
    appliedAt: who.now ?? new Date(),
    appliedBy: who.appliedBy,
    ...(who.message !== undefined ? { message: who.message } : {}),
    diff,
    manifests,
  });
  return { record, changed: true, diff };
}
