import { describe, expect, it } from 'vitest';
import type { PlaybookManifest, PlaybookRule } from '../../model/manifests/index.js';
import { PLAYBOOK_ACTIONS, type Alert } from './detection-types.js';
import { planResponse } from './playbook.js';

const HOUR = 3_600_000;

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 'alr_0000000000000001',
    time: '2026-03-02T10:00:00.000Z',
    firstEventTime: '2026-03-02T09:58:00.000Z',
    agent: 'support-bot',
    roles: ['customer-service'],
    detector: 'bulk-read',
    severity: 'high',
    score: 80,
    reasons: ['read 4,000 customer records in 5 minutes; normal is under 50'],
    eventIds: [],
    api: 'crm',
    sensitivity: 'confidential',
    credential: 'key_supportbot01',
    ...overrides,
  };
}

function playbook(name: string, ...rules: PlaybookRule[]): PlaybookManifest {
  return { apiVersion: 'warden.dev/v1', kind: 'Playbook', metadata: { name }, spec: { rules } };
}

const suspendCritical = playbook('stop-critical', { when: { minSeverity: 'critical' }, actions: [{ action: 'suspend' }, { action: 'alert' }] });
const slowBulkReads = playbook('slow-bulk-reads', {
  when: { detectors: ['bulk-read', 'enumeration'], minSeverity: 'high', apiSensitivity: ['confidential', 'restricted'] },
  actions: [{ action: 'throttle', rate: '10/minute', for: '1h' }, { action: 'require-step-up', for: '24h' }],
});

describe('planResponse', () => {
  it('only raises the alert when no rule matches, or when there is no playbook', () => {
    expect(planResponse([], alert())).toEqual({ actions: [{ action: 'alert' }], playbooks: [] });
    expect(planResponse([suspendCritical], alert({ severity: 'high' }))).toEqual({ actions: [{ action: 'alert' }], playbooks: [] });
  });

  it('takes the actions of a matching rule, with durations in milliseconds', () => {
    expect(planResponse([slowBulkReads], alert())).toEqual({
      actions: [{ action: 'throttle', rate: '10/minute', forMs: HOUR }, { action: 'require-step-up', forMs: 24 * HOUR }],
      playbooks: ['slow-bulk-reads'],
    });
  });

  it('matches severity at or above minSeverity, and any severity without it', () => {
    expect(planResponse([suspendCritical], alert({ severity: 'critical' })).actions).toEqual([{ action: 'alert' }, { action: 'suspend' }]);
    const anything = playbook('any', { actions: [{ action: 'quarantine' }] });
    expect(planResponse([anything], alert({ severity: 'low' })).actions).toEqual([{ action: 'quarantine' }]);
    const lowAndUp = playbook('low-and-up', { when: { minSeverity: 'low' }, actions: [{ action: 'quarantine' }] });
    expect(planResponse([lowAndUp], alert({ severity: 'low' })).playbooks).toEqual(['low-and-up']);
  });

  it('needs every condition given to hold: detector, agent, role, API and sensitivity', () => {
    const narrow = playbook('narrow', {
      when: { detectors: ['bulk-read'], minSeverity: 'low', agents: ['support-bot'], roles: ['customer-service', 'refund-supervisor'], apis: ['crm'], apiSensitivity: ['confidential'] },
      actions: [{ action: 'suspend' }],
    });
    expect(planResponse([narrow], alert()).playbooks).toEqual(['narrow']);
    for (const other of [
      alert({ detector: 'burst' }),
      alert({ agent: 'finance-bot' }),
      alert({ roles: ['financial-analyst'] }),
      alert({ api: 'payments' }),
      alert({ sensitivity: 'restricted' }),
      // An alert about no API matches no condition on APIs.
      alert({ api: undefined, sensitivity: undefined }),
    ]) {
      expect(planResponse([narrow], other)).toEqual({ actions: [{ action: 'alert' }], playbooks: [] });
    }
  });

  it('lets every matching rule of every playbook contribute, in any order, once per action', () => {
    const tell = playbook('tell-people', { actions: [{ action: 'alert' }] });
    const critical = alert({ severity: 'critical' });
    const forward = planResponse([tell, suspendCritical, slowBulkReads], critical);
    const backward = planResponse([slowBulkReads, suspendCritical, tell], critical);
    expect(forward).toEqual(backward);
    expect(forward).toEqual({
      actions: [{ action: 'alert' }, { action: 'throttle', rate: '10/minute', forMs: HOUR }, { action: 'require-step-up', forMs: 24 * HOUR }, { action: 'suspend' }],
      playbooks: ['slow-bulk-reads', 'stop-critical', 'tell-people'],
    });
  });

  it('merges throttles into the tightest rate and the longest duration, even from different rules', () => {
    const loose = playbook('loose', { actions: [{ action: 'throttle', rate: '100/hour', for: '7d' }] });
    const tight = playbook('tight', { actions: [{ action: 'throttle', rate: '1/minute', for: '10m' }, { action: 'require-step-up', for: '2h' }] });
    const longer = playbook('longer', { when: { minSeverity: 'high' }, actions: [{ action: 'require-step-up', for: '3h' }] });
    // 1/minute is 60 an hour, fewer than 100/hour: the tighter rate wins, whichever rule gives the longer time.
    expect(planResponse([tight, loose, longer], alert()).actions).toEqual([
      { action: 'throttle', rate: '1/minute', forMs: 7 * 24 * HOUR },
      { action: 'require-step-up', forMs: 3 * HOUR },
    ]);
    const burstier = playbook('burstier', { actions: [{ action: 'throttle', rate: '10/minute burst 50', for: '1h' }] });
    const steady = playbook('steady', { actions: [{ action: 'throttle', rate: '10/minute', for: '1h' }] });
    expect(planResponse([burstier, steady], alert()).actions).toEqual([{ action: 'throttle', rate: '10/minute', forMs: HOUR }]);
    expect(planResponse([steady, burstier], alert()).actions).toEqual([{ action: 'throttle', rate: '10/minute', forMs: HOUR }]);
  });

  it('plans nothing that could widen access: every action is a restriction or a notification', () => {
    expect(PLAYBOOK_ACTIONS).toEqual(['alert', 'throttle', 'require-step-up', 'suspend', 'quarantine', 'revoke-credentials']);
  });
});
