import type { AuditEvent } from '../../model/audit-event.js';
import { leafHash } from './merkle-tree.js';

/** `prevHash` of the first record. */
export const GENESIS_HASH = `sha256:${'0'.repeat(64)}`;

// `,"hash":"sha256:` + 64 hex digits + `"}`: what `chainRecord` appends to the hashed text.
const HASH_MEMBER_LENGTH = ',"hash":"sha256:'.length + 64 + '"}'.length;

/**
 * An AuditEvent serialised for the log, with the few fields a block's summary needs: what the
 * request thread prepares and the append worker takes (no object crosses threads).
 */
export interface SerializedAuditEvent {
  /** JSON.stringify of the event. */
  readonly body: string;
  readonly time: string;
  readonly agent: string | undefined;
  readonly api: string | undefined;
  readonly dataClasses: readonly string[];
}

export function serializeAuditEvent(event: AuditEvent): SerializedAuditEvent {
  // A chained event fed again would carry its old chain fields twice in one object.
  if (event.seq !== undefined || event.prevHash !== undefined || event.hash !== undefined) throw new Error(`audit record ${event.id} is already chained`);
  return { body: JSON.stringify(event), time: event.time, agent: event.agent?.name, api: event.api?.name, dataClasses: event.api?.dataClasses ?? [] };
}

/** An AuditEvent placed in the log. */
export interface ChainedAuditRecord {
  readonly seq: number;
  /** `sha256:` and the hex of `leaf`. */
  readonly hash: string;
  /** The record's Merkle leaf hash, SHA-256(0x00 ‖ content). */
  readonly leaf: Buffer;
  readonly source: SerializedAuditEvent;
  /** The record as stored and exported: the event with `seq`, `prevHash` and `hash`. */
  readonly json: string;
}

/**
 * Puts an event at position `seq` of the log. Its text (the content) starts with `seq` and
 * `prevHash`, its `hash` is the RFC 6962 leaf hash of that text — the same hash is the Merkle
 * tree's leaf and the next record's `prevHash` — and the stored text is the content with the
 * `hash` member appended. A verifier therefore needs no canonical JSON: it strips the final
 * `hash` member and hashes the bytes it read.
 */
export function chainRecord(source: SerializedAuditEvent, seq: number, prevHash: string): ChainedAuditRecord {
  const body = source.body;
  const content = `{"seq":${seq},"prevHash":"${prevHash}"${body.length > 2 ? `,${body.slice(1)}` : '}'}`;
  const leaf = leafHash(content);
  const hash = `sha256:${leaf.toString('hex')}`;
  return { seq, hash, leaf, source, json: `${content.slice(0, -1)},"hash":"${hash}"}` };
}

/**
 * Checks one stored record against the record before it: the text hashes to its `hash`, and
 * it names `prevHash` and `seq` as the chain says. Returns what is wrong, or undefined.
 */
export function chainProblem(json: string, expected: { readonly seq: number; readonly prevHash: string }): string | undefined {
  let record: { seq?: unknown; prevHash?: unknown; hash?: unknown };
  try {
    record = JSON.parse(json) as typeof record;
  } catch {
    return 'the record is not valid JSON';
  }
  if (record.seq !== expected.seq) return `seq is ${String(record.seq)}, expected ${expected.seq}`;
  if (record.prevHash !== expected.prevHash) return 'prevHash does not match the previous record';
  if (typeof record.hash !== 'string' || json.length < HASH_MEMBER_LENGTH || !json.endsWith(`,"hash":"${record.hash}"}`)) return 'the record does not end with its hash';
  return `sha256:${leafHash(recordContent(json)).toString('hex')}` === record.hash ? undefined : 'the record\'s content does not match its hash';
}

/** The text a stored record's hash covers: the record without its final `hash` member (the Merkle leaf's data). */
export function recordContent(json: string): string {
  return `${json.slice(0, -HASH_MEMBER_LENGTH)}}`;
}
