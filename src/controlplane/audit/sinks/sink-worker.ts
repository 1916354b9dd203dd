import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AuditLog, StoredAuditRecord } from '../audit-log.js';
import type { SinkCursors } from '../sink-cursors.js';
import { exportRecord } from './export-record.js';
import type { RecordFormatter } from './record-format.js';
import { DeliveryError, type SinkTransport } from './sink-transport.js';

/** What a sink reads of the audit log. */
export type ExportLog = Pick<AuditLog, 'readAfter' | 'size' | 'get'>;

export interface BackoffOptions {
  /** First pause after a failure; doubled after each further one. */
  readonly minMs: number;
  /** Longest pause. */
  readonly maxMs: number;
  /** Shortest pause after the receiver refused a batch (HTTP 4xx): retrying at once will not help. */
  readonly refusedMinMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minMs: 100, maxMs: 30_000, refusedMinMs: 10_000 };

export interface SinkWorkerOptions {
  readonly name: string;
  readonly type: string;
  readonly log: ExportLog;
  readonly cursors: Pick<SinkCursors, 'get' | 'set'>;
  readonly transport: SinkTransport;
  readonly format: RecordFormatter;
  readonly batchSize: number;
  /** Pause between looks at the log while there is nothing new. */
  readonly pollMs: number;
  readonly backoff: BackoffOptions;
  readonly onError: (error: Error) => void;
}

/** One sink's progress, for the admin API and metrics. */
export interface SinkStatus {
  readonly name: string;
  readonly type: string;
  /** The receiver (host and port, origin, or file); never a secret. */
  readonly target: string;
  /** `seq` of the last record delivered. */
  readonly cursor: number;
  /** Records in the log after the cursor (pruned ones included). */
  readonly lag: number;
  /** A delivery is in flight now. */
  readonly delivering: boolean;
  /** Failed attempts since the last success. */
  readonly failures: number;
  readonly lastError: { readonly message: string; readonly at: string } | undefined;
  readonly lastSuccessAt: string | undefined;
  /** Records delivered since this runner started. */
  readonly delivered: number;
}

/**
 * The loop of one sink: read the records after the cursor, format them, deliver them, and only
 * after the delivery is confirmed move the cursor. A failed batch is kept and retried as it was
 * (same records, same `Warden-Batch` range) with capped exponential backoff; nothing is skipped.
 * Batches are bounded and the loop yields between them, so a long backlog does not hold the
 * event loop; memory holds at most one batch.
 */
export class SinkWorker {
  #cursor: number;
  #stopped = false;
  #running: Promise<void> | undefined;
  #pending: StoredAuditRecord[] | undefined;
  #delay = 0;
  #delivering = false;
  #failures = 0;
  #delivered = 0;
  #lastError: { message: string; at: string } | undefined;
  #lastSuccessAt: string | undefined;
  /** Ends the current pause: set while sleeping; `nudge` may use it only while idle, not in backoff. */
  #wake: (() => void) | undefined;
  #wakeOnNudge = false;

  constructor(private readonly options: SinkWorkerOptions) {
    this.#cursor = options.cursors.get(options.name);
  }

  start(): void {
    this.#running ??= this.#run().catch((error: Error) => this.#report(new Error(`stopped on an unexpected error: ${error.message}`, { cause: error })));
  }

