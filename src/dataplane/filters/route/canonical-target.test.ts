import { describe, expect, it } from 'vitest';
import { canonicalTarget, duplicateKey, isRejection, parseUrlEncoded, type CanonicalTarget, type TargetRejection } from './canonical-target.js';

/**
 * canonicalTarget() decides what the policy sees and, byte for byte, what the upstream
 * receives. Every accepted target is checked against its exact canonical form; every refused
 * one against its error code, because a target the gateway and the upstream could read
 * differently must never be authorised.
 */
const MAX = 8192;

function accepted(url: string, maxBytes = MAX): CanonicalTarget {
  const result = canonicalTarget(url, maxBytes);
  if (isRejection(result)) throw new Error(`expected ${JSON.stringify(url)} to be accepted, got ${result.code}: ${result.detail}`);
  return result;
}

function refused(url: string, maxBytes = MAX): TargetRejection {
  const result = canonicalTarget(url, maxBytes);
  if (!isRejection(result)) throw new Error(`expected ${JSON.stringify(url)} to be refused, got ${result.path}${result.search}`);
  return result;
}

describe('canonicalTarget: accepted paths and their canonical form', () => {
  it.each([
    ['/', '/'],
    ['/crm/customers/C-1', '/crm/customers/C-1'],
    // Escapes of unreserved characters are decoded: %41 is just A.
    ['/crm/customers/%41BC', '/crm/customers/ABC'],
    ['/crm/customers/%61bc', '/crm/customers/abc'],
    ['/a/%7e%2D%5f%30', '/a/~-_0'],
    // Other escapes stay escaped, with upper-case hex.
    ['/a/%c3%a9', '/a/%C3%A9'],
    ['/a/%C3%a9', '/a/%C3%A9'],
    ['/a/%20b', '/a/%20b'],
    ['/a/%2b', '/a/%2B'],
    ['/a/%3f', '/a/%3F'],
    ['/a/%23', '/a/%23'],
    ['/a/%e2%82%ac', '/a/%E2%82%AC'],
    ['/a/%f0%9f%98%80', '/a/%F0%9F%98%80'],
    // A raw `+` in a path is data, not a space.
    ['/a/b+c', '/a/b+c'],
    // Sub-delimiters other than `;`, `:` and `@` are allowed raw.
    ["/a/b:c@d!$&'()*,=", "/a/b:c@d!$&'()*,="],
    // Segments that merely contain dots are not dot segments.
    ['/a/b.json', '/a/b.json'],
    ['/a/.well-known', '/a/.well-known'],
    ['/a/..b', '/a/..b'],
    ['/a/...', '/a/...'],
    ['/a/b.', '/a/b.'],
  ])('accepts %s as %s', (url, path) => {
    const target = accepted(url);
    expect(target.path).toBe(path);
    expect(target.search).toBe('');
    expect(target.queryNames).toEqual([]);
  });

  it('treats an empty query (`?` alone) as no query', () => {
    expect(accepted('/a?')).toMatchObject({ path: '/a', search: '' });
  });

  it('accepts a target of exactly the maximum length and refuses one byte more', () => {
    const url = `/${'a'.repeat(255)}`;
    expect(accepted(url, 256).path).toBe(url);
    expect(refused(`${url}b`, 256).code).toBe('WARDEN_REQUEST_NOT_CANONICAL');
  });

  it('counts the query in the length limit', () => {
    expect(refused(`/a?q=${'x'.repeat(300)}`, 256).detail).toContain('longer than 256');
  });
});

