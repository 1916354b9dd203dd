import { describe, expect, it } from 'vitest';
import { FanoutNotifier } from './fanout-notifier.js';
import type { Notification, Notifier } from './notifier.js';

/** A channel that keeps what it was given and finishes flushing only when told to. */
class HeldChannel implements Notifier {
  readonly received: Notification[] = [];
  flushed = false;
  #release: (() => void) | undefined;

  notify(notification: Notification): void {
    this.received.push(notification);
  }

  flush(): Promise<void> {
    return new Promise((resolve) => {
      this.#release = () => {
        this.flushed = true;
        resolve();
      };
    });
  }

  release(): void {
    this.#release?.();
  }
}

function notification(severity?: unknown): Notification {
  return { type: 'incident.opened', time: '2025-07-01T09:00:00.000Z', recipients: ['security'], summary: 's', data: severity === undefined ? {} : { severity } };
}

describe('FanoutNotifier', () => {
  it('hands every notification to every channel', () => {
    const channels = [new HeldChannel(), new HeldChannel(), new HeldChannel()];
    const fanout = new FanoutNotifier(channels);
    fanout.notify(notification('low'));
    fanout.notify(notification('high'));
    for (const channel of channels) expect(channel.received.map((n) => n.data.severity)).toEqual(['low', 'high']);
  });

  it('flushes only once every channel flushed', async () => {
    const [slow, fast] = [new HeldChannel(), new HeldChannel()];
    const flushed = new FanoutNotifier([slow, fast]).flush();
    let done = false;
    void flushed.then(() => (done = true));
    fast.release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(done).toBe(false);
    slow.release();
    await flushed;
    expect([slow.flushed, fast.flushed]).toEqual([true, true]);
  });
});
