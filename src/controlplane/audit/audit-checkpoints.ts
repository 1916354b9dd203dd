import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type Sqlite from 'better-sqlite3';
import type { AuditLog } from './audit-log.js';

/**
 * A signed tree head: the log's size and root at a time, signed with Ed25519 and naming the
 * checkpoint before it, so checkpoints form a chain of their own and none can be dropped or
 * replaced unnoticed. What is signed is `body`, plain text an auditor can read and re-check:
 *
 *     warden-audit-checkpoint v1
 *     size 1200
 *     root <64 hex: MTH of records 1..size>
 *     time 2026-03-15T10:00:00.000Z
 *     prev <64 hex: SHA-256 of the previous checkpoint's body, or "none">
 */
export interface Checkpoint {
  readonly treeSize: number;
  readonly root: string;
  readonly time: string;
  readonly prev: string;
  /** First 16 hex digits of the SHA-256 of the signing key's public key (SPKI DER). */
  readonly keyId: string;
  readonly body: string;
  /** Ed25519 signature of `body`, base64. */
  readonly signature: string;
}

const HEADER = 'warden-audit-checkpoint v1';

export function checkpointBody(treeSize: number, root: string, time: string, prev: string): string {
  return `${HEADER}\nsize ${treeSize}\nroot ${root}\ntime ${time}\nprev ${prev}\n`;
}

/** What the next checkpoint names as `prev`. */
export function checkpointDigest(checkpoint: Checkpoint): string {
  return createHash('sha256').update(checkpoint.body).digest('hex');
}

/** The Ed25519 key that signs checkpoints. Its private half never leaves this object. */
export class CheckpointSigner {
  readonly keyId: string;
  readonly publicKey: KeyObject;

  private constructor(private readonly privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`the audit signing key is ${privateKey.asymmetricKeyType ?? 'not an asymmetric key'}, not Ed25519; make one with: openssl genpkey -algorithm ed25519`);
    this.publicKey = createPublicKey(privateKey);
    this.keyId = keyIdOf(this.publicKey);
  }

  /** From a PKCS#8 PEM private key (what `openssl genpkey -algorithm ed25519` writes). */
  static fromPem(pem: string): CheckpointSigner {
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch {
      throw new Error('the audit signing key is not a PEM private key; make one with: openssl genpkey -algorithm ed25519');
    }
    return new CheckpointSigner(key);
  }

  /** A new random key, as PKCS#8 PEM (to be stored by the caller). */
  static generatePem(): string {
    return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  sign(body: string): string {
    return sign(null, Buffer.from(body), this.privateKey).toString('base64');
  }
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** Does `signature` sign `checkpoint.body` with `publicKey`? */
export function signatureValid(checkpoint: Checkpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(checkpoint.body), publicKey, Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    return false;
  }
}

interface CheckpointRow {
  tree_size: number;
  time: string;
  root: string;
  key_id: string;
  body: string;
  signature: string;
}

/** The checkpoints table (`audit_checkpoints`), oldest first. */
export class Checkpoints {
  readonly #list: Sqlite.Statement<[], CheckpointRow>;
  readonly #latest: Sqlite.Statement<[], CheckpointRow>;
  readonly #atSize: Sqlite.Statement<[number], CheckpointRow>;
  readonly #insert: Sqlite.Statement<[number, string, string, string, string, string]>;

  constructor(private readonly db: Sqlite.Database) {
    this.#list = db.prepare('SELECT * FROM audit_checkpoints ORDER BY tree_size');
    this.#latest = db.prepare('SELECT * FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1');
    this.#atSize = db.prepare('SELECT * FROM audit_checkpoints WHERE tree_size = ?');
    this.#insert = db.prepare('INSERT INTO audit_checkpoints (tree_size, time, root, key_id, body, signature) VALUES (?, ?, ?, ?, ?, ?)');
  }

  list(): Checkpoint[] {
    return this.#list.all().map(fromRow);
  }

  latest(): Checkpoint | undefined {
    const row = this.#latest.get();
    return row === undefined ? undefined : fromRow(row);
  }

  atSize(treeSize: number): Checkpoint | undefined {
    const row = this.#atSize.get(treeSize);
    return row === undefined ? undefined : fromRow(row);
  }

  /**
   * Signs the log as it is now, unless the latest checkpoint already covers it; returns the
   * new checkpoint (or undefined when there was nothing new to sign).
   */
  make(log: AuditLog, signer: CheckpointSigner, now: Date): Checkpoint | undefined {
    // One write transaction: a checkpoint made by another process meanwhile (the CLI beside
    // the gateway) is seen, so two checkpoints never name the same previous one.
    return this.db.transaction(() => {
      const latest = this.latest();
      const size = log.size();
      if (size === 0 || (latest !== undefined && latest.treeSize >= size)) return undefined;
      // The root of exactly `size` records: the append worker may have added more since.
      const root = log.rootAt(size).toString('hex');
      // Never older than the previous checkpoint, even if the clock stepped back.
      const time = latest !== undefined && latest.time > now.toISOString() ? latest.time : now.toISOString();
      const prev = latest === undefined ? 'none' : checkpointDigest(latest);
      const body = checkpointBody(size, root, time, prev);
      const checkpoint: Checkpoint = { treeSize: size, root, time, prev, keyId: signer.keyId, body, signature: signer.sign(body) };
      this.#insert.run(size, time, root, signer.keyId, body, checkpoint.signature);
      return checkpoint;
    }).immediate();
  }
}

function fromRow(row: CheckpointRow): Checkpoint {
  const prev = /^prev (.*)$/m.exec(row.body)?.[1] ?? '';
  return { treeSize: row.tree_size, root: row.root, time: row.time, prev, keyId: row.key_id, body: row.body, signature: row.signature };
}
