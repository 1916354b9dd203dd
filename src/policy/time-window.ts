import { WEEKDAYS, type TimeWindow, type Weekday } from '../model/manifests/index.js';

/** A compiled set of windows: true when `time` (epoch ms) falls in any of them. */
export type TimeWindowCheck = (time: number) => boolean;

interface CompiledWindow {
  readonly days: ReadonlySet<Weekday> | null;
  readonly startMinute: number;
  readonly endMinute: number;
  readonly clock: (time: number) => { weekday: Weekday; minute: number };
}

const clocks = new Map<string, (time: number) => { weekday: Weekday; minute: number }>();

/** Wall-clock reader for a zone; formatters are costly to build, so one per zone per process. */
function clockFor(timezone: string): (time: number) => { weekday: Weekday; minute: number } {
  let clock = clocks.get(timezone);
  if (clock) return clock;
  const format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  clock = (time) => {
    let weekday = 'mon';
    let hour = 0;
    let minute = 0;
    for (const part of format.formatToParts(time)) {
      if (part.type === 'weekday') weekday = part.value.slice(0, 3).toLowerCase();
      else if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') minute = Number(part.value);
    }
    return { weekday: weekday as Weekday, minute: hour * 60 + minute };
  };
  clocks.set(timezone, clock);
  return clock;
}

/** Whether `timezone` is an IANA zone this runtime knows. */
export function isKnownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function minutes(text: string): number {
  const [hours, mins] = text.split(':').map(Number);
  return hours! * 60 + mins!;
}

/**
 * Compiles windows. `end` is exclusive; an end before the start wraps past midnight and then
 * `days` names the day the window opens.
 */
export function compileTimeWindows(windows: readonly TimeWindow[]): TimeWindowCheck {
  const compiled: CompiledWindow[] = windows.map((window) => ({
    days: window.days ? new Set(window.days) : null,
    startMinute: minutes(window.start),
    endMinute: minutes(window.end),
    clock: clockFor(window.timezone),
  }));
  return (time) => compiled.some((window) => inWindow(window, time));
}

function inWindow(window: CompiledWindow, time: number): boolean {
  const { weekday, minute } = window.clock(time);
  const { startMinute, endMinute, days } = window;
  if (startMinute <= endMinute) {
    return minute >= startMinute && minute < endMinute && (days === null || days.has(weekday));
  }
  // Overnight window: the late part belongs to today, the early part to the day before.
  if (minute >= startMinute) return days === null || days.has(weekday);
  if (minute < endMinute) return days === null || days.has(previousDay(weekday));
  return false;
}

function previousDay(day: Weekday): Weekday {
  const index = WEEKDAYS.indexOf(day);
  return WEEKDAYS[(index + WEEKDAYS.length - 1) % WEEKDAYS.length]!;
}

/** `mon-fri 08:00–18:00 Europe/Berlin`, for explanations. */
export function describeTimeWindows(windows: readonly TimeWindow[]): string {
  return windows
    .map((window) => `${window.days ? window.days.join(',') : 'every day'} ${window.start}–${window.end} ${window.timezone}`)
    .join('; ');
}
