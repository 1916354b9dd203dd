import { NOTIFY_SEVERITIES, type NotifySeverity } from '../../model/config/gateway-config.js';
import type { Notification, Notifier } from './notifier.js';

/** The notification's `data.severity` when it is one Warden knows (detection incidents carry one), else undefined. */
export function notificationSeverity(notification: Notification): NotifySeverity | undefined {
  const severity = notification.data.severity;
  return (NOTIFY_SEVERITIES as readonly unknown[]).includes(severity) ? (severity as NotifySeverity) : undefined;
}

/**
 * Passes on only notifications of at least `minSeverity`, so a busy channel gets the incidents
 * that matter. Notifications without a severity (reviews, access requests, key expiry) always
 * pass: a filter meant for alerts must not silence governance.
 */
export class MinSeverityNotifier implements Notifier {
  readonly #min: number;

  constructor(
    private readonly inner: Notifier,
    minSeverity: NotifySeverity,
  ) {
    this.#min = NOTIFY_SEVERITIES.indexOf(minSeverity);
  }

  notify(notification: Notification): void {
    const severity = notificationSeverity(notification);
    if (severity === undefined || NOTIFY_SEVERITIES.indexOf(severity) >= this.#min) this.inner.notify(notification);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }
}
