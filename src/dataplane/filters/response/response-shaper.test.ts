import { describe, expect, it } from 'vitest';
import type { ResponseRules, RowRule } from '../../../model/manifests/index.js';
import { compileResponseRules } from '../../../policy/data-rules.js';
import { ResponseShaper, ShapeFindings } from './response-shaper.js';

const KEY = Buffer.alloc(32, 7);

/** Shapes a copy of the document, as the response filter does a parsed answer. */
function shaped(rules: ResponseRules, document: unknown, rows?: RowRule, context?: Record<string, string>, success = true) {
  const findings = new ShapeFindings();
  const result = new ResponseShaper(compileResponseRules(rules, rows)!, KEY, context, findings, success).document(typeof document === 'string' ? JSON.parse(document) : JSON.parse(JSON.stringify(document)));
  return { result, findings };
}

/** The filtered value (as JSON would carry it), the records and the masked paths. */
function filtered(rules: ResponseRules, document: unknown) {
  const { result, findings } = shaped(rules, document);
  if (!result.ok) throw new Error(result.detail);
  return { value: JSON.parse(JSON.stringify(result.value)) as unknown, records: findings.records, masked: [...findings.masked] };
}

const customer = { id: 'C-1', name: 'Ada', email: 'ada@example.com', card: { number: '4111111111111111', expiry: '12/30' }, orders: [{ id: 'O-1', ssn: '078-05-1120' }, { id: 'O-2', ssn: '219-09-9999' }] };

describe('ResponseShaper: mask and drop', () => {
  it('masks and drops top-level and nested fields, and names what it masked', () => {
    const result = filtered({ mask: ['email', 'card.number'], drop: ['card.expiry'] }, customer);
    expect(result.value).toEqual({ ...customer, email: '***', card: { number: '***' } });
    expect(result.masked.sort()).toEqual(['card.number', 'email']);
    expect(result.records).toBe(1);
  });

  it('walks lists with or without [] in the path, so a list never slips past a rule', () => {
    const expected = { ...customer, orders: [{ id: 'O-1', ssn: '***' }, { id: 'O-2', ssn: '***' }] };
    expect(filtered({ mask: ['orders[].ssn'] }, customer).value).toEqual(expected);
    expect(filtered({ mask: ['orders.ssn'] }, customer).value).toEqual(expected);
    expect(filtered({ drop: ['orders.ssn'] }, customer).value).toEqual({ ...customer, orders: [{ id: 'O-1' }, { id: 'O-2' }] });
  });

  it('masks each element of a list named with [] and the whole value otherwise', () => {
    const document = { tags: ['vip', null, 'churn-risk'] };
    expect(filtered({ mask: ['tags[]'] }, document)).toMatchObject({ value: { tags: ['***', null, '***'] }, masked: ['tags[]'] });
    expect(filtered({ mask: ['tags'] }, document).value).toEqual({ tags: '***' });
  });

  it('leaves null and absent fields alone and does not count them as masked', () => {
    expect(filtered({ mask: ['email', 'phone'] }, { email: null })).toMatchObject({ value: { email: null }, masked: [] });
  });

  it('applies * to every key', () => {
    expect(filtered({ mask: ['card.*'] }, customer).value).toMatchObject({ card: { number: '***', expiry: '***' } });
  });

  it('treats each element of a top-level list as a record', () => {
    const result = filtered({ drop: ['email'] }, [customer, { ...customer, id: 'C-2' }]);
    expect(result.records).toBe(2);
    expect(result.value).toEqual([
      { ...customer, email: undefined },
      { ...customer, id: 'C-2', email: undefined },
    ].map((record) => JSON.parse(JSON.stringify(record)) as unknown));
  });
});

describe('ResponseShaper: allow', () => {
  it('keeps only the listed fields, nested and in lists', () => {
    expect(filtered({ allow: ['id', 'card.expiry', 'orders[].id'] }, customer).value).toEqual({ id: 'C-1', card: { expiry: '12/30' }, orders: [{ id: 'O-1' }, { id: 'O-2' }] });
  });

  it('walks a list met by a path without [] instead of keeping it whole', () => {
    expect(filtered({ allow: ['id', 'orders.id'] }, customer).value).toEqual({ id: 'C-1', orders: [{ id: 'O-1' }, { id: 'O-2' }] });
  });

  it('removes a scalar where an allowed path expected an object (fail closed)', () => {
    expect(filtered({ allow: ['id', 'email.domain'] }, customer).value).toEqual({ id: 'C-1' });
    expect(filtered({ allow: ['orders.id'] }, { orders: ['raw-secret-1', { id: 'O-1', ssn: 'x' }] }).value).toEqual({ orders: [{ id: 'O-1' }] });
  });

  it('keeps a whole subtree when a path ends at it, and merges overlapping paths', () => {
    expect(filtered({ allow: ['card', 'card.number'] }, customer).value).toEqual({ card: customer.card });
  });

  it('keeps a __proto__ key from the upstream as a plain field, never as a prototype', () => {
    const findings = new ShapeFindings();
    const result = new ResponseShaper(compileResponseRules({ allow: ['__proto__.polluted', 'id'] }, undefined)!, KEY, undefined, findings).document(JSON.parse('{"id":"C-1","__proto__":{"polluted":true,"other":1}}'));
    if (!result.ok) throw new Error(result.detail);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(result.value))).toEqual(JSON.parse('{"id":"C-1","__proto__":{"polluted":true}}'));
  });

  it('allows first, then drops and masks within what was allowed', () => {
    expect(filtered({ allow: ['id', 'email', 'name'], drop: ['name'], mask: ['email'] }, customer).value).toEqual({ id: 'C-1', email: '***' });
  });
});

