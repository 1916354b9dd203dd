import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';

/** Redirect hops followed per probe, all on the probe's own origin. */
const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Failed requests in a row (timeouts, resets) after which a host is given up on. */
const MAX_FAILURES_IN_A_ROW = 3;

/** One probe request. */
export interface ProbeRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  /** Lower-case names; these win over the scan-wide headers. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /**
   * Called with each body chunk; returning true stops reading. An MCP server may keep its
   * SSE stream open after the answer, and waiting for the end would only hit the timeout.
   */
  readonly stopWhen?: (chunk: Buffer, contentType: string) => boolean;
}

/** An HTTP answer to a probe, or the reason there is none to use. */
export type Exchange =
  | {
      readonly kind: 'answer';
      /** The URL that answered, after same-origin redirects. */
      readonly url: string;
      readonly status: number;
      readonly headers: Readonly<Record<string, string | string[] | undefined>>;
      /** Lower-case media type and parameters, `''` when absent. */
      readonly contentType: string;
      readonly body: Buffer;
    }
  | { readonly kind: 'skipped'; readonly reason: string };

/** Told about every request sent: its URL, and its status when an answer came. */
export type RequestObserver = (url: string, status: number | undefined) => void;

export interface HostClientOptions {
  readonly dispatcher: Dispatcher;
  readonly maxRequests: number;
  readonly delayMs: number;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  /** Sent with every request: User-Agent, Accept and the operator's headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** Probing a host stopped for good (it cannot be reached, or keeps failing); the message says why. */
export class HostStopped extends Error {
  override readonly name = 'HostStopped';
}

/**
 * Sends probes to one origin politely: one request at a time, a pause between requests, a
 * request budget, a timeout and a body size cap per request, redirects followed only on the
 * same origin. Nothing stateful is kept between requests: no cookies, no credentials other
 * than the operator's own headers.
 */
export class HostClient {
  /** Requests sent so far, redirect hops included. */
  requests = 0;
  /** True once any request got an HTTP answer. */
  answered = false;
  readonly #origin: string;
  readonly #options: HostClientOptions;
  #queue: Promise<unknown> = Promise.resolve();
  #lastDone = Number.NEGATIVE_INFINITY;
  #failuresInARow = 0;
  #stopped: string | undefined;

  constructor(origin: string, options: HostClientOptions) {
    this.#origin = origin;
    this.#options = options;
  }

  /** Sends a probe after the ones already queued; throws HostStopped once the host is given up on. */
  send(probe: ProbeRequest, observe: RequestObserver): Promise<Exchange> {
    // Chained rather than trusted to callers: one request at a time per host is a promise to the host.
    const run = this.#queue.then(() => this.#follow(probe, observe));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #follow(probe: ProbeRequest, observe: RequestObserver): Promise<Exchange> {
    let url = probe.url;
    for (let redirects = 0; ; redirects++) {
      if (this.#stopped !== undefined) throw new HostStopped(this.#stopped);
      if (this.requests >= this.#options.maxRequests) {
        return { kind: 'skipped', reason: `request budget of ${this.#options.maxRequests} per host spent` };
      }
      const result = await this.#exchange(probe, url, observe);
      if (result.kind !== 'redirect') return result;
      const location = result.location;
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return { kind: 'skipped', reason: `redirect to an unusable Location "${location.slice(0, 100)}"` };
      }
      if (next.origin !== this.#origin) {
        // Never fetched: the operator chose which hosts to scan, a redirect does not widen that.
        return { kind: 'skipped', reason: `redirected off host to ${next.origin}${next.pathname}; not followed` };
      }
      if (next.username !== '' || next.password !== '') {
        return { kind: 'skipped', reason: 'redirected to a URL with credentials; not followed' };
      }
      if (redirects === MAX_REDIRECTS) return { kind: 'skipped', reason: `more than ${MAX_REDIRECTS} redirects; not followed further` };
      next.hash = '';
      // Re-sent as it was, method and body included: the probe wants the moved resource, not a
      // browser's form-post semantics (a GET in place of a JSON-RPC POST would be meaningless).
      url = next.href;
    }
  }

