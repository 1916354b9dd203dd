import type { AgentFeatures } from './agent-features.js';
import { CappedCounter } from './capped-counter.js';
import type { EventFacts } from './event-facts.js';
import { KeyedPeaks } from './keyed-peaks.js';
import { DecayingPeak, Ewma, finite, round } from './robust-stats.js';

/** Entries kept per learned set; the least used go first. */
const BASELINE_CAP = 500;
/** A baseline with fewer learned records than this is not mature, however old. */
const MIN_EVENTS = 30;
/** Per-week decay of the hour-of-week profile: strays from months ago are forgotten. */
const HOURS_DECAY_PER_WEEK = 0.9;
const WEEK_MS = 7 * 86_400_000;
/** Window peaks are learned per block of this length (see DecayingPeak). */
const BLOCK_MS = 600_000;
/** Sensitive APIs with a daily peak per subject. */
const API_DAYS_CAP = 100;

/**
 * What normal looks like for one subject — an agent, or a role (all its agents merged, each
 * agent's windows counted as one "typical member"): the operations, APIs and networks it
 * uses, when in the week it is active, and the peaks of its volumes. Only records that raised
 * no finding are learned, so an attack does not become the new normal.
 */
export class Baseline {
  /** When the subject was first seen (epoch ms). */
  first: number;
  /** Records learned. */
  events = 0;
  readonly ops = new CappedCounter(BASELINE_CAP);
  readonly apis = new CappedCounter(BASELINE_CAP);
  /** Operations refused by authorisation in normal traffic (a known misconfiguration is not probing). */
  readonly denied = new CappedCounter(BASELINE_CAP);
  readonly networks = new CappedCounter(BASELINE_CAP);
  readonly wideNetworks = new CappedCounter(BASELINE_CAP);
  readonly countries = new CappedCounter(BASELINE_CAP);
  readonly dataClasses = new CappedCounter(BASELINE_CAP);
  readonly transitions = new CappedCounter(BASELINE_CAP);
  /** Per operation: the most id-carrying calls in one enumeration window. */
  readonly idPeaks = new CappedCounter(BASELINE_CAP);
  /** Per operation: the longest mostly-sequential id run. */
  readonly sequencePeaks = new CappedCounter(BASELINE_CAP);
  /** Roles only: the agents merged into it. */
  readonly members = new CappedCounter(BASELINE_CAP);
  /** Per hour of the week: how many distinct clock hours it was active in (decayed weekly). */
  readonly activeHours = new Float64Array(168);
  lastHour = -1;
  week = -1;
  day = -1;
  readonly calls10s = new DecayingPeak(5);
  readonly calls1m = new DecayingPeak(10);
  readonly records5m = new DecayingPeak(50);
  readonly bytes5m = new DecayingPeak(100_000);
  readonly customersHour = new DecayingPeak(3);
  readonly fanout10m = new DecayingPeak(1);
  readonly dayCalls = new DecayingPeak(100);
  readonly dayRecords = new DecayingPeak(100);
  readonly dayBytes = new DecayingPeak(1_000_000);
  /** Per sensitive API: the busiest day's records and bytes from it. */
  readonly apiDayRecords = new KeyedPeaks(100, API_DAYS_CAP);
  readonly apiDayBytes = new KeyedPeaks(1_000_000, API_DAYS_CAP);
  readonly #windowPeaks = [this.calls10s, this.calls1m, this.records5m, this.bytes5m, this.customersHour, this.fanout10m];
  readonly dailyCalls = new Ewma(0.2);
  readonly dailyRecords = new Ewma(0.2);
  readonly dailyBytes = new Ewma(0.2);

  constructor(first: number) {
    this.first = first;
  }

  /** Old enough and with enough records to compare against. */
  mature(nowMs: number, learningMs: number): boolean {
    return nowMs - this.first >= learningMs && this.events >= MIN_EVENTS;
  }

  /** Active hours in the hours of the day around `hourOfWeek` (±1 h, every day of the week), not counting `currentHour`. */
  activeAround(hourOfWeek: number, currentHour: number): number {
    const hourOfDay = hourOfWeek % 24;
    let total = 0;
    for (let day = 0; day < 7; day++) {
      for (let offset = -1; offset <= 1; offset++) total += this.activeHours[day * 24 + ((hourOfDay + offset + 24) % 24)]!;
    }
    // The hour being judged was counted by its own first calls, which raised nothing yet.
    if (this.lastHour === currentHour) total -= 1;
    return Math.max(0, total);
  }

  /** Learns one record that raised no finding; `peaks` is false while recent records did. */
  learn(facts: EventFacts, live: AgentFeatures, peaks: boolean, bounded: boolean, member: string | undefined): void {
    this.#roll(facts.timeMs);
    this.events++;
    if (member !== undefined) this.members.add(member);
    const op = facts.opKey;
    if (op !== '') {
      if (facts.denied && !facts.executed) this.denied.add(op);
      else if (facts.denied) {
        // Monitor mode let it through: it happened, and it is also a known refusal.
        this.denied.add(op);
        this.#learnCall(facts);
      } else this.#learnCall(facts);
    }
    this.networks.add(facts.network);
    this.wideNetworks.add(facts.wideNetwork);
    if (facts.country !== undefined) this.countries.add(facts.country);
    if (facts.hour !== this.lastHour) {
      this.activeHours[facts.hourOfWeek]! += 1;
      this.lastHour = facts.hour;
    }
    if (!peaks) return;
    const block = Math.floor(facts.timeMs / BLOCK_MS);
    this.calls10s.observe(live.calls10s, block, bounded);
    this.calls1m.observe(live.calls1m, block, bounded);
    this.records5m.observe(live.records5m, block, bounded);
    this.bytes5m.observe(live.bytes5m, block, bounded);
    this.customersHour.observe(live.customers.size, facts.hour, bounded);
    this.fanout10m.observe(live.apis10m, block, bounded);
    // Only finished windows that raised nothing are learned, so an enumeration's first ids do not raise its own bar.
    const ids = live.ids;
    if (ids !== undefined && ids.closedCount > 0) {
      this.idPeaks.max(op, ids.closedCount);
      if (ids.closedRun > 0) this.sequencePeaks.max(op, ids.closedRun);
    }
  }

