import type { AuditEvent } from '../../model/audit-event.js';
import type { Checkpoints } from './audit-checkpoints.js';
import type { AuditLog } from './audit-log.js';
import type { LegalHolds } from './legal-holds.js';

const DAY_MS = 86_400_000;

/** How long records are kept: `defaultDays`, or per data class (the longest class of a record wins). */
export interface RetentionPolicy {
  readonly defaultDays: number;
  readonly dataClasses: Readonly<Record<string, number>>;
}

/** A segment none of whose records is left: its subtree node and last hash stand in for it. */
export interface DroppedSegment {
  readonly index: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly root: Buffer;
  readonly lastHash: string;
}

/** The segments retention has dropped whole (`audit_segments` with `dropped = 1`). */
export class PrunedSegments {
  constructor(private readonly log: AuditLog) {}

  /** Whether retention has pruned in the segment holding `seq` (blank records there are its doing). */
  prunedAt(seq: number): boolean {
    const index = Math.floor((seq - 1) / this.log.segmentSize);
    return this.log.db.prepare<[number], { idx: number }>('SELECT idx FROM audit_segments WHERE idx = ?').get(index) !== undefined;
  }

  covering(seq: number): DroppedSegment | undefined {
    const index = Math.floor((seq - 1) / this.log.segmentSize);
    const row = this.log.db.prepare<[number], { last_hash: string }>('SELECT last_hash FROM audit_segments WHERE idx = ? AND dropped = 1').get(index);
    if (row === undefined) return undefined;
    const root = this.log.storedNode(Math.log2(this.log.segmentSize), index);
    if (root === undefined) return undefined;
    return { index, firstSeq: index * this.log.segmentSize + 1, lastSeq: (index + 1) * this.log.segmentSize, root, lastHash: row.last_hash };
  }
}

export interface PruneReport {
  /** Sealed segments looked at (those old enough to hold expired records). */
  readonly segments: number;
  readonly pruned: number;
  /** Expired records kept because a legal hold covers them. */
  readonly held: number;
  /** Segments with no record left, whose blocks were deleted. */
  readonly dropped: number;
}

/**
 * Prunes expired records from sealed segments: segments wholly before the latest checkpoint
 * and the log's end. A pruned record's text is blanked and its leaf hash kept, so the tree and
 * every checkpoint stay verifiable; a segment with nothing left loses its blocks and keeps its
 * subtree node. Records under a legal hold are never pruned.
 */
export function pruneAudit(log: AuditLog, input: { readonly policy: RetentionPolicy; readonly holds: LegalHolds; readonly checkpoints: Checkpoints; readonly now: Date }): PruneReport {
  const signed = Math.min(input.checkpoints.latest()?.treeSize ?? 0, log.size() - 1);
  const size = log.segmentSize;
  const shortest = Math.min(input.policy.defaultDays, ...Object.values(input.policy.dataClasses));
  const oldestExpired = new Date(input.now.getTime() - shortest * DAY_MS).toISOString();
  const held = input.holds.heldTest();
  const expired = expiryTest(input.policy, input.now);
  const report = { segments: 0, pruned: 0, held: 0, dropped: 0 };
  const db = log.db;
  const dropped = db.prepare<[number], { idx: number }>('SELECT idx FROM audit_segments WHERE idx = ? AND dropped = 1');
  const oldest = db.prepare<[number, number], { min_time: string | null }>('SELECT MIN(min_time) AS min_time FROM audit_blocks WHERE first_seq >= ? AND first_seq <= ?');
  const update = db.prepare('UPDATE audit_blocks SET records = ? WHERE first_seq = ?');
  const remove = db.prepare('DELETE FROM audit_blocks WHERE first_seq >= ? AND first_seq <= ?');
  const note = db.prepare('INSERT OR REPLACE INTO audit_segments (idx, last_hash, pruned_at, pruned, kept, dropped) VALUES (?, ?, ?, ?, ?, ?)');

  for (let index = 0; (index + 1) * size <= signed; index++) {
    const first = index * size + 1;
    const last = (index + 1) * size;
    if (dropped.get(index) !== undefined) continue;
    // Nothing in a segment whose oldest record is younger than the shortest retention can expire.
    const since = oldest.get(first, last)?.min_time;
    if (since === null || since === undefined || since > oldestExpired) continue;
    report.segments++;
    db.transaction(() => {
      let kept = 0;
      let pruned = 0;
      let lastHash = '';
      for (const block of log.blocks(first, last)) {
        let changed = false;
        for (let line = 0; line < block.lines.length; line++) {
          const json = block.lines[line]!;
          if (json === '') {
            pruned++;
            continue;
          }
          const event = JSON.parse(json) as AuditEvent;
          if (!expired(event)) kept++;
          else if (held(event)) {
            kept++;
            report.held++;
          } else {
            block.lines[line] = '';
            pruned++;
            report.pruned++;
            changed = true;
          }
        }
        if (changed) update.run(block.lines.join('\n'), block.firstSeq);
        lastHash = `sha256:${block.hashes.subarray(block.hashes.length - 32).toString('hex')}`;
      }
      const whole = kept === 0;
      if (whole) {
        remove.run(first, last);
        report.dropped++;
      }
      note.run(index, lastHash, input.now.toISOString(), pruned, kept, whole ? 1 : 0);
      // Immediate: it reads blocks and then rewrites them, beside the append worker's commits.
    }).immediate();
  }
  return report;
}

/** True for a record older than its retention: the longest of its data classes', else the default. */
function expiryTest(policy: RetentionPolicy, now: Date): (event: AuditEvent) => boolean {
  return (event) => {
    const classes = event.api?.dataClasses ?? [];
    const days = classes.length === 0 ? policy.defaultDays : Math.max(...classes.map((name) => policy.dataClasses[name] ?? policy.defaultDays));
    return Date.parse(event.time) + days * DAY_MS <= now.getTime();
  };
}
