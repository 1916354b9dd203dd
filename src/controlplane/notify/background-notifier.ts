import { BackgroundDeliveries } from './background-deliveries.js';
import type { Notification, Notifier } from './notifier.js';

/**
 * A notifier that delivers each notification in the background (see BackgroundDeliveries):
 * `notify` never waits or fails, `flush` waits for every delivery started. A channel only says
 * how one notification is delivered.
 */
export abstract class BackgroundNotifier implements Notifier {
  readonly #deliveries: BackgroundDeliveries;

  constructor(onError: ((error: Error) => void) | undefined) {
    this.#deliveries = new BackgroundDeliveries(onError);
  }

  notify(notification: Notification): void {
    this.#deliveries.start(() => this.deliver(notification));
  }

  flush(): Promise<void> {
    return this.#deliveries.flush();
  }

  /** Delivers one notification, retrying as the channel sees fit; a rejection goes to `onError`. */
  protected abstract deliver(notification: Notification): Promise<void>;
}
