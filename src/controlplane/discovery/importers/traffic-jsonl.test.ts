import { describe, expect, it } from 'vitest';
import { parseTrafficJsonLine } from './traffic-jsonl.js';

const parse = (record: unknown) => parseTrafficJsonLine(JSON.stringify(record));

describe('parseTrafficJsonLine', () => {
  it('reads method, path, status, time, host and client', () => {
    expect(parse({ time: '2026-03-15T09:00:00.000Z', method: 'get', path: '/v1/customers/42', status: 200, host: 'API.example.com', client: 'svc-billing' })).toEqual({
      observation: expect.objectContaining({ method: 'GET', path: '/v1/customers/42', queryNames: undefined, status: 200, time: Date.UTC(2026, 2, 15, 9), host: 'api.example.com', client: 'svc-billing' }),
    });
  });

  it('reads epoch seconds and milliseconds, as numbers or strings', () => {
    const at = Date.UTC(2026, 2, 15, 9, 0, 1);
    for (const time of [1773565201, 1773565201000, '1773565201', '2026-03-15T10:00:01+01:00']) {
      expect(parse({ time, method: 'GET', path: '/', status: 200 }), String(time)).toMatchObject({ observation: { time: at } });
    }
    expect(parse({ method: 'GET', path: '/', status: 200 })).toMatchObject({ observation: { time: undefined } });
  });

  it('keeps the names of the query, never its values', () => {
    const parsed = parse({ method: 'GET', path: '/v1/customers?email=jane.doe%40example.com&fields=name', status: '200' });
    expect(parsed).toMatchObject({ observation: { path: '/v1/customers', queryNames: ['email', 'fields'], status: 200 } });
    expect(JSON.stringify(parsed)).not.toMatch(/jane|doe|example/);
  });

  it('takes the host from an absolute `url`, unless `host` says otherwise', () => {
    expect(parse({ method: 'GET', url: 'https://api.example.com:8443/v1/x?y=1#top', status: 200 })).toMatchObject({ observation: { host: 'api.example.com:8443', path: '/v1/x', queryNames: ['y'] } });
    expect(parse({ method: 'GET', url: 'https://api.example.com/v1/x', host: 'internal:8080', status: 200 })).toMatchObject({ observation: { host: 'internal:8080' } });
  });

  it('says what is missing or wrong', () => {
    for (const [record, message] of [
      [{ path: '/', status: 200 }, /no `method`/],
      [{ method: 'GET', status: 200 }, /no `path` or `url`/],
      [{ method: 'GET', path: '/' }, /no `status`/],
      [{ method: 'GET', path: '/', status: 'ok' }, /status "ok" is not a status code/],
      [{ method: 'GET', path: '/', status: 1200 }, /status "1200"/],
      [{ method: 'GET', path: '/', status: 200, time: 'noon' }, /time "noon" is neither an ISO 8601 time nor an epoch number/],
      [{ method: 'GET', path: '*', status: 200 }, /request target "\*"/],
      [[1, 2], /not a JSON object/],
      ['a string', /not a JSON object/],
    ] as const) {
      expect(parse(record), JSON.stringify(record)).toEqual({ problem: expect.stringMatching(message) });
    }
    expect(parseTrafficJsonLine('{"method":"GET",')).toEqual({ problem: 'not JSON' });
  });
});
