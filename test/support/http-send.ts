import http from 'node:http';

/** What the test client got: `complete` is false when the connection was cut mid-answer. */
export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Header names and values as received, lower-cased names. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly complete: boolean;
  readonly localPort: number | undefined;
}

export interface SendOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly agent?: http.Agent;
}

/**
 * One request on a real socket (its own connection unless `agent` says otherwise), answered
 * once the response has closed; rejects only when no response started (refused, cut before
 * the status line).
 */
export function send(url: string, options: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => undefined);
      // 'close' comes after 'end', or alone when the connection was cut: res.complete tells which.
      res.on('close', () => {
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          rawHeaders: res.rawHeaders.map((value, index) => (index % 2 === 0 ? value.toLowerCase() : value)),
          body: Buffer.concat(chunks),
          complete: res.complete,
          localPort: res.socket?.localPort,
        });
      });
    });
    req.end(options.body);
  });
}