describe('canonicalTarget: refused paths', () => {
  it.each([
    // Only origin-form: the gateway, not the client, decides where a request goes.
    ['http://x/y', 'absolute-form'],
    ['https://internal.example/crm/customers', 'absolute-form with https'],
    ['HTTP://x/y', 'absolute-form in upper case'],
    ['*', 'asterisk-form'],
    ['x/y', 'relative'],
    ['', 'empty'],
    ['#frag', 'fragment only'],
    ['/a#frag', 'fragment'],
    ['/a?b=1#frag', 'fragment after a query'],
    // Matrix parameters: Tomcat and Spring strip them, the policy would see another path.
    ['/a;jsessionid=1', 'matrix parameter'],
    ['/crm/customers/C-1;jsessionid=ABC', 'session id in a segment'],
    ['/a/b;', 'trailing semicolon'],
    ['/a%3bb', 'encoded semicolon'],
    ['/a%3Bb', 'encoded semicolon, upper case'],
    // Slashes and backslashes, raw and encoded.
    ['/a\\b', 'backslash'],
    ['/a%5cb', 'encoded backslash'],
    ['/a%5Cb', 'encoded backslash, upper case'],
    ['/a%2fb', 'encoded slash'],
    ['/a%2Fb', 'encoded slash, upper case'],
    ['/crm%2Fcustomers', 'encoded slash between API and resource'],
    // Dots, raw and encoded.
    ['/a/%2e', 'encoded dot segment'],
    ['/a/%2e%2E/b', 'encoded dot-dot in mixed case'],
    ['/a/.%2e/b', 'half-encoded dot-dot'],
    ['/a/b%2ejson', 'any encoded dot'],
    ['/./a', 'leading dot segment'],
    ['/a/./b', 'dot segment'],
    ['/a/../b', 'dot-dot segment'],
    ['/..', 'dot-dot at the root'],
    ['/a/.', 'trailing dot segment'],
    ['/a/..', 'trailing dot-dot segment'],
    ['/crm/customers/../../hr/employees', 'traversal into another API'],
    // Double encoding: a second decoder would see %2e, %2f, ...
    ['/a/%252e', 'double-encoded dot'],
    ['/a/%252f', 'double-encoded slash'],
    ['/a/%25', 'encoded percent'],
    ['/a/%2541', 'double-encoded unreserved'],
    // Empty segments and trailing slashes are other paths to most frameworks.
    ['//a', 'leading empty segment'],
    ['/a//b', 'empty segment'],
    ['/a/b//', 'trailing empty segment'],
    ['//', 'only slashes'],
    ['/a/', 'trailing slash'],
    ['/crm/customers/C-1/', 'trailing slash after an item'],
    // NUL and control bytes, raw and encoded.
    ['/a/%00', 'encoded NUL'],
    ['/a%00.json', 'encoded NUL before an extension'],
    ['/a/%1f', 'encoded control byte'],
    ['/a/%0a', 'encoded line feed'],
    ['/a/%0D%0AX-Injected:%201', 'encoded CRLF'],
    ['/a/%7f', 'encoded DEL'],
    ['/a/\u0000', 'raw NUL'],
    ['/a/\u001f', 'raw control byte'],
    ['/a/\u007f', 'raw DEL'],
    ['/a/\t', 'raw tab'],
    ['/a b', 'raw space'],
    ['/a/"b"', 'raw double quote'],
    ['/a/<b>', 'raw angle brackets'],
    ['/a/{b}', 'raw braces'],
    ['/a/b|c', 'raw pipe'],
    ['/a/`b`', 'raw backtick'],
    ['/a/^b', 'raw caret'],
    ['/a/[b]', 'raw brackets'],
    // Raw non-ASCII (Node hands the request line over as latin1).
    ['/caf\u00e9', 'raw latin1 byte'],
    ['/a/\u00c3\u00a9', 'raw UTF-8 bytes'],
    ['/a/\u00ff', 'raw 0xFF'],
    // Malformed escapes.
    ['/a%', 'lone percent'],
    ['/a%4', 'one hex digit'],
    ['/a%zz', 'non-hex digits'],
    ['/a%g1', 'non-hex first digit'],
    ['/a%1g', 'non-hex second digit'],
    ['/a%%41', 'percent before an escape'],
  ])('refuses %j (%s)', (url) => {
    expect(refused(url).code).toBe('WARDEN_REQUEST_NOT_CANONICAL');
  });

  it.each([
    ['%C0%AE', 'overlong `.`'],
    ['%C0%AF', 'overlong `/`'],
    ['%C1%9C', 'overlong `\\`'],
    ['%E0%80%AF', 'three-byte overlong `/`'],
    ['%E0%80%AE', 'three-byte overlong `.`'],
    ['%F0%80%80%AF', 'four-byte overlong `/`'],
    ['%ED%A0%80', 'high surrogate U+D800'],
    ['%ED%BF%BF', 'low surrogate U+DFFF'],
    ['%ED%A0%BD%ED%B8%80', 'surrogate pair encoded as two three-byte sequences (CESU-8)'],
    ['%80', 'lone continuation byte'],
    ['%BF', 'lone continuation byte 0xBF'],
    ['a%80b', 'continuation byte between letters'],
    ['%C3', 'truncated two-byte sequence'],
    ['%E2%82', 'truncated three-byte sequence'],
    ['%C3%41', 'lead byte followed by an ASCII escape'],
    ['%C3A', 'lead byte followed by a raw letter'],
    ['%FF', 'invalid byte 0xFF'],
    ['%FE', 'invalid byte 0xFE'],
    ['%F8%88%80%80%80', 'five-byte form'],
    ['%F4%90%80%80', 'code point above U+10FFFF'],
  ])('refuses the path escape %s (%s), which is not valid UTF-8', (escape) => {
    const rejection = refused(`/crm/customers/${escape}`);
    expect(rejection.code).toBe('WARDEN_REQUEST_NOT_CANONICAL');
  });

  it('explains the refusal in the detail', () => {
    expect(refused('/a%2fb').detail).toContain('encoded `/`');
    expect(refused('/a/../b').detail).toContain('`..` segment');
    expect(refused('/a/').detail).toContain('trailing slash');
    expect(refused('/a;x').detail).toContain('matrix');
    expect(refused('http://x/y').detail).toContain('origin-form');
    expect(refused('/a/%C0%AE').detail).toContain('UTF-8');
    expect(refused('/a/%252e').detail).toContain('double-encoded');
  });
});

