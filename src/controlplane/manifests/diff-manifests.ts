import { canonicalJson } from '../../policy/content-hash.js';
import type { FieldChange, ManifestDiff, StoredManifest } from '../store/store.js';

const MAX_CHANGES_PER_MANIFEST = 50;

/** What changed between two applied manifest sets, manifest by manifest and field by field. */
export function diffManifests(before: readonly StoredManifest[], after: readonly StoredManifest[]): ManifestDiff {
  const previous = new Map(before.map((manifest) => [manifest.key, manifest.content]));
  const next = new Map(after.map((manifest) => [manifest.key, manifest.content]));
  const added = [...next.keys()].filter((key) => !previous.has(key)).sort();
  const removed = [...previous.keys()].filter((key) => !next.has(key)).sort();
  const changed = [...next.keys()]
    .filter((key) => previous.has(key))
    .sort()
    .map((key) => ({ key, changes: fieldChanges(previous.get(key), next.get(key), '') }))
    .filter((entry) => entry.changes.length > 0)
    .map((entry) => ({ key: entry.key, changes: entry.changes.slice(0, MAX_CHANGES_PER_MANIFEST) }));
  return { added, removed, changed };
}

function fieldChanges(before: unknown, after: unknown, field: string): FieldChange[] {
  if (canonicalJson(before) === canonicalJson(after)) return [];
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => fieldChanges(before[key], after[key], field ? `${field}.${key}` : key));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, index) => fieldChanges(item, after[index], `${field}[${index}]`));
  }
  return [{ field, before, after }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Human lines: `+ Agent/x`, `- Role/y`, `~ Api/z` with `field: before → after` under it. */
export function formatDiff(diff: ManifestDiff): string[] {
  const lines: string[] = [];
  for (const key of diff.added) lines.push(`+ ${key}`);
  for (const key of diff.removed) lines.push(`- ${key}`);
  for (const { key, changes } of diff.changed) {
    lines.push(`~ ${key}`);
    for (const change of changes) lines.push(`    ${change.field}: ${shown(change.before)} → ${shown(change.after)}`);
  }
  return lines;
}

function shown(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
