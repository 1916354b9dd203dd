import type { KeyObject } from 'node:crypto';
import { recordContent, GENESIS_HASH } from './audit-chain.js';
import { checkpointDigest, signatureValid, type Checkpoint } from './audit-checkpoints.js';
import type { AuditEvent } from '../../model/audit-event.js';
import { NODE_LEVEL, type AuditBlock, type AuditLog } from './audit-log.js';
import { leafHash, MerkleFrontier } from './merkle-tree.js';
import type { PrunedSegments } from './audit-retention.js';

export interface VerifyOptions {
  /** First `seq` to check (default 1). A range that starts later trusts the stored tree before it. */
  readonly from?: number;
  /** Last `seq` to check (default: the end of the log). */
  readonly to?: number;
  /** Public keys that may have signed checkpoints, by key id. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  /** Called now and then while long checks run. */
  readonly onProgress?: (checked: number, total: number) => void;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly from: number;
  readonly to: number;
  /** Records whose text was re-hashed (pruned ones are counted by their kept leaf hash). */
  readonly checked: number;
  readonly pruned: number;
  readonly checkpointsChecked: number;
  /** The first record (1-based `seq`, the leaf index + 1) that is wrong, and what is wrong with it. */
  readonly firstBad: { readonly seq: number; readonly problem: string } | undefined;
  /** The root of the log as checked, hex. */
  readonly root: string;
}

/**
 * Recomputes the log: every record's text against its hash, `seq` and `prevHash` (a flipped
 * byte, a deleted, reordered or inserted record stops the check at its index), the stored leaf
 * hashes and subtree nodes, the root at every checkpoint's size, each checkpoint's signature
 * and its link to the one before, and that no checkpoint covers more records than are there
 * (truncation).
 */
