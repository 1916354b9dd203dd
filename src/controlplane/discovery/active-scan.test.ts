import http, { type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { scanHosts, ScanTargetError, type ScanOptions, type ScanProgress } from './active-scan.js';

/** One request as the test server saw it. */
interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly arrivedAt: number;
  finishedAt?: number;
}

type Handler = (request: Received, response: ServerResponse) => void;

/** A real HTTP server on port 0 that records every request, how many overlapped, and when each ended. */
class TestHost {
  readonly received: Received[] = [];
  maxInFlight = 0;
  #inFlight = 0;
  readonly #server: Server;

  constructor(handler: Handler) {
    this.#server = http.createServer((request, response) => {
      const arrivedAt = performance.now();
      this.maxInFlight = Math.max(this.maxInFlight, ++this.#inFlight);
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received: Received = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), arrivedAt };
        this.received.push(received);
        response.on('close', () => {
          received.finishedAt = performance.now();
          this.#inFlight--;
        });
        handler(received, response);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const hosts: TestHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
});

/** Starts a host whose routes answer by "METHOD /path" and which says 404 to everything else. */
async function serve(routes: Record<string, Handler>, fallback: Handler = notFound): Promise<{ host: TestHost; url: string }> {
  const host = new TestHost((request, response) => (routes[`${request.method} ${request.path}`] ?? fallback)(request, response));
  hosts.push(host);
  return { host, url: await host.start() };
}

