import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import type { GatewayConfig } from '../model/config/gateway-config.js';
import type { AccessRequestSink } from './access-request-sink.js';
import type { ApprovalSink } from './approval-sink.js';
import type { AuditSink } from './audit-sink.js';
import { authorizeFilter } from './filters/authorize/authorize-filter.js';
import { forwardFilter, type ForwardFilter } from './filters/forward/forward-filter.js';
import { UpstreamCredentials } from './filters/forward/upstream-credentials.js';
import { upstreamBodyFailure } from './filters/forward/upstream-failure.js';
import { guardFilter } from './filters/guard/guard-filter.js';
import { identifyFilter } from './filters/identify/identify-filter.js';
import { limitFilter, rateLimitHeaders, type LimitFilter } from './filters/limit/limit-filter.js';
import type { LimiterBackend } from './filters/limit/limiter.js';
import { createLimiter } from './filters/limit/create-limiter.js';
import { UpstreamHealth } from './filters/limit/upstream-health.js';
import { TokenVerifier } from './filters/identify/token-verifier.js';
import { timeOrderedId } from './filters/record/event-id.js';
import { recordFilter, traceId, type RecordFilter } from './filters/record/record-filter.js';
import { responseFilter } from './filters/response/response-filter.js';
import { routeFilter } from './filters/route/route-filter.js';
import { ACCESS_REQUESTS_PATH, selfServiceFilter } from './filters/self-service/self-service-filter.js';
import type { GatewayState } from './gateway-state.js';
import { GatewayMetrics } from './ops/gateway-metrics.js';
import { handleOpsRequest } from './ops/ops-handler.js';
import type { Filter, Verdict } from './pipeline/filter.js';
import { problemBody } from './pipeline/problem.js';
import { apiOf, RequestContext } from './pipeline/request-context.js';

export interface GatewayOptions {
  /** Validated config, defaults applied. */
  readonly config: GatewayConfig;
  /** Folder relative config paths (TLS files, JWKS files) are resolved against. */
  readonly baseDirectory: string;
  readonly sink: AuditSink;
  /** Takes agents' access requests (the control plane); without it the gateway refuses them. */
  readonly accessRequests?: AccessRequestSink;
  /** Takes step-up approvals (the control plane); without it step-up calls are refused. */
  readonly approvals?: ApprovalSink;
  /** The rate limiter; by default the one `rateLimits` configures (in memory unless Redis is set). */
  readonly limiter?: LimiterBackend;
  readonly state?: GatewayState;
  readonly credentials?: UpstreamCredentials;
  /** Name of this gateway process in audit records; defaults to the host name. */
  readonly node?: string;
  /**
   * Whether the gateway serves health and metrics on the admin port itself (default). In the
   * all-in-one process the admin API owns that port and calls `ops()` for those paths.
   */
  readonly adminListener?: boolean;
  /**
   * Key of the pseudonyms the `hash` masking style gives (HMAC-SHA256). Gateways that share it
   * give one value the same pseudonym; without it a random key lasts as long as this process.
   */
  readonly pseudonymKey?: Buffer;
}

export interface GatewayAddresses {
  readonly agent: AddressInfo;
  /** Undefined when the admin port is served by someone else (`adminListener: false`). */
  readonly admin: AddressInfo | undefined;
}

// Headers of the upstream's response that describe its connection to us, not the message.
const HOP_BY_HOP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-connection']);

/**
 * The data plane (DESIGN.md §4): the agent listener running the filter chain
 * identify → route → authorize → limit → guard → forward → response → record, and the admin
 * listener with health and metrics. It evaluates an immutable `GatewayState`, swapped whole
 * by `update()`, and never touches the store.
 */
