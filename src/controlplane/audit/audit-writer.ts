import { createHash } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AuditEvent } from '../../model/audit-event.js';
import type { Store } from '../store/store.js';

export interface AuditWriterOptions {
  /** How long a record may wait before it is written (≤ 50 ms: what a crash may lose). */
  readonly flushIntervalMs: number;
  /** Also append every record to this JSONL file. */
  readonly jsonlFile?: string;
  /** Called when a flush fails; the records stay buffered and are retried. */
  readonly onError?: (error: Error) => void;
}

const GENESIS = 'sha256:' + '0'.repeat(64);

/**
 * Takes AuditEvents from the data plane and writes them to the store in batches, chained:
 * each record gets the next `seq`, the previous record's hash and its own SHA-256 over its
 * content, so a deleted, reordered or edited record breaks the chain. Nothing is dropped: a
 * failed flush keeps the batch and retries, and `close()` writes everything still buffered.
 */
export class AuditWriter {
  #buffer: AuditEvent[] = [];
  #waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #seq = 0;
  #prevHash = GENESIS;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;
  #failures = 0;

  private constructor(
    private readonly store: Store,
    private readonly options: AuditWriterOptions,
  ) {}

  /** Opens a writer that continues the chain where the store ends. */
  static async open(store: Store, options: AuditWriterOptions): Promise<AuditWriter> {
    const writer = new AuditWriter(store, options);
    const last = await store.lastAuditEvent();
    if (last !== undefined) {
      writer.#seq = last.seq;
      writer.#prevHash = last.hash;
    }
    if (options.jsonlFile !== undefined) await mkdir(path.dirname(path.resolve(options.jsonlFile)), { recursive: true });
    return writer;
  }

  write(event: AuditEvent): void {
    if (this.#closed) throw new Error('the audit writer is closed');
    this.#buffer.push(event);
    this.#timer ??= setTimeout(() => void this.flush(), this.options.flushIntervalMs);
  }

  writeDurably(event: AuditEvent): Promise<void> {
    this.write(event);
    const durable = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    // A waiting response should not wait for the timer: flush on the next turn, batching whoever else is waiting.
    setImmediate(() => void this.flush());
    return durable;
  }

  pending(): number {
    return this.#buffer.length;
  }

  /** Writes everything buffered now; concurrent calls share one flush at a time. */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    const waiters = this.#waiters;
    this.#buffer = [];
    this.#waiters = [];
    this.#flushing = this.#write(batch).then(
      () => {
        this.#failures = 0;
        for (const waiter of waiters) waiter.resolve();
      },
      (error: Error) => {
        // Keep the records, in order, ahead of anything that arrived meanwhile; retry with backoff.
        this.#buffer = batch.concat(this.#buffer);
        this.#failures++;
        for (const waiter of waiters) waiter.reject(error);
        this.options.onError?.(error);
        if (!this.#closed) this.#timer ??= setTimeout(() => void this.flush(), Math.min(5000, this.options.flushIntervalMs * 2 ** this.#failures));
      },
    );
    try {
      await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Flushes and stops; a failure to flush is thrown so the caller knows records are at risk. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    if (this.#buffer.length > 0) throw new Error(`${this.#buffer.length} audit records could not be written`);
  }

  async #write(batch: readonly AuditEvent[]): Promise<void> {
    let seq = this.#seq;
    let prevHash = this.#prevHash;
    const chained: AuditEvent[] = [];
    for (const event of batch) {
      seq++;
      const content = JSON.stringify({ ...event, seq, prevHash });
      const hash = 'sha256:' + createHash('sha256').update(content).digest('hex');
      chained.push({ ...event, seq, prevHash, hash });
      prevHash = hash;
    }
    await this.store.appendAuditEvents(chained);
    this.#seq = seq;
    this.#prevHash = prevHash;
    if (this.options.jsonlFile !== undefined) {
      // The store is the record of truth and already has the batch: a JSONL failure is reported, not retried.
      await appendFile(this.options.jsonlFile, chained.map((event) => JSON.stringify(event)).join('\n') + '\n').catch((error: Error) => this.options.onError?.(error));
    }
  }
}
