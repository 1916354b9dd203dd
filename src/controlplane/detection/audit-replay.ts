import type { AuditEvent } from '../../model/audit-event.js';
import type { PlaybookManifest } from '../../model/manifests/index.js';
import type { DetectionCatalog } from './detection-catalog.js';
import { DetectionEngine } from './detection-engine.js';
import { openLineFile } from './line-batches.js';
import type { Alert, PlannedAction } from './detection-types.js';
import { planResponse } from './playbook.js';

export interface ReplayOptions {
  /** The first N days of the log are the learning period. */
  readonly baselineDays: number;
  readonly grantGraceDays?: number;
  /** The catalog the log was recorded under (sensitivity, lifecycle, what roles grant), if known. */
  readonly catalog?: DetectionCatalog;
  readonly playbooks: readonly PlaybookManifest[];
  readonly onAlert?: (alert: ReplayedAlert) => void;
  /** Called after each chunk read with the bytes read so far (of the file on disk) and its size. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** An alert as the replay raised it, with what the playbooks would have done. */
export interface ReplayedAlert {
  readonly alert: Alert;
  readonly actions: readonly PlannedAction[];
  /** The playbooks whose rules matched; empty: the default response (alert only). */
  readonly playbooks: readonly string[];
}

export interface ReplaySummary {
  readonly file: string;
  /** Audit records looked at. */
  readonly records: number;
  /** Lines that were not audit records (the first few are in `problems`). */
  readonly skipped: number;
  readonly problems: readonly { readonly line: number; readonly message: string }[];
  readonly agents: number;
  /** The first and last record times. */
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly alerts: readonly ReplayedAlert[];
  readonly byDetector: Readonly<Record<string, number>>;
  readonly bySeverity: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly recordsPerSecond: number;
}

const MAX_PROBLEMS = 20;

/**
 * Runs the detectors over a recorded audit log (AuditEvent v1 JSONL, plain or gzip) with the
 * records' own times: the learning period is the log's first `baselineDays`, and every alert
 * comes with the playbook response it would have had. Nothing is changed anywhere: this is
 * for tuning and for looking back after an incident.
 */
export async function replayAuditFile(file: string, options: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  const engine = new DetectionEngine({ learningDays: options.baselineDays, ...(options.grantGraceDays !== undefined ? { grantGraceDays: options.grantGraceDays } : {}), ...(options.catalog ? { catalog: options.catalog } : {}) });
  const lines = await openLineFile(file);
  const alerts: ReplayedAlert[] = [];
  const byDetector: Record<string, number> = {};
  const bySeverity: Record<string, number> = {};
  const problems: { line: number; message: string }[] = [];
  const agents = new Set<string>();
  let lineNumber = 0;
  let records = 0;
  let skipped = 0;
  let from: string | undefined;
  let to: string | undefined;
  for await (const batch of lines.batches) {
    for (const line of batch) {
      lineNumber++;
      if (line.trim() === '') continue;
      const parsed = auditRecord(line);
      if (typeof parsed === 'string') {
        skipped++;
        if (problems.length < MAX_PROBLEMS) problems.push({ line: lineNumber, message: parsed });
        continue;
      }
      records++;
      from ??= parsed.time;
      to = parsed.time;
      if (parsed.agent !== undefined) agents.add(parsed.agent.name);
      for (const alert of engine.observe(parsed)) {
        const plan = planResponse(options.playbooks, alert);
        const replayed: ReplayedAlert = { alert, actions: plan.actions, playbooks: plan.playbooks };
        alerts.push(replayed);
        byDetector[alert.detector] = (byDetector[alert.detector] ?? 0) + 1;
        bySeverity[alert.severity] = (bySeverity[alert.severity] ?? 0) + 1;
        options.onAlert?.(replayed);
      }
    }
    options.onProgress?.(lines.bytesRead(), lines.size);
  }
  if (records === 0) throw new Error(`${file} holds no Warden audit records${problems[0] ? ` (line ${problems[0].line}: ${problems[0].message})` : ''}; replay reads AuditEvent v1 JSONL, such as the gateway's audit.jsonl or what \`warden audit query --format jsonl --limit 0 --out FILE\` writes`);
  const seconds = (performance.now() - started) / 1000;
  return { file, records, skipped, problems, agents: agents.size, from, to, alerts, byDetector, bySeverity, seconds, recordsPerSecond: Math.round(records / Math.max(seconds, 1e-6)) };
}

/** One line as an AuditEvent, or why it is not one. */
function auditRecord(line: string): AuditEvent | string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof record !== 'object' || record === null) return 'not a JSON object';
  const event = record as Partial<AuditEvent>;
  if (event.v !== 1 || typeof event.time !== 'string' || Number.isNaN(Date.parse(event.time)) || typeof event.http !== 'object' || event.http === null || typeof event.decision !== 'object' || event.decision === null || typeof event.src !== 'object' || event.src === null) {
    return 'not a Warden audit record (AuditEvent v1 with time, src, http and decision)';
  }
  return event as AuditEvent;
}
