import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { pipeline, Transform, type Readable } from 'node:stream';
import { Pool } from 'undici';
import type { ErrorCode } from '../../../model/errors.js';
import { CONTINUE, type Filter, type Verdict } from '../../pipeline/filter.js';
import { apiOf, type RequestContext } from '../../pipeline/request-context.js';
import { hasBody, isMultipartBody } from '../authorize/inspected-body.js';
import { multipartMethodGuard } from './multipart-method-guard.js';
import { isStrippedRequestHeader } from '../route/header-hygiene.js';
import { upstreamFailure } from './upstream-failure.js';
import type { UpstreamCredentials } from './upstream-credentials.js';

export interface ForwardOptions {
  readonly credentials: UpstreamCredentials;
  readonly connectMs: number;
  readonly headersMs: number;
  readonly bodyMs: number;
  /** `http` or `https`: what the agent used, for X-Forwarded-Proto. */
  readonly protocol: string;
}

export interface ForwardFilter extends Filter {
  /** Closes every upstream connection pool (after the gateway drained). */
  close(): Promise<void>;
}

/**
 * Forward: sends the authorised request to the API's upstream through a keep-alive undici
 * pool per origin, bodies streamed both ways. The upstream receives exactly the canonical
 * path and query that were authorised, Warden's own upstream credential, and forwarding
 * headers Warden sets from what it verified; the agent's credential and task token stay here.
 */
export function forwardFilter(options: ForwardOptions): ForwardFilter {
  const pools = new Map<string, Pool>();

  function poolFor(origin: string): Pool {
    let pool = pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, { connect: { timeout: options.connectMs }, headersTimeout: options.headersMs, bodyTimeout: options.bodyMs, keepAliveTimeout: 4_000 });
      pools.set(origin, pool);
    }
    return pool;
  }

  return {
    name: 'forward',
    async onRequest(ctx) {
      // An operation's API, or a learning API's for an undeclared call monitor mode lets pass.
      const api = apiOf(ctx)!;
      const credential = api.upstreamAuth === undefined ? undefined : options.credentials.for(api.upstreamAuth, ctx.time);
      if (credential !== undefined && 'unavailable' in credential) return failure('WARDEN_UPSTREAM_UNAVAILABLE', `the gateway cannot authenticate to ${api.name}: its credential is not available`, 502);
      const headers = forwardedHeaders(ctx, options.protocol, credential?.header);
      if (credential !== undefined) headers.push(credential.header, credential.value);
      const body = requestBody(ctx, headers);
      // The client may have left while a token was being verified or a body read.
      if (ctx.completed) return failure('WARDEN_CLIENT_CLOSED', 'the client went away before the call was forwarded', 499);
      // An EventEmitter is a signal undici accepts; an AbortController costs a DOMException per abort.
      const clientGone = new EventEmitter();
      ctx.res.once('close', () => {
        if (!ctx.res.writableFinished) clientGone.emit('abort');
      });
      const sent = performance.now();
      try {
        // Agents in acceptance testing go to the staging upstream (guard let them through only if there is one, or in monitor mode).
        const staging = ctx.agent?.state === 'testing' ? api.staging : undefined;
        const response = await poolFor(staging?.origin ?? api.upstream).request({
          method: ctx.req.method as 'GET',
          path: (staging?.path ?? api.upstreamPath) + ctx.target!.path + ctx.target!.search,
          headers,
          body,
          signal: clientGone,
        });
        ctx.upstreamMs = performance.now() - sent;
        // Whoever reads the body handles its errors; a body thrown away unread (a refusal, strict
        // audit failing) errors with "aborted" on destroy(), which must not crash the process.
        response.body.on('error', ignore);
        ctx.upstream = { status: response.statusCode, headers: response.headers as Record<string, string | string[] | undefined>, body: response.body as unknown as Readable };
        return CONTINUE;
      } catch (error) {
        ctx.upstreamMs = performance.now() - sent;
        return upstreamFailure(error, api.name);
      }
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
    },
  };
}

/**
 * Client headers minus everything stripped by hygiene and minus the header Warden's upstream
 * credential goes in (an agent must not add its own value beside it), plus what Warden
 * asserts. A flat name/value list keeps repeated headers.
 */
function forwardedHeaders(ctx: RequestContext, protocol: string, credentialHeader: string | undefined): string[] {
  const raw = ctx.req.rawHeaders;
  const headers: string[] = [];
  const filtered = answerIsFiltered(ctx);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!isStrippedRequestHeader(name) && name !== credentialHeader && !(filtered && ANSWER_SHAPING.has(name))) headers.push(name, raw[i + 1]!);
  }
  // An answer the gateway filters must come whole and in an encoding it can read.
  if (filtered) headers.push('accept-encoding', 'gzip, deflate, br');
  headers.push('x-forwarded-for', ctx.clientIp, 'x-forwarded-proto', protocol, 'x-request-id', ctx.requestId);
  if (ctx.agent !== undefined) headers.push('x-warden-agent', ctx.agent.name);
  return headers;
}

/**
 * Request headers that would let the agent shape the answer the gateway filters: a byte range
 * is a fragment no field rule can judge (a bare `150000` out of a record), a conditional
 * request turns an ETag into an oracle for guessed contents, and its own Accept-Encoding could
 * ask for an encoding the gateway cannot read.
 */
const ANSWER_SHAPING = new Set(['range', 'if-range', 'if-none-match', 'if-modified-since', 'accept-encoding']);

/** The grant filters or counts the answer, so the response filter will read it. */
function answerIsFiltered(ctx: RequestContext): boolean {
  const obligations = ctx.decision?.allowed === true ? ctx.decision.obligations : undefined;
  return obligations !== undefined && (obligations.response !== undefined || obligations.countsRecords);
}

/** The inspected body as read, or the client's stream; a chunked stream is counted on the way. */
function requestBody(ctx: RequestContext, headers: string[]): Buffer | Readable | undefined {
  if (ctx.body !== undefined) {
    headers.push('content-length', String(ctx.body.length));
    return ctx.body;
  }
  const req = ctx.req;
  if (!hasBody(req)) return undefined;
  const length = (req.headers as IncomingHttpHeaders)['content-length'];
  const sized = length !== undefined && req.headers['transfer-encoding'] === undefined;
  if (sized) headers.push('content-length', length);
  if (isMultipartBody(req)) {
    const guarded = multipartMethodGuard((bytes) => (ctx.bytesIn += bytes));
    pipeline(req, guarded, ignore);
    return guarded;
  }
  if (sized) {
    ctx.bytesIn = Number(length);
    return req;
  }
  // Counted as it passes, without a 'data' listener: that would start the flow before undici
  // reads, and the first chunks would be lost.
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      ctx.bytesIn += chunk.length;
      done(null, chunk);
    },
  });
  pipeline(req, counted, ignore);
  return counted;
}

function ignore(): void {}

function failure(code: ErrorCode, detail: string, status: number): Verdict {
  return { kind: 'respond', status, code, detail };
}
