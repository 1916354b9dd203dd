import { describe, expect, it } from 'vitest';
import { compileTimeWindows, isKnownTimezone } from './time-window.js';

const at = (iso: string) => Date.parse(iso);

describe('compileTimeWindows', () => {
  const officeHours = compileTimeWindows([{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00', timezone: 'Europe/Berlin' }]);

  it('reads the wall clock of the window zone, across daylight saving time', () => {
    // Berlin is UTC+1 in winter and UTC+2 in summer.
    expect(officeHours(at('2026-01-12T07:00:00Z'))).toBe(true); // Mon 08:00 CET
    expect(officeHours(at('2026-01-12T06:59:00Z'))).toBe(false); // Mon 07:59 CET
    expect(officeHours(at('2026-07-13T06:00:00Z'))).toBe(true); // Mon 08:00 CEST
    expect(officeHours(at('2026-07-13T05:59:00Z'))).toBe(false);
  });

  it('treats the end as exclusive and honours the weekdays', () => {
    expect(officeHours(at('2026-01-12T16:59:00Z'))).toBe(true); // 17:59
    expect(officeHours(at('2026-01-12T17:00:00Z'))).toBe(false); // 18:00
    expect(officeHours(at('2026-01-17T10:00:00Z'))).toBe(false); // Saturday
  });

  it('lets an overnight window belong to the day it opens', () => {
    const nightShift = compileTimeWindows([{ days: ['fri'], start: '22:00', end: '06:00', timezone: 'UTC' }]);
    expect(nightShift(at('2026-01-16T23:00:00Z'))).toBe(true); // Fri 23:00
    expect(nightShift(at('2026-01-17T05:59:00Z'))).toBe(true); // Sat 05:59, opened Friday
    expect(nightShift(at('2026-01-17T06:00:00Z'))).toBe(false);
    expect(nightShift(at('2026-01-16T05:00:00Z'))).toBe(false); // Fri 05:00 belongs to Thursday's night
  });

  it('allows when any of several windows holds, and 24:00 closes a whole day', () => {
    const split = compileTimeWindows([
      { start: '00:00', end: '01:00', timezone: 'UTC' },
      { start: '12:00', end: '24:00', timezone: 'UTC' },
    ]);
    expect(split(at('2026-01-16T00:30:00Z'))).toBe(true);
    expect(split(at('2026-01-16T06:00:00Z'))).toBe(false);
    expect(split(at('2026-01-16T23:59:00Z'))).toBe(true);
  });
});

describe('isKnownTimezone', () => {
  it('knows IANA zones and refuses made-up ones', () => {
    expect(isKnownTimezone('America/New_York')).toBe(true);
    expect(isKnownTimezone('Mars/Olympus_Mons')).toBe(false);
  });
});