export function verifyAudit(log: AuditLog, checkpoints: readonly Checkpoint[], pruned: PrunedSegments, options: VerifyOptions): VerifyReport {
  const size = log.size();
  const from = Math.max(1, options.from ?? 1);
  const to = Math.min(options.to ?? Number.MAX_SAFE_INTEGER, Math.max(size, checkpoints.at(-1)?.treeSize ?? 0));
  let checked = 0;
  let prunedCount = 0;
  let checkpointsChecked = 0;
  let firstBad: VerifyReport['firstBad'];
  const bad = (seq: number, problem: string) => {
    firstBad ??= { seq, problem };
  };

  // Checkpoints first: they are what the records are checked against.
  const bySize = new Map<number, Checkpoint>();
  let previous: Checkpoint | undefined;
  for (const checkpoint of checkpoints) {
    const problem = checkpointProblem(checkpoint, previous, options.publicKeys);
    if (problem !== undefined) {
      bad(Math.min(checkpoint.treeSize, size + 1), `checkpoint of size ${checkpoint.treeSize} (${checkpoint.time}): ${problem}`);
      break;
    }
    bySize.set(checkpoint.treeSize, checkpoint);
    previous = checkpoint;
  }
  const lastCheckpoint = checkpoints.at(-1);
  // Retention prunes only sealed segments: wholly inside a signed checkpoint and before the log's
  // end. A blank record or a missing segment anywhere else was removed by someone else.
  const sealedUpTo = Math.min(previous?.treeSize ?? 0, size - 1);
  const prunedByRetention = (seq: number) => {
    const segmentEnd = (Math.floor((seq - 1) / log.segmentSize) + 1) * log.segmentSize;
    return segmentEnd <= sealedUpTo && pruned.prunedAt(seq);
  };
  if (lastCheckpoint !== undefined && lastCheckpoint.treeSize > size) bad(size + 1, `the log ends at record ${size}, but the checkpoint of ${lastCheckpoint.time} covers ${lastCheckpoint.treeSize} records: records ${size + 1}–${lastCheckpoint.treeSize} were removed`);

  const frontier = from === 1 ? new MerkleFrontier(NODE_LEVEL, storedNodeCheck(log, bad)) : log.frontierAt(from - 1);
  let prevHash = from === 1 ? GENESIS_HASH : `sha256:${log.leafHashes(from - 2, from - 1)[0]!.toString('hex')}`;
  let goodUpTo = from - 1;
  const checkRoot = () => {
    const checkpoint = bySize.get(frontier.size);
    if (checkpoint === undefined) return;
    checkpointsChecked++;
    if (frontier.root().toString('hex') !== checkpoint.root) {
      const earlier = [...bySize.keys()].filter((treeSize) => treeSize < frontier.size).at(-1) ?? 0;
      bad(Math.max(earlier, from - 1) + 1, `records ${earlier + 1}–${frontier.size} do not hash to the root signed in the checkpoint of ${checkpoint.time}: one of them was changed and the chain rewritten after it`);
    }
  };

  let expected = from;
  const last = Math.min(to, size);
  for (const block of log.blocks(from, last)) {
    if (firstBad !== undefined) break;
    // A gap: a pruned segment (its stored subtree stands in for it) or records deleted.
    while (expected < block.firstSeq && firstBad === undefined) {
      const segment = prunedByRetention(expected) ? pruned.covering(expected) : undefined;
      if (segment === undefined || segment.firstSeq !== expected) {
        bad(expected, `record ${expected} is missing: it was deleted`);
        break;
      }
      frontier.push(Math.log2(log.segmentSize), segment.root);
      prevHash = segment.lastHash;
      prunedCount += segment.lastSeq - segment.firstSeq + 1;
      expected = segment.lastSeq + 1;
      checkRoot();
    }
    if (firstBad !== undefined) break;
    if (block.lastSeq < expected) {
      bad(expected, `record ${block.lastSeq} is stored twice`);
      break;
    }
    const count = block.lastSeq - block.firstSeq + 1;
    if (block.hashes.length !== count * 32) bad(block.firstSeq, `the block of records ${block.firstSeq}–${block.lastSeq} holds ${block.hashes.length / 32} leaf hashes: hashes were removed or added`);
    // A range check starts inside the block that holds `from`.
    for (let index = Math.max(0, expected - block.firstSeq); index < count && firstBad === undefined; index++) {
      const seq = block.firstSeq + index;
      if (seq > last) break;
      const stored = block.hashes.subarray(index * 32, index * 32 + 32);
      const line = block.lines[index];
      let leaf: Buffer;
      if (line === undefined) {
        bad(seq, `record ${seq} is missing: it was deleted`);
        break;
      } else if (line === '') {
        if (!prunedByRetention(seq)) {
          bad(seq, `record ${seq} was blanked outside what retention prunes (sealed segments it recorded): it was deleted`);
          break;
        }
        leaf = stored;
        prunedCount++;
      } else {
        const problem = recordProblem(line, seq, prevHash);
        if (typeof problem === 'string') {
          bad(seq, problem);
          break;
        }
        leaf = problem;
        if (!leaf.equals(stored)) {
          bad(seq, `record ${seq}'s stored leaf hash does not match its text`);
          break;
        }
        const unlisted = summaryProblem(block.summary, line);
        if (unlisted !== undefined) {
          bad(seq, `the summary of records ${block.firstSeq}–${block.lastSeq} leaves out record ${seq}'s ${unlisted}: queries would miss it`);
          break;
        }
        checked++;
      }
      prevHash = `sha256:${leaf.toString('hex')}`;
      frontier.append(leaf);
      checkRoot();
      goodUpTo = seq;
      if (seq % 100_000 === 0) options.onProgress?.(seq - from + 1, last - from + 1);
    }
    if (firstBad === undefined && block.lines.length > count) bad(block.lastSeq + 1, `the block of records ${block.firstSeq}–${block.lastSeq} holds ${block.lines.length} records: records were inserted`);
    expected = block.lastSeq + 1;
  }
  if (firstBad === undefined && goodUpTo < last && expected <= last) {
    const segment = pruned.covering(expected);
    bad(expected, segment === undefined ? `record ${expected} is missing: it was deleted` : `record ${expected} is missing`);
  }
  return { ok: firstBad === undefined, from, to: last, checked, pruned: prunedCount, checkpointsChecked, firstBad, root: frontier.root().toString('hex') };
}

