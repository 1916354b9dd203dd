import { describe, expect, it } from 'vitest';
import { epochMillis, excerpt, httpMethod, httpStatus } from './imported-call.js';
import { normalizeHost, splitTarget } from './split-target.js';

describe('splitTarget', () => {
  it('keeps an origin-form path as sent, percent-escapes and all, without query or fragment', () => {
    expect(splitTarget('/v1/customers/42')).toEqual({ path: '/v1/customers/42', queryNames: undefined, host: undefined });
    expect(splitTarget('/files/a%2Fb/%E2%82%AC#top')).toEqual({ path: '/files/a%2Fb/%E2%82%AC', queryNames: undefined, host: undefined });
    expect(splitTarget('/search?q=1#frag?x=2')).toEqual({ path: '/search', queryNames: ['q'], host: undefined });
    expect(splitTarget('/search?')).toEqual({ path: '/search', queryNames: undefined, host: undefined });
  });

  it('keeps the names of the query parameters, once each, and never a value', () => {
    const parts = splitTarget('/customers?email=jane.doe%40example.com&fields=a,b&fields=c&&flag&%24filter=x&a%5B%5D=1');
    expect(parts).toEqual({ path: '/customers', queryNames: ['email', 'fields', 'flag', '$filter', 'a[]'], host: undefined });
    expect(JSON.stringify(parts)).not.toContain('jane');
  });

  it('leaves out "names" that look like data: a bare e-mail, a token, an undecodable escape', () => {
    expect(splitTarget('/x?jane.doe@example.com')).toMatchObject({ queryNames: [] });
    expect(splitTarget('/x?dGhpcyBpcyBhIHNlY3JldCB0b2tlbiB0aGF0IGlzIGZhciBsb25nZXIgdGhhbiBhbnkgbmFtZQ==')).toMatchObject({ queryNames: [] });
    expect(splitTarget('/x?na%ZZme=1&ok=2&with space=3')).toMatchObject({ queryNames: ['ok'] });
  });

  it('takes the host from an absolute-form target, lower-case, without user info or default port', () => {
    expect(splitTarget('https://API.Example.com:443/v1/x?y=1')).toEqual({ path: '/v1/x', queryNames: ['y'], host: 'api.example.com' });
    expect(splitTarget('http://user:s3cret@api.example.com:8080/v1')).toEqual({ path: '/v1', queryNames: undefined, host: 'api.example.com:8080' });
    expect(splitTarget('http://api.example.com:443/v1')).toMatchObject({ host: 'api.example.com:443' });
    expect(splitTarget('http://[2001:db8::1]:80')).toEqual({ path: '/', queryNames: undefined, host: '[2001:db8::1]' });
    expect(splitTarget('https://api.example.com?x=1')).toEqual({ path: '/', queryNames: ['x'], host: 'api.example.com' });
    expect(JSON.stringify(splitTarget('http://user:s3cret@api.example.com/'))).not.toContain('s3cret');
  });

  it('refuses what is neither origin-form nor absolute-form', () => {
    for (const target of ['*', 'api.example.com:443', 'data:image/png;base64,AAAA', '', 'v1/relative', '1http://x/']) {
      expect(splitTarget(target), target).toEqual(expect.stringMatching(/is neither a path nor an absolute URL/));
    }
  });

  it('refuses a path over 2 KiB, and names no query value in the message', () => {
    expect(splitTarget(`/${'a'.repeat(2048)}?email=jane@example.com`)).toBe('the path is longer than 2048 characters');
    expect(splitTarget('garbage?email=jane@example.com')).not.toContain('jane');
  });
});

describe('normalizeHost', () => {
  it('drops 80 and 443 when the scheme is unknown, and refuses what is no host name', () => {
    expect(normalizeHost('Reviews.Default.svc:9080')).toBe('reviews.default.svc:9080');
    expect(normalizeHost('api.example.com:443')).toBe('api.example.com');
    expect(normalizeHost('api.example.com:80')).toBe('api.example.com');
    expect(normalizeHost('[::1]:443')).toBe('[::1]');
    expect(normalizeHost('[::1]')).toBe('[::1]');
    for (const bad of ['', 'a b', 'host/x', 'host:', 'host:abc', '<script>']) expect(normalizeHost(bad), bad).toBeUndefined();
  });
});

describe('call fields', () => {
  it('upper-cases a method token and refuses anything else', () => {
    expect(httpMethod('get')).toBe('GET');
    expect(httpMethod('PROPFIND')).toBe('PROPFIND');
    for (const bad of ['', 'G ET', 'M-SEARCH', 'A'.repeat(17), '\x16\x03', 7, null]) expect(httpMethod(bad), String(bad)).toBeUndefined();
  });

  it('reads a status from a number or digits, 0–999', () => {
    expect([httpStatus(200), httpStatus('404'), httpStatus(0), httpStatus('999')]).toEqual([200, 404, 0, 999]);
    for (const bad of [1000, -1, 200.5, '2xx', '', '1000', null, NaN]) expect(httpStatus(bad), String(bad)).toBeUndefined();
  });

  it('reads ISO 8601 times and epoch numbers, telling seconds from milliseconds by magnitude', () => {
    const at = Date.UTC(2026, 2, 15, 9, 0, 1, 500);
    expect(epochMillis('2026-03-15T09:00:01.500Z')).toBe(at);
    expect(epochMillis('2026-03-15T10:00:01.5+01:00')).toBe(at);
    expect(epochMillis('2026-03-15T09:00:01.500999Z')).toBe(at);
    expect(epochMillis('2026-03-15T09:00:01.500')).toBe(at);
    expect(epochMillis('Sun, 15 Mar 2026 09:00:01 GMT')).toBe(at - 500);
    expect(epochMillis(1773565201.5)).toBe(at);
    expect(epochMillis('1773565201.5')).toBe(at);
    expect(epochMillis(1773565201500)).toBe(at);
    expect(epochMillis(1773565201500000)).toBe(at);
    expect(epochMillis(1773565201500000000)).toBe(at);
    for (const absent of [undefined, null, '-', '']) expect(epochMillis(absent)).toBeUndefined();
    for (const bad of ['yesterday', '2026-13-01T00:00:00Z', -5, {}, true]) expect(epochMillis(bad), String(bad)).toBeNaN();
  });

  it('quotes untrusted text short, without its query, with control characters visible', () => {
    expect(excerpt('/a?email=jane@example.com')).toBe('"/a?"');
    expect(excerpt('\x16\x03"')).toBe('"\\x16\\x03\\x22"');
    expect(excerpt('x'.repeat(50))).toBe(`"${'x'.repeat(40)}…"`);
  });
});
