import type { AuditEvent } from '../model/audit-event.js';

/**
 * Where the data plane hands its AuditEvents (DESIGN.md §1: events go up). The control plane
 * implements it; the data plane never waits for it except in `audit: strict` mode.
 */
export interface AuditSink {
  /** Accepts a record; it becomes durable with the next flush (at most `flushIntervalMs` later). */
  write(event: AuditEvent): void;
  /**
   * Accepts a record and resolves once it is durable. If it cannot be made durable it rejects
   * and the record is withdrawn: the caller records what it answered instead.
   */
  writeDurably(event: AuditEvent): Promise<void>;
  /** Records accepted but not yet durable: the audit lag. */
  pending(): number;
}
