import { select, type DetectionContext } from '../detection-context.js';
import { SEVERITIES, severityRank } from '../detection-types.js';
import { MAX_EVENT_IDS, bytes, count, ratioScore, type Detector, type Finding } from './detector.js';

/** Floors: below these no volume is "bulk", whatever the baseline. */
const RECORDS_5M = 500;
const BYTES_5M = 10_000_000;
const RECORDS_DAY = 1_000;
const BYTES_DAY = 50_000_000;
const CALLS_DAY = 2_000;
const CUSTOMERS_HOUR = 30;
/** How far above the baseline's peak: windows and customers are spikier than whole days. */
const WINDOW_FACTOR = 4;
const CUSTOMER_FACTOR = 3;
/**
 * A day's total across every API is the coarse net: month ends and incident surges move it
 * two to three times legitimately. Sensitive data has its own, tighter line per API, where a
 * slow exfiltration cannot hide under the agent's bulk of other traffic.
 */
const TOTAL_DAY_FACTOR = 3;
const API_DAY_FACTOR = 2;
/** A day's total is compared only once this many days were learned. */
const MIN_DAYS = 3;
/** Once today's volume was reported, it is reported again only at this many times the ratio to its line. */
const ESCALATION = 2;

const RECORDS_WINDOW = 0;
const BYTES_WINDOW = 1;
const CUSTOMERS = 2;
/** Checks from here on are about the whole UTC day: one alert a day unless they jump. */
const FIRST_DAY_CHECK = 3;
const RECORDS_TODAY = 3;
const BYTES_TODAY = 4;
const CALLS_TODAY = 5;
const API_RECORDS_TODAY = 6;
const API_BYTES_TODAY = 7;
const CHECKS = 8;
/** Scratch space reused for every record (detection is synchronous). */
const observed = new Float64Array(CHECKS);
const peaks = new Float64Array(CHECKS);
const thresholds = new Float64Array(CHECKS);

/** The same volume still past its line after today's alert: kept out of the baseline, no new alert. */
const ONGOING: Finding = Object.freeze({ severity: 'low', score: 0, reasons: [], firstEventTime: 0, eventIds: [], ongoing: true });

/**
 * Far more data than normal:
 * - records or bytes in 5 minutes far above the baseline's busiest 5 minutes, or many more
 *   distinct customers in an hour than ever;
 * - a UTC day's total across all APIs far past the busiest day;
 * - a UTC day's records or bytes from one sensitive API (confidential, restricted or with
 *   sensitive data classes) well past that API's busiest day — a slow exfiltration under the
 *   rate limit, hidden in the day's total by the agent's bulk of other traffic. That line
 *   grows with how busy the agent is today overall (a day of twice the calls may read twice
 *   as much from each API), and is never below the busiest day any agent of its role had
 *   on that API: what its peers routinely read is not singled out.
 * A day's volume is one alert a day: it is raised again only when it doubles its ratio to
 * the line, one severity higher than before (so no cooldown swallows it). Severity follows how sensitive the volume is (the window's or day's share from
 * sensitive APIs), not whichever call tipped it. Thresholds are compared first and
 * sentences built only for the one that tipped.
 */