describe('ResponseShaper: masking styles', () => {
  it('masks listed fields in the style each names: redact, partial, or a keyed pseudonym', () => {
    const { value } = filtered({ mask: ['email', { field: 'card.number', style: 'partial' }, { field: 'id', style: 'hash' }] }, customer);
    expect(value).toMatchObject({ email: '***', card: { number: '****1111' } });
    const pseudonym = (value as { id: string }).id;
    expect(pseudonym).toMatch(/^value_[0-9a-f]{16}$/);
    // Stable: the same id gets the same pseudonym in the next answer, so records can still be joined.
    expect((filtered({ mask: [{ field: 'id', style: 'hash' }] }, customer).value as { id: string }).id).toBe(pseudonym);
  });
});

describe('ResponseShaper: what the records field leaves around the records', () => {
  it('keeps only plain envelope values under an allow list, so an included object cannot carry what the list keeps out', () => {
    const { result } = shaped({ records: 'items', allow: ['id'] }, { items: [{ id: 'p-1', salary: 150000 }], total: 1, next: 'c2', included: [{ salary: 150000, ssn: '123456789' }], meta: { page: 1 } });
    expect(result).toEqual({ ok: true, value: { items: [{ id: 'p-1' }], total: 1, next: 'c2' } });
  });
});

describe('ResponseShaper: recorded paths', () => {
  it('names a key matched by * as *, and a key that is itself PII as *, never the upstream\'s key', () => {
    const { findings } = shaped({ mask: ['contacts.*'], pii: {} }, { contacts: { 'ada@example.com': 'vip' }, byMail: { 'grace@example.com': { phone: '+44 20 7946 0958' } } });
    expect([...findings.masked].sort()).toEqual(['byMail.*.phone', 'contacts.*']);
  });
});

describe('ResponseShaper: PII rules', () => {
  const record = { id: 'O-17', contact: { mail: 'ada.lovelace@example.com', phone: '+44 20 7946 0958' }, payment: { card: '4111 1111 1111 1111', orderNumber: '4111111111111112' }, note: 'call back tomorrow' };

  it('finds PII in any leaf by value, masks it in the class style, and names fields and classes only', () => {
    const { result, findings } = shaped({ pii: { default: 'redact', classes: { payment_card: 'partial', phone: 'keep' } } }, record);
    expect(result).toMatchObject({ ok: true, value: { id: 'O-17', contact: { mail: '***', phone: '+44 20 7946 0958' }, payment: { card: '****1111', orderNumber: '4111111111111112' }, note: 'call back tomorrow' } });
    expect([...findings.masked].sort()).toEqual(['contact.mail', 'payment.card']);
    expect([...findings.classes].sort()).toEqual(['email', 'payment_card', 'phone']);
    expect(JSON.stringify([...findings.masked, ...findings.classes])).not.toContain('ada.lovelace');
  });

  it('refuses the whole answer for a class the grant denies, naming the field but never the value', () => {
    const { result } = shaped({ pii: { default: 'redact', classes: { payment_card: 'deny' } } }, [record, record]);
    expect(result).toEqual({ ok: false, code: 'WARDEN_DATA_PII_DENIED', detail: expect.stringContaining('payment.card holds payment card data') });
    expect(JSON.stringify(result)).not.toContain('4111');
  });

  it('looks into the envelope of a records field too, and counts the records of the list', () => {
    const { result, findings } = shaped({ records: 'items', allow: ['id'], pii: {} }, { items: [record, record], total: 2, requestedBy: 'ops@example.com' });
    expect(result).toMatchObject({ ok: true, value: { items: [{ id: 'O-17' }, { id: 'O-17' }], total: 2, requestedBy: '***' } });
    expect(findings.records).toBe(2);
  });
});

describe('ResponseShaper: task-bound rows', () => {
  const rows = { where: 'customerId == ${context.customer}' };
  const list = [{ id: 'O-1', customerId: 'C-1' }, { id: 'O-2', customerId: 'C-2' }, { id: 'O-3', customerId: 'C-1' }, { id: 'O-4' }];

  it('keeps only the bound customer\'s rows of a list, withholding the rest and rows without the field', () => {
    const { result, findings } = shaped({ allow: ['id'] }, list, rows, { customer: 'C-1' });
    expect(result).toEqual({ ok: true, value: [{ id: 'O-1' }, { id: 'O-3' }] });
    expect(findings).toMatchObject({ records: 2, withheld: 2 });
  });

  it('never matches an integer that lost digits in parsing (beyond 2^53)', () => {
    // 9007199254740993 parses as ...992: it must not pass for the customer ...992.
    expect(shaped({}, '{"id":"O-1","customerId":9007199254740993}', rows, { customer: '9007199254740992' }).result).toMatchObject({ ok: false, code: 'WARDEN_DATA_ROW_NOT_BOUND' });
  });

  it('lets an error answer without an owner through, but still refuses one that names another customer', () => {
    expect(shaped({}, { error: 'not_found', message: 'no order O-404' }, rows, { customer: 'C-1' }, false).result).toEqual({ ok: true, value: { error: 'not_found', message: 'no order O-404' } });
    expect(shaped({}, { error: 'conflict', customerId: 'C-2', name: 'Bob' }, rows, { customer: 'C-1' }, false).result).toMatchObject({ ok: false, code: 'WARDEN_DATA_ROW_NOT_BOUND' });
  });

  it('refuses a single record of another customer, and matches numbers by their text', () => {
    expect(shaped({}, { id: 'O-2', customerId: 'C-2' }, rows, { customer: 'C-1' }).result).toMatchObject({ ok: false, code: 'WARDEN_DATA_ROW_NOT_BOUND' });
    expect(shaped({}, { id: 'O-9', customerId: 42 }, rows, { customer: '42' }).result).toMatchObject({ ok: true });
  });
});
