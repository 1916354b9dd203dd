import type { NotifySeverity } from '../../model/config/gateway-config.js';
import type { SinkTransport } from '../audit/sinks/sink-transport.js';
import { rfc5424Message } from '../audit/sinks/syslog-format.js';
import { DEFAULT_RETRY_DELAYS_MS, withRetries } from './background-deliveries.js';
import { BackgroundNotifier } from './background-notifier.js';
import { notificationSeverity } from './notification-severity.js';
import type { Notification } from './notifier.js';

/** Syslog severity (RFC 5424 table 2) per notification severity; notifications without one are notices. */
const NOTIFY_SYSLOG_SEVERITY: Readonly<Record<NotifySeverity | 'none', number>> = { critical: 2, high: 3, medium: 4, low: 5, none: 5 };

export interface SyslogNotifierOptions {
  /** The audit export's TCP/TLS transport, or the UDP one. */
  readonly transport: SinkTransport;
  /** 0–23. */
  readonly facility: number;
  readonly appName: string;
  readonly hostname: string;
  readonly onError?: (error: Error) => void;
  /** Pauses between attempts; the default retries after 0.5 s, 2 s and 8 s. */
  readonly retryDelaysMs?: readonly number[];
}

/**
 * Sends each notification as one RFC 5424 message, framed and carried by the audit export's
 * syslog transports:
 *
 *   <PRI>1 TIME HOSTNAME APP-NAME PID TYPE - {notification JSON}
 *
 * PRI = facility × 8 + severity from `data.severity` ({@link NOTIFY_SYSLOG_SEVERITY}); MSGID is
 * the notification type; MSG the notification as JSON, as the webhook receives it.
 *
 * Messages go one at a time over one connection, in the order handed over; a failed one is
 * retried (on a new connection) before the next is sent. Once nothing is waiting, the connection
 * is closed: notifications come minutes apart, and an idle connection must not keep the process
 * alive or go stale.
 */
export class SyslogNotifier extends BackgroundNotifier {
  readonly #options: SyslogNotifierOptions;
  #queue: Promise<void> = Promise.resolve();
  #waiting = 0;
  #sent = 0;

  constructor(options: SyslogNotifierOptions) {
    super(options.onError);
    this.#options = options;
  }

  protected override deliver(notification: Notification): Promise<void> {
    return this.#enqueue(notification);
  }

  #message(notification: Notification): string {
    const header = {
      facility: this.#options.facility,
      severity: NOTIFY_SYSLOG_SEVERITY[notificationSeverity(notification) ?? 'none'],
      time: notification.time,
      hostname: this.#options.hostname,
      appName: this.#options.appName,
      procId: String(process.pid),
      msgId: notification.type,
    };
    return rfc5424Message(header, '-', JSON.stringify(notification));
  }

  #enqueue(notification: Notification): Promise<void> {
    const { transport } = this.#options;
    const message = this.#message(notification);
    this.#waiting++;
    const turn = this.#queue
      .then(() => {
        const seq = ++this.#sent;
        return withRetries(this.#options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS, () => transport.deliver({ firstSeq: seq, lastSeq: seq, items: [message] }));
      })
      .catch((error: Error) => {
        throw new Error(`notification ${notification.type} to ${transport.target} failed: ${error.message}`);
      })
      .finally(async () => {
        if (--this.#waiting === 0) await transport.close();
      });
    this.#queue = turn.catch(() => {});
    return turn;
  }
}
