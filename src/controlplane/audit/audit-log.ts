import type Sqlite from 'better-sqlite3';
import type { AuditEvent } from '../../model/audit-event.js';
import { chainRecord, GENESIS_HASH, serializeAuditEvents, type ChainedAuditRecord, type SerializedAuditBatch } from './audit-chain.js';
import { MerkleFrontier, nodeHash, splitPoint } from './merkle-tree.js';

/** Subtrees of 2^NODE_LEVEL leaves and more are stored as they complete (`audit_nodes`). */
export const NODE_LEVEL = 8;
const HASH_BYTES = 32;
const DEFAULT_SEGMENT_SIZE = 65_536;
const MAX_BLOCK_RECORDS = 512;

export interface AuditLogOptions {
  /** Leaves per segment, the unit retention prunes: a power of two ≥ 256 (default 65,536). */
  readonly segmentSize?: number;
  /**
   * Another thread or process appends (the append worker): this instance only reads, and
   * catches up with the database before it answers the size or a root.
   */
  readonly follow?: boolean;
}

/** One record as stored: its position and its text (which carries `seq`, `prevHash` and `hash`). */
export interface StoredAuditRecord {
  readonly seq: number;
  readonly json: string;
}

/** A block row as read back. */
export interface AuditBlock {
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** One entry per record; an empty string where a record was pruned. */
  readonly lines: string[];
  /** 32 bytes per record: the leaf hashes, kept when records are pruned. */
  readonly hashes: Buffer;
  /** What a query skips the block by: its time span and `|a|b|` lists of agents, APIs and data classes. */
  readonly summary: { readonly minTime: string; readonly maxTime: string; readonly agents: string; readonly apis: string; readonly dataClasses: string };
}

interface BlockRow {
  first_seq: number;
  last_seq: number;
  records: string;
  hashes: Buffer;
  min_time: string;
  max_time: string;
  agents: string;
  apis: string;
  data_classes: string;
}

/**
 * The audit log: an append-only Merkle log in SQLite (migration 0005 describes the tables).
 * Records are appended in blocks, one row per batch; every record's leaf hash is kept, and the
 * hashes of complete subtrees of 256 leaves and more are stored as the tree grows, so the root
 * at any size and the proofs of controlplane/audit/audit-proofs.ts cost a few small reads.
 *
 * Synchronous on purpose: better-sqlite3 is, and one process appends through one instance (the
 * audit writer), which keeps `seq` and the chain in memory.
 */
export class AuditLog {
  readonly segmentSize: number;
  readonly #follow: boolean;
  #seq = 0;
  #prevHash = GENESIS_HASH;
  #frontier: MerkleFrontier;
  readonly #insertBlock: Sqlite.Statement;
  readonly #insertNode: Sqlite.Statement;
  readonly #selectNode: Sqlite.Statement<[number, number], { hash: Buffer }>;
  readonly #blocksFrom: Sqlite.Statement<[number, number], BlockRow>;
  readonly #blockAt: Sqlite.Statement<[number], BlockRow>;
  readonly #lastBlock: Sqlite.Statement<[], { last_seq: number; hashes: Buffer }>;
  readonly #appendAll: (records: ChainedAuditRecord[], batch: SerializedAuditBatch) => void;

  private constructor(
    readonly db: Sqlite.Database,
    options: AuditLogOptions,
  ) {
    this.segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    this.#follow = options.follow === true;
    if (!Number.isInteger(Math.log2(this.segmentSize)) || this.segmentSize < 2 ** NODE_LEVEL) throw new Error(`segmentSize must be a power of two of at least ${2 ** NODE_LEVEL}`);
    this.#insertBlock = db.prepare('INSERT INTO audit_blocks (first_seq, last_seq, min_time, max_time, agents, apis, data_classes, records, hashes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.#insertNode = db.prepare('INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)');
    this.#selectNode = db.prepare('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?');
    this.#blocksFrom = db.prepare('SELECT first_seq, last_seq, records, hashes, min_time, max_time, agents, apis, data_classes FROM audit_blocks WHERE last_seq >= ? ORDER BY first_seq LIMIT ?');
    this.#blockAt = db.prepare('SELECT first_seq, last_seq, records, hashes, min_time, max_time, agents, apis, data_classes FROM audit_blocks WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1');
    this.#lastBlock = db.prepare('SELECT last_seq, hashes FROM audit_blocks ORDER BY first_seq DESC LIMIT 1');
    this.#frontier = this.#newFrontier();
    const appendAll = db.transaction((records: ChainedAuditRecord[], batch: SerializedAuditBatch) => {
      // One writer per log: a second process appending to the same database would fork it.
      const end = this.#lastBlock.get()?.last_seq ?? 0;
      if (end !== records[0]!.seq - 1) throw new Error(`the audit log ends at record ${end}, not ${records[0]!.seq - 1}: another process appends to it; run one gateway per data directory`);
      const frontier = this.#frontier;
      let block = new BlockBuilder();
      for (let index = 0; index < records.length; index++) {
        const record = records[index]!;
        block.add(record, batch.times[index]!, batch.agents[index]!, batch.apis[index]!, batch.dataClasses[index]!);
        frontier.append(record.leaf);
        // A block ends at a segment boundary, so pruning a segment never splits a block.
        if (block.size >= MAX_BLOCK_RECORDS || record.seq % this.segmentSize === 0) {
          this.#insertBlock.run(block.row());
          block = new BlockBuilder();
        }
      }
      if (block.size > 0) this.#insertBlock.run(block.row());
    });
    this.#appendAll = (records, batch) => appendAll.immediate(records, batch);
  }

