/**
 * A sliding window of counters over the last `slots` epoch units (seconds, minutes, …), kept
 * as a ring keyed by epoch unit with running totals: adding is O(1) amortised and reading a
 * window's total is O(1), and memory is fixed however fast the traffic. Several metrics
 * share one ring (calls, records, bytes) and each slot remembers when its first event
 * arrived, so an alert can say when a window's activity began.
 */
export class RateWindow {
  readonly #firsts: Float64Array;
  readonly #values: Float64Array;
  readonly #totals: Float64Array;
  /** The newest epoch unit the ring holds. */
  #head = -1;

  constructor(
    readonly slots: number,
    readonly unitMs: number,
    readonly metrics: number,
  ) {
    this.#firsts = new Float64Array(slots);
    this.#values = new Float64Array(slots * metrics);
    this.#totals = new Float64Array(metrics);
  }

  /**
   * Moves the window to the unit holding `timeMs` and returns that unit's slot, or -1 when it
   * is older than the window (a late record counts in no window).
   */
  touch(timeMs: number): number {
    const key = Math.floor(timeMs / this.unitMs);
    if (key > this.#head) {
      if (this.#head < 0 || key - this.#head >= this.slots) {
        // The whole window went by (the usual case for an agent calling every few minutes).
        this.#values.fill(0);
        this.#totals.fill(0);
      } else {
        // Units falling out of the window leave the totals.
        for (let unit = this.#head + 1; unit <= key; unit++) this.#clear(unit % this.slots);
      }
      this.#head = key;
      this.#firsts[key % this.slots] = timeMs;
      return key % this.slots;
    }
    if (key <= this.#head - this.slots) return -1;
    return key % this.slots;
  }

  /** Adds `amount` to `metric` of a slot `touch` returned. */
  add(slot: number, metric: number, amount: number): void {
    if (slot < 0) return;
    this.#values[slot * this.metrics + metric]! += amount;
    this.#totals[metric]! += amount;
  }

  /** The total of `metric` over the window (the last `slots` units up to the newest record). */
  total(metric: number): number {
    return this.#totals[metric]!;
  }

  /** When the first event of the window arrived (epoch ms), or `timeMs` if none did. */
  firstTime(timeMs: number): number {
    for (let unit = this.#head - this.slots + 1; unit <= this.#head; unit++) {
      if (unit < 0) continue;
      const slot = unit % this.slots;
      for (let metric = 0; metric < this.metrics; metric++) {
        if (this.#values[slot * this.metrics + metric] !== 0) return Math.min(this.#firsts[slot]!, timeMs);
      }
    }
    return timeMs;
  }

  #clear(slot: number): void {
    for (let metric = 0; metric < this.metrics; metric++) {
      const index = slot * this.metrics + metric;
      this.#totals[metric]! -= this.#values[index]!;
      this.#values[index] = 0;
    }
  }
}
