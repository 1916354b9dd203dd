import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../model/audit-event.js';
import { chainProblem, chainRecord, GENESIS_HASH } from './audit-chain.js';

function event(n: number): AuditEvent {
  return {
    v: 1,
    id: `id-${n}`,
    time: '2026-03-15T09:00:00.000Z',
    requestId: `id-${n}`,
    traceId: undefined,
    node: 'test',
    agent: { id: 'support-bot', name: 'support-bot', roles: ['customer-service'], owner: 'o@example.com' },
    credential: { id: 'key_support01', kind: 'apiKey' },
    src: { ip: '10.0.0.7', country: undefined },
    http: { method: 'GET', rawPath: '/crm/customers/C-1', canonicalPath: '/crm/customers/C-1', queryParams: [], status: 200, bytesIn: 0, bytesOut: 120, durationMs: 1.5, upstreamMs: 1 },
    api: { name: 'crm', operation: 'getCustomer', template: '/crm/customers/{customerId}', sensitivity: 'confidential', dataClasses: ['pii'] },
    decision: { outcome: 'allow', reason: 'GRANTED', rule: 'customer-service/grants/0', policyVersion: 'sha256:ab', monitored: false },
    limits: undefined,
    data: { records: 1, maskedFields: ['email'] },
    context: { customer: 'C-1', note: 'quotes " and \\ and ünïcode' },
  };
}

/** A chain of `n` records as the writer builds it. */
function chain(n: number): string[] {
  const texts: string[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const record = chainRecord(JSON.stringify(event(seq)), seq, prevHash);
    texts.push(record.json);
    prevHash = record.hash;
  }
  return texts;
}

/** The first problem walking the chain from the start, as `warden audit verify` would report it. */
function firstProblem(texts: readonly string[]): { index: number; problem: string } | undefined {
  let prevHash = GENESIS_HASH;
  for (let index = 0; index < texts.length; index++) {
    const problem = chainProblem(texts[index]!, { seq: index + 1, prevHash });
    if (problem !== undefined) return { index, problem };
    prevHash = (JSON.parse(texts[index]!) as { hash: string }).hash;
  }
  return undefined;
}

describe('the audit hash chain', () => {
  it('stores the event with seq, prevHash and hash, and the event reads back unchanged', () => {
    const record = chainRecord(JSON.stringify(event(1)), 1, GENESIS_HASH);
    const stored = JSON.parse(record.json) as AuditEvent;
    expect(stored).toEqual({ ...JSON.parse(JSON.stringify(event(1))), seq: 1, prevHash: GENESIS_HASH, hash: record.hash });
    expect(record.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(record.seq).toBe(1);
  });

  it('verifies an untouched chain', () => {
    expect(firstProblem(chain(5))).toBeUndefined();
  });

  it('finds a flipped byte in a record', () => {
    const texts = chain(5);
    texts[2] = texts[2]!.replace('"status":200', '"status":201');
    expect(firstProblem(texts)).toEqual({ index: 2, problem: 'the record\'s content does not match its hash' });
  });

  it('finds an edited record whose hash was recomputed, at the record after it', () => {
    const texts = chain(5);
    const forged = chainRecord(JSON.stringify({ ...event(3), decision: { ...event(3).decision, outcome: 'deny' } }), 3, (JSON.parse(texts[1]!) as { hash: string }).hash);
    texts[2] = forged.json;
    expect(firstProblem(texts)).toEqual({ index: 3, problem: 'prevHash does not match the previous record' });
  });

  it('finds a deleted record', () => {
    const texts = chain(5);
    texts.splice(1, 1);
    expect(firstProblem(texts)).toEqual({ index: 1, problem: 'seq is 3, expected 2' });
  });

  it('finds two records swapped', () => {
    const texts = chain(5);
    [texts[1], texts[2]] = [texts[2]!, texts[1]!];
    expect(firstProblem(texts)?.index).toBe(1);
  });

  it('finds a record whose hash member was removed or moved', () => {
    const [text] = chain(1);
    const withoutHash = text!.replace(/,"hash":"sha256:[0-9a-f]{64}"\}$/, '}');
    expect(chainProblem(withoutHash, { seq: 1, prevHash: GENESIS_HASH })).toBe('the record does not end with its hash');
    expect(chainProblem('not json', { seq: 1, prevHash: GENESIS_HASH })).toBe('the record is not valid JSON');
  });
});