  /** A finding was raised: what the current blocks would have taught about volumes is dropped. */
  discardPending(): void {
    for (const peak of this.#windowPeaks) peak.discard();
  }

  /** Learns the totals of the finished UTC day in `live` (one that raised no finding), overall and per sensitive API. */
  learnDay(live: AgentFeatures, bounded: boolean): void {
    for (const [peak, value] of [[this.dayCalls, live.dayCalls], [this.dayRecords, live.dayRecords], [this.dayBytes, live.dayBytes]] as const) {
      peak.observe(value, -1, bounded);
      peak.commitNow();
    }
    this.dailyCalls.update(live.dayCalls);
    this.dailyRecords.update(live.dayRecords);
    this.dailyBytes.update(live.dayBytes);
    for (const [api, day] of live.dayApis) {
      this.apiDayRecords.learnDay(api, day.records, bounded);
      this.apiDayBytes.learnDay(api, day.bytes, bounded);
    }
  }

  #learnCall(facts: EventFacts): void {
    this.ops.add(facts.opKey);
    this.apis.add(facts.apiName);
    for (const dataClass of facts.dataClasses) this.dataClasses.add(dataClass);
    if (facts.transition !== '') this.transitions.add(facts.transition);
  }

  /** Starts a new day's peak allowance and decays the hour profile once a week. */
  #roll(timeMs: number): void {
    const day = Math.floor(timeMs / 86_400_000);
    if (day > this.day) {
      const days = this.day < 0 ? 0 : day - this.day;
      for (const peak of this.#peaks()) peak.rollDays(days);
      this.apiDayRecords.rollDays(days);
      this.apiDayBytes.rollDays(days);
      this.day = day;
    }
    const week = Math.floor(timeMs / WEEK_MS);
    if (week > this.week) {
      if (this.week >= 0) {
        const factor = HOURS_DECAY_PER_WEEK ** Math.min(week - this.week, 52);
        for (let slot = 0; slot < 168; slot++) this.activeHours[slot]! *= factor;
      }
      this.week = week;
    }
  }

  #peaks(): DecayingPeak[] {
    return [this.calls10s, this.calls1m, this.records5m, this.bytes5m, this.customersHour, this.fanout10m, this.dayCalls, this.dayRecords, this.dayBytes];
  }

  /** Compact JSON: sets as `[key, count]` pairs, peaks and averages as numbers. */
  toJSON(): Record<string, unknown> {
    return {
      v: 1,
      first: this.first,
      events: this.events,
      ops: this.ops,
      apis: this.apis,
      denied: this.denied,
      networks: this.networks,
      wideNetworks: this.wideNetworks,
      countries: this.countries,
      dataClasses: this.dataClasses,
      transitions: this.transitions,
      idPeaks: this.idPeaks,
      sequencePeaks: this.sequencePeaks,
      members: this.members,
      activeHours: Array.from(this.activeHours, round),
      lastHour: this.lastHour,
      week: this.week,
      day: this.day,
      peaks: this.#peaks(),
      daily: [this.dailyCalls, this.dailyRecords, this.dailyBytes],
      apiDays: [this.apiDayRecords, this.apiDayBytes],
    };
  }

  /** A baseline from `toJSON` output; unknown or broken fields are left at their defaults. */
  static fromJSON(json: Record<string, unknown>): Baseline {
    const baseline = new Baseline(finite(json.first));
    baseline.events = finite(json.events);
    baseline.ops.load(json.ops);
    baseline.apis.load(json.apis);
    baseline.denied.load(json.denied);
    baseline.networks.load(json.networks);
    baseline.wideNetworks.load(json.wideNetworks);
    baseline.countries.load(json.countries);
    baseline.dataClasses.load(json.dataClasses);
    baseline.transitions.load(json.transitions);
    baseline.idPeaks.load(json.idPeaks);
    baseline.sequencePeaks.load(json.sequencePeaks);
    baseline.members.load(json.members);
    if (Array.isArray(json.activeHours)) for (let slot = 0; slot < 168; slot++) baseline.activeHours[slot] = finite(json.activeHours[slot]);
    baseline.lastHour = typeof json.lastHour === 'number' ? json.lastHour : -1;
    baseline.week = typeof json.week === 'number' ? json.week : -1;
    baseline.day = typeof json.day === 'number' ? json.day : -1;
    const peaks = baseline.#peaks();
    if (Array.isArray(json.peaks)) peaks.forEach((peak, i) => peak.load((json.peaks as unknown[])[i]));
    if (Array.isArray(json.daily)) [baseline.dailyCalls, baseline.dailyRecords, baseline.dailyBytes].forEach((ewma, i) => ewma.load((json.daily as unknown[])[i]));
    if (Array.isArray(json.apiDays)) [baseline.apiDayRecords, baseline.apiDayBytes].forEach((peaks, i) => peaks.load((json.apiDays as unknown[])[i]));
    return baseline;
  }
}