function notFound(_request: Received, response: ServerResponse): void {
  response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Handler {
  return (_request, response) => response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function text(body: string, contentType: string): Handler {
  return (_request, response) => response.writeHead(200, { 'content-type': contentType }).end(body);
}

function redirect(location: string, status = 302): Handler {
  return (_request, response) => response.writeHead(status, { location }).end();
}

// Small but fast: the delay between requests is not what these tests are about (one test is).
const FAST: ScanOptions = { delayMs: 0, timeoutMs: 2000, version: '9.9.9-test' };

const PETSTORE = {
  openapi: '3.0.3',
  info: { title: 'Pet Store', version: '1.4.0' },
  servers: [{ url: '/v1' }],
  paths: {
    '/pets': {
      get: { operationId: 'listPets', responses: { 200: { description: 'ok' } } },
      post: { operationId: 'createPet', deprecated: true, responses: { 201: { description: 'created' } } },
    },
    '/pets/{id}': { parameters: [], get: { responses: { 200: { description: 'ok' } } } },
  },
};

const SWAGGER_YAML = `swagger: "2.0"
info:
  title: Legacy Orders
  version: 2.0.1
host: orders.internal:8443
basePath: /orders/
schemes: [https]
paths:
  /orders:
    get:
      operationId: getOrders
  /orders/{id}:
    delete:
      operationId: cancelOrder
      deprecated: true
`;

describe('scanHosts: what counts as a finding', () => {
  it('reads an OpenAPI 3 document and lists a second location serving the same document once', async () => {
    const { url } = await serve({ 'GET /openapi.json': json(PETSTORE), 'GET /api/openapi.json': json(PETSTORE) });
    const report = await scanHosts([url], FAST);
    expect(report.hosts).toHaveLength(1);
    const [host] = report.hosts;
    expect(host).toMatchObject({ target: url, reachable: true, skipped: [] });
    expect(host!.error).toBeUndefined();
    expect(host!.findings).toEqual([{
      kind: 'openapi',
      url: `${url}/openapi.json`,
      alsoAt: [`${url}/api/openapi.json`],
      title: 'Pet Store',
      version: '1.4.0',
      specVersion: '3.0.3',
      servers: [`${url}/v1`],
      operations: [
        { method: 'GET', path: '/pets', operationId: 'listPets', deprecated: false },
        { method: 'POST', path: '/pets', operationId: 'createPet', deprecated: true },
        { method: 'GET', path: '/pets/{id}', deprecated: false },
      ],
      document: PETSTORE,
    }]);
  });

  it('reads Swagger 2.0 YAML at /v2/api-docs, with its servers from schemes, host and basePath', async () => {
    const { url } = await serve({ 'GET /v2/api-docs': text(SWAGGER_YAML, 'application/yaml') });
    const [host] = (await scanHosts([url], FAST)).hosts;
    expect(host!.findings).toHaveLength(1);
    expect(host!.findings[0]).toMatchObject({
      kind: 'openapi',
      url: `${url}/v2/api-docs`,
      title: 'Legacy Orders',
      version: '2.0.1',
      specVersion: '2.0',
      servers: ['https://orders.internal:8443/orders'],
      operations: [
        { method: 'GET', path: '/orders', operationId: 'getOrders', deprecated: false },
        { method: 'DELETE', path: '/orders/{id}', operationId: 'cancelOrder', deprecated: true },
      ],
    });
  });

  it('finds nothing on an SPA that answers every path, GET or POST, with its HTML page and 200', async () => {
    const page = '<!doctype html><html><head><title>App</title></head><body><div id="root"></div></body></html>';
    const { host, url } = await serve({}, text(page, 'text/html; charset=utf-8'));
    const [report] = (await scanHosts([url], FAST)).hosts;
    expect(report!.findings).toEqual([]);
    expect(report!.reachable).toBe(true);
    expect(report!.requests).toBe(host.received.length);
    expect(host.received.map((request) => request.method)).toContain('POST');
  });

  it('finds nothing where JSON answers are not API descriptions', async () => {
    const { url } = await serve({}, json({ openapi: '3.1.0', info: { title: 'no paths' }, data: { hello: 'world' }, jsonrpc: '2.0', id: 1, result: {} }));
    const [report] = (await scanHosts([url], FAST)).hosts;
    expect(report!.findings).toEqual([]);
  });

  it('recognises GraphQL introspection and counts query and mutation fields', async () => {
    const schema = {
      queryType: { name: 'Query' },
      mutationType: { name: 'Mutation' },
      types: [
        { name: 'Query', kind: 'OBJECT', fields: [{ name: 'customer' }, { name: 'orders' }, { name: 'invoice' }] },
        { name: 'Mutation', kind: 'OBJECT', fields: [{ name: 'refund' }] },
        { name: 'String', kind: 'SCALAR', fields: null },
      ],
    };
    const { host, url } = await serve({
      'POST /graphql': (request, response) => {
        const query = (JSON.parse(request.body) as { query: string }).query;
        json(query.includes('__schema') ? { data: { __schema: schema } } : { errors: [{ message: 'unexpected' }] })(request, response);
      },
    });
    const [report] = (await scanHosts([url], FAST)).hosts;
    expect(report!.findings).toEqual([{ kind: 'graphql', url: `${url}/graphql`, alsoAt: [], graphql: { queries: 3, mutations: 1 } }]);
    const graphqlRequest = host.received.find((request) => request.path === '/graphql')!;
    expect(graphqlRequest.headers['content-type']).toBe('application/json');
  });
});

/** An MCP Streamable HTTP endpoint; with `sse`, answers are one SSE event on a stream left open. */
function mcpServer(options: { sse: boolean; sessionId?: string }): Handler {
  return (request, response) => {
    if (request.method === 'DELETE') {
      response.writeHead(204).end();
      return;
    }
    const message = JSON.parse(request.body) as { id?: number; method: string };
    if (message.id === undefined) {
      response.writeHead(202).end();
      return;
    }
    if (message.method !== 'initialize' && options.sessionId !== undefined && request.headers['mcp-session-id'] !== options.sessionId) {
      json({ jsonrpc: '2.0', id: message.id, error: { code: -32000, message: 'bad session' } }, 400)(request, response);
      return;
    }
    const result = message.method === 'initialize'
      ? { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'files', version: '2.1.0' } }
      : { tools: [{ name: 'read_file', inputSchema: { type: 'object' } }, { name: 'write_file', inputSchema: { type: 'object' } }] };
    const reply = { jsonrpc: '2.0', id: message.id, result };
    const headers: Record<string, string> = options.sessionId !== undefined && message.method === 'initialize' ? { 'mcp-session-id': options.sessionId } : {};
    if (!options.sse) {
      json(reply, 200, headers)(request, response);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
    response.write(': keep-alive\r\n\r\n');
    response.write(`event: message\r\nid: 1\r\ndata: ${JSON.stringify(reply)}\r\n\r\n`);
    // Left open on purpose: the scanner must stop at the answer, not wait for the stream to end.
  };
}

describe('scanHosts: MCP', () => {
  it('initializes, confirms, lists tools with the session id, and ends the session', async () => {
    const { host, url } = await serve({ 'POST /mcp': mcpServer({ sse: false, sessionId: 'sess-42' }), 'DELETE /mcp': mcpServer({ sse: false }) });
    const [report] = (await scanHosts([url], FAST)).hosts;
    expect(report!.findings).toEqual([{
      kind: 'mcp', url: `${url}/mcp`, alsoAt: [], title: 'files', version: '2.1.0', specVersion: '2025-06-18', tools: ['read_file', 'write_file'],
    }]);
    const exchange = host.received.filter((request) => request.path === '/mcp');
    expect(exchange.map((request) => `${request.method} ${request.body === '' ? '' : (JSON.parse(request.body) as { method: string }).method}`.trim()))
      .toEqual(['POST initialize', 'POST notifications/initialized', 'POST tools/list', 'DELETE']);
    expect(exchange[0]!.headers.accept).toBe('application/json, text/event-stream');
    expect(exchange[0]!.headers['mcp-session-id']).toBeUndefined();
    expect(JSON.parse(exchange[0]!.body)).toMatchObject({ params: { protocolVersion: '2025-06-18', clientInfo: { name: 'warden-discovery', version: '9.9.9-test' } } });
    for (const later of exchange.slice(1)) {
      expect(later.headers['mcp-session-id']).toBe('sess-42');
      expect(later.headers['mcp-protocol-version']).toBe('2025-06-18');
    }
  });

  it('reads a single-event SSE answer without waiting for the stream to close', async () => {
    const { url } = await serve({ 'POST /mcp': mcpServer({ sse: true, sessionId: 'sse-session' }), 'DELETE /mcp': mcpServer({ sse: true }) });
    const started = performance.now();
    const [report] = (await scanHosts([url], { ...FAST, timeoutMs: 3000 })).hosts;
    expect(report!.findings).toMatchObject([{ kind: 'mcp', tools: ['read_file', 'write_file'] }]);
    expect(report!.skipped).toEqual([]);
    // Two open streams waited out to the timeout would take 6 s.
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('scanHosts: redirects, timeouts and size', () => {
  it('follows a same-host redirect and never fetches an off-host one', async () => {
    const other = await serve({}, json(PETSTORE));
    const { url } = await serve({
      'GET /openapi.json': redirect('/specs/current/openapi.json'),
      'GET /specs/current/openapi.json': json(PETSTORE),
      'GET /v3/api-docs': redirect(`${other.url}/v3/api-docs`, 301),
    });
    const [report] = (await scanHosts([url], FAST)).hosts;
    expect(report!.findings).toMatchObject([{ kind: 'openapi', url: `${url}/specs/current/openapi.json`, title: 'Pet Store' }]);
    expect(report!.skipped).toEqual([{ url: `${url}/v3/api-docs`, reason: `redirected off host to ${other.url}/v3/api-docs; not followed` }]);
    expect(other.host.received).toHaveLength(0);
  });

  it('stops following after three redirects', async () => {
    const { host, url } = await serve({
      'GET /openapi.json': redirect('/a'),
      'GET /a': redirect('/b'),
      'GET /b': redirect('/c'),
      'GET /c': redirect('/d'),
      'GET /d': json(PETSTORE),
    });
    const [report] = (await scanHosts([url], FAST)).hosts;
    expect(report!.findings).toEqual([]);
    expect(report!.skipped).toEqual([{ url: `${url}/openapi.json`, reason: 'more than 3 redirects; not followed further' }]);
    expect(host.received.map((request) => request.path)).not.toContain('/d');
  });

  it('gives up on a slow answer after the timeout and goes on with the other locations', async () => {
    const { url } = await serve({
      'GET /openapi.json': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"openapi":"3.0.0",'); // and nothing more until the connection is closed
      },
      'GET /swagger.json': json(PETSTORE),
    });
    const [report] = (await scanHosts([url], { ...FAST, timeoutMs: 300 })).hosts;
    expect(report!.skipped).toEqual([{ url: `${url}/openapi.json`, reason: 'no complete answer within 300 ms' }]);
    expect(report!.findings).toMatchObject([{ kind: 'openapi', url: `${url}/swagger.json` }]);
    expect(report!.error).toBeUndefined();
  });

  it('stops reading an answer beyond the size cap, declared or streamed', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const { url } = await serve({
      'GET /openapi.json': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(4 * 1024 * 1024) });
        response.write(chunk);
      },
      'GET /v3/api-docs': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        // Chunked, no length: 3 MiB written as fast as the client takes it.
        for (let sent = 0; sent < 48; sent++) response.write(chunk);
        response.end();
      },
      'GET /swagger.json': json(PETSTORE),
    });
    const [report] = (await scanHosts([url], { ...FAST, maxBodyBytes: 1024 * 1024 })).hosts;
    expect(report!.skipped).toEqual([
      { url: `${url}/openapi.json`, reason: 'answer larger than 1 MiB; stopped reading' },
      { url: `${url}/v3/api-docs`, reason: 'answer larger than 1 MiB; stopped reading' },
    ]);
    expect(report!.findings).toMatchObject([{ url: `${url}/swagger.json` }]);
  });
});