/** The record's leaf hash when its text, `seq` and `prevHash` are right, else what is wrong. */
function recordProblem(line: string, seq: number, prevHash: string): Buffer | string {
  const prefix = `{"seq":${seq},"prevHash":"${prevHash}"`;
  if (!line.startsWith(prefix)) {
    const found = /^\{"seq":(\d+)/.exec(line)?.[1];
    if (found !== undefined && Number(found) !== seq) return `record ${seq} holds seq ${found}: records were reordered, removed or inserted`;
    return found === undefined ? `record ${seq} is not a record (its text was changed)` : `record ${seq}'s prevHash does not match record ${seq - 1}`;
  }
  const hashMember = /,"hash":"sha256:([0-9a-f]{64})"\}$/.exec(line);
  if (hashMember === null) return `record ${seq} does not end with its hash (its text was changed)`;
  const leaf = leafHash(recordContent(line));
  return leaf.toString('hex') === hashMember[1] ? leaf : `record ${seq}'s text does not match its hash: it was changed`;
}

/**
 * What of a record its block's summary leaves out, or undefined. The summary is not hashed (it
 * is derived), so an edit to it would hide records from queries, reports and exports while the
 * tree still verifies: verify re-derives it. Extra entries are fine (pruning leaves them).
 */
function summaryProblem(summary: AuditBlock['summary'], line: string): string | undefined {
  const event = JSON.parse(line) as AuditEvent;
  if (event.time < summary.minTime || event.time > summary.maxTime) return 'time';
  if (event.agent !== undefined && !summary.agents.includes(`|${event.agent.name}|`)) return 'agent';
  if (event.api !== undefined && !summary.apis.includes(`|${event.api.name}|`)) return 'API';
  if (event.api?.dataClasses.some((dataClass) => !summary.dataClasses.includes(`|${dataClass}|`)) === true) return 'data class';
  return undefined;
}

/** Why a checkpoint cannot be trusted, or undefined. */
function checkpointProblem(checkpoint: Checkpoint, previous: Checkpoint | undefined, publicKeys: ReadonlyMap<string, KeyObject>): string | undefined {
  const key = publicKeys.get(checkpoint.keyId);
  if (key === undefined) return `it is signed by key ${checkpoint.keyId}, which is not among the keys given (pass its public key)`;
  if (!signatureValid(checkpoint, key)) return 'its signature does not verify';
  const fields = /^warden-audit-checkpoint v1\nsize (\d+)\nroot ([0-9a-f]{64})\ntime (\S+)\nprev (\S+)\n$/.exec(checkpoint.body);
  if (fields === null || Number(fields[1]) !== checkpoint.treeSize || fields[2] !== checkpoint.root || fields[3] !== checkpoint.time) return 'its stored fields differ from what was signed';
  const expectedPrev = previous === undefined ? 'none' : checkpointDigest(previous);
  if (fields[4] !== expectedPrev) return previous === undefined ? 'it names a previous checkpoint that is not there: checkpoints were removed' : 'it does not name the checkpoint before it: checkpoints were removed or replaced';
  if (previous !== undefined && previous.time > checkpoint.time) return 'it is older than the checkpoint before it';
  return undefined;
}

/** Compares every subtree node the check completes with the stored one (proofs are built from them). */
function storedNodeCheck(log: AuditLog, bad: (seq: number, problem: string) => void): (level: number, index: number, hash: Buffer) => void {
  return (level, index, hash) => {
    const stored = log.storedNode(level, index);
    if (stored !== undefined && !stored.equals(hash)) bad(index * 2 ** level + 1, `the stored hash of records ${index * 2 ** level + 1}–${(index + 1) * 2 ** level} differs from the records (proofs would be wrong)`);
  };
}
