import { describe, expect, it } from 'vitest';
import { parseEnvoyLine } from './envoy-json.js';

const istio = (fields: Record<string, unknown>) =>
  JSON.stringify({
    authority: 'reviews:9080',
    bytes_received: 0,
    bytes_sent: 295,
    downstream_remote_address: '10.244.0.7:46562',
    duration: 3,
    method: 'GET',
    path: '/reviews/0',
    protocol: 'HTTP/1.1',
    request_id: '5a2c4e7b-2e3d-9d1f-a6b8-1c2d3e4f5a6b',
    response_code: 200,
    response_flags: '-',
    start_time: '2026-03-15T09:00:00.123Z',
    upstream_cluster: 'inbound|9080||',
    upstream_host: '10.244.0.12:9080',
    upstream_service_time: '2',
    user_agent: 'Envoy/HC',
    x_forwarded_for: null,
    ...fields,
  });

describe('parseEnvoyLine', () => {
  it("reads Istio's default JSON access log", () => {
    expect(parseEnvoyLine(istio({}))).toEqual({
      observation: expect.objectContaining({ method: 'GET', path: '/reviews/0', queryNames: undefined, status: 200, time: Date.UTC(2026, 2, 15, 9, 0, 0, 123), host: 'reviews:9080', client: undefined }),
    });
  });

  it('keeps query names only: a token in the query never reaches the call', () => {
    const parsed = parseEnvoyLine(istio({ path: '/v1/payments?token=tok_s3cr3t&amount=12' }));
    expect(parsed).toMatchObject({ observation: { path: '/v1/payments', queryNames: ['token', 'amount'] } });
    expect(JSON.stringify(parsed)).not.toContain('tok_s3cr3t');
  });

  it('reads `-` and null as absent, response_code 0 or missing as no response, and a string code', () => {
    expect(parseEnvoyLine(istio({ authority: '-', start_time: null, response_code: 0, response_flags: 'DC' }))).toMatchObject({ observation: { host: undefined, time: undefined, status: 0 } });
    expect(parseEnvoyLine(istio({ response_code: '-' }))).toMatchObject({ observation: { status: 0 } });
    expect(parseEnvoyLine(istio({ response_code: null }))).toMatchObject({ observation: { status: 0 } });
    expect(parseEnvoyLine(istio({ response_code: '503' }))).toMatchObject({ observation: { status: 503 } });
  });

  it('accepts the :method, :path and :authority spellings, and a SPIFFE peer as the client', () => {
    const line = JSON.stringify({ ':method': 'put', ':path': '/v1/x', ':authority': 'API.EXAMPLE.COM:443', response_code: 204, downstream_peer_uri_san: 'spiffe://cluster.local/ns/default/sa/billing' });
    expect(parseEnvoyLine(line)).toMatchObject({ observation: { method: 'PUT', path: '/v1/x', host: 'api.example.com', status: 204, client: 'spiffe://cluster.local/ns/default/sa/billing' } });
  });

  it('skips TCP entries and lines it cannot read', () => {
    for (const [text, message] of [
      [istio({ method: null, path: null, response_code: 0 }), /no HTTP method/],
      [istio({ method: '-' }), /no HTTP method/],
      [istio({ path: '-' }), /no `path`/],
      [istio({ method: 'G E T' }), /method "G E T" is not an HTTP method/],
      [istio({ response_code: 'UH' }), /response_code "UH"/],
      [istio({ start_time: 'soon' }), /start_time "soon"/],
      [istio({ path: '*' }), /request target "\*"/],
      ['[1,2]', /not a JSON object/],
      ['{"method":', /not JSON/],
    ] as const) {
      expect(parseEnvoyLine(text), text).toEqual({ problem: expect.stringMatching(message) });
    }
  });
});
