import { describe, expect, it } from 'vitest';
import { COMBINED_LINE, parseNginxLine } from './nginx-combined.js';

const line = (request: string, rest = '200 512 "-" "curl/8.5.0"', prefix = '203.0.113.7 - -') => `${prefix} [15/Mar/2026:09:00:00 +0000] "${request}" ${rest}`;

describe('parseNginxLine', () => {
  it('reads method, path, query names, status and time of a combined line', () => {
    expect(parseNginxLine(line('GET /v1/customers/42?fields=name&email=bob%40example.com HTTP/1.1'))).toEqual({
      observation: expect.objectContaining({ method: 'GET', path: '/v1/customers/42', queryNames: ['fields', 'email'], status: 200, time: Date.UTC(2026, 2, 15, 9), host: undefined, client: undefined }),
    });
  });

  it('applies the $time_local offset', () => {
    const parsed = parseNginxLine('::1 - - [15/Mar/2026:10:30:00 +0130] "GET / HTTP/1.1" 200 0 "-" "-"');
    expect(parsed).toMatchObject({ observation: { time: Date.UTC(2026, 2, 15, 9) } });
    expect(parseNginxLine('::1 - - [31/Dec/2025:19:00:00 -0500] "GET / HTTP/1.1" 200 0 "-" "-"')).toMatchObject({ observation: { time: Date.UTC(2026, 0, 1) } });
  });

  it('takes $remote_user as the client, and an address never', () => {
    expect(parseNginxLine(line('GET / HTTP/1.1', undefined, '2001:db8::5 - alice'))).toMatchObject({ observation: { client: 'alice' } });
    expect(parseNginxLine(line('GET / HTTP/1.1', undefined, '2001:db8::5 - -'))).toMatchObject({ observation: { client: undefined } });
    // Some setups log X-Forwarded-For first, with spaces in it.
    expect(parseNginxLine(line('GET / HTTP/1.1', undefined, '203.0.113.50, 10.0.0.1 - bob'))).toMatchObject({ observation: { client: 'bob' } });
  });

  it('tolerates fields after the user agent, escaped quotes, a common-format line and HTTP/0.9', () => {
    expect(parseNginxLine(line('DELETE /v1/x HTTP/1.1', '204 0 "-" "agent \\"v2\\"" "203.0.113.50, 10.0.0.1" 0.012 0.010 api.example.com'))).toMatchObject({ observation: { method: 'DELETE', path: '/v1/x', status: 204 } });
    expect(parseNginxLine(line('GET /v1/x HTTP/1.0', '200 -'))).toMatchObject({ observation: { status: 200 } });
    expect(parseNginxLine(line('GET /v1/x', '200 12'))).toMatchObject({ observation: { path: '/v1/x' } });
  });

  it('takes the host from an absolute-form target', () => {
    expect(parseNginxLine(line('GET http://API.example.com:80/v1/health HTTP/1.1'))).toMatchObject({ observation: { host: 'api.example.com', path: '/v1/health' } });
  });

  it('skips what is no HTTP request: "-", a TLS handshake, `*`, CONNECT, a malformed line', () => {
    const problems = [
      [line('-', '400 0 "-" "-"'), /no request line/],
      [line('\\x16\\x03\\x01\\x00\\xF1\\x01\\x00\\x00\\xED\\x03\\x03', '400 157 "-" "-"'), /not an HTTP request \(a TLS handshake/],
      [line('OPTIONS * HTTP/1.1'), /request target "\*"/],
      [line('CONNECT api.example.com:443 HTTP/1.1', '400 0 "-" "-"'), /request target "api.example.com:443"/],
      [line('GET /a b HTTP/1.1'), /malformed/],
      [line('GET /a XTTP/1.1'), /malformed/],
      [line('GET / HTTP/1.1', '2000 0 "-" "-"'), /status "2000"/],
      ['203.0.113.7 - - [15/Mar/2026:09:00:00 +0000] "GET / HTTP/1.1" 200 0 "-" "-"'.replace('Mar', 'Foo'), /not an nginx \$time_local/],
      ['not a log line at all', /not an nginx combined log line/],
      ['1.2.3.4 - [15/Mar/2026:09:00:00 +0000] "GET / HTTP/1.1" 200 0', /not an nginx combined log line/],
      ['1.2.3.4 - - [15/Mar/2026:09:00:00 +0000] "GET / HTTP/1.1', /not an nginx combined log line/],
    ] as const;
    for (const [text, message] of problems) expect(parseNginxLine(text), text).toEqual({ problem: expect.stringMatching(message) });
  });

  it('detects combined lines, and neither the pattern nor the parser backtracks on a hostile line', () => {
    expect(COMBINED_LINE.test(line('GET / HTTP/1.1'))).toBe(true);
    expect(COMBINED_LINE.test(line('\\x16\\x03', '400 0 "-" "-"'))).toBe(true);
    const hostile = `1.2.3.4 - - [15/Mar/2026:09:00:00 +0000] "${'\\"'.repeat(50_000)}`;
    expect(COMBINED_LINE.test(hostile)).toBe(false);
    expect(parseNginxLine(hostile)).toEqual({ problem: expect.stringMatching(/not an nginx combined/) });
  });
});
