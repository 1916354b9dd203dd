import { describe, expect, it } from 'vitest';
import { lastNumericParameter, networksOf } from './event-facts.js';
import { RateWindow } from './rate-windows.js';

describe('event facts', () => {
  it('takes /24 and /16 of IPv4, /48 and /32 of IPv6', () => {
    expect(networksOf('10.1.2.3')).toEqual(['10.1.2', '10.1']);
    expect(networksOf('::ffff:192.0.2.9')).toEqual(['192.0.2', '192.0']);
    expect(networksOf('2001:db8:0a::1')).toEqual(['2001:db8:a::', '2001:db8::']);
    expect(networksOf('2001:DB8::1')).toEqual(['2001:db8:0::', '2001:db8::']);
  });

  it('reads the numeric id where the template has a parameter', () => {
    expect(lastNumericParameter('/crm/customers/1042', '/crm/customers/{id}')).toBe(1042);
    expect(lastNumericParameter('/crm/customers/C-77/orders/9', '/crm/customers/{id}/orders/{order}')).toBe(9);
    expect(lastNumericParameter('/crm/customers/abc', '/crm/customers/{id}')).toBe(-1);
    expect(lastNumericParameter('/crm/123/list', '/crm/{tenant}/list')).toBe(123);
  });
});

describe('RateWindow', () => {
  it('keeps running totals over the last units and forgets what slid out', () => {
    const window = new RateWindow(10, 1_000, 1);
    for (let i = 0; i < 5; i++) window.add(window.touch(1_000_000 + i * 100), 0, 1);
    expect(window.total(0)).toBe(5);
    window.add(window.touch(1_009_500), 0, 1);
    expect(window.total(0)).toBe(6);
    window.add(window.touch(1_010_000), 0, 1);
    expect(window.total(0)).toBe(2);
    expect(window.firstTime(1_010_000)).toBe(1_009_500);
    window.add(window.touch(1_100_000), 0, 1);
    expect(window.total(0)).toBe(1);
    // A record older than the window counts in none.
    expect(window.touch(1_000_000)).toBe(-1);
  });
});