describe('canonicalTarget: queries', () => {
  it.each([
    // `+` means a space and is forwarded as %20, so every upstream reads a space.
    ['/s?q=a+b', '?q=a%20b', { q: 'a b' }],
    ['/s?q=a%20b', '?q=a%20b', { q: 'a b' }],
    ['/s?q=%2B', '?q=%2B', { q: '+' }],
    ['/s?q=%2b1', '?q=%2B1', { q: '+1' }],
    ['/s?q=%7e%41', '?q=~A', { q: '~A' }],
    ['/s?q=%c3%a9', '?q=%C3%A9', { q: 'é' }],
    ['/s?%71=1', '?q=1', { q: '1' }],
    // `=` after the first one is part of the value.
    ['/s?a=b=c', '?a=b=c', { a: 'b=c' }],
    ['/s?a==', '?a==', { a: '=' }],
    // A name without `=` has an empty value, and keeps its form.
    ['/s?flag', '?flag', { flag: '' }],
    ['/s?flag=', '?flag=', { flag: '' }],
    ['/s?a=1&b=2', '?a=1&b=2', { a: '1', b: '2' }],
    // `/` and `?` are data in a query.
    ['/s?next=/a/b?c', '?next=/a/b?c', { next: '/a/b?c' }],
    // Escaped separators stay escaped, so they stay data.
    ['/s?a=1%26b%3D2', '?a=1%26b%3D2', { a: '1&b=2' }],
    ['/s?a=x%3By', '?a=x%3By', { a: 'x;y' }],
    // A single %25 not followed by hex digits is a literal percent sign.
    ['/s?q=100%25', '?q=100%25', { q: '100%' }],
    ['/s?q=%25off', '?q=%25off', { q: '%off' }],
    // fetch and browsers send brackets unencoded; both spellings are accepted as they are.
    ['/s?a[]=1', '?a[]=1', { 'a[]': '1' }],
    ['/s?a%5b%5d=1', '?a%5B%5D=1', { 'a[]': '1' }],
  ])('accepts %s with the canonical query %s', (url, search, query) => {
    const target = accepted(url);
    expect(target.path).toBe('/s');
    expect(target.search).toBe(search);
    expect({ ...target.query }).toEqual(query);
  });

  it('lists the decoded query names in order', () => {
    expect(accepted('/s?b=1&%61=2&c').queryNames).toEqual(['b', 'a', 'c']);
  });

  it('returns query values in an object without a prototype, so `__proto__` is just a name', () => {
    const target = accepted('/s?__proto__=x&constructor=y');
    expect(Object.getPrototypeOf(target.query)).toBeNull();
    expect(target.query['__proto__']).toBe('x');
    expect(target.query['constructor']).toBe('y');
  });

  it.each([
    ['/s?a=1&a=2', 'repeated name'],
    ['/s?a=1&a=1', 'repeated name with the same value'],
    ['/s?a&a=1', 'repeated name, once without a value'],
    ['/s?customerId=C-1&CustomerId=C-2', 'names differing in case'],
    ['/s?a=1&A=2', 'single-letter names differing in case'],
    ['/s?a=1&a[]=2', '`a` and `a[]` (PHP, Rails, qs read them as one)'],
    ['/s?a[]=1&a[]=2', 'array syntax twice'],
    ['/s?a[x]=1&a=2', '`a[x]` and `a`'],
    ['/s?a=1&a%5B%5D=2', '`a` and an encoded `a[]`'],
    ['/s?%61=1&a=2', 'names equal once decoded'],
    ['/s?a=1&%41=2', 'names equal once decoded and case-folded'],
  ])('refuses %s (%s) as a duplicate parameter', (url) => {
    expect(refused(url).code).toBe('WARDEN_REQUEST_DUPLICATE_PARAM');
  });

  it.each([
    ['/s?_method=DELETE', '`_method`'],
    ['/s?_METHOD=DELETE', '`_method` in upper case'],
    ['/s?%5Fmethod=DELETE', '`_method` with an encoded underscore'],
    ['/s?_method', '`_method` without a value'],
    ['/s?_method[]=DELETE', '`_method[]`'],
    ['/s?_Method%5B%5D=DELETE', 'encoded `_Method[]`'],
    ['/s?a=1&_method=PUT', '`_method` after another parameter'],
  ])('refuses %s (%s) as a method override', (url) => {
    expect(refused(url).code).toBe('WARDEN_REQUEST_METHOD_OVERRIDE');
  });

  it.each([
    ['/s?&a=1', 'leading `&`'],
    ['/s?a=1&', 'trailing `&`'],
    ['/s?a=1&&b=2', '`&&`'],
    ['/s?&', '`&` alone'],
    ['/s?=1', 'empty name'],
    ['/s?=', '`=` alone'],
    ['/s?a=1&=2', 'empty name after a pair'],
    ['/s?a=1;b=2', '`;` as a separator'],
    ['/s?a;b', '`;` in a name'],
    // Double encoding: a second decoder would read %27, %2e, ...
    ['/s?q=%2527', 'double-encoded quote'],
    ['/s?q=%252e%252e', 'double-encoded dots'],
    ['/s?q=%25%32%37', 'double encoding with the hex digits themselves escaped'],
    ['/s?q=%25%34%31', 'double encoding of an unreserved letter, digits escaped'],
    ['/s?%2561=1', 'double-encoded name'],
    // NUL and control bytes in values and names.
    ['/s?q=%00', 'encoded NUL'],
    ['/s?q=a%00b', 'encoded NUL inside a value'],
    ['/s?q=%0d%0a', 'encoded CRLF'],
    ['/s?q=%7F', 'encoded DEL'],
    ['/s?%00=1', 'encoded NUL in a name'],
    ['/s?q=a\u0000b', 'raw NUL'],
    ['/s?q=a\tb', 'raw tab'],
    ['/s?q=a b', 'raw space'],
    ['/s?q="x"', 'raw double quote'],
    ['/s?q=<x>', 'raw angle brackets'],
    ['/s?q=caf\u00e9', 'raw latin1 byte'],
    // Invalid UTF-8 in values.
    ['/s?q=%C0%AE', 'overlong `.`'],
    ['/s?q=%E0%80%AF', 'three-byte overlong `/`'],
    ['/s?q=%ED%A0%80', 'surrogate'],
    ['/s?q=%80', 'lone continuation byte'],
    ['/s?q=%C3', 'truncated sequence'],
    ['/s?q=%FF', 'invalid byte'],
    ['/s?%C0%AE=1', 'invalid UTF-8 in a name'],
    // Malformed escapes.
    ['/s?q=%', 'lone percent'],
    ['/s?q=%4', 'one hex digit'],
    ['/s?q=%zz', 'non-hex digits'],
    ['/s?q=1#frag', 'fragment'],
  ])('refuses %j (%s) as not canonical', (url) => {
    expect(refused(url).code).toBe('WARDEN_REQUEST_NOT_CANONICAL');
  });

  it('refuses a bad path before looking at the query', () => {
    expect(refused('/a/../b?a=1&a=2').code).toBe('WARDEN_REQUEST_NOT_CANONICAL');
  });
});

