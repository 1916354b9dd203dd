/** Something people should hear about: an agent waiting for review, a key about to expire, an access request. */
export interface Notification {
  /** e.g. `agent.proposed`, `credential.expiring`, `access.requested`, `review.due`. */
  readonly type: string;
  readonly time: string;
  /** Who should act: e-mail addresses of owners, and/or `security`. */
  readonly recipients: readonly string[];
  /** One line a person understands without the rest. */
  readonly summary: string;
  /** Machine-readable details (never a secret). */
  readonly data: Readonly<Record<string, unknown>>;
}

/** Where notifications go. Sending never throws into the caller and never blocks a governance action. */
export interface Notifier {
  notify(notification: Notification): void;
  /** Resolves once everything handed over so far was delivered or given up on. */
  flush(): Promise<void>;
}

/** The notifier when none is configured: notifications are dropped. */
export const NO_NOTIFIER: Notifier = Object.freeze({
  notify() {},
  async flush() {},
});
