import { DecayingPeak, finite } from './robust-stats.js';

/**
 * A DecayingPeak per key (e.g. per API: the busiest day of records from it), with at most
 * `cap` keys: beyond that the lowest peak is dropped, so a baseline stays small whatever an
 * agent calls. Values are learned once per UTC day, never per record.
 */
export class KeyedPeaks {
  readonly #peaks = new Map<string, DecayingPeak>();

  constructor(
    readonly slack: number,
    readonly cap: number,
  ) {}

  get size(): number {
    return this.#peaks.size;
  }

  /** The key's peak, 0 when never learned. */
  get(key: string): number {
    return this.#peaks.get(key)?.value ?? 0;
  }

  /** Learns one finished day's `value` for `key`; `bounded` once the subject is past its learning period. */
  learnDay(key: string, value: number, bounded: boolean): void {
    let peak = this.#peaks.get(key);
    if (peak === undefined) {
      if (value <= 0) return;
      if (this.#peaks.size >= this.cap) this.#dropLowest();
      peak = new DecayingPeak(this.slack);
      this.#peaks.set(key, peak);
    }
    peak.observe(value, -1, bounded);
    peak.commitNow();
  }

  /** Decays every peak by `days` whole days and starts a new day's growth allowance. */
  rollDays(days: number): void {
    for (const peak of this.#peaks.values()) peak.rollDays(days);
  }

  /** `[key, peak]` pairs. */
  toJSON(): [string, number][] {
    return [...this.#peaks].map(([key, peak]) => [key, peak.toJSON()]);
  }

  load(value: unknown): void {
    this.#peaks.clear();
    if (!Array.isArray(value)) return;
    for (const entry of value) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || this.#peaks.size >= this.cap) continue;
      const peak = new DecayingPeak(this.slack);
      peak.load(finite(entry[1]));
      this.#peaks.set(entry[0], peak);
    }
  }

  #dropLowest(): void {
    let lowest: string | undefined;
    let value = Infinity;
    for (const [key, peak] of this.#peaks) {
      if (peak.value < value) {
        value = peak.value;
        lowest = key;
      }
    }
    if (lowest !== undefined) this.#peaks.delete(lowest);
  }
}
