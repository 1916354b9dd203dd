import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { harCall, harEntries } from './har.js';

const samples = new URL('../../../../test/discovery/samples/', import.meta.url);
const readSample = async (name: string) => harEntries(await readFile(new URL(name, samples), 'utf8')).map((entry) => harCall(entry));
const fingerprint = (value: string) => `fp:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
const CHROME_BEARER = 'Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2VuLWNocm9tZQ.sig-AAAA';

/** An entry with only the fields read; HAR tools omit many optional ones. */
const entry = (response: Record<string, unknown>, headers: { name: string; value: string }[] = []) => ({
  startedDateTime: '2026-03-15T09:00:00.000Z',
  request: { method: 'GET', url: 'https://api.example.com/v1/x', headers },
  response: { status: 200, ...response },
});
const shapeOf = (content: Record<string, unknown>) => {
  const parsed = harCall(entry({ content }));
  return 'observation' in parsed ? parsed.observation.responseShape : parsed.problem;
};

describe('HAR import', () => {
  it("reads a Chrome export: methods, paths, query names, hosts, times, statuses, callers and response shapes", async () => {
    const calls = await readSample('chrome.har');
    expect(calls.map((call) => ('observation' in call ? call.observation : call))).toEqual([
      expect.objectContaining({ method: 'GET', path: '/v1/customers/42', queryNames: ['fields', 'email'], status: 200, time: Date.parse('2026-03-15T09:00:00.120Z'), host: 'api.example.com', client: fingerprint(CHROME_BEARER), responseShape: 'email,id,name,tier' }),
      expect.objectContaining({ method: 'POST', path: '/v1/customers/42/notes', queryNames: undefined, status: 201, host: 'api.example.com', client: fingerprint('wk_live_s3cr3t-api-key-value'), responseShape: '[by,createdAt,noteId]' }),
      expect.objectContaining({ method: 'OPTIONS', path: '/v1/customers/42/notes', status: 204, client: undefined, responseShape: undefined }),
      expect.objectContaining({ method: 'GET', path: '/v1/customers', queryNames: ['page'], client: fingerprint(CHROME_BEARER), responseShape: '[]' }),
      // Blocked by the browser: no response, status 0.
      expect.objectContaining({ method: 'GET', path: '/pixel.gif', queryNames: ['uid'], status: 0, host: 'tracker.example.net' }),
      expect.objectContaining({ method: 'GET', path: '/v1/events', status: 101, host: 'api.example.com' }),
      { problem: expect.stringMatching(/request target "data:image\/png;base64,iVBORw0KGgo=" is neither/) },
    ]);
  });

  it('reads a Firefox export, with its zone offsets, Basic credentials and fragments', async () => {
    const calls = await readSample('firefox.har');
    expect(calls).toEqual([
      { observation: expect.objectContaining({ method: 'GET', path: '/v1/customers/7/orders', queryNames: ['status'], status: 200, time: Date.UTC(2026, 2, 15, 9, 0, 0, 250), host: 'localhost:8080', client: fingerprint('Basic YWxpY2U6czNjcjN0LWJhc2ljLXBhc3N3b3Jk'), responseShape: 'next,orders,total' }) },
      { observation: expect.objectContaining({ method: 'DELETE', path: '/v1/customers/7/orders/o-1', status: 404, client: undefined, responseShape: undefined }) },
    ]);
  });

  it('keeps no credential, cookie, query value or response value of the capture', async () => {
    const text = JSON.stringify([...(await readSample('chrome.har')), ...(await readSample('firefox.har'))]);
    for (const secret of ['eyJhbGciOiJIUzI1NiJ9', 'sig-AAAA', 's3cr3t', 'wk_live', 'YWxpY2U6', 'session', 'jane', 'Jane', 'gold']) expect(text, secret).not.toContain(secret);
  });

  it('fingerprints Authorization before X-Api-Key and api-key, whatever the header case', () => {
    const clientOf = (headers: { name: string; value: string }[]) => {
      const parsed = harCall(entry({}, headers));
      return 'observation' in parsed ? parsed.observation.client : parsed.problem;
    };
    expect(clientOf([{ name: 'api-key', value: 'k1' }, { name: 'AUTHORIZATION', value: 'Bearer t' }])).toBe(fingerprint('Bearer t'));
    expect(clientOf([{ name: 'api-key', value: 'k1' }, { name: 'x-api-key', value: 'k2' }])).toBe(fingerprint('k2'));
    expect(clientOf([{ name: 'Api-Key', value: 'k1' }])).toBe(fingerprint('k1'));
    expect(clientOf([{ name: 'Cookie', value: 'session=x' }, { name: 'authorization', value: '' }])).toBeUndefined();
  });

  it('fingerprints a JSON response by its keys: objects, arrays, base64 bodies; never a body too large or not JSON', () => {
    expect(shapeOf({ mimeType: 'application/json; charset=utf-8', text: '{"b":1,"a":{"nested":true}}' })).toBe('a,b');
    expect(shapeOf({ mimeType: 'application/problem+json', text: Buffer.from('{"type":"x","title":"y"}').toString('base64'), encoding: 'base64' })).toBe('title,type');
    expect(shapeOf({ mimeType: 'application/json', text: '[{"id":1,"name":"x"},{"other":2}]' })).toBe('[id,name]');
    expect(shapeOf({ mimeType: 'application/json', text: '[]' })).toBe('[]');
    expect(shapeOf({ mimeType: 'application/json', text: '[1,2]' })).toBe('[]');
    // A map keyed by e-mail addresses: the keys are data, and show as one `*`.
    expect(shapeOf({ mimeType: 'application/json', text: '{"jane@example.com":1,"bob@example.com":2,"total":2}' })).toBe('*,total');
    expect(shapeOf({ mimeType: 'application/json', text: '42' })).toBeUndefined();
    expect(shapeOf({ mimeType: 'application/json', text: '{"truncated":' })).toBeUndefined();
    expect(shapeOf({ mimeType: 'text/html', text: '{"a":1}' })).toBeUndefined();
    expect(shapeOf({ mimeType: 'application/json' })).toBeUndefined();
    expect(shapeOf({ mimeType: 'application/json', text: `{"a":"${'x'.repeat(1024 * 1024)}"}` })).toBeUndefined();
  });

  it('skips entries it cannot read, and refuses a document that is no HAR', () => {
    expect(harCall(null)).toEqual({ problem: 'the entry has no `request`' });
    expect(harCall({ request: { method: 'GET' } })).toEqual({ problem: 'the entry has no `request.url`' });
    expect(harCall({ request: { method: 'GET /', url: 'https://x/' } })).toEqual({ problem: expect.stringMatching(/request.method "GET \/"/) });
    expect(harCall({ ...entry({}), response: { status: 'OK' } })).toEqual({ problem: expect.stringMatching(/response.status "OK"/) });
    expect(harCall({ ...entry({}), startedDateTime: 'then' })).toEqual({ problem: expect.stringMatching(/startedDateTime "then"/) });
    expect(harCall({ request: entry({}).request })).toMatchObject({ observation: { status: 0, time: undefined } });
    expect(() => harEntries('{"log":{}}')).toThrow('not a HAR file: there is no `log.entries` array');
    expect(() => harEntries('{"log":')).toThrow(/not a HAR file: it is not JSON/);
  });
});
