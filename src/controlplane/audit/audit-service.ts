import type { KeyObject } from 'node:crypto';
import type Sqlite from 'better-sqlite3';
import { Checkpoints, keyIdOf, type Checkpoint, type CheckpointSigner } from './audit-checkpoints.js';
import { AuditLog } from './audit-log.js';
import { PrunedSegments, pruneAudit, type PruneReport, type RetentionPolicy } from './audit-retention.js';
import { verifyAudit, type VerifyOptions, type VerifyReport } from './audit-verify.js';
import { LegalHolds } from './legal-holds.js';
import { SinkCursors } from './sink-cursors.js';

export interface AuditServiceOptions {
  /** The checkpoint signing key; read-only tools open the log without one. */
  readonly signer?: CheckpointSigner;
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
  readonly signer: CheckpointSigner | undefined;
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
    if (this.signer === undefined) throw new Error('there is no audit signing key here: set audit.signingKey (pass --config) or run where `warden start` made its key');
    return this.checkpoints.make(this.log, this.signer, now);
  }

  /**
   * Checks the log against checkpoints signed by `trustedKeys` — only those when given (what an
   * auditor holding the key does), else the signing key in use here.
   */
  verify(options: Omit<VerifyOptions, 'publicKeys'> & { readonly trustedKeys?: readonly KeyObject[] } = {}): VerifyReport {
    const keys = options.trustedKeys ?? (this.signer === undefined ? [] : [this.signer.publicKey]);
    const publicKeys = new Map<string, KeyObject>(keys.map((key) => [keyIdOf(key), key]));
    return verifyAudit(this.log, this.checkpoints.list(), this.pruned, { ...options, publicKeys });
  }

  /** Prunes expired, unheld records from sealed segments (a checkpoint first, so the newest full segment can seal). */
  prune(now = new Date()): PruneReport {
    if (this.signer !== undefined) this.checkpoint(now);
    return pruneAudit(this.log, { policy: this.retention, holds: this.holds, checkpoints: this.checkpoints, now });
  }
}
