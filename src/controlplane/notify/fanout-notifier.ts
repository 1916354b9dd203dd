import type { Notification, Notifier } from './notifier.js';

/** Several notifiers as one: each notification goes to every channel, and `flush` waits for all of them. */
export class FanoutNotifier implements Notifier {
  constructor(private readonly notifiers: readonly Notifier[]) {}

  notify(notification: Notification): void {
    for (const notifier of this.notifiers) notifier.notify(notification);
  }

  async flush(): Promise<void> {
    await Promise.all(this.notifiers.map((notifier) => notifier.flush()));
  }
}
