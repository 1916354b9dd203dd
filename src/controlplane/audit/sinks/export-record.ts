import type { AuditEvent } from '../../../model/audit-event.js';
import type { StoredAuditRecord } from '../audit-log.js';

/** A record on its way to a sink: the exact stored text (hashes verify against it) and its parsed form. */
export interface ExportRecord {
  readonly seq: number;
  /** The record as stored: the AuditEvent with `seq`, `prevHash` and `hash`, byte for byte. */
  readonly json: string;
  /** The same record parsed, chain fields included. */
  readonly event: AuditEvent & { readonly seq: number; readonly hash: string; readonly prevHash: string };
}

/** Parses a stored record once for the formats that map its fields. */
export function exportRecord(stored: StoredAuditRecord): ExportRecord {
  let event: ExportRecord['event'];
  try {
    event = JSON.parse(stored.json) as ExportRecord['event'];
  } catch {
    // The chain verifier tells what happened to it; the sink cannot skip it silently.
    throw new Error(`audit record ${stored.seq} in the store is not valid JSON: the audit log is damaged there: run "warden audit verify" to find what changed; the sink waits at this record`);
  }
  return { seq: stored.seq, json: stored.json, event };
}

/** The words a decision is described with in every format (syslog MSGID, CEF act, OCSF status). */
export type Outcome = AuditEvent['decision']['outcome'];

/**
 * Whether the call did what the agent asked: let through (allow, or would-deny in monitor mode)
 * and answered with a status below 400. A denied, failed or abandoned (status 0) call did not.
 */
export function succeeded(event: AuditEvent): boolean {
  const passed = event.decision.outcome === 'allow' || event.decision.outcome === 'would-deny';
  return passed && event.http.status > 0 && event.http.status < 400;
}
