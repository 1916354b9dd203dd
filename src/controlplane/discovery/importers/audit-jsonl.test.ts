import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../model/audit-event.js';
import { auditEvent } from '../../../../test/support/audit-fixtures.js';
import { parseAuditLine } from './audit-jsonl.js';

/** A record as the audit log stores and exports it: JSON.stringify of the event with its chain fields. */
const stored = (event: AuditEvent, seq = 1) => JSON.stringify({ ...event, seq, prevHash: `sha256:${'0'.repeat(64)}`, hash: `sha256:${'1'.repeat(64)}` });
const crm = { name: 'crm', operation: 'getCustomer', dataClasses: ['pii'] };

describe('parseAuditLine', () => {
  it('maps an allowed call: canonical path, query names, credential id, agent, API, operation and data classes', () => {
    const event = auditEvent(5, {
      agent: 'support-bot',
      api: crm,
      credential: { id: 'key_7f3a9c', kind: 'apiKey' },
      http: { method: 'GET', rawPath: '/v1/customers/0042', canonicalPath: '/v1/customers/42', queryParams: ['fields'], status: 200, bytesIn: 0, bytesOut: 10, durationMs: 3, upstreamMs: 2 },
    });
    expect(parseAuditLine(stored(event))).toEqual({
      observation: {
        method: 'GET',
        path: '/v1/customers/42',
        queryNames: ['fields'],
        status: 200,
        time: Date.UTC(2026, 2, 15, 9, 0, 0, 5),
        host: undefined,
        client: 'key_7f3a9c',
        agent: 'support-bot',
        api: 'crm',
        operation: 'getCustomer',
        responseShape: undefined,
        dataClasses: ['pii'],
      },
    });
  });

  it('marks a call whose credential was refused as unregistered, with the raw path it sent', () => {
    const event = auditEvent(1, {
      credential: { id: 'key_unknown01', kind: 'apiKey' },
      http: { method: 'GET', rawPath: '/v1/customers/43', canonicalPath: undefined, queryParams: [], status: 403, bytesIn: 0, bytesOut: 0, durationMs: 1, upstreamMs: undefined },
      decision: { outcome: 'deny', reason: 'WARDEN_AUTHN_UNREGISTERED', rule: undefined, policyVersion: undefined, monitored: false },
    });
    expect(parseAuditLine(stored(event))).toEqual({
      observation: expect.objectContaining({ method: 'GET', path: '/v1/customers/43', queryNames: undefined, status: 403, client: 'key_unknown01', agent: undefined, api: undefined }),
      unregistered: true,
    });
    expect(parseAuditLine(stored(auditEvent(2)))).not.toHaveProperty('unregistered');
  });

  it('keeps data classes only for a call that was let through and answered 2xx', () => {
    const dataClassesOf = (overrides: Parameters<typeof auditEvent>[1]) => {
      const parsed = parseAuditLine(stored(auditEvent(1, { api: crm, ...overrides })));
      return 'observation' in parsed ? parsed.observation.dataClasses : parsed.problem;
    };
    const http = auditEvent(1).http;
    expect(dataClassesOf({})).toEqual(['pii']);
    expect(dataClassesOf({ decision: { outcome: 'would-deny', reason: 'WARDEN_AUTHZ_PARAM_VIOLATION', rule: undefined, policyVersion: undefined, monitored: true } })).toEqual(['pii']);
    expect(dataClassesOf({ decision: { outcome: 'deny', reason: 'WARDEN_AUTHZ_NOT_GRANTED', rule: undefined, policyVersion: undefined, monitored: false } })).toBeUndefined();
    expect(dataClassesOf({ http: { ...http, status: 502 } })).toBeUndefined();
    expect(dataClassesOf({ api: { ...crm, dataClasses: [] } })).toBeUndefined();
  });

  it('leaves out an empty operation and an absent agent', () => {
    const parsed = parseAuditLine(stored(auditEvent(1, { api: { name: 'crm', operation: '' } })));
    expect(parsed).toMatchObject({ observation: { api: 'crm', operation: undefined, agent: undefined, client: undefined } });
  });

  it('says when a line is not an audit record', () => {
    for (const [text, message] of [
      ['{"v":2,"http":{},"decision":{}}', /not a Warden audit record/],
      ['{"method":"GET","path":"/","status":200}', /not a Warden audit record/],
      ['{"v":1', /not JSON/],
      [stored({ ...auditEvent(1), http: { ...auditEvent(1).http, method: 'BREW COFFEE' } }), /http.method "BREW COFFEE"/],
      [stored({ ...auditEvent(1), http: { ...auditEvent(1).http, rawPath: '*', canonicalPath: undefined } }), /http.rawPath is not a path/],
      [stored({ ...auditEvent(1), http: { ...auditEvent(1).http, status: -1 } }), /http.status "-1"/],
      [stored({ ...auditEvent(1), time: 'later' }), /time "later" is not a time/],
    ] as const) {
      expect(parseAuditLine(text), text).toEqual({ problem: expect.stringMatching(message) });
    }
  });
});
