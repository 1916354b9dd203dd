/** How many recent ids one operation keeps. */
const SIZE = 32;
/** Ids closer than this count as a sequential step (allows skipping a missing record or two). */
const MAX_STEP = 3;

/**
 * The recent numeric ids one agent used on one operation: enough to tell a walk through
 * customer ids (1041, 1042, 1043, …) from ordinary lookups, which land far apart.
 */
export class IdSequence {
  readonly #ids = new Float64Array(SIZE);
  readonly #times = new Float64Array(SIZE);
  readonly #eventIds: string[] = new Array<string>(SIZE).fill('');
  #next = 0;
  #size = 0;
  /** Start of the current fixed counting window, the id-carrying calls in it and its longest run. */
  windowStart = 0;
  windowCount = 0;
  windowRun = 0;
  /** A finding was raised in the current window: it teaches nothing. */
  windowTainted = false;
  /** Count and longest run of the last finished window that raised nothing (0 otherwise): what a baseline learns. */
  closedCount = 0;
  closedRun = 0;
  /** Distinct ids forming the mostly-sequential run found by the last `add` (0: none). */
  sequenceRun = 0;
  /** When the ids of that run started arriving, and its lowest and highest id. */
  runStart = 0;
  runLow = 0;
  runHigh = 0;
  lastUsed = 0;

  /** Adds an id seen at `timeMs`; `windowMs` bounds both the count window and the run. */
  add(id: number, timeMs: number, eventId: string, windowMs: number, scratch: Float64Array): void {
    this.lastUsed = timeMs;
    if (timeMs - this.windowStart >= windowMs) {
      this.closedCount = this.windowTainted ? 0 : this.windowCount;
      this.closedRun = this.windowTainted ? 0 : this.windowRun;
      this.windowStart = timeMs;
      this.windowCount = 0;
      this.windowRun = 0;
      this.windowTainted = false;
    }
    this.windowCount++;
    this.#ids[this.#next] = id;
    this.#times[this.#next] = timeMs;
    this.#eventIds[this.#next] = eventId;
    this.#next = (this.#next + 1) % SIZE;
    if (this.#size < SIZE) this.#size++;
    this.sequenceRun = this.#run(timeMs - windowMs, scratch);
    if (this.sequenceRun > this.windowRun) this.windowRun = this.sequenceRun;
  }

  /** Event ids of the ids in the window, oldest first, at most `max`. */
  eventIds(sinceMs: number, max: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#size && out.length < max; i++) {
      const slot = (this.#next - this.#size + i + SIZE) % SIZE;
      if (this.#times[slot]! >= sinceMs) out.push(this.#eventIds[slot]!);
    }
    return out;
  }

  /**
   * Sorts the ids seen since `sinceMs` (so a shuffled walk counts too) and returns how many
   * distinct ids there are when at least three quarters of the gaps between neighbours are
   * small steps, else 0; the longest chain of small steps gives the run's range and start.
   * Only sorts once twenty ids are in the window: below that no run can matter.
   */
  #run(sinceMs: number, scratch: Float64Array): number {
    let count = 0;
    for (let i = 0; i < this.#size; i++) if (this.#times[i]! >= sinceMs) scratch[count++] = this.#ids[i]!;
    if (count < 20) return 0;
    const ids = scratch.subarray(0, count).sort();
    let distinct = 1;
    let steps = 0;
    let chainStart = 0;
    let bestStart = 0;
    let bestEnd = 0;
    for (let i = 1; i < count; i++) {
      const gap = ids[i]! - ids[i - 1]!;
      if (gap === 0) continue;
      distinct++;
      if (gap <= MAX_STEP) {
        steps++;
        if (ids[i]! - ids[chainStart]! > ids[bestEnd]! - ids[bestStart]!) {
          bestStart = chainStart;
          bestEnd = i;
        }
      } else chainStart = i;
    }
    if (distinct < 2 || steps < 0.75 * (distinct - 1)) return 0;
    this.runLow = ids[bestStart]!;
    this.runHigh = ids[bestEnd]!;
    this.runStart = Infinity;
    for (let i = 0; i < this.#size; i++) {
      const id = this.#ids[i]!;
      if (this.#times[i]! >= sinceMs && id >= this.runLow && id <= this.runHigh && this.#times[i]! < this.runStart) this.runStart = this.#times[i]!;
    }
    return distinct;
  }
}
