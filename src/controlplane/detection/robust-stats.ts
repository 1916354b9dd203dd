/**
 * Small robust statistics for baselines: each is a handful of numbers, updated in O(1), so a
 * baseline per agent and role stays cheap however much traffic it has seen.
 */

/** Per-day decay of peaks: a half-life of about a month, so one old spike fades but a weekly rhythm stays. */
const PEAK_DECAY_PER_DAY = 0.977;

/**
 * The largest value seen, decaying slowly. Values are learned per block (e.g. 10 minutes):
 * the block's highest is held back and committed only once the next block starts, and a
 * finding in the block discards it — so the calls leading up to an alert (a burst's first
 * seconds, a ramp) never raise the line they are measured against. After the learning period
 * a peak may at most double (plus `slack`) within one UTC day, so an attacker ramping up
 * slowly below the alert line cannot drag the baseline along faster than that.
 */
export class DecayingPeak {
  value = 0;
  /** The value at the start of the current day: the reference for bounded growth. */
  base = 0;
  #pending = 0;
  #block = -1;
  #bounded = false;

  constructor(readonly slack: number) {}

  /** Learns `x` seen in `block`; `bounded` once the subject is past its learning period. */
  observe(x: number, block: number, bounded: boolean): void {
    if (block !== this.#block) {
      this.#commit();
      this.#block = block;
    }
    if (x > this.#pending) this.#pending = x;
    this.#bounded = bounded;
  }

  /** Forgets what the current block would have taught: a finding was raised in it. */
  discard(): void {
    this.#pending = 0;
  }

  /** Commits what was observed at once (for values complete when learned, like a day's total). */
  commitNow(): void {
    this.#commit();
  }

  #commit(): void {
    const x = this.#pending;
    this.#pending = 0;
    if (x <= this.value) return;
    this.value = this.#bounded ? Math.min(x, Math.max(this.value, this.base * 2 + this.slack)) : x;
  }

  /** Decays by `days` whole days and starts a new day's growth allowance. */
  rollDays(days: number): void {
    if (days > 0) this.value *= PEAK_DECAY_PER_DAY ** Math.min(days, 365);
    this.base = this.value;
  }

  toJSON(): number {
    return round(this.value);
  }

  load(value: unknown): void {
    this.value = finite(value);
    this.base = this.value;
  }
}

/**
 * Exponentially weighted mean and mean absolute deviation: a robust spread that one outlier
 * moves by at most `alpha` of its distance.
 */
export class Ewma {
  mean = 0;
  deviation = 0;
  count = 0;

  constructor(readonly alpha: number) {}

  update(x: number): void {
    if (this.count === 0) {
      this.mean = x;
      // A single observation says little about spread: assume a quarter of the value.
      this.deviation = Math.abs(x) / 4;
    } else {
      const delta = x - this.mean;
      this.mean += this.alpha * delta;
      this.deviation += this.alpha * (Math.abs(delta) - this.deviation);
    }
    this.count++;
  }

  /** The value `k` deviations above the mean. */
  upper(k: number): number {
    return this.mean + k * this.deviation;
  }

  toJSON(): [number, number, number] {
    return [round(this.mean), round(this.deviation), this.count];
  }

  load(value: unknown): void {
    if (!Array.isArray(value)) return;
    this.mean = finite(value[0]);
    this.deviation = finite(value[1]);
    this.count = finite(value[2]);
  }
}

/** Rounds to 3 significant decimals for compact JSON. */
export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A finite number from untrusted JSON, else 0. */
export function finite(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