  /** Opens the log in a migrated store database and continues it where it ends. */
  static open(db: Sqlite.Database, options: AuditLogOptions = {}): AuditLog {
    const log = new AuditLog(db, options);
    log.#catchUp();
    return log;
  }

  /** Takes the log's end from the database: at open, and before a follower answers. */
  #catchUp(): void {
    const last = this.#lastBlock.get();
    if (last === undefined || last.last_seq === this.#seq) return;
    this.#seq = last.last_seq;
    this.#prevHash = `sha256:${last.hashes.subarray(last.hashes.length - HASH_BYTES).toString('hex')}`;
    this.#frontier = this.frontierAt(last.last_seq, !this.#follow);
  }

  /** The number of records ever appended (pruned ones included): the tree's size and the last `seq`. */
  size(): number {
    if (this.#follow) this.#catchUp();
    return this.#seq;
  }

  /** MTH of the whole log now. */
  root(): Buffer {
    if (this.#follow) this.#catchUp();
    return this.#frontier.root();
  }

  /**
   * Appends records in one transaction, all or none, and returns them as chained. On failure
   * nothing is appended and the chain stays where it was, so the caller may retry the batch.
   */
  append(events: readonly AuditEvent[]): ChainedAuditRecord[] {
    return this.appendSerialized(serializeAuditEvents(events));
  }

  /** `append` for events serialised already (by the request thread, for the append worker). */
  appendSerialized(batch: SerializedAuditBatch): ChainedAuditRecord[] {
    if (this.#follow) throw new Error('this audit log follows another writer and cannot append');
    if (batch.bodies.length === 0) return [];
    const records: ChainedAuditRecord[] = [];
    let seq = this.#seq;
    let prevHash = this.#prevHash;
    for (const body of batch.bodies) {
      const record = chainRecord(body, ++seq, prevHash);
      records.push(record);
      prevHash = record.hash;
    }
    const before = this.#frontier;
    this.#frontier = before.copy();
    try {
      this.#appendAll(records, batch);
    } catch (error) {
      this.#frontier = before;
      throw error;
    }
    this.#seq = seq;
    this.#prevHash = prevHash;
    return records;
  }

  /** Up to `limit` records after `afterSeq`, in order; pruned records are skipped. */
  readAfter(afterSeq: number, limit: number): StoredAuditRecord[] {
    const out: StoredAuditRecord[] = [];
    for (const block of this.blocks(afterSeq + 1)) {
      for (let index = Math.max(0, afterSeq + 1 - block.firstSeq); index < block.lines.length; index++) {
        const json = block.lines[index]!;
        if (json === '') continue;
        out.push({ seq: block.firstSeq + index, json });
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  /** The records after `afterSeq`, parsed (tests, the demo and the benchmarks read them so). */
  eventsAfter(afterSeq = 0, limit = Number.MAX_SAFE_INTEGER): AuditEvent[] {
    return this.readAfter(afterSeq, limit).map((record) => JSON.parse(record.json) as AuditEvent);
  }

  /** One record by `seq`; undefined when there is none or it was pruned. */
  get(seq: number): StoredAuditRecord | undefined {
    const row = this.#blockAt.get(seq);
    if (row === undefined || row.last_seq < seq) return undefined;
    const json = row.records.split('\n')[seq - row.first_seq]!;
    return json === '' ? undefined : { seq, json };
  }

  /** Blocks holding records from `fromSeq` on, in order, read a few at a time. */
  *blocks(fromSeq = 1, toSeq = Number.MAX_SAFE_INTEGER): Generator<AuditBlock> {
    let next = fromSeq;
    while (next <= toSeq) {
      const rows = this.#blocksFrom.all(next, 64);
      if (rows.length === 0) return;
      for (const row of rows) {
        if (row.first_seq > toSeq) return;
        yield {
          firstSeq: row.first_seq,
          lastSeq: row.last_seq,
          lines: row.records.split('\n'),
          hashes: row.hashes,
          summary: { minTime: row.min_time, maxTime: row.max_time, agents: row.agents, apis: row.apis, dataClasses: row.data_classes },
        };
        next = row.last_seq + 1;
      }
    }
  }

  /** Leaf hashes of leaves [start, end) (0-based), from the blocks that still hold them. */
  leafHashes(start: number, end: number): Buffer[] {
    const out: Buffer[] = [];
    for (const block of this.blocks(start + 1, end)) {
      const from = Math.max(start + 1, block.firstSeq);
      const to = Math.min(end, block.lastSeq);
      for (let seq = from; seq <= to; seq++) {
        const offset = (seq - block.firstSeq) * HASH_BYTES;
        out.push(block.hashes.subarray(offset, offset + HASH_BYTES));
      }
    }
    if (out.length !== end - start) throw new AuditGapError(start + 1 + out.length, `the leaf hashes of records ${start + 1}–${end} are not all stored`);
    return out;
  }

  /**
   * MTH(D[start:end]) over the stored log: stored nodes where a complete aligned subtree of 256
   * leaves or more is asked for, leaf hashes below that.
   */
  subtreeHash = (start: number, end: number): Buffer => {
    const width = end - start;
    if (end > this.#seq && this.#follow) this.#catchUp();
    if (width <= 0 || end > this.#seq) throw new RangeError(`leaves ${start}–${end} are not in a log of ${this.#seq}`);
    const level = Math.log2(width);
    if (Number.isInteger(level) && level >= NODE_LEVEL && start % width === 0) {
      const stored = this.#selectNode.get(level, start / width);
      if (stored !== undefined) return stored.hash;
    }
    if (width <= 2 ** NODE_LEVEL) return rootOf(this.leafHashes(start, end));
    const k = splitPoint(width);
    return nodeHash(this.subtreeHash(start, start + k), this.subtreeHash(start + k, end));
  };

  /** The stored hash of a complete aligned subtree, if stored. */
  storedNode(level: number, index: number): Buffer | undefined {
    return this.#selectNode.get(level, index)?.hash;
  }

  /** MTH of the first `size` leaves: the root a checkpoint of that size signs. */
  rootAt(size: number): Buffer {
    if (this.#follow) this.#catchUp();
    if (size > this.#seq) throw new RangeError(`the log holds ${this.#seq} records, not ${size}`);
    return size === this.#seq ? this.#frontier.root() : this.frontierAt(size).root();
  }

  /** The frontier of the first `size` leaves, from stored nodes and leaf hashes; `storing` keeps nodes it completes later. */
  frontierAt(size: number, storing = false): MerkleFrontier {
    const frontier = storing ? this.#newFrontier() : new MerkleFrontier();
    for (let level = Math.floor(Math.log2(Math.max(size, 1))); level >= 0; level--) {
      const width = 2 ** level;
      if (size - frontier.size >= width) frontier.push(level, this.subtreeHash(frontier.size, frontier.size + width));
    }
    return frontier;
  }

  #newFrontier(): MerkleFrontier {
    return new MerkleFrontier(NODE_LEVEL, (level, index, hash) => this.#insertNode.run(level, index, hash));
  }
}

/** A record, or a range of them, that the log should hold and does not (deleted or pruned). */
export class AuditGapError extends Error {
  constructor(
    readonly seq: number,
    message: string,
  ) {
    super(message);
  }
}

/** MTH of a list of leaf hashes, in memory. */
export function rootOf(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  const k = splitPoint(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/** Collects one block row: the records' text and leaf hashes and what a query may skip it by. */
class BlockBuilder {
  readonly #lines: string[] = [];
  readonly #hashes: Buffer[] = [];
  readonly #agents = new Set<string>();
  readonly #apis = new Set<string>();
  readonly #classes = new Set<string>();
  #first = 0;
  #last = 0;
  #minTime = '';
  #maxTime = '';

  get size(): number {
    return this.#lines.length;
  }

  add(record: ChainedAuditRecord, time: string, agent: string, api: string, dataClasses: string): void {
    if (this.#lines.length === 0) {
      this.#first = record.seq;
      this.#minTime = time;
      this.#maxTime = time;
    } else if (time < this.#minTime) this.#minTime = time;
    else if (time > this.#maxTime) this.#maxTime = time;
    this.#last = record.seq;
    this.#lines.push(record.json);
    this.#hashes.push(record.leaf);
    if (agent !== '') this.#agents.add(agent);
    if (api !== '') this.#apis.add(api);
    if (dataClasses !== '') for (const dataClass of dataClasses.split('|')) this.#classes.add(dataClass);
  }

  row(): unknown[] {
    return [this.#first, this.#last, this.#minTime, this.#maxTime, barList(this.#agents), barList(this.#apis), barList(this.#classes), this.#lines.join('\n'), Buffer.concat(this.#hashes)];
  }
}

/** `|a|b|`: a set as text that `LIKE '%|a|%'` can search (names never contain `|`). */
function barList(values: ReadonlySet<string>): string {
  return values.size === 0 ? '|' : `|${[...values].join('|')}|`;
}
