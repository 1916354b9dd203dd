import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../model/audit-event.js';
import { exportRecordOf } from '../../../../test/audit/sink-receivers.js';
import { auditEvent } from '../../../../test/support/audit-fixtures.js';
import type { ExportRecord } from './export-record.js';
import { ocsfApiActivity } from './ocsf-format.js';

function record(overrides: Partial<AuditEvent> = {}, seq = 5): ExportRecord {
  const event = { ...auditEvent(seq, { agent: 'support-bot', api: { name: 'crm', operation: 'getCustomer' } }), ...overrides };
  return exportRecordOf(event, seq);
}

const http = (method: string, status = 200) => ({ ...auditEvent(1).http, method, status });

describe('OCSF API Activity', () => {
  it('is class 6003 in category 6 with the required objects', () => {
    const rec = record({ src: { ip: '198.51.100.7', country: 'FR' }, traceId: 'trace-1' });
    const ocsf = ocsfApiActivity(rec, { productVersion: '0.1.0' });
    expect(ocsf).toMatchObject({
      class_uid: 6003,
      class_name: 'API Activity',
      category_uid: 6,
      category_name: 'Application Activity',
      activity_id: 2,
      activity_name: 'Read',
      type_uid: 600302,
      type_name: 'API Activity: Read',
      time: Date.parse(rec.event.time),
      severity_id: 1,
      severity: 'Informational',
      status_id: 1,
      status: 'Success',
      status_code: 'GRANTED',
      actor: { user: { uid: 'support-bot', name: 'support-bot' }, authorizations: [{ decision: 'allow' }] },
      api: { operation: 'getCustomer', service: { name: 'crm' }, request: { uid: 'req-5' } },
      http_request: { http_method: 'GET', url: { path: '/x' } },
      http_response: { code: 200 },
      src_endpoint: { ip: '198.51.100.7', location: { country: 'FR' } },
      metadata: { product: { name: 'Warden', vendor_name: 'Warden', version: '0.1.0' }, version: '1.1.0', uid: 'id-5', sequence: 5, correlation_uid: 'trace-1' },
    });
    expect(ocsf.unmapped.warden).toMatchObject({ seq: 5, hash: rec.event.hash, prevHash: `sha256:${'0'.repeat(64)}`, node: 'test' });
    // time is epoch milliseconds, not text.
    expect(typeof ocsf.time).toBe('number');
  });

  it.each([
    ['POST', 1, 'Create'],
    ['GET', 2, 'Read'],
    ['HEAD', 2, 'Read'],
    ['PUT', 3, 'Update'],
    ['PATCH', 3, 'Update'],
    ['DELETE', 4, 'Delete'],
    ['OPTIONS', 99, 'Other'],
  ])('maps %s to activity %i (%s) and type_uid 6003%s', (method, activityId, name) => {
    const ocsf = ocsfApiActivity(record({ http: http(method) }), { productVersion: '1' });
    expect(ocsf.activity_id).toBe(activityId);
    expect(ocsf.activity_name).toBe(name);
    expect(ocsf.type_uid).toBe(600300 + activityId);
  });

  it('reports denials as failures with the rule, and an unrouted, unidentified call without inventing names', () => {
    const denied = ocsfApiActivity(record({
      decision: { outcome: 'deny', reason: 'WARDEN_AUTHZ_NOT_GRANTED', rule: 'r/forbid/1', policyVersion: 'p-9', monitored: false },
      http: http('DELETE', 403),
    }), { productVersion: '1' });
    expect(denied).toMatchObject({ status_id: 2, status: 'Failure', status_code: 'WARDEN_AUTHZ_NOT_GRANTED', status_detail: 'r/forbid/1', severity_id: 3 });
    expect(denied.actor.authorizations).toEqual([{ decision: 'deny', policy: { name: 'r/forbid/1', version: 'p-9' } }]);

    const anonymous = ocsfApiActivity(record({ agent: undefined, api: undefined, http: http('GET', 401), decision: { outcome: 'deny', reason: 'WARDEN_AUTHN_MISSING', rule: undefined, policyVersion: undefined, monitored: false } }), { productVersion: '1' });
    expect(anonymous.actor.user).toBeUndefined();
    expect(anonymous.api.operation).toBe('GET');
    expect(anonymous.api.service).toBeUndefined();
    expect(anonymous.src_endpoint.location).toBeUndefined();
  });

  it('counts a would-deny that was let through with a 2xx as a success of severity Low', () => {
    const ocsf = ocsfApiActivity(record({ decision: { outcome: 'would-deny', reason: 'WARDEN_AUTHZ_NOT_GRANTED', rule: undefined, policyVersion: undefined, monitored: true } }), { productVersion: '1' });
    expect(ocsf).toMatchObject({ status_id: 1, severity_id: 2, severity: 'Low' });
  });
});
