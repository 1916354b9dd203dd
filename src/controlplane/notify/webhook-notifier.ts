import { randomUUID } from 'node:crypto';
import type { Notification, Notifier } from './notifier.js';
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
export class WebhookNotifier implements Notifier {
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly options: WebhookOptions) {}

  notify(notification: Notification): void {
    const delivery = this.#deliver(notification).catch((error: Error) => {
      try {
        this.options.onError?.(error);
      } catch {
        // A failing error handler must not turn a lost notification into a crash.
      }
    });
    this.#pending.add(delivery);
    void delivery.finally(() => this.#pending.delete(delivery));
  }

  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async #deliver(notification: Notification): Promise<void> {
    const body = JSON.stringify(notification);
    const id = randomUUID();
    const delays = this.options.retryDelaysMs ?? [500, 2000, 8000];
    let lastError = '';
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, delays[attempt - 1]));
      const timestamp = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-warden-event': notification.type, 'x-warden-delivery': id };
      if (this.options.secret !== undefined) headers[SIGNATURE_HEADER] = signatureHeader(this.options.secret, body, timestamp);
      try {
        const response = await fetch(this.options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000) });
        await response.arrayBuffer();
        if (response.ok) return;
        lastError = `HTTP ${response.status}`;
        // A 4xx will not get better by retrying.
        if (response.status < 500 && response.status !== 429) break;
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
    throw new Error(`notification ${notification.type} (${id}) to ${new URL(this.options.url).origin} failed: ${lastError}`);
  }
}
