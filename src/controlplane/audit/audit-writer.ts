import type { AuditEvent } from '../../model/audit-event.js';
import type { AuditAppender } from './audit-appender.js';
import { addToBatch, emptyBatch, serializedBody } from './audit-chain.js';

export interface AuditWriterOptions {
  /** How long a record may wait before it is written (≤ 50 ms: what a crash may lose). */
  readonly flushIntervalMs: number;
  /** Called when a flush fails; the records stay buffered and are retried. */
  readonly onError?: (error: Error) => void;
  /** Called after each batch is durable (export sinks start delivering it). */
  readonly onAppended?: () => void;
}

/** A record waiting to be written, and the strict-mode response waiting for it, if any. */
interface Pending {
  /**
   * JSON.stringify of the event, made as the record is accepted: serialising is the request
   * thread's whole share of the work, and done then it overlaps with the append worker storing
   * the previous batch instead of waiting for it.
   */
  readonly body: string;
  readonly event: AuditEvent;
  readonly waiter: { readonly resolve: () => void; readonly reject: (error: Error) => void } | undefined;
}

/**
 * Takes AuditEvents from the data plane and appends them to the audit log in batches, off the
 * request path: a response never waits for its record except in strict mode. The log chains
 * and hashes them into its Merkle tree (audit-log.ts). Nothing is dropped: a failed append
 * keeps the records not yet durable and retries them, and `close()` writes everything still
 * buffered.
 */
export class AuditWriter {
  #buffer: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;
  #failures = 0;

  constructor(
    private readonly appender: AuditAppender,
    private readonly options: AuditWriterOptions,
  ) {}

  /** Accepts a record; it is durable after the next flush, at most `flushIntervalMs` from now. */
  write(event: AuditEvent): void {
    this.#accept({ body: serializedBody(event), event, waiter: undefined });
    this.#timer ??= setTimeout(() => void this.flush(), this.options.flushIntervalMs);
  }

  /** Accepts a record and resolves once it is durable; rejects (and withdraws the record) if writing it failed. */
  writeDurably(event: AuditEvent): Promise<void> {
    const durable = new Promise<void>((resolve, reject) => this.#accept({ body: serializedBody(event), event, waiter: { resolve, reject } }));
    // A waiting response should not wait for the timer: flush on the next turn, batching whoever else is waiting.
    setImmediate(() => void this.flush());
    return durable;
  }

  /** Records accepted but not yet durable: the audit lag. */
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
    this.#buffer = [];
    this.#flushing = this.#writeAll(batch);
    try {
      await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Flushes and stops (the appender too); a failure to flush is thrown so the caller knows records are at risk. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    await this.appender.close();
    if (this.#buffer.length > 0) throw new Error(`${this.#buffer.length} audit records could not be written`);
  }

  #accept(pending: Pending): void {
    if (this.#closed) throw new Error('the audit writer is closed');
    this.#buffer.push(pending);
  }

  async #writeAll(batch: readonly Pending[]): Promise<void> {
    try {
      await this.#write(batch);
    } catch (error) {
      this.#failed(batch, error as Error);
      return;
    }
    this.#failures = 0;
    for (const { waiter } of batch) waiter?.resolve();
  }

  /**
   * Keeps the records that are not durable, in order, ahead of anything that arrived
   * meanwhile, and retries them with backoff. A strict-mode record is withdrawn instead: its
   * response is refused, and the gateway records that outcome, so the request still has
   * exactly one record and it tells what the agent received.
   */
  #failed(notWritten: readonly Pending[], error: Error): void {
    const kept: Pending[] = [];
    for (const pending of notWritten) {
      if (pending.waiter === undefined) kept.push(pending);
      else pending.waiter.reject(error);
    }
    this.#buffer = kept.concat(this.#buffer);
    this.#failures++;
    this.options.onError?.(new Error(`appending ${kept.length} records to the audit log failed; they are kept and retried: ${error.message}`, { cause: error }));
    if (!this.#closed) this.#timer ??= setTimeout(() => void this.flush(), Math.min(5000, this.options.flushIntervalMs * 2 ** this.#failures));
  }

  async #write(batch: readonly Pending[]): Promise<void> {
    const columns = emptyBatch();
    for (const { body, event } of batch) addToBatch(columns, body, event);
    await this.appender.append(columns);
    this.options.onAppended?.();
  }
}

