import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditSinkConfig } from '../../../model/config/audit-sink-config.js';
import type { SinkCursors } from '../sink-cursors.js';
import { buildSinks } from './sink-from-config.js';
import { DEFAULT_BACKOFF, SinkWorker, type BackoffOptions, type ExportLog, type SinkStatus } from './sink-worker.js';

export type { SinkStatus } from './sink-worker.js';
export { AuditSinkConfigError } from './sink-from-config.js';

export interface AuditExportOptions {
  /** The audit log (only read: `readAfter`, `size`, `get`). */
  readonly log: ExportLog;
  /** Durable cursors in the same store as the log. */
  readonly cursors: Pick<SinkCursors, 'get' | 'set'>;
  /** `audit.sinks` of the gateway config (validated again here, defaults filled in). */
  readonly sinks: readonly AuditSinkConfig[];
  /** The config file's folder: relative `file`, `caFile` and `file:` secrets start here. */
  readonly baseDirectory: string;
  /** Where `env:` secret references are looked up; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Every failed delivery and other trouble, per sink; messages never hold a secret. */
  readonly onError?: (error: Error, sink: string) => void;
  /** Pause between looks at the log while a sink is idle; default 200 ms (`nudge` looks at once). */
  readonly pollMs?: number;
  /** Pauses after failures; default 100 ms doubling to 30 s, at least 10 s after a refusal (HTTP 4xx). */
  readonly backoff?: Partial<BackoffOptions>;
  /** Warden's version in CEF and OCSF records; default the package's version. */
  readonly productVersion?: string;
  /** The clock of JSONL daily rotation; tests move it. */
  readonly now?: () => Date;
}

/** The running export: one loop per sink. */
export interface AuditExport {
  /** Each sink's cursor, lag and last error/success, in config order. */
  status(): SinkStatus[];
  /** Makes idle sinks look at the log now (call after records were appended); sinks in backoff keep waiting. */
  nudge(): void;
  /** Stops every sink after its in-flight delivery and closes connections and files. */
  stop(): Promise<void>;
}

/**
 * Starts exporting the audit log to the configured SIEM sinks (docs/audit-export.md). Each sink
 * delivers the records after its durable cursor in order and moves the cursor only after a
 * confirmed delivery, so a receiver that was down gets everything it missed once it is back.
 * Throws AuditSinkConfigError (before starting anything) when a sink is misconfigured: a bad
 * field, a duplicate name, an unreadable CA file or an unresolvable secret.
 */
export function startAuditExport(options: AuditExportOptions): AuditExport {
  const built = buildSinks(options.sinks, {
    baseDirectory: options.baseDirectory,
    env: options.env ?? process.env,
    productVersion: options.productVersion ?? packageVersion(),
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const workers = built.map((sink) => new SinkWorker({
    name: sink.name,
    type: sink.type,
    log: options.log,
    cursors: options.cursors,
    transport: sink.transport,
    format: sink.format,
    batchSize: sink.batchSize,
    pollMs: options.pollMs ?? 200,
    backoff,
    onError: (error) => options.onError?.(new Error(`audit sink ${sink.name}: ${error.message}`, { cause: error }), sink.name),
  }));
  for (const worker of workers) worker.start();
  let stopping: Promise<void> | undefined;
  return {
    status: () => workers.map((worker) => worker.status()),
    nudge: () => {
      for (const worker of workers) worker.nudge();
    },
    stop: () => (stopping ??= Promise.all(workers.map((worker) => worker.stop())).then(() => undefined)),
  };
}

let version: string | undefined;

/** The version in the package's package.json, found upwards from this module (from src/ or dist/). */
function packageVersion(): string {
  if (version !== undefined) return version;
  let directory = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(directory, 'package.json')) && path.dirname(directory) !== directory) directory = path.dirname(directory);
  try {
    version = String((JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { version?: unknown }).version ?? '0.0.0');
  } catch {
    version = '0.0.0';
  }
  return version;
}
