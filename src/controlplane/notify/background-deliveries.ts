/** Pauses between attempts when a notifier is given none: retries after 0.5 s, 2 s and 8 s. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [500, 2000, 8000];

/** Longest one attempt may take when a notifier is given no timeout. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** A failure retrying will not fix (a 4xx answer): {@link withRetries} gives up at once. */
export class FinalDeliveryError extends Error {
  override name = 'FinalDeliveryError';
}

/**
 * Runs `attempt` until it resolves, pausing `delaysMs[i]` before retry i + 1; rejects with the
 * last failure once the delays are used up or a {@link FinalDeliveryError} says retrying is useless.
 */
export async function withRetries(delaysMs: readonly number[], attempt: () => Promise<void>): Promise<void> {
  for (let index = 0; ; index++) {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof FinalDeliveryError || index >= delaysMs.length) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delaysMs[index]));
  }
}

/**
 * The deliveries a notifier started and has not finished: each runs in the background, its
 * failure goes to `onError` (never to the governance action that caused it), and `flush` waits
 * for all of them, those started while it waits included.
 */
export class BackgroundDeliveries {
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly onError: ((error: Error) => void) | undefined) {}

  /** Starts `delivery` without waiting for it. */
  start(delivery: () => Promise<void>): void {
    const tracked = Promise.resolve()
      .then(delivery)
      .catch((error: Error) => {
        try {
          this.onError?.(error);
        } catch {
          // A failing error handler must not turn a lost notification into a crash.
        }
      });
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  /** Resolves once every delivery started so far, or while waiting, finished or was given up on. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
