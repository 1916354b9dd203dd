/** A batch of consecutive records, formatted for one sink. */
export interface FormattedBatch {
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** One formatted text per record, in `seq` order. */
  readonly items: readonly string[];
}

/** Where a sink's transport says its receiver stands, when it can tell (the JSONL file can). */
export interface DeliveredMark {
  readonly seq: number;
  /** The record's `hash` as the receiver has it, to tell this log's record from another log's. */
  readonly hash: string | undefined;
}

/**
 * Moves formatted batches to one receiver. `deliver` resolves only once the batch is delivered as
 * far as the transport can tell (see each transport for what that means) and rejects otherwise;
 * the runner moves the sink's cursor only after it resolved.
 */
export interface SinkTransport {
  /** Human-readable receiver for status and error messages; never holds a secret. */
  readonly target: string;
  deliver(batch: FormattedBatch): Promise<void>;
  /** The last record the receiver already holds, if the transport can read it back. */
  lastDelivered?(): Promise<DeliveredMark | undefined>;
  /** Ends connections and handles; pending data that was delivered stays delivered. */
  close(): Promise<void>;
}

/**
 * A failed delivery. `refused` means the receiver answered and turned the batch down (an HTTP
 * 4xx): retrying at once will not help, so the runner waits longer, but it never drops records.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';

  constructor(
    message: string,
    readonly kind: 'unavailable' | 'refused' = 'unavailable',
    /** The receiver asked for this pause (HTTP Retry-After). */
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
