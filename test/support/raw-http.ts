import net from 'node:net';

/** An HTTP/1.1 response read off a raw socket. */
export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The decoded body (chunked framing removed), as UTF-8 text. */
  readonly body: string;
}

export interface RawRequestParts {
  readonly method?: string;
  /**
   * The request target exactly as it goes on the wire. Every character is written as one
   * byte (latin1), so `'/caf\xc3\xa9'` sends the raw UTF-8 bytes of `café` and `'\x00'` a NUL.
   */
  readonly target: string;
  /** Header lines in order, name and value as written (may repeat a name). */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string | Buffer;
}

/**
 * Builds a request that fetch() and undici would never send as is: the target is not parsed,
 * resolved or re-encoded. `Host` is added, `Content-Length` when there is a body, and
 * `Connection: close` unless the caller sends its own `Connection` header.
 */
export function buildRawRequest(origin: string, parts: RawRequestParts): Buffer {
  const { host } = new URL(origin);
  const body = parts.body === undefined ? undefined : Buffer.isBuffer(parts.body) ? parts.body : Buffer.from(parts.body, 'utf8');
  const lines = [`${parts.method ?? 'GET'} ${parts.target} HTTP/1.1`, `Host: ${host}`];
  for (const [name, value] of parts.headers ?? []) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`Content-Length: ${body.length}`);
  if (!(parts.headers ?? []).some(([name]) => name.toLowerCase() === 'connection')) lines.push('Connection: close');
  lines.push('', '');
  const head = Buffer.from(lines.join('\r\n'), 'latin1');
  return body === undefined ? head : Buffer.concat([head, body]);
}

/**
 * Sends `request` byte for byte to `origin` (`http://host:port`) over a fresh TCP connection
 * and reads one response: complete when its framing (Content-Length or chunked) says so, or
 * when the server closes the connection. The socket is closed afterwards.
 */
export function rawRequest(origin: string, request: string | Buffer, timeoutMs = 5_000): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: hostname, port: Number(port) });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`no complete response from ${origin} within ${timeoutMs} ms; received: ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 500))}`)));
    }, timeoutMs);
    const tryParse = (closed: boolean) => {
      try {
        const response = parseResponse(Buffer.concat(chunks), closed);
        if (response !== undefined) settle(() => resolve(response));
        else if (closed) settle(() => reject(new Error(`the connection closed before a complete response: ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 500))}`)));
      } catch (error) {
        settle(() => reject(error as Error));
      }
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      tryParse(false);
    });
    // A server may reset the connection right after answering; what arrived still counts.
    socket.on('error', () => tryParse(true));
    socket.on('close', () => tryParse(true));
    socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
  });
}

/**
 * Parses one HTTP/1.1 response (status line, headers, body framed by Content-Length, chunks,
 * or the end of the connection), or undefined while it is incomplete.
 */
export function parseResponse(received: Buffer, closed: boolean): RawResponse | undefined {
  const headEnd = received.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const [statusLine, ...headerLines] = received.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine ?? '');
  if (!status) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = received.subarray(headEnd + 4);
  let body: Buffer | undefined;
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(rest);
  else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    body = rest.length >= length ? rest.subarray(0, length) : undefined;
  } else if (closed) body = rest;
  return body === undefined ? undefined : { status: Number(status[1]), headers, body: body.toString('utf8') };
}

/** The body of a chunked message, or undefined until its last chunk has arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (Number.isNaN(size)) throw new Error('malformed chunk size');
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