export class Gateway {
  readonly metrics: GatewayMetrics;
  readonly #config: GatewayConfig;
  readonly #requestFilters: Filter[];
  readonly #responseFilters: Filter[];
  readonly #forward: ForwardFilter;
  readonly #record: RecordFilter;
  readonly #limit: LimitFilter;
  readonly #limiter: LimiterBackend;
  readonly #agentServer: Server;
  readonly #adminServer: Server | undefined;
  #state: GatewayState | undefined;
  /** The response each connection is writing (or last wrote), so a parser error never answers in its place. */
  readonly #answering = new WeakMap<Socket, ServerResponse>();
  #draining = false;
  #inFlight = 0;
  #idle: (() => void) | undefined;

  constructor(options: GatewayOptions) {
    const config = options.config;
    this.#config = config;
    this.#state = options.state;
    this.metrics = new GatewayMetrics({ auditPending: () => options.sink.pending() });
    const globalMonitor = config.gateway.mode === 'monitor';
    const tls = config.gateway.tls;
    const pseudonymKey = options.pseudonymKey ?? randomBytes(32);
    this.#forward = forwardFilter({
      credentials: options.credentials ?? new UpstreamCredentials(),
      connectMs: config.gateway.timeouts.connectMs,
      headersMs: config.gateway.timeouts.headersMs,
      bodyMs: config.gateway.timeouts.bodyMs,
      protocol: tls ? 'https' : 'http',
    });
    this.#record = recordFilter({ sink: options.sink, metrics: this.metrics, ...(options.node ? { node: options.node } : {}) });
    this.#limiter = options.limiter ?? createLimiter(config.rateLimits, { baseDirectory: options.baseDirectory, onFallback: (reason) => this.metrics.limiterFallback(reason) });
    this.#limit = limitFilter({ limiter: this.#limiter, health: new UpstreamHealth(), globalMonitor, metrics: this.metrics, region: config.gateway.region });
    this.#requestFilters = [
      identifyFilter({ tokens: new TokenVerifier(config.identity.jwt, options.baseDirectory), monitor: globalMonitor, metrics: this.metrics }),
      routeFilter({ maxUrlBytes: config.gateway.limits.maxUrlBytes, globalMonitor }),
      selfServiceFilter({ sink: options.accessRequests, approvals: options.approvals, maxBodyBytes: config.gateway.limits.maxBodyBytes, maxJsonDepth: config.gateway.limits.maxJsonDepth }),
      authorizeFilter({
        contextTokens: new TokenVerifier(config.identity.context, options.baseDirectory),
        globalMonitor,
        region: config.gateway.region,
        maxBodyBytes: config.gateway.limits.maxBodyBytes,
        maxJsonDepth: config.gateway.limits.maxJsonDepth,
        pseudonymKey,
      }),
      this.#limit,
      guardFilter({
        globalMonitor,
        approvals: options.approvals,
        maxWaitMs: config.stepUp.maxWaitSeconds * 1000,
        body: { maxBytes: config.gateway.limits.maxBodyBytes, maxDepth: config.gateway.limits.maxJsonDepth },
      }),
      this.#forward,
    ];
    // Response phases run in reverse filter order.
    this.#responseFilters = [responseFilter({ maxBytes: config.gateway.limits.maxFilteredResponseBytes, pseudonymKey })];

    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    this.#agentServer = tls
      ? https.createServer(
          {
            cert: readFileSync(path.resolve(options.baseDirectory, tls.cert)),
            key: readFileSync(path.resolve(options.baseDirectory, tls.key)),
            ...(tls.clientCa ? { ca: readFileSync(path.resolve(options.baseDirectory, tls.clientCa)), requestCert: true } : {}),
            // Untrusted certificates are refused per request with a problem document, not a TLS alert.
            rejectUnauthorized: false,
          },
          handler,
        )
      : http.createServer(handler);
    this.#agentServer.keepAliveTimeout = 5_000;
    this.#agentServer.on('clientError', (error: ParserError, socket: Duplex) => this.#unparsable(error, socket));
    this.#adminServer = options.adminListener === false
      ? undefined
      : http.createServer((req, res) => {
          void this.ops(req, res).then((handled) => {
            if (!handled) {
              res.writeHead(404, { 'content-type': 'application/json' });
              res.end('{"error":"not found; the admin port serves /healthz, /readyz and /metrics"}');
            }
          });
        });
  }

  /** Answers /healthz, /readyz and /metrics; false for any other path. */
  ops(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    return handleOpsRequest(req, res, { policyVersion: () => this.#state?.snapshot.version, draining: () => this.#draining }, this.metrics);
  }

  /** Swaps in a new policy state; requests already running finish with the state they started with. */
  update(state: GatewayState): void {
    this.#state = state;
  }

  get state(): GatewayState | undefined {
    return this.#state;
  }

  /** Starts both listeners; port 0 picks free ports (see the returned addresses). */
  async listen(): Promise<GatewayAddresses> {
    const { gateway, admin } = this.#config;
    await listenOn(this.#agentServer, gateway.port, gateway.host);
    if (this.#adminServer !== undefined) await listenOn(this.#adminServer, admin.port, admin.host);
    return { agent: this.#agentServer.address() as AddressInfo, admin: this.#adminServer?.address() as AddressInfo | undefined };
  }

  /**
   * Graceful shutdown: stop accepting, let in-flight requests finish (at most `drainMs`),
   * then cut what is left and close upstream pools. The caller flushes the audit sink after.
   */
  async close(): Promise<void> {
    this.#draining = true;
    const closed = new Promise<void>((resolve) => this.#agentServer.close(() => resolve()));
    this.#agentServer.closeIdleConnections();
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#config.gateway.timeouts.drainMs);
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#agentServer.closeAllConnections();
    await closed;
    const adminServer = this.#adminServer;
    if (adminServer !== undefined) {
      await new Promise<void>((resolve) => {
        adminServer.close(() => resolve());
        adminServer.closeAllConnections();
      });
    }
    await this.#forward.close();
    await this.#limiter.close();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#answering.set(req.socket, res);
    const state = this.#state;
    if (state === undefined) {
      const time = Date.now();
      const requestId = timeOrderedId(time);
      const body = problemBody('WARDEN_GATEWAY_NOT_READY', 503, 'the gateway has no policy snapshot yet', requestId, [], undefined);
      res.writeHead(503, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), 'retry-after': '1', 'x-request-id': requestId, 'cache-control': 'no-store' });
      res.end(body);
      this.#record.recordEarlyRefusal({
        requestId, time, method: req.method ?? '', target: req.url ?? '', clientIp: req.socket.remoteAddress ?? '', traceId: traceId(req), status: 503, reason: 'WARDEN_GATEWAY_NOT_READY', bytesOut: Buffer.byteLength(body),
      });
      return;
    }
    const ctx = new RequestContext(timeOrderedId(Date.now()), req, res, state, req.socket.remoteAddress ?? '');
    this.#inFlight++;
    this.metrics.inFlight(1);
    res.once('close', () => this.#complete(ctx));
    if (this.#draining) res.setHeader('connection', 'close');
    let stage = 'gateway';
    try {
      for (const filter of this.#requestFilters) {
        stage = filter.name;
        let verdict = filter.onRequest!(ctx);
        if (verdict instanceof Promise) verdict = await verdict;
        if (verdict.kind === 'respond') return await this.#fail(ctx, verdict);
        if (verdict.kind === 'reply') return await this.#reply(ctx, verdict);
      }
      for (let i = this.#responseFilters.length - 1; i >= 0; i--) {
        const filter = this.#responseFilters[i]!;
        stage = filter.name;
        let verdict = filter.onResponse!(ctx);
        if (verdict instanceof Promise) verdict = await verdict;
        if (verdict.kind !== 'continue') return await this.#fail(ctx, verdict.kind === 'respond' ? verdict : { kind: 'respond', status: 500, code: 'WARDEN_GATEWAY_INTERNAL', detail: 'a response filter tried to answer on its own' });
      }
      stage = 'respond';
      // Strict audit records the status the agent is about to receive, before it receives it.
      ctx.status = ctx.upstream!.status;
      if (ctx.responseBody !== undefined) ctx.bytesOut = ctx.responseBody.length;
      // A body that already failed is answered as a failure (and recorded so) below.
      if (this.#config.audit.mode === 'strict' && ctx.upstream!.body.errored === null && !(await this.#durable(ctx))) {
        return await this.#fail(ctx, { kind: 'respond', status: 503, code: 'WARDEN_AUDIT_UNAVAILABLE', detail: 'the audit record could not be made durable' });
      }
      // An errored body emits nothing more, so streaming it would never end the response. (If it
      // failed during the strict write, the durable record keeps the status it announced.)
      const broken = ctx.upstream!.body.errored;
      if (broken !== null) return await this.#fail(ctx, upstreamBodyFailure(broken, apiOf(ctx)!.name));
      this.#send(ctx);
    } catch (error) {
      // A thrown exception is a bug: count it, answer 500, keep the details out of the response.
      this.metrics.exception(stage);
      process.emitWarning(`warden: filter ${stage} failed on request ${ctx.requestId}: ${(error as Error).stack ?? String(error)}`);
      ctx.upstream?.body.destroy();
      if (!res.headersSent) await this.#fail(ctx, { kind: 'respond', status: 500, code: 'WARDEN_GATEWAY_INTERNAL', detail: `the gateway failed; report request ${ctx.requestId}` }).catch(() => res.destroy());
      else res.destroy();
    }
  }

  /**
   * A request Node's HTTP parser refused before it became a request (NUL or raw non-ASCII in
   * the target, a relative target, a bad method, headers over 16 KiB): answered with a problem
   * document and recorded like any other, from its request line alone — the rest of the packet
   * may hold credentials and is never read.
   */
  #unparsable(error: ParserError, socket: Duplex): void {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // With an earlier request of this connection still being answered, a reply written now
    // would be taken for that request's answer: reply once it is done. Node's parser has
    // stopped, so nothing else arrives meanwhile. The packet then starts with that earlier
    // request, so its request line says nothing about the refused one.
    const earlier = this.#answering.get(socket as Socket);
    const busy = earlier !== undefined && !earlier.writableFinished && !earlier.destroyed;
    const reply = (text: string) => {
      if (!busy) return void socket.end(text);
      // 'finish': the earlier answer is handed to the socket; 'close' alone: it was cut off.
      const after = () => {
        earlier.off('finish', after).off('close', after);
        if (socket.writable) socket.end(text);
        else socket.destroy();
      };
      earlier.once('finish', after).once('close', after);
    };
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      reply('HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const time = Date.now();
    const requestId = timeOrderedId(time);
    const code = error.code === 'HPE_INVALID_URL' ? 'WARDEN_REQUEST_NOT_CANONICAL' : 'WARDEN_REQUEST_MALFORMED';
    const detail = error.code === 'HPE_INVALID_URL'
      ? 'the request target contains a byte that must be percent-encoded (a control byte, NUL or raw non-ASCII), or is not a path'
      : error.code === 'HPE_HEADER_OVERFLOW' ? 'the request headers are larger than the gateway reads (16 KiB)' : 'the request is not valid HTTP/1.1';
    const body = problemBody(code, 400, detail, requestId, [], undefined);
    const length = Buffer.byteLength(body);
    reply(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: ${length}\r\nx-request-id: ${requestId}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`);
    const line = busy ? NO_REQUEST_LINE : requestLine(error.rawPacket);
    this.#record.recordEarlyRefusal({ requestId, time, method: line.method, target: line.target, clientIp: (socket as Socket).remoteAddress ?? '', traceId: undefined, status: 400, reason: code, bytesOut: length });
  }

  /** Answers with a problem document (RFC 9457), alternatives included for policy denials. */
  async #fail(ctx: RequestContext, verdict: Verdict & { kind: 'respond' }): Promise<void> {
    ctx.failure = { code: verdict.code, detail: verdict.detail };
    ctx.status = verdict.status;
    ctx.upstream?.body.destroy();
    const res = ctx.res;
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    let body = this.#problem(ctx, verdict);
    // One record per request: a strict record already made durable is not written again.
    if (this.#config.audit.mode === 'strict' && !ctx.recorded && !(await this.#durable(ctx))) {
      ctx.failure = { code: 'WARDEN_AUDIT_UNAVAILABLE', detail: 'the audit record could not be made durable' };
      ctx.status = 503;
      verdict = { kind: 'respond', status: 503, code: 'WARDEN_AUDIT_UNAVAILABLE', detail: ctx.failure.detail };
      body = this.#problem(ctx, verdict);
    }
    res.writeHead(verdict.status, { ...verdict.headers, 'content-type': 'application/problem+json', 'content-length': ctx.bytesOut, 'x-request-id': ctx.requestId, 'cache-control': 'no-store' });
    res.end(body);
  }

  /** Answers one of the gateway's own endpoints with a JSON document (recorded like any request). */
  async #reply(ctx: RequestContext, verdict: Verdict & { kind: 'reply' }): Promise<void> {
    ctx.status = verdict.status;
    const body = JSON.stringify(verdict.body);
    ctx.bytesOut = Buffer.byteLength(body);
    if (this.#config.audit.mode === 'strict' && !(await this.#durable(ctx))) {
      return this.#fail(ctx, { kind: 'respond', status: 503, code: 'WARDEN_AUDIT_UNAVAILABLE', detail: 'the audit record could not be made durable' });
    }
    ctx.res.writeHead(verdict.status, { 'content-type': 'application/json', 'content-length': ctx.bytesOut, 'x-request-id': ctx.requestId, 'cache-control': 'no-store' });
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
  }

  /** The problem document for a refusal, alternatives included when the policy denied; sets bytesOut. */
  #problem(ctx: RequestContext, verdict: Verdict & { kind: 'respond' }): string {
    const decision = ctx.decision;
    const alternatives = decision !== undefined && !decision.allowed && decision.reason === verdict.code ? decision.alternatives : [];
    const body = problemBody(verdict.code, verdict.status, verdict.detail, ctx.requestId, alternatives, ctx.agent === undefined ? undefined : ACCESS_REQUESTS_PATH, verdict.extensions);
    ctx.bytesOut = Buffer.byteLength(body);
    return body;
  }

  /** Strict audit: the record is durable before the client sees a byte. */
  async #durable(ctx: RequestContext): Promise<boolean> {
    try {
      await this.#record.recordDurably(ctx);
      return true;
    } catch {
      ctx.recorded = false;
      return false;
    }
  }

  /** Sends the upstream's answer: the filtered body, or the upstream stream piped with backpressure. */
  #send(ctx: RequestContext): void {
    const upstream = ctx.upstream!;
    const headers: Record<string, string | string[]> = {};
    const connectionNamed = namedByConnection(upstream.headers.connection);
    for (const name in upstream.headers) {
      const value = upstream.headers[name];
      if (value !== undefined && !HOP_BY_HOP_RESPONSE.has(name) && connectionNamed?.has(name) !== true) headers[name] = value;
    }
    headers['x-request-id'] = ctx.requestId;
    if (ctx.limits !== undefined && ctx.limits.checks.length > 0) Object.assign(headers, rateLimitHeaders(ctx.limits));
    const api = apiOf(ctx)!;
    // RFC 9745 (Deprecation: @epoch-seconds) and RFC 8594 (Sunset: HTTP date).
    if (api.status === 'deprecated') {
      if (api.deprecatedAt !== undefined) headers.deprecation = `@${api.deprecatedAt / 1000}`;
      if (api.sunsetAt !== undefined) headers.sunset = new Date(api.sunsetAt).toUTCString();
    }
    ctx.status = upstream.status;
    const res = ctx.res;
    // The client left while the upstream was answering: #complete has run and let the body be.
    if (res.destroyed) {
      upstream.body.destroy();
      return;
    }
    if (ctx.responseBody !== undefined) {
      headers['content-length'] = String(ctx.responseBody.length);
      ctx.bytesOut = ctx.responseBody.length;
      res.writeHead(upstream.status, headers);
      res.end(ctx.responseBody);
      return;
    }
    res.writeHead(upstream.status, headers);
    // Streamed by hand rather than with stream.pipeline, which allocates an AbortController
    // and a DOMException per call: the answer of a busy gateway is mostly one small chunk.
    const body = upstream.body;
    // undici stops its body timeout while the body is paused, so a client that stops reading
    // would hold the upstream connection for ever: it gets as long as the upstream would.
    const stallMs = this.#config.gateway.timeouts.bodyMs;
    let stalled: NodeJS.Timeout | undefined;
    body.on('data', (chunk: Buffer) => {
      ctx.bytesOut += chunk.length;
      if (res.write(chunk)) return;
      body.pause();
      stalled ??= setTimeout(() => res.destroy(), stallMs);
    });
    res.on('drain', () => {
      clearTimeout(stalled);
      stalled = undefined;
      body.resume();
    });
    res.once('close', () => clearTimeout(stalled));
    body.once('end', () => res.end());
    body.on('error', (error: Error) => {
      if (ctx.failure === undefined && !res.destroyed) {
        const failure = upstreamBodyFailure(error, api.name);
        ctx.failure = { code: failure.code, detail: failure.detail };
      }
      // The status line is out: cutting the connection is the only way to tell the client.
      res.destroy();
    });
  }

  #complete(ctx: RequestContext): void {
    if (ctx.completed) return;
    ctx.completed = true;
    // The client went away before any answer: there is no status it received.
    if (!ctx.res.headersSent) ctx.status = 0;
    if (!ctx.res.writableFinished && ctx.failure === undefined) ctx.failure = { code: 'WARDEN_CLIENT_CLOSED', detail: 'the client closed the connection before the answer was complete' };
    // A client that left mid-answer: stop reading the upstream (undici drops that connection).
    const body = ctx.upstream?.body;
    if (body !== undefined && !body.readableEnded) body.destroy();
    try {
      this.#limit.onComplete(ctx);
      this.#record.onComplete!(ctx);
    } catch (error) {
      this.metrics.exception('record');
      process.emitWarning(`warden: recording request ${ctx.requestId} failed: ${(error as Error).message}`);
    }
    this.metrics.inFlight(-1);
    if (--this.#inFlight === 0 && this.#idle !== undefined) this.#idle();
  }
}

/**
 * Headers the upstream's `Connection` header names: they describe its connection to the
 * gateway and a proxy must remove them (RFC 9110 §7.6.1). Undefined for the usual
 * keep-alive/close, so the common case costs nothing.
 */
function namedByConnection(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return undefined;
  const named = new Set<string>();
  for (const token of (Array.isArray(connection) ? connection.join(',') : connection).split(',')) named.add(token.trim().toLowerCase());
  return named;
}

/** The error Node's HTTP server reports for a request it could not parse. */
type ParserError = Error & { readonly code?: string; readonly rawPacket?: Buffer };

const NO_REQUEST_LINE = Object.freeze({ method: '', target: '' });

// A whole request line at the very start of the packet. Node hands over the chunk it was
// parsing, which may begin anywhere in the headers (a later TCP segment): anything else is
// not read, so no header bytes — credentials — can reach the audit record.
const REQUEST_LINE = /^([A-Z]{1,16}) ([^\r\n ]{1,4096}) HTTP\/1\.[01]\r?\n/;

/** Method and target of the packet the parser refused, if it starts with a request line. */
function requestLine(packet: Buffer | undefined): { method: string; target: string } {
  if (packet === undefined) return NO_REQUEST_LINE;
  const match = REQUEST_LINE.exec(packet.subarray(0, 4200).toString('latin1'));
  return match === null ? NO_REQUEST_LINE : { method: match[1]!, target: match[2]! };
}

function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is already in use; stop the other process or choose another port in the config`, { cause: error }) : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
