import { describe, expect, it } from 'vitest';
import { isCanonicalPath, joinPath, parsePathTemplate } from './path-template.js';

describe('isCanonicalPath', () => {
  it.each(['/', '/crm/customers/C-1001', '/a/b.json', '/files/report%20q1', '/users/me', '/a/.well-known', '/v1/x..y'])('accepts %s', (path) => {
    expect(isCanonicalPath(path)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['crm/customers', 'relative'],
    ['/crm/customers/../hr', 'dot-dot segment'],
    ['/crm/./customers', 'dot segment'],
    ['/crm/..', 'trailing dot-dot'],
    ['/crm/.', 'trailing dot'],
    ['/crm//customers', 'empty segment'],
    ['/crm/customers?x=1', 'query'],
    ['/crm/customers#top', 'fragment'],
    ['/crm\\customers', 'backslash'],
    ['/crm/a%2Fb', 'encoded slash'],
    ['/crm/a%2fb', 'encoded slash, lower case'],
    ['/crm/%2e%2e/hr', 'encoded dots'],
    ['/crm/a%252Fb', 'double encoding'],
    ['/crm/a%5cb', 'encoded backslash'],
    ['/crm/a%00b', 'encoded NUL'],
    ['/crm/a\u0000b', 'raw NUL'],
    ['/crm/a\nb', 'control byte'],
    ['/payments/refunds/r-1;x=1', 'matrix parameter'],
  ])('refuses %j (%s)', (path) => {
    expect(isCanonicalPath(path)).toBe(false);
  });
});

describe('parsePathTemplate', () => {
  it('turns parameters into router syntax and a shape that ignores parameter names', () => {
    const template = parsePathTemplate('/customers/{customerId}/calls/{sid}.json');
    expect(template).toMatchObject({ params: ['customerId', 'sid'], routerPath: '/customers/:customerId/calls/:sid.json', shape: '/customers/{}/calls/{}.json' });
  });

  it('escapes characters find-my-way would read as syntax', () => {
    expect(parsePathTemplate('/api/chat:postMessage')).toMatchObject({ routerPath: '/api/chat::postMessage' });
  });

  it.each([
    ['customers', 'must start with "/"'],
    ['/customers/', 'must not end with "/"'],
    ['/a//b', 'empty segment'],
    ['/a/{id}/b/{id}', 'twice'],
    ['/a/x{id}', 'whole {parameter}'],
    ['/a/{id', 'whole {parameter}'],
    ['/a/*', 'percent-encoding'],
    ['/a/../b', 'dot segment'],
  ])('refuses %s', (text, message) => {
    const template = parsePathTemplate(text);
    expect('error' in template && template.error).toContain(message);
  });
});

describe('joinPath', () => {
  it('joins base and operation paths with exactly one slash', () => {
    expect(joinPath('/', '/customers')).toBe('/customers');
    expect(joinPath('/crm', '/customers')).toBe('/crm/customers');
    expect(joinPath('/crm', '/')).toBe('/crm');
    expect(joinPath('/', '/')).toBe('/');
  });
});
