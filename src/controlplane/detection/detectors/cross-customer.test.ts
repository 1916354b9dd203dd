import { describe, expect, it } from 'vitest';
import { DAY, HOUR, MONDAY, SUPPORT_BOT, detectionEvent, feed, workTraffic, type DetectionEventSpec } from '../../../../test/support/detection-events.js';
import { DetectionEngine } from '../detection-engine.js';
import type { Alert } from '../detection-types.js';

/** Monday of the third week, 10:00 UTC: business hours, past the learning period. */
const AT = MONDAY + 14 * DAY + 10 * HOUR;

/** The bot's single-order lookup whose answer held another customer's record, refused by the gateway. */
function refusedAnswer(time: number, overrides: Partial<DetectionEventSpec> = {}): DetectionEventSpec {
  return {
    time,
    agent: 'bot',
    roles: ['support'],
    api: 'shop',
    op: 'getOrder',
    template: '/shop/orders/{orderId}',
    path: '/shop/orders/O-77',
    sensitivity: 'confidential',
    dataClasses: ['pii'],
    outcome: 'deny',
    reason: 'WARDEN_DATA_ROW_NOT_BOUND',
    status: 403,
    records: 0,
    credential: 'key_bot',
    ip: '10.1.2.3',
    country: 'DE',
    context: { customer: 'C-1', purpose: 'support', ticket: 'T-42' },
    ...overrides,
  };
}

function crossCustomer(alerts: readonly Alert[]): Alert[] {
  return alerts.filter((alert) => alert.detector === 'cross-customer');
}

describe('cross-customer', () => {
  it('raises one high alert at once on a refused cross-customer answer of an agent with no baseline yet', () => {
    const engine = new DetectionEngine();
    const event = detectionEvent(refusedAnswer(MONDAY + 10 * HOUR));
    const alerts = engine.observe(event);
    // The agent's very first record: every baseline detector is still learning.
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      detector: 'cross-customer',
      severity: 'high',
      agent: 'bot',
      roles: ['support'],
      api: 'shop',
      sensitivity: 'confidential',
      credential: 'key_bot',
      time: event.time,
      firstEventTime: event.time,
      eventIds: [event.id],
    });
  });

  it('names the operation and the customer the task was bound to, not the purpose or ticket', () => {
    const alerts = crossCustomer(new DetectionEngine().observe(detectionEvent(refusedAnswer(MONDAY + 10 * HOUR))));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.reasons[0]).toBe("The answer to shop.getOrder held a record of another customer than the task's (customer C-1); the gateway withheld it.");
    expect(alerts[0]!.reasons.join(' ')).not.toMatch(/support|T-42/);
  });

  it('raises it for an agent with a mature baseline as well', () => {
    const engine = new DetectionEngine();
    expect(feed(engine, workTraffic(SUPPORT_BOT, MONDAY, 14))).toEqual([]);
    const alerts = crossCustomer(engine.observe(detectionEvent(refusedAnswer(AT))));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.severity).toBe('high');
    expect(alerts[0]!.reasons[0]).toContain('shop.getOrder');
  });

  it('stays quiet on an ordinary allowed call of the same operation with the same context', () => {
    const engine = new DetectionEngine();
    const allowed = refusedAnswer(MONDAY + 10 * HOUR, { outcome: 'allow', reason: 'GRANTED', status: 200, records: 1 });
    expect(crossCustomer(engine.observe(detectionEvent(allowed)))).toEqual([]);
  });

  it('stays quiet on other refusals of the task context: a mismatched parameter or a missing claim is no answer of another customer', () => {
    const engine = new DetectionEngine();
    const mismatch = refusedAnswer(MONDAY + 10 * HOUR, { reason: 'WARDEN_AUTHZ_CONTEXT_MISMATCH' });
    const missing = refusedAnswer(MONDAY + 10 * HOUR + 1_000, { reason: 'WARDEN_AUTHZ_CONTEXT_MISSING', context: undefined });
    expect(crossCustomer(feed(engine, [mismatch, missing]))).toEqual([]);
  });
});
