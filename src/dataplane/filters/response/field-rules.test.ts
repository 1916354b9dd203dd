import { describe, expect, it } from 'vitest';
import { FieldRules } from './field-rules.js';

/** Applies rules to a copy of the document, as the response filter does to a parsed answer. */
function filtered(rules: ConstructorParameters<typeof FieldRules>[0], document: unknown) {
  const result = new FieldRules(rules).apply(JSON.parse(JSON.stringify(document)));
  return { ...result, value: JSON.parse(JSON.stringify(result.value)) as unknown };
}

const customer = { id: 'C-1', name: 'Ada', email: 'ada@example.com', card: { number: '4111111111111111', expiry: '12/30' }, orders: [{ id: 'O-1', ssn: '078-05-1120' }, { id: 'O-2', ssn: '219-09-9999' }] };

describe('FieldRules: mask and drop', () => {
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

describe('FieldRules: allow', () => {
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
    const result = new FieldRules({ allow: ['__proto__.polluted', 'id'] }).apply(JSON.parse('{"id":"C-1","__proto__":{"polluted":true,"other":1}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(result.value))).toEqual(JSON.parse('{"id":"C-1","__proto__":{"polluted":true}}'));
  });

  it('allows first, then drops and masks within what was allowed', () => {
    expect(filtered({ allow: ['id', 'email', 'name'], drop: ['name'], mask: ['email'] }, customer).value).toEqual({ id: 'C-1', email: '***' });
  });
});
