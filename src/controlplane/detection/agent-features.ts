import type { EventFacts } from './event-facts.js';
import { IdSequence } from './id-sequence.js';
import { RateWindow } from './rate-windows.js';

export const TEN_MINUTES = 600_000;
const RECENT = 32;
const DENIALS = 16;
const APIS = 16;
/** Operations with numeric ids followed per agent; the least recently used is dropped. */
const ID_OPERATIONS = 32;
/** Distinct customers counted per hour; beyond that the count saturates (already far above any floor). */
const CUSTOMERS_CAP = 2_000;
/** Sensitive APIs whose daily volume is kept (far more than any agent uses); past that the smallest is dropped. */
const DAY_APIS = 64;

/** Metrics of the windows. */
const CALLS = 0;
const RECORDS = 0;
const BYTES = 1;
const SENSITIVE_RECORDS = 2;
const SENSITIVE_BYTES = 3;

/** One sensitive API's volume in the current UTC day. Reused from day to day, so counting allocates nothing. */
export interface ApiDay {
  records: number;
  bytes: number;
  /** When the day's records or bytes first went past the API's daily peak, or 0. */
  aboveAt: number;
}

/**
 * One agent's live, short-term features: rings of per-second and per-minute counters, the
 * current hour and UTC day, the last denials, APIs and ids. Fixed-size structures only, so
 * memory does not grow with traffic. Not persisted: after a restart they refill within
 * minutes, while the baselines (what is normal) are exported.
 */
export class AgentFeatures {
  /**
   * Calls in the last 10 s and the last minute (1 s units); records and bytes in the last 5
   * minutes (10 s units), all and from sensitive APIs only.
   */
  readonly tenSeconds = new RateWindow(10, 1_000, 1);
  readonly minute = new RateWindow(60, 1_000, 1);
  readonly fiveMinutes = new RateWindow(30, 10_000, 4);
  hour = -1;
  hourCalls = 0;
  /** When the first call of the current clock hour arrived. */
  hourFirst = 0;
  readonly customers = new Set<string>();
  day = -1;
  dayCalls = 0;
  dayRecords = 0;
  dayBytes = 0;
  /** The part of the day's calls, records and bytes that came from sensitive APIs: how sensitive the day's volume is. */
  daySensitiveCalls = 0;
  daySensitiveRecords = 0;
  daySensitiveBytes = 0;
  /** Today's volume per sensitive API. */
  readonly dayApis = new Map<string, ApiDay>();
  /** The current record's entry in `dayApis`, when its API is sensitive. */
  apiToday: ApiDay | undefined = undefined;
  /** A record of this day raised a finding: its totals are not learned. */
  dayTainted = false;
  /** When the day's totals first went past the daily peak (the start of a slow exfiltration), or 0. */
  dayAboveAt = 0;
  /** How far past its alert line the day's volume was when last reported today (0: not reported), and that alert's severity rank: one alert a day unless it jumps. */
  dayReported = 0;
  dayReportedRank = -1;
  /** Until when window peaks are not learned, because a finding was raised shortly before. */
  quietUntil = 0;
  previousOp = '';
  /** The last sensitive operation new to the agent and its roles, how many calls of it came each within 10 minutes of the last, and the first's time. */
  novelOp = '';
  novelCount = 0;
  novelFirst = 0;
  novelLast = 0;

  readonly #recentIds: string[] = new Array<string>(RECENT).fill('');
  readonly #recentTimes = new Float64Array(RECENT);
  #recentNext = 0;

  readonly denialTimes = new Float64Array(DENIALS);
  readonly denialOps: string[] = new Array<string>(DENIALS).fill('');
  readonly denialApis: string[] = new Array<string>(DENIALS).fill('');
  readonly denialIds: string[] = new Array<string>(DENIALS).fill('');
  readonly denialSensitivity: string[] = new Array<string>(DENIALS).fill('');
  /** 1 when the denied API is outside every API the agent's roles grant. */
  readonly denialOutside = new Uint8Array(DENIALS);
  denialCount = 0;

