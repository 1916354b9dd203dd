import type { AuditEvent } from '../../model/audit-event.js';
import { catalogClassesOf } from '../../policy/pii/pii-classes.js';
import { leafHash } from './merkle-tree.js';

/** `prevHash` of the first record. */
export const GENESIS_HASH = `sha256:${'0'.repeat(64)}`;

// `,"hash":"sha256:` + 64 hex digits + `"}`: what `chainRecord` appends to the hashed text.
const HASH_MEMBER_LENGTH = ',"hash":"sha256:'.length + 64 + '"}'.length;

/**
 * AuditEvents serialised for the log, column by column, with the few fields a block's summary
 * needs: what the request thread prepares and the append worker takes. Columns of strings,
 * because strings cross to a worker thread at a fraction of the cost of objects.
 */
export interface SerializedAuditBatch {
  /** JSON.stringify of each event. */
  readonly bodies: string[];
  readonly times: string[];
  /** The agent's name, or '' for a call no agent was identified for. */
  readonly agents: string[];
  /** The API's name, or ''. */
  readonly apis: string[];
  /** The operation's data classes joined with `|` (names never contain it), or ''. */
  readonly dataClasses: string[];
}

/** JSON.stringify of an event that is not in the log yet. */
export function serializedBody(event: AuditEvent): string {
  // A chained event fed again would carry its old chain fields twice in one object.
  if (event.seq !== undefined || event.prevHash !== undefined || event.hash !== undefined) throw new Error(`audit record ${event.id} is already chained`);
  return JSON.stringify(event);
}

export function serializeAuditEvents(events: readonly AuditEvent[]): SerializedAuditBatch {
  const batch = emptyBatch();
  for (const event of events) addToBatch(batch, serializedBody(event), event);
  return batch;
}

export function emptyBatch(): SerializedAuditBatch {
  return { bodies: [], times: [], agents: [], apis: [], dataClasses: [] };
}

/** Adds a serialised event and its summary fields to a batch. */
export function addToBatch(batch: SerializedAuditBatch, body: string, event: AuditEvent): void {
  batch.bodies.push(body);
  batch.times.push(event.time);
  batch.agents.push(event.agent?.name ?? '');
  batch.apis.push(event.api?.name ?? '');
  batch.dataClasses.push(recordedClasses(event));
}

/** The catalog's data classes of the call, and those of PII found in its answer: what queries by data class find. */
function recordedClasses(event: AuditEvent): string {
  const declared = event.api?.dataClasses ?? [];
  const found = event.data?.piiClasses;
  if (found === undefined || found.length === 0) return declared.join('|');
  return [...new Set([...declared, ...catalogClassesOf(found)])].join('|');
}

/** An AuditEvent placed in the log. */
export interface ChainedAuditRecord {
  readonly seq: number;
  /** `sha256:` and the hex of `leaf`. */
  readonly hash: string;
  /** The record's Merkle leaf hash, SHA-256(0x00 ‖ content). */
  readonly leaf: Buffer;
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
export function chainRecord(body: string, seq: number, prevHash: string): ChainedAuditRecord {
  const content = `{"seq":${seq},"prevHash":"${prevHash}"${body.length > 2 ? `,${body.slice(1)}` : '}'}`;
  const leaf = leafHash(content);
  const hash = `sha256:${leaf.toString('hex')}`;
  return { seq, hash, leaf, json: `${content.slice(0, -1)},"hash":"${hash}"}` };
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
