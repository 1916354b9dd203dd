/**
 * The fast upstream both proxies forward to: node:http answering every request with the same
 * small JSON body, so what the benchmark measures is the proxy in front of it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpuMeter, serve } from './ipc.js';
import { CUSTOMER_RECORD, type UpstreamReady } from './scenario.js';

// `--record`: a customer record of about 1 KB with personal data in it, the answer field rules filter.
const BODY = Buffer.from(JSON.stringify(process.argv.includes('--record') ? CUSTOMER_RECORD : { id: '42', name: 'benchmark item', region: 'eu', stock: 17, tags: ['fast', 'small'] }));
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

let served = 0;
const server = http.createServer((req, res) => {
  served++;
  // Requests carry no body here, but drain whatever comes so the connection stays usable.
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
// Longer than the proxies' pool keep-alive (4 s), so the proxies always close first.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serve(
    {
      ...cpuMeter(),
      served: () => served,
      close: () => {
        server.closeAllConnections();
        server.close();
        setTimeout(() => process.exit(0), 20);
        return true;
      },
    },
    { url: `http://127.0.0.1:${port}` } satisfies UpstreamReady,
  );
});
