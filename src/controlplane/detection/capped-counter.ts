import { finite } from './robust-stats.js';

/**
 * Counts per key (operations, networks, transitions, …) with a bounded number of keys: when
 * it holds a fifth more than `cap`, the least used are dropped down to `cap`. Pruning in
 * batches keeps the per-insert cost O(1) amortised, and the bound keeps an exported baseline
 * small whatever an agent does.
 */
export class CappedCounter {
  /** Boxed counts: a hit is one hash lookup and a field write, not a get and a set. */
  readonly #counts = new Map<string, { n: number }>();

  constructor(readonly cap: number) {}

  get size(): number {
    return this.#counts.size;
  }

  has(key: string): boolean {
    return this.#counts.has(key);
  }

  get(key: string): number {
    return this.#counts.get(key)?.n ?? 0;
  }

  keys(): IterableIterator<string> {
    return this.#counts.keys();
  }

  /** Adds `amount` to the key's count. */
  add(key: string, amount = 1): void {
    const entry = this.#counts.get(key);
    if (entry !== undefined) {
      entry.n += amount;
      return;
    }
    this.#counts.set(key, { n: amount });
    if (this.#counts.size > this.cap * 1.2) this.#prune(this.cap);
  }

  /** Raises the key's value to `value` if it is higher (for per-key peaks). */
  max(key: string, value: number): void {
    const entry = this.#counts.get(key);
    if (entry !== undefined) {
      if (value > entry.n) entry.n = value;
      return;
    }
    this.#counts.set(key, { n: value });
    if (this.#counts.size > this.cap * 1.2) this.#prune(this.cap);
  }

  /** The most used entries, at most `cap`, as `[key, count]` pairs. */
  toJSON(): [string, number][] {
    if (this.#counts.size > this.cap) this.#prune(this.cap);
    return [...this.#counts].map(([key, entry]) => [key, Math.round(entry.n * 100) / 100]);
  }

  load(value: unknown): void {
    this.#counts.clear();
    if (!Array.isArray(value)) return;
    for (const entry of value) {
      if (Array.isArray(entry) && typeof entry[0] === 'string') this.#counts.set(entry[0], { n: finite(entry[1]) });
    }
    if (this.#counts.size > this.cap) this.#prune(this.cap);
  }

  #prune(keep: number): void {
    const sorted = [...this.#counts].sort((a, b) => b[1].n - a[1].n);
    this.#counts.clear();
    for (let i = 0; i < keep && i < sorted.length; i++) this.#counts.set(sorted[i]![0], sorted[i]![1]);
  }
}
