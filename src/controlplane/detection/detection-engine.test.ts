import { describe, expect, it } from 'vitest';
import { DAY, HOUR, MINUTE, MONDAY, SUPPORT_BOT, detectionEvent, feed, workTraffic } from '../../../test/support/detection-events.js';
import { DetectionEngine } from './detection-engine.js';

const WEEKS = 2;
const AFTER = MONDAY + WEEKS * 7 * DAY;

function trained(options: ConstructorParameters<typeof DetectionEngine>[0] = {}): DetectionEngine {
  const engine = new DetectionEngine(options);
  expect(feed(engine, workTraffic(SUPPORT_BOT, MONDAY, WEEKS * 7))).toEqual([]);
  return engine;
}

/** A first call of the restricted salary operation, the shape of a prompt-injected support agent. */
function salaryRead(time: number, agent = 'bot') {
  return detectionEvent({ time, agent, roles: ['support'], api: 'hr', op: 'getSalary', template: '/hr/salaries/{id}', path: '/hr/salaries/991', sensitivity: 'restricted', dataClasses: ['hr', 'salary'], ip: '10.1.2.3', country: 'DE', credential: 'key_bot' });
}

describe('DetectionEngine', () => {
  it('stays quiet through weeks of normal traffic and flags a new restricted operation after', () => {
    const engine = trained();
    const alerts = engine.observe(salaryRead(AFTER + 10 * HOUR));
    expect(alerts.map((alert) => alert.detector)).toEqual(['new-sensitive-operation']);
    expect(alerts[0]).toMatchObject({ agent: 'bot', roles: ['support'], severity: 'high', api: 'hr', sensitivity: 'restricted', credential: 'key_bot' });
    expect(alerts[0]!.id).toMatch(/^alr_[0-9a-f]{16}$/);
    expect(alerts[0]!.reasons[0]).toContain('hr.getSalary');
    expect(engine.stats()).toMatchObject({ agents: 1, roles: 1, alerts: 1 });
  });

  it('stays quiet while an agent learns, unless its role has a mature baseline', () => {
    const engine = new DetectionEngine({});
    expect(engine.observe(salaryRead(MONDAY + 10 * HOUR, 'fresh'))).toEqual([]);
    const withRole = trained();
    // A new agent of the known role is compared with the role from its first call.
    expect(withRole.observe(salaryRead(AFTER + 10 * HOUR, 'newcomer')).map((alert) => alert.detector)).toEqual(['new-sensitive-operation']);
  });

  it('learns an operation granted within the grace period instead of flagging it', () => {
    const engine = trained();
    engine.noteGrants('bot', ['hr.getSalary'], new Date(AFTER));
    expect(engine.observe(salaryRead(AFTER + 10 * HOUR))).toEqual([]);
    // Learned: a later call is not new either, even once the grace is over.
    expect(engine.observe(salaryRead(AFTER + 9 * DAY + 10 * HOUR))).toEqual([]);
  });

  it('flags a granted operation first used after the grace period', () => {
    const engine = trained({ grantGraceDays: 1 });
    engine.noteGrants('bot', ['hr.getSalary'], new Date(AFTER - 3 * DAY));
    expect(engine.observe(salaryRead(AFTER + 10 * HOUR)).map((alert) => alert.detector)).toEqual(['new-sensitive-operation']);
  });

  it('does not learn what raised an alert', () => {
    const engine = trained();
    expect(engine.observe(salaryRead(AFTER + 10 * HOUR))).toHaveLength(1);
    // Still unknown two hours later (past the cooldown), so it alerts again.
    expect(engine.observe(salaryRead(AFTER + 12 * HOUR)).map((alert) => alert.detector)).toEqual(['new-sensitive-operation']);
  });

  it('keeps one alert per agent and detector within the cooldown unless severity rises', () => {
    const engine = trained();
    const start = AFTER + 10 * HOUR;
    const burst = Array.from({ length: 300 }, (_, i) => ({ ...SUPPORT_BOT.ops[1]!, time: start + i * 10, agent: 'bot', roles: ['support'], ip: '10.1.2.3', country: 'DE' }));
    const alerts = feed(engine, burst).filter((alert) => alert.detector === 'burst');
    expect(alerts.map((alert) => alert.severity)).toEqual(['medium', 'high']);
    // Same severity an hour and a bit later: a new alert.
    const again = feed(engine, burst.map((spec) => ({ ...spec, time: Number(spec.time) + HOUR + 5 * MINUTE }))).filter((alert) => alert.detector === 'burst');
    expect(again.length).toBeGreaterThanOrEqual(1);
  });

  it('behaves the same after export and import into a new engine', () => {
    const engine = trained();
    engine.noteGrants('bot', ['hr.getSalary'], new Date(AFTER));
    const records = engine.exportBaselines();
    expect(records.map((record) => record.subject).sort()).toEqual(['agent:bot', 'role:support']);
    for (const record of records) expect(record.state.length).toBeLessThan(20_000);
    const restored = new DetectionEngine({});
    expect(restored.importBaselines(records)).toBe(2);
    expect(restored.exportBaselines()).toEqual(records);
    // The grant survived, and so did what is known.
    expect(restored.observe(salaryRead(AFTER + 10 * HOUR))).toEqual([]);
    const payroll = detectionEvent({ time: AFTER + 11 * HOUR, agent: 'bot', api: 'payroll', op: 'export', template: '/payroll/export', sensitivity: 'restricted', dataClasses: ['salary'], ip: '10.1.2.3', country: 'DE' });
    expect(restored.observe(payroll).map((alert) => alert.detector)).toEqual(['new-sensitive-operation']);
    expect(restored.importBaselines([{ subject: 'agent:x', state: '{broken' }, { subject: 'other', state: '{}' }])).toBe(0);
  });

  it('uses the record time as the clock and ignores records it cannot date', () => {
    const engine = new DetectionEngine({});
    expect(engine.observe({ ...salaryRead(MONDAY), time: 'not a time' })).toEqual([]);
    expect(engine.stats().observed).toBe(1);
  });
});
