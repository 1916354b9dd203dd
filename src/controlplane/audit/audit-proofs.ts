import type { Checkpoint, Checkpoints } from './audit-checkpoints.js';
import type { AuditLog } from './audit-log.js';
import { consistencyPath, inclusionPath } from './merkle-tree.js';

/**
 * Proofs an auditor checks with RFC 9162's algorithms (docs/audit.md gives the procedure): the
 * hashes are hex, leaf indexes 0-based (`seq` − 1), and each proof names the signed checkpoint
 * whose root it ends at, so the auditor trusts the signature, not this server.
 */
export interface InclusionProof {
  readonly seq: number;
  readonly leafIndex: number;
  readonly treeSize: number;
  /** The record as stored; its leaf data is the text without the final `"hash"` member. */
  readonly record: string;
  readonly leafHash: string;
  readonly path: string[];
  readonly root: string;
  readonly checkpoint: Checkpoint;
}

export interface ConsistencyProof {
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: string;
  readonly newRoot: string;
  readonly path: string[];
  readonly oldCheckpoint: Checkpoint;
  readonly newCheckpoint: Checkpoint;
}

/** Raised for a proof that cannot be given as asked; the message says what to ask instead. */
export class ProofUnavailableError extends Error {}

/** That record `seq` is in the tree of a checkpoint (the latest, unless `treeSize` names one). */
export function inclusionProof(log: AuditLog, checkpoints: Checkpoints, seq: number, treeSize?: number): InclusionProof {
  const checkpoint = treeSize === undefined ? checkpoints.latest() : checkpoints.atSize(treeSize);
  if (checkpoint === undefined) throw new ProofUnavailableError(treeSize === undefined ? 'no checkpoint has been made yet; wait for the next one (audit.checkpointSeconds) or run `warden audit checkpoint`' : `there is no checkpoint of size ${treeSize}; list them with \`warden audit checkpoints\``);
  if (!Number.isInteger(seq) || seq < 1 || seq > checkpoint.treeSize) throw new ProofUnavailableError(`record ${seq} is not covered by the checkpoint of size ${checkpoint.treeSize}; a later checkpoint may cover it`);
  const record = log.get(seq);
  if (record === undefined) throw new ProofUnavailableError(`record ${seq} was pruned by retention; only its leaf hash is kept`);
  const leaf = log.leafHashes(seq - 1, seq)[0]!;
  return {
    seq,
    leafIndex: seq - 1,
    treeSize: checkpoint.treeSize,
    record: record.json,
    leafHash: leaf.toString('hex'),
    path: inclusionPath(seq - 1, checkpoint.treeSize, log.subtreeHash).map((hash) => hash.toString('hex')),
    root: checkpoint.root,
    checkpoint,
  };
}

/** That the checkpoint of `oldSize` is a prefix of the checkpoint of `newSize` (default: the latest). */
export function consistencyProof(log: AuditLog, checkpoints: Checkpoints, oldSize: number, newSize?: number): ConsistencyProof {
  const oldCheckpoint = checkpoints.atSize(oldSize);
  const newCheckpoint = newSize === undefined ? checkpoints.latest() : checkpoints.atSize(newSize);
  if (oldCheckpoint === undefined || newCheckpoint === undefined) throw new ProofUnavailableError(`there is no checkpoint of size ${oldCheckpoint === undefined ? oldSize : newSize}; list them with \`warden audit checkpoints\``);
  if (oldCheckpoint.treeSize > newCheckpoint.treeSize) throw new ProofUnavailableError(`the old checkpoint (${oldCheckpoint.treeSize}) must not be larger than the new one (${newCheckpoint.treeSize})`);
  return {
    oldSize: oldCheckpoint.treeSize,
    newSize: newCheckpoint.treeSize,
    oldRoot: oldCheckpoint.root,
    newRoot: newCheckpoint.root,
    path: consistencyPath(oldCheckpoint.treeSize, newCheckpoint.treeSize, log.subtreeHash).map((hash) => hash.toString('hex')),
    oldCheckpoint,
    newCheckpoint,
  };
}