describe('scanHosts: politeness', () => {
  it('keeps to the request budget, one request at a time, with the delay between requests', async () => {
    const { host, url } = await serve({});
    const events: ScanProgress[] = [];
    const [report] = (await scanHosts([url], { ...FAST, maxRequestsPerHost: 6, delayMs: 30, onProgress: (event) => events.push(event) })).hosts;
    expect(host.received).toHaveLength(6);
    expect(report!.requests).toBe(6);
    expect(host.maxInFlight).toBe(1);
    for (let index = 1; index < host.received.length; index++) {
      expect(host.received[index]!.arrivedAt - host.received[index - 1]!.finishedAt!).toBeGreaterThanOrEqual(25);
    }
    expect(report!.skipped.length).toBeGreaterThan(0);
    expect(report!.skipped.every((skip) => skip.reason === 'request budget of 6 per host spent')).toBe(true);
    expect(events.filter((event) => event.status === 404)).toHaveLength(6);
    expect(events[0]).toEqual({ target: url, url: `${url}/openapi.json`, status: 404 });
    expect(host.received[0]!.headers['user-agent']).toBe('warden-discovery/9.9.9-test (+scan)');
  });

  it('shares one budget and one request at a time between targets on the same host', async () => {
    const { host, url } = await serve({ 'GET /api/openapi.json': json(PETSTORE) });
    const report = await scanHosts([url, `${url}/api`], { ...FAST, maxRequestsPerHost: 30, hostConcurrency: 4 });
    expect(host.received.length).toBeLessThanOrEqual(30);
    expect(host.maxInFlight).toBe(1);
    // The second target reuses what the first already probed at the origin rather than asking twice.
    expect(new Set(host.received.map((request) => `${request.method} ${request.path}`)).size).toBe(host.received.length);
    expect(report.hosts.map((entry) => entry.findings.map((finding) => finding.url))).toEqual([[`${url}/api/openapi.json`], [`${url}/api/openapi.json`]]);
  });

  it('reports a closed port as unreachable with the reason, after one request', async () => {
    const closed = await serve({});
    await closed.host.stop();
    hosts.splice(hosts.indexOf(closed.host), 1);
    const [report] = (await scanHosts([closed.url], FAST)).hosts;
    expect(report).toMatchObject({ target: closed.url, reachable: false, requests: 1, findings: [] });
    expect(report!.error).toBe(`cannot connect to ${closed.url}: connection refused (ECONNREFUSED)`);
  });

  it('sends an operator-supplied Authorization header but never reports it', async () => {
    const secret = 'Bearer s3cr3t-token-value';
    const { host, url } = await serve({ 'GET /openapi.json': json(PETSTORE) });
    const events: ScanProgress[] = [];
    const report = await scanHosts([url], { ...FAST, headers: { Authorization: secret }, onProgress: (event) => events.push(event) });
    expect(host.received.every((request) => request.headers.authorization === secret)).toBe(true);
    expect(JSON.stringify(report)).not.toContain('s3cr3t');
    expect(JSON.stringify(events)).not.toContain('s3cr3t');
    expect(host.received.every((request) => request.headers.cookie === undefined)).toBe(true);
  });

  it('stops when aborted', async () => {
    const { url } = await serve({}, () => undefined); // never answers
    const controller = new AbortController();
    const scan = scanHosts([url], { ...FAST, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('operator cancelled')), 50);
    await expect(scan).rejects.toThrow('operator cancelled');
  });
});

describe('scanHosts: targets', () => {
  it.each([
    ['ftp://example.com/', /only http: and https:/],
    ['file:///etc/passwd', /only http: and https:/],
    ['https://admin:hunter2@example.com/', /credentials/],
    ['https://example.com/api#docs', /fragment/],
    ['https://example.com/api?x=1', /query/],
    ['example.com', /not a URL/],
  ])('refuses %s before sending anything', async (target, message) => {
    const error = await scanHosts([target]).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ScanTargetError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('names every bad target at once', async () => {
    await expect(scanHosts(['ftp://a/', 'https://ok.example/', 'gopher://b/'])).rejects.toThrow(/ftp:.*; .*gopher:/);
  });
});
