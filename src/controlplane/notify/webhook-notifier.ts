import { randomUUID } from 'node:crypto';
import { DEFAULT_RETRY_DELAYS_MS, DEFAULT_TIMEOUT_MS, withRetries } from './background-deliveries.js';
import { BackgroundNotifier } from './background-notifier.js';
import type { Notification } from './notifier.js';
import { originOf, postJson } from './post-json.js';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.js';

export interface WebhookOptions {
  readonly url: string;
  /** HMAC-SHA256 key; without it notifications go unsigned. */
  readonly secret: string | undefined;
  readonly onError?: (error: Error) => void;
  /** Pauses between attempts; the default retries after 0.5 s, 2 s and 8 s. */
  readonly retryDelaysMs?: readonly number[];
  readonly timeoutMs?: number;
}

/**
 * Posts each notification as JSON to a webhook (a chat bridge, a ticketing system). Signed with
 * `X-Warden-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` so the receiver can
 * check origin and freshness; retried with backoff on network errors and 5xx; never blocks or
 * fails the governance action that caused it.
 */
export class WebhookNotifier extends BackgroundNotifier {
  constructor(private readonly options: WebhookOptions) {
    super(options.onError);
  }

  protected override async deliver(notification: Notification): Promise<void> {
    const body = JSON.stringify(notification);
    const id = randomUUID();
    const { url, secret } = this.options;
    try {
      await withRetries(this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS, () => {
        const headers: Record<string, string> = { 'x-warden-event': notification.type, 'x-warden-delivery': id };
        // Signed at each attempt, so a retry carries a fresh timestamp.
        if (secret !== undefined) headers[SIGNATURE_HEADER] = signatureHeader(secret, body, Math.floor(Date.now() / 1000));
        return postJson(url, headers, body, this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      });
    } catch (error) {
      throw new Error(`notification ${notification.type} (${id}) to ${originOf(url)} failed: ${(error as Error).message}`);
    }
  }
}
