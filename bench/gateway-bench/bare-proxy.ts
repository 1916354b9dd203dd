/**
 * The baseline: the least a Node reverse proxy does. node:http in, an undici Pool (the same
 * settings as Warden's forward filter) out, hop-by-hop headers dropped, bodies piped both ways,
 * no checks. Usage (forked by the benchmark): bare-proxy.js <upstream URL> [streamed|pipeline]
 *
 * `streamed` (the default) writes the response body by hand, as Warden does; `pipeline` uses
 * stream.pipeline, the idiomatic way, which costs about 60 µs more per request on Node 20.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import { cpuMeter, serve } from './ipc.js';
import type { ProxyReady } from './scenario.js';

const upstream = process.argv[2];
const style = process.argv[3] ?? 'streamed';
if (upstream === undefined || (style !== 'streamed' && style !== 'pipeline')) throw new Error('usage: bare-proxy.js <upstream URL> [streamed|pipeline]');

// Hop-by-hop headers (and Host, which the pool sets): a proxy must not pass these on.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'proxy-authorization', 'proxy-authenticate']);

const pool = new Pool(upstream, { connect: { timeout: 5_000 }, headersTimeout: 30_000, bodyTimeout: 30_000, keepAliveTimeout: 4_000 });

const server = http.createServer((req, res) => {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name)) headers.push(name, raw[i + 1]!);
  }
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.request({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers, body: hasBody ? req : null }).then(
    (response) => {
      const out: Record<string, string | string[]> = {};
      for (const name in response.headers) {
        const value = response.headers[name];
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(response.statusCode, out);
      if (style === 'pipeline') return void pipeline(response.body, res, () => undefined);
      // Streamed by hand, as Warden's gateway does (stream.pipeline costs a DOMException per call).
      const body = response.body;
      body.on('data', (chunk: Buffer) => {
        if (!res.write(chunk)) body.pause();
      });
      res.on('drain', () => body.resume());
      res.once('close', () => {
        if (!body.readableEnded) body.destroy();
      });
      body.once('end', () => res.end());
      body.once('error', () => res.destroy());
    },
    () => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('upstream unavailable');
    },
  );
});
// As Warden's agent listener.
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serve(
    {
      ...cpuMeter(),
      close: async () => {
        server.closeAllConnections();
        server.close();
        await pool.close();
        setTimeout(() => process.exit(0), 20);
        return true;
      },
    },
    { url: `http://127.0.0.1:${port}` } satisfies ProxyReady,
  );
});