export function bulkReadDetector(): Detector {
  return {
    name: 'bulk-read',
    inspect(ctx: DetectionContext): Finding | undefined {
      const facts = ctx.facts;
      if (!ctx.hasReference || !facts.executed) return undefined;
      const live = ctx.live;
      const t = facts.timeMs;
      observed.fill(0);
      peaks.fill(0);
      thresholds.fill(Infinity);
      observed[RECORDS_WINDOW] = live.records5m;
      observed[BYTES_WINDOW] = live.bytes5m;
      observed[CUSTOMERS] = live.customers.size;
      peaks[RECORDS_WINDOW] = ctx.peak(select.records5m);
      peaks[BYTES_WINDOW] = ctx.peak(select.bytes5m);
      peaks[CUSTOMERS] = ctx.peak(select.customersHour);
      thresholds[RECORDS_WINDOW] = Math.max(RECORDS_5M, WINDOW_FACTOR * peaks[RECORDS_WINDOW]!);
      thresholds[BYTES_WINDOW] = Math.max(BYTES_5M, WINDOW_FACTOR * peaks[BYTES_WINDOW]!);
      thresholds[CUSTOMERS] = Math.max(CUSTOMERS_HOUR, CUSTOMER_FACTOR * peaks[CUSTOMERS]!);
      const reference = ctx.dayReference;
      let busy = 1;
      const api = live.apiToday;
      if (reference !== undefined && reference.dailyCalls.count >= MIN_DAYS) {
        observed[RECORDS_TODAY] = live.dayRecords;
        observed[BYTES_TODAY] = live.dayBytes;
        observed[CALLS_TODAY] = live.dayCalls;
        peaks[RECORDS_TODAY] = ctx.peak(select.dayRecords);
        peaks[BYTES_TODAY] = ctx.peak(select.dayBytes);
        peaks[CALLS_TODAY] = ctx.peak(select.dayCalls);
        thresholds[RECORDS_TODAY] = Math.max(RECORDS_DAY, TOTAL_DAY_FACTOR * peaks[RECORDS_TODAY]!);
        thresholds[BYTES_TODAY] = Math.max(BYTES_DAY, TOTAL_DAY_FACTOR * peaks[BYTES_TODAY]!);
        // Without record counts in the baseline, the number of calls is the volume left to compare.
        if (peaks[RECORDS_TODAY] === 0) thresholds[CALLS_TODAY] = Math.max(CALLS_DAY, TOTAL_DAY_FACTOR * peaks[CALLS_TODAY]!);
        if (live.dayAboveAt === 0 && (live.dayRecords > peaks[RECORDS_TODAY]! || live.dayBytes > peaks[BYTES_TODAY]! || live.dayCalls > peaks[CALLS_TODAY]!)) live.dayAboveAt = t;
        if (api !== undefined) {
          if (peaks[CALLS_TODAY]! > 0) busy = Math.max(1, live.dayCalls / peaks[CALLS_TODAY]!);
          observed[API_RECORDS_TODAY] = api.records;
          observed[API_BYTES_TODAY] = api.bytes;
          peaks[API_RECORDS_TODAY] = ctx.dayPeakOf(select.apiDayRecords, facts.apiName);
          peaks[API_BYTES_TODAY] = ctx.dayPeakOf(select.apiDayBytes, facts.apiName);
          thresholds[API_RECORDS_TODAY] = Math.max(RECORDS_DAY, API_DAY_FACTOR * busy * peaks[API_RECORDS_TODAY]!, ctx.roleDayPeakOf(select.apiDayRecords, facts.apiName));
          thresholds[API_BYTES_TODAY] = Math.max(BYTES_DAY, API_DAY_FACTOR * busy * peaks[API_BYTES_TODAY]!, ctx.roleDayPeakOf(select.apiDayBytes, facts.apiName));
          if (api.aboveAt === 0 && (api.records > peaks[API_RECORDS_TODAY]! || api.bytes > peaks[API_BYTES_TODAY]!)) api.aboveAt = t;
          // A sensitive API granted to the agent recently is still being learned, not compared (asked only past the line: it walks the grants).
          if ((api.records >= thresholds[API_RECORDS_TODAY]! || api.bytes >= thresholds[API_BYTES_TODAY]!) && ctx.grantedApiRecently(facts.apiName)) {
            thresholds[API_RECORDS_TODAY] = Infinity;
            thresholds[API_BYTES_TODAY] = Infinity;
          }
        }
      }
      let which = -1;
      let ratio = 1;
      let ongoing = false;
      for (let i = 0; i < CHECKS; i++) {
        const r = observed[i]! / thresholds[i]!;
        if (r < 1) continue;
        if (i >= FIRST_DAY_CHECK && r < ESCALATION * live.dayReported) {
          ongoing = true;
          continue;
        }
        if (r >= ratio) {
          ratio = r;
          which = i;
        }
      }
      if (which === -1) return ongoing ? ONGOING : undefined;
      const who = ctx.referenceName;
      const seen = observed[which]!;
      const peak = peaks[which]!;
      const line = thresholds[which]!;
      const inBytes = which === BYTES_WINDOW || which === BYTES_TODAY || which === API_BYTES_TODAY;
      const amount = inBytes ? bytes : count;
      const last = `the last call was ${facts.opKey || 'an unrouted path'}`;
      let sensitiveShare: number;
      let sentence: string;
      let detail: string;
      let first: number;
      switch (which) {
        case RECORDS_WINDOW:
        case BYTES_WINDOW:
          sensitiveShare = which === RECORDS_WINDOW ? live.sensitiveRecords5m / seen : live.sensitiveBytes5m / seen;
          sentence = `${amount(seen)}${inBytes ? '' : ' records'} returned in the last 5 minutes; ${who} most in any 5 minutes of its baseline was ${amount(peak)}.`;
          detail = `The alert line was ${amount(line)} (${WINDOW_FACTOR}× that, at least ${amount(inBytes ? BYTES_5M : RECORDS_5M)}); ${percent(sensitiveShare)} of it came from confidential, restricted or sensitive-data APIs, and ${last}.`;
          first = live.fiveMinutes.firstTime(t);
          break;
        case CUSTOMERS:
          sensitiveShare = facts.sensitive ? 1 : 0;
          sentence = `${count(seen)} distinct customers in this hour's calls; ${who} most in any hour of its baseline was ${count(peak)}.`;
          detail = `The alert line was ${count(line)} (${CUSTOMER_FACTOR}× that, at least ${CUSTOMERS_HOUR}); ${last}.`;
          first = live.hourFirst;
          break;
        case RECORDS_TODAY:
        case BYTES_TODAY:
        case CALLS_TODAY: {
          const unit = which === RECORDS_TODAY ? ' records returned' : which === BYTES_TODAY ? ' returned' : ' calls made';
          const mean = which === RECORDS_TODAY ? reference!.dailyRecords.mean : which === BYTES_TODAY ? reference!.dailyBytes.mean : reference!.dailyCalls.mean;
          sensitiveShare = (which === RECORDS_TODAY ? live.daySensitiveRecords : which === BYTES_TODAY ? live.daySensitiveBytes : live.daySensitiveCalls) / seen;
          sentence = `${amount(seen)}${unit} so far today (UTC) across all APIs; ${who} busiest day in its baseline had ${amount(peak)} and a typical day about ${amount(mean)}.`;
          detail = `The alert line was ${amount(line)} (${TOTAL_DAY_FACTOR}× the busiest day, at least ${amount(which === RECORDS_TODAY ? RECORDS_DAY : which === BYTES_TODAY ? BYTES_DAY : CALLS_DAY)}); ${percent(sensitiveShare)} of today's volume came from confidential, restricted or sensitive-data APIs.`;
          first = live.dayAboveAt || t;
          break;
        }
        default: {
          sensitiveShare = 1;
          const name = facts.apiName;
          const classes = facts.dataClasses.length > 0 ? ` holding ${facts.dataClasses.join(', ')} data` : '';
          sentence = `${amount(seen)}${inBytes ? '' : ' records'} returned by ${name} (a ${facts.sensitivity || 'sensitive'} API${classes}) so far today (UTC); ${peak > 0 ? `${who} busiest ${name} day in its baseline returned ${amount(peak)}` : `${who} baseline has no day with data from ${name}`}.`;
          const scaled = busy > 1 ? `, times ${busy.toFixed(1)} because the agent has made ${busy.toFixed(1)}× its busiest day's calls today` : '';
          const peers = ctx.roleDayPeakOf(which === API_RECORDS_TODAY ? select.apiDayRecords : select.apiDayBytes, name);
          const peerLine = peers > 0 ? `, and no lower than the busiest ${name} day any agent of its roles (${ctx.agentRoles.join(', ')}) had, ${amount(peers)}` : '';
          detail = `The alert line was ${amount(line)} (${API_DAY_FACTOR}× that day${scaled}, at least ${amount(inBytes ? BYTES_DAY : RECORDS_DAY)}${peerLine}); across all APIs the agent returned ${count(live.dayRecords)} records today against a busiest day of ${count(ctx.peak(select.dayRecords))}, and ${last}.`;
          first = live.apiToday!.aboveAt || t;
        }
      }
      const reasons = [sentence, detail];
      const sensitive = sensitiveShare >= 0.5;
      let rank = severityRank(ratio >= 10 && sensitive ? 'critical' : ratio >= 3 || sensitive ? 'high' : 'medium');
      if (which >= FIRST_DAY_CHECK) {
        if (live.dayReported > 0) {
          reasons.push(`Today's volume was reported already at ${live.dayReported.toFixed(1)}× its alert line; it has now reached ${ratio.toFixed(1)}×.`);
          rank = Math.min(SEVERITIES.length - 1, Math.max(rank, live.dayReportedRank + 1));
        }
        live.dayReported = ratio;
        live.dayReportedRank = rank;
      }
      return {
        severity: SEVERITIES[rank]!,
        score: ratioScore(seen, line),
        reasons,
        firstEventTime: first,
        eventIds: live.recentEventIds(first, MAX_EVENT_IDS),
      };
    },
  };
}

function percent(share: number): string {
  return `${Math.round(100 * Math.min(1, Math.max(0, share)))}%`;
}
