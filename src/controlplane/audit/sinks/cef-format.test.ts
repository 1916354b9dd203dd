import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../model/audit-event.js';
import { exportRecordOf } from '../../../../test/audit/sink-receivers.js';
import { auditEvent } from '../../../../test/support/audit-fixtures.js';
import { cefMessage, escapeExtensionValue, escapeHeader } from './cef-format.js';
import type { ExportRecord } from './export-record.js';

function record(overrides: Partial<AuditEvent> = {}, seq = 3): ExportRecord {
  const event = { ...auditEvent(seq, { agent: 'support-bot', api: { name: 'crm', operation: 'getCustomer' } }), ...overrides };
  return exportRecordOf(event, seq);
}

/** Splits a CEF line the way a consumer does: 7 header fields on unescaped `|`, then key=value pairs. */
function parseCef(line: string): { header: string[]; extension: Record<string, string> } {
  const header: string[] = [];
  let field = '';
  let at = 0;
  while (header.length < 7) {
    const char = line[at++];
    if (char === undefined) throw new Error('the header has fewer than 7 fields');
    if (char === '\\') field += line[at++];
    else if (char === '|') {
      header.push(field);
      field = '';
    } else field += char;
  }
  const rest = line.slice(at);
  const extension: Record<string, string> = {};
  // A key starts after a space and ends at an unescaped '='; a value runs to the next key.
  const keys = [...rest.matchAll(/(?:^|(?<=\s))([A-Za-z0-9_]+)=/g)].filter((match) => {
    let backslashes = 0;
    for (let i = match.index! - 1; i >= 0 && rest[i] === '\\'; i--) backslashes++;
    return backslashes % 2 === 0;
  });
  keys.forEach((match, index) => {
    const start = match.index! + match[0].length;
    const end = index + 1 < keys.length ? keys[index + 1]!.index! - 1 : rest.length;
    extension[match[1]!] = rest.slice(start, end).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  });
  return { header, extension };
}

describe('CEF', () => {
  it('writes the header and maps the record to standard keys', () => {
    const rec = record({
      credential: { id: 'key_supportbot01', kind: 'apiKey' },
      decision: { outcome: 'deny', reason: 'WARDEN_AUTHZ_NOT_GRANTED', rule: 'support/forbid/delete', policyVersion: 'p-42', monitored: false },
      http: { ...auditEvent(1).http, method: 'DELETE', rawPath: '/crm/customers/1', status: 403, bytesIn: 10, bytesOut: 120, durationMs: 4 },
      src: { ip: '203.0.113.9', country: 'DE' },
    });
    const line = cefMessage(rec, { productVersion: '0.1.0' });
    const { header, extension } = parseCef(line);
    expect(header).toEqual(['CEF:0', 'Warden', 'Warden', '0.1.0', 'WARDEN_AUTHZ_NOT_GRANTED', 'API call denied', '6']);
    expect(extension).toMatchObject({
      rt: String(Date.parse(rec.event.time)),
      externalId: 'id-3',
      act: 'deny',
      outcome: 'failure',
      reason: 'WARDEN_AUTHZ_NOT_GRANTED',
      requestMethod: 'DELETE',
      request: '/crm/customers/1',
      src: '203.0.113.9',
      suser: 'support-bot',
      suid: 'support-bot',
      spriv: 'reader',
      cs1: 'crm', cs1Label: 'API',
      cs2: 'getCustomer', cs2Label: 'Operation',
      cs3: 'support/forbid/delete', cs3Label: 'Rule',
      cs4: 'p-42', cs4Label: 'Policy Version',
      cs5: 'apiKey:key_supportbot01', cs5Label: 'Credential',
      cs6: 'owner@example.com', cs6Label: 'Agent Owner',
      cn1: '3', cn1Label: 'Audit Seq',
      cn2: '403', cn2Label: 'HTTP Status',
      in: '10', out: '120',
      dvchost: 'test',
      flexString1: rec.event.hash, flexString1Label: 'Record Hash',
      flexString2: 'DE', flexString2Label: 'Source Country',
    });
    expect(line).not.toMatch(/[\r\n]/);
  });

  it('severity and outcome follow the decision', () => {
    const severity = (outcome: AuditEvent['decision']['outcome']) => parseCef(cefMessage(record({ decision: { outcome, reason: 'R', rule: undefined, policyVersion: undefined, monitored: false } }), { productVersion: '1' })).header[6];
    expect([severity('allow'), severity('would-deny'), severity('deny'), severity('error')]).toEqual(['1', '4', '6', '7']);
    expect(parseCef(cefMessage(record(), { productVersion: '1' })).extension.outcome).toBe('success');
  });

  it('escapes | and \\ in the header, = \\ and line breaks in extension values', () => {
    expect(escapeHeader('a|b\\c\nd')).toBe('a\\|b\\\\c d');
    expect(escapeExtensionValue('a=b\\c\nd\re|f')).toBe('a\\=b\\\\c\\nd\\re|f');
    const hostile = 'x=1 cs1=forged\\ |pipe\nnext';
    const rec = record({
      agent: { id: 'a', name: hostile, roles: [], owner: 'o' },
      decision: { outcome: 'allow', reason: 'GRANTED|forged', rule: undefined, policyVersion: undefined, monitored: false },
    });
    const line = cefMessage(rec, { productVersion: '1|2' });
    const { header, extension } = parseCef(line);
    expect(header[3]).toBe('1|2');
    expect(header[4]).toBe('GRANTED|forged');
    expect(extension.suser).toBe(hostile);
    // The agent name could not forge the API field.
    expect(extension.cs1).toBe('crm');
    expect(line).not.toMatch(/[\r\n]/);
  });

  it('puts an IPv6 source in c6a2 with its label', () => {
    const { extension } = parseCef(cefMessage(record({ src: { ip: '2001:db8::1', country: undefined } }), { productVersion: '1' }));
    expect(extension.src).toBeUndefined();
    expect(extension.c6a2).toBe('2001:db8::1');
    expect(extension.c6a2Label).toBe('Source IPv6 Address');
  });
});
