/**
 * In-process wake-ups for callers waiting on an approval: a decision made in this process
 * signals its id at once, so a held call does not wait for the next poll of the store.
 */
export class ApprovalSignals {
  readonly #waiting = new Map<string, Set<() => void>>();
  #closed = false;

  /** Resolves when `id` is signalled, after `ms`, or at once when closed — whichever comes first. */
  next(id: string, ms: number): Promise<void> {
    if (this.#closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.#waiting.get(id) ?? new Set<() => void>();
      this.#waiting.set(id, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiting.get(id) === waiters) this.#waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  }

  /** Wakes everyone waiting on `id`. */
  signal(id: string): void {
    for (const done of [...(this.#waiting.get(id) ?? [])]) done();
  }

  /** Wakes every waiter and makes later waits return at once (shutdown must not wait for people). */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#waiting.keys()]) this.signal(id);
  }

  /** How many callers wait right now (for tests and metrics). */
  get waiting(): number {
    let count = 0;
    for (const waiters of this.#waiting.values()) count += waiters.size;
    return count;
  }
}