  readonly apiNames: string[] = new Array<string>(APIS).fill('');
  readonly apiFirst = new Float64Array(APIS);
  readonly apiLast = new Float64Array(APIS);
  /** 1 when the API was new to the agent and its roles when this window first touched it. */
  readonly apiNew = new Uint8Array(APIS);

  readonly #ids = new Map<string, IdSequence>();
  readonly #scratch = new Float64Array(32);

  /** Worked out by `observe` for the current record (it included). */
  calls10s = 0;
  calls1m = 0;
  records5m = 0;
  bytes5m = 0;
  sensitiveRecords5m = 0;
  sensitiveBytes5m = 0;
  apis10m = 0;
  newApis10m = 0;
  /** The id sequence of the current record's operation, when it carried a numeric id. */
  ids: IdSequence | undefined = undefined;

  /** Counts the record into every window and works out the current values. */
  observe(facts: EventFacts): void {
    const t = facts.timeMs;
    const event = facts.event;
    if (facts.day !== this.day) {
      this.day = facts.day;
      this.dayCalls = 0;
      this.dayRecords = 0;
      this.dayBytes = 0;
      this.daySensitiveCalls = 0;
      this.daySensitiveRecords = 0;
      this.daySensitiveBytes = 0;
      this.#resetDayApis();
      this.dayTainted = false;
      this.dayAboveAt = 0;
      this.dayReported = 0;
      this.dayReportedRank = -1;
    }
    if (facts.hour !== this.hour) {
      this.hour = facts.hour;
      this.hourCalls = 0;
      this.hourFirst = t;
      this.customers.clear();
    }
    this.hourCalls++;
    this.dayCalls++;
    this.dayRecords += facts.records;
    this.dayBytes += facts.bytes;
    this.apiToday = undefined;
    const sensitive = facts.sensitive;
    if (sensitive) {
      this.daySensitiveCalls++;
      this.daySensitiveRecords += facts.records;
      this.daySensitiveBytes += facts.bytes;
      const api = this.#dayApi(facts.apiName);
      api.records += facts.records;
      api.bytes += facts.bytes;
      this.apiToday = api;
    }
    if (facts.customer !== undefined && this.customers.size < CUSTOMERS_CAP) this.customers.add(facts.customer);

    this.tenSeconds.add(this.tenSeconds.touch(t), CALLS, 1);
    this.minute.add(this.minute.touch(t), CALLS, 1);
    const slot = this.fiveMinutes.touch(t);
    this.fiveMinutes.add(slot, RECORDS, facts.records);
    this.fiveMinutes.add(slot, BYTES, facts.bytes);
    if (sensitive) {
      this.fiveMinutes.add(slot, SENSITIVE_RECORDS, facts.records);
      this.fiveMinutes.add(slot, SENSITIVE_BYTES, facts.bytes);
    }
    this.calls10s = this.tenSeconds.total(CALLS);
    this.calls1m = this.minute.total(CALLS);
    this.records5m = this.fiveMinutes.total(RECORDS);
    this.bytes5m = this.fiveMinutes.total(BYTES);
    this.sensitiveRecords5m = this.fiveMinutes.total(SENSITIVE_RECORDS);
    this.sensitiveBytes5m = this.fiveMinutes.total(SENSITIVE_BYTES);

    this.#recentIds[this.#recentNext] = event.id;
    this.#recentTimes[this.#recentNext] = t;
    this.#recentNext = (this.#recentNext + 1) % RECENT;

    this.ids = undefined;
    if (facts.numericId >= 0) {
      let sequence = this.#ids.get(facts.opKey);
      if (sequence === undefined) {
        if (this.#ids.size >= ID_OPERATIONS) this.#dropStalestSequence();
        sequence = new IdSequence();
        this.#ids.set(facts.opKey, sequence);
      }
      sequence.add(facts.numericId, t, event.id, TEN_MINUTES, this.#scratch);
      this.ids = sequence;
    }
    this.#countApis(t);
  }

  /** Remembers an authorisation denial for scope-probing. */
  noteDenial(facts: EventFacts, outsideRoles: boolean): void {
    const slot = this.denialCount % DENIALS;
    this.denialTimes[slot] = facts.timeMs;
    this.denialOps[slot] = facts.opKey;
    this.denialApis[slot] = facts.apiName;
    this.denialIds[slot] = facts.event.id;
    this.denialSensitivity[slot] = facts.sensitivity;
    this.denialOutside[slot] = outsideRoles ? 1 : 0;
    this.denialCount++;
  }

  /** Counts a call of a sensitive operation new to the agent and its roles; returns how many came in a row, each within 10 minutes of the last. */
  noteNovel(op: string, timeMs: number): number {
    if (op === this.novelOp && timeMs - this.novelLast <= TEN_MINUTES) this.novelCount++;
    else {
      this.novelOp = op;
      this.novelCount = 1;
      this.novelFirst = timeMs;
    }
    this.novelLast = timeMs;
    return this.novelCount;
  }

  /** The slot of `api` among the recently used APIs, or -1. */
  apiSlot(api: string): number {
    return this.apiNames.indexOf(api);
  }

  /** Notes a call of `api`; `isNew` is asked only when the API is not in the recent list yet. */
  touchApi(api: string, timeMs: number, slot: number, isNew: boolean): void {
    let target = slot;
    if (target === -1) {
      // Reuse the least recently used slot.
      target = 0;
      for (let i = 1; i < APIS; i++) if (this.apiLast[i]! < this.apiLast[target]!) target = i;
      this.apiNames[target] = api;
      this.apiFirst[target] = timeMs;
      this.apiNew[target] = isNew ? 1 : 0;
    } else if (timeMs - this.apiLast[target]! > TEN_MINUTES) {
      // Back after a pause: a new window for this API starts now; the API is known by now.
      this.apiFirst[target] = timeMs;
      this.apiNew[target] = isNew ? 1 : 0;
    }
    this.apiLast[target] = timeMs;
    this.#countApis(timeMs);
  }

  /** Ids of the recent records since `sinceMs`, oldest first, at most `max` (the newest ones). */
  recentEventIds(sinceMs: number, max: number): string[] {
    const out: string[] = [];
    for (let i = 1; i <= RECENT && out.length < max; i++) {
      const slot = (this.#recentNext - i + RECENT) % RECENT;
      if (this.#recentTimes[slot]! < sinceMs || this.#recentIds[slot] === '') break;
      out.push(this.#recentIds[slot]!);
    }
    return out.reverse();
  }

  #countApis(timeMs: number): void {
    let apis = 0;
    let fresh = 0;
    for (let i = 0; i < APIS; i++) {
      if (this.apiNames[i] === '' || timeMs - this.apiLast[i]! > TEN_MINUTES) continue;
      apis++;
      if (this.apiNew[i] === 1) fresh++;
    }
    this.apis10m = apis;
    this.newApis10m = fresh;
  }

  #dayApi(name: string): ApiDay {
    let api = this.dayApis.get(name);
    if (api === undefined) {
      if (this.dayApis.size >= DAY_APIS) this.#dropSmallestDayApi();
      api = { records: 0, bytes: 0, aboveAt: 0 };
      this.dayApis.set(name, api);
    }
    return api;
  }

  /** Starts a new day: entries of APIs used on the day before are zeroed for reuse, the others dropped. */
  #resetDayApis(): void {
    for (const [name, api] of this.dayApis) {
      if (api.records === 0 && api.bytes === 0) {
        this.dayApis.delete(name);
        continue;
      }
      api.records = 0;
      api.bytes = 0;
      api.aboveAt = 0;
    }
  }

  #dropSmallestDayApi(): void {
    let smallest: string | undefined;
    let least = Infinity;
    for (const [name, api] of this.dayApis) {
      if (api.bytes < least) {
        least = api.bytes;
        smallest = name;
      }
    }
    if (smallest !== undefined) this.dayApis.delete(smallest);
  }

  #dropStalestSequence(): void {
    let stalest: string | undefined;
    let oldest = Infinity;
    for (const [op, sequence] of this.#ids) {
      if (sequence.lastUsed < oldest) {
        oldest = sequence.lastUsed;
        stalest = op;
      }
    }
    if (stalest !== undefined) this.#ids.delete(stalest);
  }
}