  /** Looks at the log now instead of at the next poll (ignored while backing off from a failure). */
  nudge(): void {
    if (this.#wakeOnNudge) this.#wake?.();
  }

  /** Stops after the delivery in flight (if any) has finished, then closes the transport. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#running;
    await this.options.transport.close().catch((error: Error) => this.#report(new Error(`closing ${this.options.transport.target} failed: ${error.message}`, { cause: error })));
  }

  status(): SinkStatus {
    return {
      name: this.options.name,
      type: this.options.type,
      target: this.options.transport.target,
      cursor: this.#cursor,
      lag: Math.max(0, this.options.log.size() - this.#cursor),
      delivering: this.#delivering,
      failures: this.#failures,
      lastError: this.#lastError,
      lastSuccessAt: this.#lastSuccessAt,
      delivered: this.#delivered,
    };
  }

  async #run(): Promise<void> {
    await this.#catchUp();
    while (!this.#stopped) {
      let batch: StoredAuditRecord[];
      try {
        batch = this.#pending ?? this.#read();
      } catch (error) {
        // A busy or failing store is waited out like a receiver that is down.
        this.#fail(new Error(`reading the audit log failed: ${(error as Error).message}`, { cause: error }));
        await this.#sleep(this.#delay, false);
        continue;
      }
      if (batch.length === 0) {
        await this.#sleep(this.options.pollMs, true);
        continue;
      }
      const firstSeq = batch[0]!.seq;
      const lastSeq = batch[batch.length - 1]!.seq;
      this.#delivering = true;
      try {
        const items = batch.map((stored) => this.options.format(exportRecord(stored)));
        await this.options.transport.deliver({ firstSeq, lastSeq, items });
      } catch (error) {
        this.#delivering = false;
        this.#pending = batch;
        this.#fail(error as Error);
        await this.#sleep(this.#delay, false);
        continue;
      }
      this.#delivering = false;
      this.#pending = undefined;
      this.#advance(lastSeq);
      this.#delivered += batch.length;
      this.#failures = 0;
      this.#delay = 0;
      this.#lastSuccessAt = new Date().toISOString();
      // A backlog is worked off batch by batch without starving the event loop.
      await nextTurn();
    }
  }

  /** The next batch after the cursor; says so when retention pruned records before they were exported. */
  #read(): StoredAuditRecord[] {
    const batch = this.options.log.readAfter(this.#cursor, this.options.batchSize);
    const first = batch[0];
    if (first !== undefined && first.seq > this.#cursor + 1) {
      this.#report(new Error(`records ${this.#cursor + 1}–${first.seq - 1} were pruned by retention before this sink exported them; it goes on with ${first.seq}. Keep records longer (audit.retention) or fix the sink sooner`));
    }
    return batch;
  }

  /**
   * Skips what the receiver already holds when the transport can read it back (a crash between
   * a write and the cursor's update would otherwise write those records twice). Only a record
   * whose hash matches this log's record at that `seq` moves the cursor, and only forward.
   */
  async #catchUp(): Promise<void> {
    const transport = this.options.transport;
    if (transport.lastDelivered === undefined) return;
    let mark;
    try {
      mark = await transport.lastDelivered();
    } catch (error) {
      this.#report(new Error(`cannot read back ${transport.target}: ${(error as Error).message}`, { cause: error }));
      return;
    }
    if (mark === undefined || mark.seq <= this.#cursor) return;
    let hash: string | undefined;
    try {
      const stored = mark.seq <= this.options.log.size() ? this.options.log.get(mark.seq) : undefined;
      hash = stored === undefined ? undefined : (JSON.parse(stored.json) as { hash?: string }).hash;
    } catch {
      hash = undefined;
    }
    if (hash !== undefined && hash === mark.hash) {
      this.#advance(mark.seq);
      return;
    }
    this.#report(new Error(`${transport.target} ends with record ${mark.seq}, which is not this log's record ${mark.seq}; appending after the cursor (${this.#cursor}). Point the sink at a file of its own`));
  }

  #advance(seq: number): void {
    this.#cursor = seq;
    try {
      this.options.cursors.set(this.options.name, seq);
    } catch (error) {
      // The records are delivered; the next successful set catches the cursor up. Until then a restart re-sends them.
      this.#report(new Error(`saving the cursor (${seq}) failed: ${(error as Error).message}`, { cause: error }));
    }
  }

  #fail(error: Error): void {
    this.#failures++;
    const { minMs, maxMs, refusedMinMs } = this.options.backoff;
    let delay = this.#delay === 0 ? minMs : Math.min(maxMs, this.#delay * 2);
    if (error instanceof DeliveryError) {
      if (error.kind === 'refused') delay = Math.max(delay, refusedMinMs);
      if (error.retryAfterMs !== undefined) delay = Math.max(delay, Math.min(error.retryAfterMs, maxMs));
    }
    this.#delay = Math.min(delay, Math.max(maxMs, refusedMinMs));
    this.#report(new Error(`${error.message} (attempt ${this.#failures}; next in ${formatMs(this.#delay)})`, { cause: error }));
  }

  #report(error: Error): void {
    this.#lastError = { message: error.message, at: new Date().toISOString() };
    try {
      this.options.onError(error);
    } catch {
      // A failing error handler must not stop the export.
    }
  }

  #sleep(ms: number, nudgeable: boolean): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#wakeOnNudge = false;
        resolve();
      };
      // The export never keeps a process alive on its own; the servers beside it do.
      const timer = setTimeout(done, ms).unref();
      this.#wake = done;
      this.#wakeOnNudge = nudgeable;
    });
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
