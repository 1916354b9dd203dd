import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createCrmUpstream } from './crm-upstream.js';
import { createFinanceUpstream } from './finance-upstream.js';
import { createHrUpstream } from './hr-upstream.js';
import { createItOpsUpstream } from './it-ops-upstream.js';
import { createLegacyWarehouseUpstream } from './legacy-warehouse-upstream.js';
import { createPaymentsUpstream } from './payments-upstream.js';
import { createSeedData, type SeedData } from './seed-data.js';
import { send, type RequestHandler } from './upstream-http.js';

export type DemoApi = 'crm' | 'hr' | 'finance' | 'payments' | 'it-ops' | 'legacy-warehouse';

/** The header an upstream expects from the gateway, e.g. `authorization: Bearer …` or `x-api-key: …`. */
export interface UpstreamCredential {
  readonly header: string;
  readonly value: string;
}

export interface DemoUpstreamOptions {
  /** Interface to listen on; 127.0.0.1 by default. */
  readonly host?: string;
  /** Port per API; defaults are the ports of the manifests' upstream.url, 0 picks a free port. */
  readonly ports?: Partial<Record<DemoApi, number>>;
  /** When set for an API, its upstream refuses every request without exactly this header value. */
  readonly credentials?: Partial<Record<DemoApi, UpstreamCredential>>;
}

export interface DemoUpstreams {
  /** Base URL per API, e.g. `http://127.0.0.1:9101`. */
  readonly urls: Record<DemoApi, string>;
  close(): Promise<void>;
}

/** The ports the manifests' `upstream.url` in examples/apis point at. */
export const DEMO_UPSTREAM_PORTS: Readonly<Record<DemoApi, number>> = {
  crm: 9101,
  hr: 9102,
  finance: 9103,
  payments: 9104,
  'it-ops': 9105,
  'legacy-warehouse': 9106,
};

const HANDLERS: Readonly<Record<DemoApi, (seed: SeedData) => RequestHandler>> = {
  crm: createCrmUpstream,
  hr: createHrUpstream,
  finance: createFinanceUpstream,
  payments: createPaymentsUpstream,
  'it-ops': createItOpsUpstream,
  'legacy-warehouse': createLegacyWarehouseUpstream,
};

/** Starts one HTTP server per example API, each with its own fresh copy of the seed data. */
export async function startDemoUpstreams(options: DemoUpstreamOptions = {}): Promise<DemoUpstreams> {
  const host = options.host ?? '127.0.0.1';
  const started = await Promise.allSettled(
    (Object.keys(HANDLERS) as DemoApi[]).map(async (api) => {
      const handler = HANDLERS[api](createSeedData());
      const server = createServer(serveAs(api, options.credentials?.[api], handler));
      const bound = await listen(server, host, options.ports?.[api] ?? DEMO_UPSTREAM_PORTS[api], api);
      return { api, server, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` };
    }),
  );
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    // Leave nothing half-started: the caller gets the error, not a listening remainder.
    await closeAll(servers.map(({ server }) => server));
    throw failure.reason;
  }
  return {
    urls: Object.fromEntries(servers.map(({ api, url }) => [api, url])) as Record<DemoApi, string>,
    close: () => closeAll(servers.map(({ server }) => server)),
  };
}

/** Marks every response with the API's name and, when configured, demands the upstream credential. */
function serveAs(api: DemoApi, credential: UpstreamCredential | undefined, handler: RequestHandler): RequestHandler {
  const expected = credential ? digest(credential.value) : undefined;
  const header = credential?.header.toLowerCase();
  return (req, res) => {
    res.setHeader('x-demo-upstream', api);
    if (expected && header && !matches(req, header, expected)) {
      // The request body is not needed: answer at once and let node:http discard it.
      send(res, 401, 'application/json; charset=utf-8', { error: 'missing or wrong upstream credential' });
      return;
    }
    handler(req, res);
  };
}

function matches(req: IncomingMessage, header: string, expected: Buffer): boolean {
  const sent = req.headers[header];
  // Comparing fixed-length digests in constant time leaks neither the value nor its length.
  return typeof sent === 'string' && timingSafeEqual(digest(sent), expected);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function listen(server: Server, host: string, port: number, api: DemoApi): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${host} is already in use, so the demo ${api} upstream cannot start: stop the other process (an earlier "npm start"?) or pass other ports`)
          : new Error(`the demo ${api} upstream cannot listen on ${host}:${port}: ${error.message}`),
      );
    });
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

async function closeAll(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Keep-alive connections would otherwise hold close() open until they time out.
          server.closeAllConnections();
        }),
    ),
  );
}
