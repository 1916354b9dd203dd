import type { KeyObject } from 'node:crypto';
import type Sqlite from 'better-sqlite3';
import { CheckpointSigner, Checkpoints, keyIdOf, type Checkpoint } from './audit-checkpoints.js';
import { AuditLog } from './audit-log.js';
import { PrunedSegments, pruneAudit, type PruneReport, type RetentionPolicy } from './audit-retention.js';
import { verifyAudit, type VerifyOptions, type VerifyReport } from './audit-verify.js';
import { LegalHolds } from './legal-holds.js';
import { SinkCursors } from './sink-cursors.js';

export interface AuditServiceOptions {
  readonly signer: CheckpointSigner;
  readonly segmentSize?: number;
  /** Another writer appends (see AuditLogOptions.follow). */
  readonly follow?: boolean;
  readonly retention?: RetentionPolicy;
}

/**
 * The audit log with what keeps it trustworthy — signed checkpoints, legal holds, retention —
 * and the export cursors: one object for the runtime, the admin API and the CLI to share.
 */
export class AuditService {
  readonly log: AuditLog;
  readonly checkpoints: Checkpoints;
  readonly holds: LegalHolds;
  readonly cursors: SinkCursors;
  readonly pruned: PrunedSegments;
  readonly signer: CheckpointSigner;
  readonly retention: RetentionPolicy;

  constructor(db: Sqlite.Database, options: AuditServiceOptions) {
    this.log = AuditLog.open(db, { ...(options.segmentSize !== undefined ? { segmentSize: options.segmentSize } : {}), follow: options.follow === true });
    this.checkpoints = new Checkpoints(db);
    this.holds = new LegalHolds(db);
    this.cursors = new SinkCursors(db);
    this.pruned = new PrunedSegments(this.log);
    this.signer = options.signer;
    this.retention = options.retention ?? { defaultDays: 400, dataClasses: {} };
  }

  /** Signs the log as it is now, unless the latest checkpoint covers it already. */
  checkpoint(now = new Date()): Checkpoint | undefined {
    return this.checkpoints.make(this.log, this.signer, now);
  }

  /** Checks the log; `extraKeys` are public keys of earlier signing keys (rotated out). */
  verify(options: Omit<VerifyOptions, 'publicKeys'> & { readonly extraKeys?: readonly KeyObject[] } = {}): VerifyReport {
    const publicKeys = new Map<string, KeyObject>([[this.signer.keyId, this.signer.publicKey]]);
    for (const key of options.extraKeys ?? []) publicKeys.set(keyIdOf(key), key);
    return verifyAudit(this.log, this.checkpoints.list(), this.pruned, { ...options, publicKeys });
  }

  /** Prunes expired, unheld records from sealed segments (a checkpoint first, so the newest full segment can seal). */
  prune(now = new Date()): PruneReport {
    this.checkpoint(now);
    return pruneAudit(this.log, { policy: this.retention, holds: this.holds, checkpoints: this.checkpoints, now });
  }
}
