import { describe, expect, it } from 'vitest';
import { MinSeverityNotifier, notificationSeverity } from './notification-severity.js';
import type { Notification, Notifier } from './notifier.js';

function notification(severity?: unknown): Notification {
  return { type: 'incident.opened', time: '2025-07-01T09:00:00.000Z', recipients: ['security'], summary: 's', data: severity === undefined ? {} : { severity } };
}

/** A channel that keeps what it was given. */
function recording(): Notifier & { received: Notification[]; flushes: number } {
  return {
    received: [],
    flushes: 0,
    notify(n) {
      this.received.push(n);
    },
    async flush() {
      this.flushes++;
    },
  };
}

describe('notificationSeverity', () => {
  it('reads data.severity when it is a known severity', () => {
    expect(['low', 'medium', 'high', 'critical', 'HIGH', 'none', 3, undefined].map((severity) => notificationSeverity(notification(severity)))).toEqual(['low', 'medium', 'high', 'critical', undefined, undefined, undefined, undefined]);
  });
});

describe('MinSeverityNotifier', () => {
  it('passes notifications at or above the minimum, and all without a known severity', () => {
    const channel = recording();
    const filtered = new MinSeverityNotifier(channel, 'high');
    for (const severity of ['low', 'medium', 'high', 'critical', undefined, 'unheard-of']) filtered.notify(notification(severity));
    expect(channel.received.map((n) => n.data.severity)).toEqual(['high', 'critical', undefined, 'unheard-of']);
  });

  it('with minSeverity low, skips nothing', () => {
    const channel = recording();
    const filtered = new MinSeverityNotifier(channel, 'low');
    for (const severity of ['low', 'medium', 'high', 'critical']) filtered.notify(notification(severity));
    expect(channel.received).toHaveLength(4);
  });

  it('flushes its channel', async () => {
    const channel = recording();
    await new MinSeverityNotifier(channel, 'critical').flush();
    expect(channel.flushes).toBe(1);
  });
});
