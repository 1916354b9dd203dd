import { Agent, request } from 'undici';
import { SIGNATURE_HEADER, signatureHeader } from '../../notify/webhook-signature.js';
import { DeliveryError, type FormattedBatch, type SinkTransport } from './sink-transport.js';

/** The idempotency header: `<first seq>-<last seq>` of the records in the body. */
export const BATCH_HEADER = 'warden-batch';

export interface WebhookTransportOptions {
  readonly url: string;
  /** HMAC-SHA256 key; resolved from its secret reference by the caller, never logged. */
  readonly secret: string;
  /** PEM CA bundle for the receiver's certificate; default: the system CAs. */
  readonly ca?: string | Buffer;
  readonly timeoutMs: number;
  /** `array`: a JSON array (application/json); `ndjson`: one item per line (application/x-ndjson). */
  readonly body: 'array' | 'ndjson';
  readonly userAgent: string;
}

/**
 * POSTs each batch to an HTTPS endpoint. Signed the way Warden's notifications are
 * (`X-Warden-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`), with
 * `Warden-Batch: <first>-<last>` so a receiver can drop a batch it already stored: a batch is
 * retried with the same records until a 2xx answer, and a 2xx whose answer got lost is sent
 * again. A 2xx is the receiver's acknowledgement; nothing else counts as delivered.
 *
 * 5xx, 408, 429, timeouts and network errors are `unavailable` (retried with backoff, honouring
 * Retry-After); any other status is `refused` (retried more slowly and reported: a 4xx usually
 * means a configuration problem on one side, and records are never dropped).
 */
export class WebhookTransport implements SinkTransport {
  readonly target: string;
  readonly #origin: string;
  readonly #agent: Agent;

  // Private (#): neither JSON.stringify nor util.inspect shows the options, which hold the secret.
  readonly #options: WebhookTransportOptions;

  constructor(options: WebhookTransportOptions) {
    this.#options = options;
    const url = new URL(options.url);
    // Error messages and status show the origin only: a path or query may hold a token.
    this.#origin = url.origin;
    this.target = `webhook ${url.origin}`;
    this.#agent = new Agent({
      connect: { timeout: options.timeoutMs, ...(options.ca !== undefined ? { ca: options.ca } : {}) },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  async deliver(batch: FormattedBatch): Promise<void> {
    const ndjson = this.#options.body === 'ndjson';
    const body = ndjson ? `${batch.items.join('\n')}\n` : `[${batch.items.join(',')}]`;
    const range = `${batch.firstSeq}-${batch.lastSeq}`;
    const headers = {
      'content-type': ndjson ? 'application/x-ndjson' : 'application/json',
      'user-agent': this.#options.userAgent,
      [BATCH_HEADER]: range,
      [SIGNATURE_HEADER]: signatureHeader(this.#options.secret, body, Math.floor(Date.now() / 1000)),
    };
    let statusCode: number;
    let retryAfter: string | string[] | undefined;
    try {
      const response = await request(this.#options.url, { method: 'POST', headers, body, dispatcher: this.#agent, signal: AbortSignal.timeout(this.#options.timeoutMs) });
      statusCode = response.statusCode;
      retryAfter = response.headers['retry-after'];
      // The answer's body is not used; read and drop a bounded amount so the connection is reused.
      await response.body.dump({ limit: 65_536 }).catch(() => undefined);
    } catch (error) {
      throw new DeliveryError(`POST of records ${range} to ${this.#origin} failed: ${describe(error as Error)}`, 'unavailable', undefined, { cause: error });
    }
    if (statusCode >= 200 && statusCode < 300) return;
    if (statusCode >= 500 || statusCode === 408 || statusCode === 429) {
      throw new DeliveryError(`${this.#origin} answered HTTP ${statusCode} to records ${range}; retrying`, 'unavailable', retryAfterMs(retryAfter));
    }
    const hint = statusCode === 401 || statusCode === 403
      ? 'check that the receiver verifies X-Warden-Signature with the same secret'
      : statusCode >= 300 && statusCode < 400 ? 'set url to the address the receiver redirects to' : 'check the receiver\'s logs for why it refused the batch';
    throw new DeliveryError(`${this.#origin} refused records ${range} with HTTP ${statusCode}: ${hint}; the records are kept and retried`, 'refused', retryAfterMs(retryAfter));
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/** Retry-After in seconds (the HTTP-date form is rare for webhooks and ignored). */
function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && /^\d{1,6}$/.test(text.trim()) ? Number(text.trim()) * 1000 : undefined;
}

function describe(error: Error): string {
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'no answer in time';
  const cause = (error as { cause?: Error }).cause;
  const code = (error as NodeJS.ErrnoException).code ?? (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause?.message ?? error.message;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
