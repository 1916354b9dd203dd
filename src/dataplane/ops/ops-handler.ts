import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayMetrics } from './gateway-metrics.js';

/** What the ops endpoints need to know about the gateway. */
export interface GatewayStatus {
  /** The policy version served, or undefined before the first snapshot. */
  policyVersion(): string | undefined;
  draining(): boolean;
}

/**
 * `/healthz` (the process is alive), `/readyz` (it has a snapshot and is not draining, so a
 * load balancer may send traffic) and Prometheus `/metrics`. Served on the admin port only.
 * Returns false for any other path, so the admin server can route it elsewhere.
 */
export async function handleOpsRequest(req: IncomingMessage, res: ServerResponse, status: GatewayStatus, metrics: GatewayMetrics): Promise<boolean> {
  const path = (req.url ?? '').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path === '/healthz') {
    json(res, 200, { status: 'ok' });
    return true;
  }
  if (path === '/readyz') {
    const version = status.policyVersion();
    if (version === undefined) json(res, 503, { status: 'not ready', reason: 'no policy snapshot yet' });
    else if (status.draining()) json(res, 503, { status: 'not ready', reason: 'draining for shutdown' });
    else json(res, 200, { status: 'ready', policyVersion: version });
    return true;
  }
  if (path === '/metrics') {
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return true;
  }
  return false;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