describe('parseUrlEncoded (form bodies)', () => {
  it('decodes the pairs and builds the canonical encoding', () => {
    const form = parseUrlEncoded('orderId=O-1&amount=50&note=a+b%21');
    expect(form).toEqual({ text: 'orderId=O-1&amount=50&note=a%20b%21', values: { orderId: 'O-1', amount: '50', note: 'a b!' }, names: ['orderId', 'amount', 'note'] });
  });

  it.each([
    ['amount=50&amount=5000', 'WARDEN_REQUEST_DUPLICATE_PARAM'],
    ['amount=50&Amount=5000', 'WARDEN_REQUEST_DUPLICATE_PARAM'],
    ['amount=50&amount[]=5000', 'WARDEN_REQUEST_DUPLICATE_PARAM'],
    ['_method=DELETE', 'WARDEN_REQUEST_METHOD_OVERRIDE'],
    ['amount=50&&x=1', 'WARDEN_REQUEST_NOT_CANONICAL'],
    ['amount=50;x=1', 'WARDEN_REQUEST_NOT_CANONICAL'],
    ['amount=%00', 'WARDEN_REQUEST_NOT_CANONICAL'],
    ['amount=%2535', 'WARDEN_REQUEST_NOT_CANONICAL'],
    ['amount=%C0%AE', 'WARDEN_REQUEST_NOT_CANONICAL'],
  ])('refuses %s with %s', (text, code) => {
    const form = parseUrlEncoded(text);
    expect('code' in form && form.code).toBe(code);
  });
});

describe('duplicateKey', () => {
  it.each([
    ['customerId', 'customerid'],
    ['CUSTOMERID', 'customerid'],
    ['a[]', 'a'],
    ['a[x][y]', 'a'],
    ['[x]', ''],
  ])('folds %s to %s', (name, key) => {
    expect(duplicateKey(name)).toBe(key);
  });
});
