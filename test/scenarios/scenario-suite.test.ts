import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../src/controlplane/detection/detection-types.js';
import { AGENTS } from './fleet.js';
import { formatReport, runScenario, type ScenarioReport } from './run-scenario.js';

/**
 * Issue 8's scenario suite: six weeks of a 14-agent fleet's traffic (two of them learning)
 * with seven attacks modelled on real incidents. Every attack must raise an alert on the
 * right agent, and normal traffic may cost less than one false alert per agent per month.
 */
describe.each([20260105, 7])('detection scenarios, seed %i', (seed) => {
  let report: ScenarioReport;

  it('runs six simulated weeks through the engine', () => {
    report = runScenario({ seed });
    console.log(formatReport(report));
    expect(report.attacks).toHaveLength(7);
    expect(report.normalRecords).toBeGreaterThan(100_000);
  }, 60_000);

  it('detects every attack', () => {
    const missed = report.attacks.filter((attack) => !attack.detected).map((attack) => `${attack.name} (${attack.agent}, ${attack.start}–${attack.end})`);
    expect(missed).toEqual([]);
    expect(report.detectionRate).toBe(1);
  });

  it('raises fewer than one false alert per agent per simulated month', () => {
    expect(report.falsePositiveRate).toBeLessThan(1);
  });

  it('gives every alert reasons, a severity and the agent whose records it points at', () => {
    const fleet = new Set(AGENTS.map((agent) => agent.name));
    for (const alert of report.alerts) {
      expect(alert.reasons.length).toBeGreaterThan(0);
      for (const reason of alert.reasons) expect(reason.trim()).not.toBe('');
      expect(SEVERITIES).toContain(alert.severity);
      expect(fleet).toContain(alert.agent);
      expect(alert.eventIds.length).toBeGreaterThan(0);
      for (const id of alert.eventIds) expect(report.recordsById.get(id)?.agent?.id).toBe(alert.agent);
    }
    for (const attack of report.attacks) {
      const credential = AGENTS.find((agent) => agent.name === attack.agent)?.credential;
      for (const alert of attack.alerts) {
        expect(alert.agent).toBe(attack.agent);
        // The stolen key too is named by id: the attacked agent's own.
        expect(alert.credential).toBe(credential);
        expect(Date.parse(alert.firstEventTime)).toBeLessThanOrEqual(Date.parse(alert.time));
      }
    }
  });
});
