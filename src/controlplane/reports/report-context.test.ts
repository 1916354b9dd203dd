import { describe, expect, it } from 'vitest';
import { GovernanceError } from '../governance/governance-error.js';
import { resolvePeriod, wardenVersion } from './report-context.js';

const NOW = new Date('2025-06-30T12:00:00.000Z');

describe('resolvePeriod', () => {
  it('defaults to the 30 days before now', () => {
    expect(resolvePeriod({}, NOW)).toEqual({ from: new Date('2025-05-31T12:00:00.000Z'), to: NOW });
    expect(resolvePeriod({ to: '2025-03-01T00:00:00Z' }, NOW)).toEqual({ from: new Date('2025-01-30T00:00:00.000Z'), to: new Date('2025-03-01T00:00:00.000Z') });
  });

  it('reads a date alone as the whole day, so both ends are included', () => {
    expect(resolvePeriod({ from: '2025-01-01', to: '2025-01-31' }, NOW)).toEqual({ from: new Date('2025-01-01T00:00:00.000Z'), to: new Date('2025-02-01T00:00:00.000Z') });
  });

  it('takes times with a zone', () => {
    expect(resolvePeriod({ from: '2025-01-01T10:00:00+02:00', to: '2025-01-02T00:00:00.5Z' }, NOW)).toEqual({ from: new Date('2025-01-01T08:00:00.000Z'), to: new Date('2025-01-02T00:00:00.500Z') });
  });

  it('refuses what is not a date, a time without a zone, an impossible day and an empty period', () => {
    for (const [input, pattern] of [
      [{ from: 'yesterday' }, /from "yesterday" is not an ISO 8601 date/],
      [{ from: '2025-01-01T10:00' }, /with a zone/],
      [{ to: '2025-02-30' }, /to "2025-02-30"/],
      [{ from: '2025-02-01', to: '2025-01-01' }, /the period is empty/],
      [{ from: '2025-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }, /the period is empty/],
    ] as const) {
      expect(() => resolvePeriod(input, NOW)).toThrow(GovernanceError);
      expect(() => resolvePeriod(input, NOW)).toThrow(pattern);
    }
  });
});

describe('wardenVersion', () => {
  it('is the package version', async () => {
    const { default: pkg } = await import('../../../package.json', { with: { type: 'json' } });
    expect(wardenVersion()).toBe(pkg.version);
  });
});
