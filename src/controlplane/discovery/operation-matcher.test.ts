import { describe, expect, it } from 'vitest';
import type { DocumentedOperation } from './documented-operation.js';
import { OperationMatcher } from './operation-matcher.js';

function operation(method: string, template: string, operationId: string, extra: Partial<DocumentedOperation> = {}): DocumentedOperation {
  return { api: 'test', version: '2.0.0', method, template, operationId, deprecated: false, sunset: undefined, dataClasses: [], ...extra };
}

const matchId = (matcher: OperationMatcher, method: string, path: string): string | undefined => matcher.match(method, path)?.operationId;

describe('OperationMatcher', () => {
  it('matches a concrete path to its template', () => {
    const matcher = new OperationMatcher([operation('GET', '/customers/{id}/orders/{orderId}', 'getOrder')]);
    expect(matchId(matcher, 'GET', '/customers/8812/orders/ab12')).toBe('getOrder');
  });

  it('prefers a literal segment over a template, whichever was declared first', () => {
    for (const order of [0, 1]) {
      const operations = [operation('GET', '/users/{id}', 'getUser'), operation('GET', '/users/me', 'getMe')];
      const matcher = new OperationMatcher(order === 0 ? operations : [...operations].reverse());
      expect(matchId(matcher, 'GET', '/users/me')).toBe('getMe');
      expect(matchId(matcher, 'GET', '/users/42')).toBe('getUser');
    }
  });

  it('falls back to the template when the literal branch has no such operation deeper down', () => {
    const matcher = new OperationMatcher([operation('GET', '/users/me', 'getMe'), operation('GET', '/users/{id}/orders', 'listOrders')]);
    expect(matchId(matcher, 'GET', '/users/me/orders')).toBe('listOrders');
  });

  it('prefers `{sid}.json` over a bare `{id}`', () => {
    for (const order of [0, 1]) {
      const operations = [operation('GET', '/Calls/{id}', 'getCallBare'), operation('GET', '/Calls/{CallSid}.json', 'getCallJson')];
      const matcher = new OperationMatcher(order === 0 ? operations : [...operations].reverse());
      expect(matchId(matcher, 'GET', '/Calls/CA123.json')).toBe('getCallJson');
      expect(matchId(matcher, 'GET', '/Calls/CA123')).toBe('getCallBare');
    }
  });

  it('needs at least one character for a parameter between its literal prefix and suffix', () => {
    const matcher = new OperationMatcher([operation('GET', '/Calls/{CallSid}.json', 'getCall')]);
    expect(matchId(matcher, 'GET', '/Calls/.json')).toBeUndefined();
  });

  it('matches a parameter followed by a custom verb', () => {
    const matcher = new OperationMatcher([operation('POST', '/objects/{object}:copy', 'copyObject'), operation('GET', '/objects/{object}', 'getObject')]);
    expect(matchId(matcher, 'POST', '/objects/abc:copy')).toBe('copyObject');
    expect(matchId(matcher, 'GET', '/objects/abc')).toBe('getObject');
  });

  it('picks the newest version before an operation an older version had, whatever the order given', () => {
    const current = operation('GET', '/users/{id}', 'getUserV2');
    const removed = operation('GET', '/users/{userId}', 'getUserV1', { version: '1.0.0', removedIn: '2.0.0' });
    expect(matchId(new OperationMatcher([removed, current]), 'GET', '/users/7')).toBe('getUserV2');
    expect(matchId(new OperationMatcher([current, removed]), 'GET', '/users/7')).toBe('getUserV2');
  });

  it('still matches an operation only an older version had', () => {
    const matcher = new OperationMatcher([operation('GET', '/users/{id}', 'getUser'), operation('GET', '/users/{id}/legacy', 'getLegacy', { removedIn: '2.0.0' })]);
    expect(matcher.match('GET', '/users/7/legacy')?.removedIn).toBe('2.0.0');
  });

  it('does not match the same path under another method', () => {
    const matcher = new OperationMatcher([operation('GET', '/users/{id}', 'getUser')]);
    expect(matcher.match('DELETE', '/users/7')).toBeUndefined();
  });

  it('says whether a path is documented under some method', () => {
    const matcher = new OperationMatcher([operation('GET', '/users/{id}', 'getUser'), operation('POST', '/users', 'createUser')]);
    expect(matcher.hasPath('/users/7')).toBe(true);
    expect(matcher.hasPath('/users')).toBe(true);
    expect(matcher.hasPath('/users/7/orders')).toBe(false);
    expect(matcher.hasPath('/invoices')).toBe(false);
  });

  it('matches neither a shorter nor a longer path', () => {
    const matcher = new OperationMatcher([operation('GET', '/customers/{id}/orders', 'listOrders')]);
    expect(matchId(matcher, 'GET', '/customers/1')).toBeUndefined();
    expect(matchId(matcher, 'GET', '/customers/1/orders/2')).toBeUndefined();
  });

  it('matches the root path', () => {
    const matcher = new OperationMatcher([operation('GET', '/', 'root')]);
    expect(matchId(matcher, 'GET', '/')).toBe('root');
  });
});
