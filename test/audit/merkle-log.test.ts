import { createHash, verify as verifySignature } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointSigner } from '../../src/controlplane/audit/audit-checkpoints.js';
import { consistencyProof, inclusionProof } from '../../src/controlplane/audit/audit-proofs.js';
import { AuditService } from '../../src/controlplane/audit/audit-service.js';
import { consistencyPath } from '../../src/controlplane/audit/merkle-tree.js';
import { openSqliteStore } from '../../src/controlplane/store/sqlite-store.js';
import type { SqlStore } from '../../src/controlplane/store/sql-store.js';
import { auditEvent, editStoredRecord, storedAuditTexts } from '../support/audit-fixtures.js';

// ---------------------------------------------------------------------------------------------
// An independent verifier, written from RFC 6962 §2.1 and RFC 9162 §2.1 alone: it shares no code
// with Warden. MTH(D[n]) over the records' leaf data (the stored text minus its `hash` member),
// PATH(m, D[n]) and PROOF(m, D[n]) exactly as the RFC defines them, recursively and slowly.
// ---------------------------------------------------------------------------------------------
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const rfcLeaf = (data: string) => sha256(Buffer.from([0]), Buffer.from(data, 'utf8'));
const rfcNode = (left: Buffer, right: Buffer) => sha256(Buffer.from([1]), left, right);
const largestPowerOfTwoBelow = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerOfTwoBelow(leaves.length);
  return rfcNode(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function rfcPath(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length === 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return m < k ? [...rfcPath(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...rfcPath(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

function rfcSubproof(m: number, leaves: readonly Buffer[], b: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return b ? [] : [mth(leaves)];
  const k = largestPowerOfTwoBelow(n);
  return m <= k ? [...rfcSubproof(m, leaves.slice(0, k), b), mth(leaves.slice(k))] : [...rfcSubproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

/** Rebuilds the root from a leaf and its audit path, following the tree's shape (RFC 6962 §2.1.1). */
function rootFromPath(leaf: Buffer, m: number, n: number, path: readonly Buffer[]): Buffer {
  if (n === 1) {
    expect(path).toHaveLength(0);
    return leaf;
  }
  const k = largestPowerOfTwoBelow(n);
  const sibling = path[path.length - 1]!;
  const rest = path.slice(0, -1);
  return m < k ? rfcNode(rootFromPath(leaf, m, k, rest), sibling) : rfcNode(sibling, rootFromPath(leaf, m - k, n - k, rest));
}

/** The leaf data of a stored record: its text without the final `,"hash":"sha256:…"` member. */
const leafData = (text: string) => text.replace(/,"hash":"sha256:[0-9a-f]{64}"\}$/, '}');

let directory: string;
let file: string;
let store: SqlStore;
let signer: CheckpointSigner;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'warden-merkle-'));
  file = path.join(directory, 'warden.db');
  store = await openSqliteStore(file);
  signer = CheckpointSigner.fromPem(CheckpointSigner.generatePem());
});

afterEach(async () => {
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

const open = (segmentSize = 256) => new AuditService(store.sqlite!, { signer, segmentSize, retention: { defaultDays: 3, dataClasses: { pii: 7 } } });

/** Appends `count` records in batches of varied size, as a busy gateway's flushes would. */
function fill(audit: AuditService, count: number, from = 1, make = (n: number) => auditEvent(n, { agent: `agent-${n % 3}` })): void {
  const sizes = [1, 7, 300, 13, 64, 512, 2];
  let n = from;
  for (let batch = 0; n < from + count; batch++) {
    const events = [];
    for (let index = 0; index < sizes[batch % sizes.length]! && n < from + count; index++) events.push(make(n++));
    audit.log.append(events);
  }
}

describe('the audit log as an RFC 6962 Merkle tree', () => {
  it('has the root the independent verifier computes, at every size, and after a reopen', () => {
    const audit = open();
    const roots: string[] = [];
    for (let n = 1; n <= 1100; n++) {
      audit.log.append([auditEvent(n)]);
      if (n <= 40 || n % 97 === 0 || [256, 257, 511, 512, 513, 1024, 1100].includes(n)) roots.push(`${n}:${audit.log.root().toString('hex')}`);
    }
    const leaves = storedAuditTexts(file).map((text) => rfcLeaf(leafData(text)));
    for (const entry of roots) {
      const [size, root] = entry.split(':') as [string, string];
      expect(root, `root at size ${size}`).toBe(mth(leaves.slice(0, Number(size))).toString('hex'));
      expect(audit.log.rootAt(Number(size)).toString('hex'), `stored root at size ${size}`).toBe(root);
    }
    // A restart continues the same tree and chain.
    const reopened = open();
    expect(reopened.log.size()).toBe(1100);
    expect(reopened.log.root().equals(audit.log.root())).toBe(true);
    reopened.log.append([auditEvent(1101)]);
    expect(reopened.log.root().equals(mth([...leaves, rfcLeaf(leafData(storedAuditTexts(file)[1100]!))]))).toBe(true);
    expect(reopened.verify().ok).toBe(true);
  });

  it('gives inclusion and consistency proofs that the independent verifier accepts, ending at signed roots', () => {
    const audit = open();
    fill(audit, 700);
    const first = audit.checkpoint(new Date('2026-03-15T10:00:00Z'))!;
    fill(audit, 633, 701);
    const second = audit.checkpoint(new Date('2026-03-15T11:00:00Z'))!;
    expect([first.treeSize, second.treeSize]).toEqual([700, 1333]);
    const texts = storedAuditTexts(file);
    const leaves = texts.map((text) => rfcLeaf(leafData(text)));

    // The checkpoints are signed, plain text, and chained.
    for (const checkpoint of [first, second]) {
      expect(verifySignature(null, Buffer.from(checkpoint.body), signer.publicKey, Buffer.from(checkpoint.signature, 'base64'))).toBe(true);
      expect(checkpoint.body).toContain(`\nsize ${checkpoint.treeSize}\nroot ${mth(leaves.slice(0, checkpoint.treeSize)).toString('hex')}\n`);
    }
    expect(second.body).toContain(`\nprev ${createHash('sha256').update(first.body).digest('hex')}\n`);

    for (const seq of [1, 2, 255, 256, 257, 512, 700, 701, 1024, 1025, 1333]) {
      const proof = inclusionProof(audit.log, audit.checkpoints, seq);
      expect(proof.treeSize).toBe(1333);
      expect(proof.record).toBe(texts[seq - 1]);
      const leaf = rfcLeaf(leafData(proof.record));
      expect(proof.leafHash).toBe(leaf.toString('hex'));
      expect(proof.path).toEqual(rfcPath(seq - 1, leaves.slice(0, 1333)).map((hash) => hash.toString('hex')));
      expect(rootFromPath(leaf, seq - 1, 1333, proof.path.map((hash) => Buffer.from(hash, 'hex'))).toString('hex')).toBe(second.root);
    }
    const old = inclusionProof(audit.log, audit.checkpoints, 42, 700);
    expect(rootFromPath(Buffer.from(old.leafHash, 'hex'), 41, 700, old.path.map((hash) => Buffer.from(hash, 'hex'))).toString('hex')).toBe(first.root);

    const consistency = consistencyProof(audit.log, audit.checkpoints, 700, 1333);
    expect(consistency.path).toEqual(rfcSubproof(700, leaves.slice(0, 1333), true).map((hash) => hash.toString('hex')));
    expect([consistency.oldRoot, consistency.newRoot]).toEqual([first.root, second.root]);
  });

  it('gives consistency proofs the RFC defines for every pair of sizes of a small log', () => {
    const audit = open();
    fill(audit, 40);
    const leaves = storedAuditTexts(file).map((text) => rfcLeaf(leafData(text)));
    for (let m = 1; m <= 40; m++) {
      for (let n = m; n <= 40; n++) {
        expect(proofHex(audit, m, n), `PROOF(${m}, D[${n}])`).toEqual(rfcSubproof(m, leaves.slice(0, n), true).map((hash) => hash.toString('hex')));
      }
    }
  });
});

const proofHex = (audit: AuditService, m: number, n: number) => consistencyPath(m, n, audit.log.subtreeHash).map((hash) => hash.toString('hex'));

describe('warden audit verify finds tampering at the right index', () => {
  /** A copy of the database to tamper with, the way an insider with the file would. */
  function tampered(edit: (database: Sqlite.Database) => void): AuditService {
    const copy = path.join(directory, `tampered-${Math.random().toString(36).slice(2)}.db`);
    store.sqlite!.prepare('VACUUM INTO ?').run(copy);
    const database = new Sqlite(copy);
    edit(database);
    return new AuditService(database, { signer, segmentSize: 256 });
  }

  let audit: AuditService;
  beforeEach(() => {
    audit = open();
    fill(audit, 900);
    audit.checkpoint(new Date('2026-03-15T10:00:00Z'));
    fill(audit, 300, 901);
    audit.checkpoint(new Date('2026-03-15T11:00:00Z'));
  });

  it('passes an untouched log, checking every record and both checkpoints', () => {
    const report = audit.verify();
    expect(report).toMatchObject({ ok: true, from: 1, to: 1200, checked: 1200, checkpointsChecked: 2, firstBad: undefined });
    expect(audit.verify({ from: 500, to: 1000 })).toMatchObject({ ok: true, checked: 501 });
  });

  it('finds a flipped byte', () => {
    const report = tampered((database) => editStoredRecord(database, 517, (text) => text.replace('"status":200', '"status":201'))).verify();
    expect(report.firstBad).toEqual({ seq: 517, problem: expect.stringContaining('changed') as unknown });
  });

  it('finds a deleted record, inside a block and a whole block', () => {
    expect(tampered((database) => editStoredRecord(database, 333, () => undefined)).verify().firstBad?.seq).toBe(333);
    const block = store.sqlite!.prepare('SELECT first_seq FROM audit_blocks WHERE first_seq > 400 ORDER BY first_seq LIMIT 1').get() as { first_seq: number };
    const report = tampered((database) => database.prepare('DELETE FROM audit_blocks WHERE first_seq = ?').run(block.first_seq)).verify();
    expect(report.firstBad).toEqual({ seq: block.first_seq, problem: expect.stringContaining('missing') as unknown });
  });

  it('finds a record blanked as if retention had pruned it', () => {
    const report = tampered((database) => editStoredRecord(database, 700, () => '')).verify();
    expect(report.firstBad).toEqual({ seq: 700, problem: expect.stringContaining('blanked') as unknown });
    // …also in a segment retention did prune, when the segment is not sealed (past the last checkpoint).
    const unsealed = tampered((database) => {
      database.prepare("INSERT INTO audit_segments (idx, last_hash, pruned_at, pruned, kept, dropped) VALUES (4, 'x', 'now', 0, 0, 0)").run();
      editStoredRecord(database, 1150, () => '');
    }).verify();
    expect(unsealed.firstBad?.seq).toBe(1150);
  });

  it('finds a block summary edited to hide records from queries', () => {
    const block = store.sqlite!.prepare('SELECT first_seq FROM audit_blocks WHERE first_seq > 300 ORDER BY first_seq LIMIT 1').get() as { first_seq: number };
    const report = tampered((database) => database.prepare("UPDATE audit_blocks SET agents = '|agent-0|agent-2|' WHERE first_seq = ?").run(block.first_seq)).verify();
    expect(report.firstBad?.problem).toContain('leaves out');
    expect(report.firstBad?.problem).toContain('agent');
  });

  it('trusts only the keys an auditor gives, when given', () => {
    const auditorsKey = CheckpointSigner.fromPem(CheckpointSigner.generatePem()).publicKey;
    expect(audit.verify({ trustedKeys: [signer.publicKey] }).ok).toBe(true);
    expect(audit.verify({ trustedKeys: [auditorsKey] }).firstBad?.problem).toContain('not among the keys given');
  });

  it('refuses a second writer instead of forking the log', () => {
    const other = new AuditService(store.sqlite!, { signer, segmentSize: 256 });
    audit.log.append([auditEvent(1201)]);
    expect(() => other.log.append([auditEvent(1202)])).toThrow(/another process appends/);
    expect(audit.verify().ok).toBe(true);
  });

  it('signs the root of exactly the size it names while a writer appends beside it', () => {
    const follower = new AuditService(store.sqlite!, { signer, segmentSize: 256, follow: true });
    const size = follower.log.size();
    fill(audit, 37, 1201);
    const checkpoint = follower.checkpoint(new Date('2026-03-15T12:00:00Z'))!;
    expect(checkpoint.treeSize).toBe(size + 37);
    expect(audit.verify()).toMatchObject({ ok: true, checkpointsChecked: 3 });
  });

  it('finds reordered records', () => {
    const texts = storedAuditTexts(file);
    const report = tampered((database) => {
      editStoredRecord(database, 600, () => texts[600]);
      editStoredRecord(database, 601, () => texts[599]);
    }).verify();
    expect(report.firstBad).toEqual({ seq: 600, problem: expect.stringContaining('reordered') as unknown });
  });

  it('finds a truncated log', () => {
    const report = tampered((database) => database.prepare('DELETE FROM audit_blocks WHERE last_seq > 1000').run()).verify();
    const kept = (store.sqlite!.prepare('SELECT MAX(last_seq) AS last FROM audit_blocks WHERE last_seq <= 1000').get() as { last: number }).last;
    expect(report.firstBad).toEqual({ seq: kept + 1, problem: expect.stringContaining('removed') as unknown });
  });

  it('finds a rewritten chain through the signed checkpoint, and forged or removed checkpoints', () => {
    // The insider rewrites record 950 and recomputes every hash after it, leaf hashes and nodes included.
    const rewritten = tampered((database) => {
      const forged = new AuditService(database, { signer: CheckpointSigner.fromPem(CheckpointSigner.generatePem()), segmentSize: 256 });
      const texts = storedAuditTexts(file);
      database.prepare('DELETE FROM audit_blocks WHERE last_seq >= 950').run();
      database.prepare('DELETE FROM audit_nodes').run();
      const kept = (database.prepare('SELECT MAX(last_seq) AS last FROM audit_blocks').get() as { last: number }).last;
      const reopened = new AuditService(database, { signer: forged.signer, segmentSize: 256 });
      const events = texts.slice(kept).map((text) => {
        const { seq: _seq, prevHash: _prev, hash: _hash, ...event } = JSON.parse(text) as Record<string, unknown>;
        return event;
      });
      (events[950 - kept - 1] as { http: { status: number } }).http.status = 204;
      reopened.log.append(events as never);
      // Rebuild the stored nodes of the earlier part too, so only the checkpoint can tell.
      reopened.log.frontierAt(reopened.log.size(), true);
    });
    const report = rewritten.verify();
    expect(report.ok).toBe(false);
    expect(report.firstBad).toEqual({ seq: 901, problem: expect.stringContaining('checkpoint') as unknown });

    const forged = tampered((database) => database.prepare("UPDATE audit_checkpoints SET body = replace(body, 'size 900', 'size 899'), tree_size = 899 WHERE tree_size = 900").run()).verify();
    expect(forged.firstBad?.problem).toContain('signature does not verify');

    const removed = tampered((database) => database.prepare('DELETE FROM audit_checkpoints WHERE tree_size = 900').run()).verify();
    expect(removed.firstBad?.problem).toContain('checkpoints were removed');

    const otherKey = new AuditService(store.sqlite!, { signer: CheckpointSigner.fromPem(CheckpointSigner.generatePem()), segmentSize: 256 }).verify();
    expect(otherKey.firstBad?.problem).toContain('not among the keys given');
  });
});

describe('retention with legal holds', () => {
  const DAY = 86_400_000;
  const start = Date.UTC(2026, 2, 1);

  it('prunes expired records of sealed segments, keeps held and longer-kept classes, and stays verifiable', () => {
    const audit = open(256);
    // 2,000 records over 10 days; every 4th touches pii (kept 7 days, others 3); agent-1's records are held.
    const make = (n: number) =>
      auditEvent(n, {
        time: new Date(start + Math.floor(((n - 1) * 10 * DAY) / 2000)).toISOString(),
        agent: `agent-${n % 3}`,
        api: { name: 'crm', operation: 'getCustomer', dataClasses: n % 4 === 0 ? ['pii'] : [] },
      });
    fill(audit, 2000, 1, make);
    const hold = audit.holds.place({ kind: 'agent', target: 'agent-1', agent: 'agent-1', reason: 'case 42', by: 'legal@example.com' });
    const now = new Date(start + 10 * DAY);
    const report = audit.prune(now);

    const expectedGone = (n: number) => {
      const event = make(n);
      const sealed = n <= Math.floor((2000 - 1) / 256) * 256;
      const days = n % 4 === 0 ? 7 : 3;
      return sealed && n % 3 !== 1 && Date.parse(event.time) + days * DAY <= now.getTime();
    };
    const texts = storedAuditTexts(file);
    const present = new Set(texts.filter((text) => text !== '').map((text) => (JSON.parse(text) as { seq: number }).seq));
    let gone = 0;
    for (let n = 1; n <= 2000; n++) {
      expect(present.has(n), `record ${n}`).toBe(!expectedGone(n));
      if (expectedGone(n)) gone++;
    }
    expect(report.pruned).toBe(gone);
    expect(report.held).toBeGreaterThan(0);
    expect(audit.verify()).toMatchObject({ ok: true, pruned: gone, checked: 2000 - gone });
    // A kept record still has its inclusion proof against the signed root.
    const proof = inclusionProof(audit.log, audit.checkpoints, 4);
    expect(rootFromPath(Buffer.from(proof.leafHash, 'hex'), 3, proof.treeSize, proof.path.map((hash) => Buffer.from(hash, 'hex'))).toString('hex')).toBe(proof.root);

    // Released, the hold no longer keeps anything: segments left empty are dropped whole.
    expect(audit.holds.release(hold.id, 'legal@example.com')).toBe(true);
    const later = audit.prune(new Date(start + 30 * DAY));
    expect(later.dropped).toBeGreaterThan(0);
    expect(audit.verify()).toMatchObject({ ok: true });
    expect(audit.log.get(1)).toBeUndefined();
    expect(() => inclusionProof(audit.log, audit.checkpoints, 1)).toThrow(/pruned/);
  });

  it('never prunes the open segment or records past the last checkpoint', () => {
    const audit = open(256);
    fill(audit, 300, 1, (n) => auditEvent(n, { time: new Date(start).toISOString() }));
    // No checkpoint yet covers segment 0 fully… prune signs one first, then segment 0 (1–256) is sealed.
    const report = audit.prune(new Date(start + 100 * DAY));
    expect(report.pruned).toBe(256);
    expect(audit.log.readAfter(0, 1000).map((record) => record.seq)).toEqual(Array.from({ length: 44 }, (_, index) => 257 + index));
  });
});
