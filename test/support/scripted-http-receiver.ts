import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the receiver does with one attempt: answer with a status, cut the connection, or never answer. */
export type Behaviour = number | 'destroy' | 'hang';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

/** A webhook receiver for the notifier tests, on port 0, that plays a script of behaviours (200 once the script is done). */
export class ScriptedHttpReceiver {
  readonly received: Received[] = [];
  readonly script: Behaviour[] = [];
  #server: Server | undefined;
  #waiters: { count: number; resolve: () => void }[] = [];

  async start(): Promise<string> {
    this.#server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        this.#waiters = this.#waiters.filter((waiter) => (this.received.length >= waiter.count ? (waiter.resolve(), false) : true));
        const behaviour = this.script.shift() ?? 200;
        if (behaviour === 'destroy') request.socket.destroy();
        else if (behaviour === 'hang') return;
        else response.writeHead(behaviour, { 'content-type': 'text/plain' }).end(behaviour >= 400 ? 'no' : 'ok');
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  /** Resolves once `count` attempts arrived. */
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  async stop(): Promise<void> {
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }
}
