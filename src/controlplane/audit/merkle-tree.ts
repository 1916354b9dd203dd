import { createHash, hash } from 'node:crypto';

/**
 * Merkle tree hashing of RFC 6962 §2.1 (as restated in RFC 9162 §2.1): a leaf hashes as
 * SHA-256(0x00 ‖ data), an interior node as SHA-256(0x01 ‖ left ‖ right), so no leaf can pass
 * for a node. The tree over n leaves splits at the largest power of two below n.
 */
const LEAF_PREFIX = Buffer.from([0]);

// One-shot `hash()` costs about half of a createHash() chain, and a leaf is hashed per record.
export function leafHash(data: string | Buffer): Buffer {
  return typeof data === 'string' ? hash('sha256', `\0${data}`, 'buffer') : hash('sha256', Buffer.concat([LEAF_PREFIX, data]), 'buffer');
}

// Nodes are hashed about once per leaf: one reused input buffer saves an allocation each time.
const NODE_INPUT = Buffer.alloc(65, 1);

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  left.copy(NODE_INPUT, 1);
  right.copy(NODE_INPUT, 33);
  return hash('sha256', NODE_INPUT, 'buffer');
}

/** SHA-256 of nothing: the root of the empty tree (RFC 6962 §2.1). */
export const EMPTY_ROOT = createHash('sha256').digest();

/** The largest power of two smaller than n (n ≥ 2): where RFC 6962 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Hash of the subtree over leaves [start, end) — MTH(D[start:end]) — however it is obtained. */
export type SubtreeHash = (start: number, end: number) => Buffer;

/** The audit path of leaf `index` in the tree of the first `size` leaves (RFC 6962 §2.1.1, PATH). */
export function inclusionPath(index: number, size: number, subtree: SubtreeHash): Buffer[] {
  if (index < 0 || index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path: Buffer[] = [];
  const walk = (m: number, start: number, end: number): void => {
    const n = end - start;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, start + k);
      path.push(subtree(start + k, end));
    } else {
      walk(m - k, start + k, end);
      path.push(subtree(start, start + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** The proof that the tree of `oldSize` leaves is a prefix of the tree of `newSize` (RFC 6962 §2.1.2, PROOF). */
export function consistencyPath(oldSize: number, newSize: number, subtree: SubtreeHash): Buffer[] {
  if (oldSize < 1 || oldSize > newSize) throw new RangeError(`no consistency proof from ${oldSize} to ${newSize}`);
  const proof: Buffer[] = [];
  const sub = (m: number, start: number, end: number, complete: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!complete) proof.push(subtree(start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, start + k, complete);
      proof.push(subtree(start + k, end));
    } else {
      sub(m - k, start + k, end, false);
      proof.push(subtree(start, start + k));
    }
  };
  sub(oldSize, 0, newSize, true);
  return proof;
}

/** RFC 9162 §2.1.3.2: does `path` prove that `leaf` is leaf `index` of the tree of `size` with `root`? */
export function verifyInclusion(leaf: Buffer, index: number, size: number, path: readonly Buffer[], root: Buffer): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree (`oldSize`, `oldRoot`) is a prefix of (`newSize`, `newRoot`)? */
export function verifyConsistency(oldSize: number, newSize: number, proof: readonly Buffer[], oldRoot: Buffer, newRoot: Buffer): boolean {
  if (oldSize < 1 || oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && oldRoot.equals(newRoot);
  const path = [...proof];
  // A power-of-two old tree is itself a node of the new one, so the proof leaves it out.
  if ((oldSize & (oldSize - 1)) === 0) path.unshift(oldRoot);
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}

/**
 * The right edge of a growing tree: the roots of its complete subtrees, largest first (one per
 * set bit of the size). Appending a leaf merges equal-sized neighbours, and the root of the
 * whole tree folds the edge from the right — MTH for any size without keeping the leaves.
 */
export class MerkleFrontier {
  #size = 0;
  readonly #stack: { level: number; hash: Buffer }[] = [];

  /**
   * @param onComplete called for every complete aligned subtree of `minLevel` or more levels
   *   as it closes: `index` counts subtrees of that level from the left.
   */
  constructor(
    private readonly minLevel = Number.POSITIVE_INFINITY,
    private readonly onComplete?: (level: number, index: number, hash: Buffer) => void,
  ) {}

  get size(): number {
    return this.#size;
  }

  /** Adds the next leaf by its leaf hash. */
  append(leaf: Buffer): void {
    this.push(0, leaf);
  }

  /**
   * Adds a complete subtree of 2^level leaves (a stored node, when the leaves under it were
   * pruned). It must start where the tree ends and be aligned, as a leaf or a node always is
   * when the tree's size is a multiple of its width.
   */
  push(level: number, hash: Buffer): void {
    const width = 2 ** level;
    if (this.#size % width !== 0) throw new Error(`a subtree of ${width} leaves cannot start at leaf ${this.#size}`);
    this.#size += width;
    let entry = { level, hash };
    while (this.#stack.length > 0 && this.#stack[this.#stack.length - 1]!.level === entry.level) {
      const left = this.#stack.pop()!;
      entry = { level: entry.level + 1, hash: nodeHash(left.hash, entry.hash) };
      if (entry.level >= this.minLevel) this.onComplete?.(entry.level, this.#size / 2 ** entry.level - 1, entry.hash);
    }
    this.#stack.push(entry);
  }

  /** An independent frontier in the same state (to roll back to if an append fails). */
  copy(): MerkleFrontier {
    const copy = new MerkleFrontier(this.minLevel, this.onComplete);
    copy.#size = this.#size;
    copy.#stack.push(...this.#stack.map((entry) => ({ ...entry })));
    return copy;
  }

  /** MTH of all leaves so far. */
  root(): Buffer {
    if (this.#stack.length === 0) return EMPTY_ROOT;
    let hash = this.#stack[this.#stack.length - 1]!.hash;
    for (let index = this.#stack.length - 2; index >= 0; index--) hash = nodeHash(this.#stack[index]!.hash, hash);
    return hash;
  }
}