  async #exchange(probe: ProbeRequest, url: string, observe: RequestObserver): Promise<Exchange | Redirect> {
    const { signal, timeoutMs, maxBodyBytes } = this.#options;
    await this.#pace();
    this.requests++;
    const timeout = AbortSignal.timeout(timeoutMs);
    let status: number | undefined;
    try {
      const response = await request(url, {
        method: probe.method,
        headers: { ...this.#options.headers, ...probe.headers },
        ...(probe.body !== undefined ? { body: probe.body } : {}),
        dispatcher: this.#options.dispatcher,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      status = response.statusCode;
      this.answered = true;
      this.#failuresInARow = 0;
      const headers = response.headers;
      const location = header(headers, 'location');
      if (REDIRECT_STATUSES.has(status) && location !== undefined) {
        // Only the Location matters; the body is dropped unread, and at most a little is drained.
        await response.body.dump({ limit: 65_536 }).catch(() => undefined);
        return { kind: 'redirect', location };
      }
      const contentType = (header(headers, 'content-type') ?? '').toLowerCase();
      const declared = Number(header(headers, 'content-length'));
      const tooLarge = { kind: 'skipped', reason: `answer larger than ${formatBytes(maxBodyBytes)}; stopped reading` } as const;
      if (declared > maxBodyBytes) {
        response.body.destroy();
        return tooLarge;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBodyBytes) return tooLarge; // leaving the loop destroys the stream
        chunks.push(chunk);
        if (probe.stopWhen?.(chunk, contentType)) break;
      }
      return { kind: 'answer', url, status, headers, contentType, body: Buffer.concat(chunks) };
    } catch (error) {
      signal?.throwIfAborted();
      return this.#failed(error as Error, timeout.aborted);
    } finally {
      this.#lastDone = performance.now();
      observe(url, status);
    }
  }

  /** Turns a failed request into a skipped probe, or stops the host when retrying cannot help. */
  #failed(error: Error, timedOut: boolean): Exchange {
    const code = errorCode(error);
    if (!timedOut && code !== undefined && isConnectFailure(code)) {
      this.#stopped = `cannot connect to ${this.#origin}: ${describeConnectFailure(error, code, this.#options.timeoutMs)}`;
      throw new HostStopped(this.#stopped);
    }
    const reason = timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
      ? `no complete answer within ${this.#options.timeoutMs} ms`
      : `request failed: ${describeError(error, code)}`;
    if (++this.#failuresInARow >= MAX_FAILURES_IN_A_ROW) {
      this.#stopped = `stopped after ${MAX_FAILURES_IN_A_ROW} failed requests in a row (last: ${reason})`;
    }
    return { kind: 'skipped', reason };
  }

  async #pace(): Promise<void> {
    const wait = this.#lastDone + this.#options.delayMs - performance.now();
    if (wait > 0) await sleep(Math.ceil(wait), undefined, this.#options.signal ? { signal: this.#options.signal } : {});
  }
}

/** A redirect answer, before the scanner decides whether to follow it. */
interface Redirect {
  readonly kind: 'redirect';
  readonly location: string;
}

/** The first value of a response header. */
export function header(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function errorCode(error: Error): string | undefined {
  const own = (error as NodeJS.ErrnoException).code;
  const cause = (error as { cause?: unknown }).cause;
  const causeCode = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
  // undici wraps socket errors; the cause names what actually went wrong.
  return causeCode ?? own;
}

const CONNECT_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  UND_ERR_CONNECT_TIMEOUT: 'no connection',
};

function isConnectFailure(code: string): boolean {
  // Certificate and TLS handshake failures fail every request alike: no point in trying other paths.
  return code in CONNECT_FAILURES || /CERT|TLS|SSL|EPROTO/.test(code);
}

function describeConnectFailure(error: Error, code: string, timeoutMs: number): string {
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return `no connection within ${timeoutMs} ms (${code})`;
  const known = CONNECT_FAILURES[code];
  return known !== undefined ? `${known} (${code})` : `TLS: ${describeError(error, code)}`;
}

function describeError(error: Error, code: string | undefined): string {
  const cause = (error as { cause?: unknown }).cause;
  const message = cause instanceof Error ? cause.message : error.message;
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}

/** `5 MiB`, `512 KiB`, `300 bytes`. */
function formatBytes(bytes: number): string {
  if (bytes >= 1_048_576 && bytes % 1_048_576 === 0) return `${bytes / 1_048_576} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
