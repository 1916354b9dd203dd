import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../model/audit-event.js';
import { auditEvent } from '../../../../test/support/audit-fixtures.js';
import { exportRecordOf, parseRfc5424 } from '../../../../test/audit/sink-receivers.js';
import type { ExportRecord } from './export-record.js';
import { escapeParamValue, octetCounted, structuredData, syslogMessage } from './syslog-format.js';

const OPTIONS = { facility: 13, hostname: 'gw-1.example', enterpriseId: 32473, procId: '4242' };

function record(overrides: Partial<AuditEvent> = {}, seq = 7): ExportRecord {
  const event = { ...auditEvent(seq, { agent: 'support-bot', api: { name: 'crm', operation: 'getCustomer' } }), ...overrides };
  return exportRecordOf(event, seq);
}

describe('RFC 5424 syslog messages', () => {
  it('follows the grammar: PRI from facility and decision, header fields, SD element, the record as MSG', () => {
    const rec = record();
    const parsed = parseRfc5424(syslogMessage(rec, rec.json, OPTIONS));
    expect(parsed.pri).toBe(13 * 8 + 6);
    expect(parsed.version).toBe(1);
    expect(parsed.timestamp).toBe(rec.event.time);
    expect(parsed.hostname).toBe('gw-1.example');
    expect(parsed.appName).toBe('warden');
    expect(parsed.procId).toBe('4242');
    expect(parsed.msgId).toBe('allow');
    expect(parsed.structuredData).toHaveLength(1);
    expect(parsed.structuredData[0]!.id).toBe('warden@32473');
    expect(parsed.structuredData[0]!.params).toMatchObject({
      seq: '7', id: 'id-7', decision: 'allow', reason: 'GRANTED', agent: 'support-bot', api: 'crm', operation: 'getCustomer',
      method: 'GET', path: '/x', status: '200', src: '127.0.0.1', hash: rec.event.hash,
    });
    // The MSG is the stored text byte for byte, so its hash still verifies.
    expect(parsed.msg).toBe(rec.json);
  });

  it.each([
    ['allow', 6],
    ['would-deny', 5],
    ['deny', 4],
    ['error', 3],
  ] as const)('maps %s to severity %i under the configured facility', (outcome, severity) => {
    const rec = record({ decision: { outcome, reason: outcome === 'allow' ? 'GRANTED' : 'WARDEN_AUTHZ_NOT_GRANTED', rule: undefined, policyVersion: undefined, monitored: false } });
    const parsed = parseRfc5424(syslogMessage(rec, 'x', { ...OPTIONS, facility: 10 }));
    expect(parsed.pri).toBe(10 * 8 + severity);
    expect(parsed.msgId).toBe(outcome);
  });

  it('escapes ", \\ and ] in PARAM-VALUEs and nothing else', () => {
    expect(escapeParamValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
    const hostile = 'bot"] [evil@1 x="y\\';
    const rec = record({ agent: { id: 'a-1', name: hostile, roles: [], owner: 'o@example.com' }, http: { ...auditEvent(1).http, rawPath: '/p]a"th\\' } });
    const parsed = parseRfc5424(syslogMessage(rec, rec.json, OPTIONS));
    // One element only: the agent name could not close it and open another.
    expect(parsed.structuredData.map((element) => element.id)).toEqual(['warden@32473']);
    expect(parsed.structuredData[0]!.params.agent).toBe(hostile);
    expect(parsed.structuredData[0]!.params.path).toBe('/p]a"th\\');
    expect(structuredData('x@1', [['a', undefined], ['b', 'v']])).toBe('[x@1 b="v"]');
  });

  it('keeps header fields printable ASCII and uses NILVALUE for an empty one', () => {
    const rec = record();
    const parsed = parseRfc5424(syslogMessage(rec, 'm', { ...OPTIONS, hostname: 'host name\twith spaces', procId: '' }));
    expect(parsed.hostname).toBe('host_name_with_spaces');
    expect(parsed.procId).toBe('-');
  });

  it('counts octets, not characters, in the frame length', () => {
    const message = 'Zoë 🐻';
    const frame = octetCounted(message);
    expect(frame).toBe(`${Buffer.byteLength(message)} ${message}`);
    expect(frame.startsWith('9 ')).toBe(true); // Z o ë(2) space 🐻(4)
  });
});
