import net from 'node:net';
import tls from 'node:tls';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { octetCounted } from './syslog-format.js';
import { DeliveryError, type FormattedBatch, type SinkTransport } from './sink-transport.js';

export interface SyslogTransportOptions {
  readonly host: string;
  readonly port: number;
  readonly transport: 'tcp' | 'tls';
  /** PEM CA bundle that must have signed the receiver's certificate (TLS); default: the system CAs. */
  readonly ca?: string | Buffer;
  /** Name the certificate must carry; default `host`. Sent as SNI when it is a DNS name. */
  readonly serverName?: string;
  /** Longest a connect or the write of one batch may take. */
  readonly timeoutMs: number;
}

/**
 * Syslog over TCP (RFC 6587) or TLS (RFC 5425), octet-counted frames, one connection kept open
 * and made again after any error.
 *
 * Syslog has no acknowledgements. A batch counts as delivered when the local TCP/TLS stack took
 * all of it and the connection had reported no error or close, checked both before writing (so
 * a receiver that went away while idle is noticed, and the batch goes to a new connection) and
 * once more after the write (a close right then fails the batch, which is sent again: a possible
 * duplicate rather than a gap). What stays is a window of at most the socket buffers: if the
 * receiver dies after the kernel took a batch and before the receiver read it, those records do
 * not reach that receiver. docs/audit-export.md says so; use the webhook or jsonl sink where
 * every record must be confirmed.
 */
export class SyslogTransport implements SinkTransport {
  readonly target: string;
  #socket: net.Socket | undefined;
  /** Why the current connection is no longer usable (close, end or error), once it is not. */
  #broken: string | undefined;

  // Private (#), as in every transport: neither JSON.stringify nor util.inspect shows the options (the webhook's hold its secret).
  readonly #options: SyslogTransportOptions;

  constructor(options: SyslogTransportOptions) {
    this.#options = options;
    this.target = `syslog+${options.transport}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  }

  async deliver(batch: FormattedBatch): Promise<void> {
    // Let pending socket events (a FIN or RST from a receiver that went away) run before using it.
    await nextTurn();
    if (this.#socket !== undefined && this.#broken !== undefined) this.#drop();
    const socket = this.#socket ?? (await this.#connect());
    const payload = batch.items.map(octetCounted).join('');
    await this.#write(socket, payload);
    await nextTurn();
    if (this.#broken !== undefined) {
      const why = this.#broken;
      this.#drop();
      throw new DeliveryError(`the connection to ${this.target} ended right after records ${batch.firstSeq}–${batch.lastSeq} were written (${why}); they are sent again`);
    }
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined || socket.destroyed) return;
    // A graceful end lets the receiver read what was written; destroy if it does not close soon.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), Math.min(this.#options.timeoutMs, 2000));
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  #connect(): Promise<net.Socket> {
    const { host, port, timeoutMs } = this.#options;
    return new Promise<net.Socket>((resolve, reject) => {
      let socket: net.Socket;
      if (this.#options.transport === 'tls') {
        const serverName = this.#options.serverName ?? host;
        socket = tls.connect({
          host,
          port,
          ...(this.#options.ca !== undefined ? { ca: this.#options.ca } : {}),
          // SNI carries DNS names only; an IP address is still checked against the certificate.
          ...(net.isIP(serverName) === 0 ? { servername: serverName } : {}),
          checkServerIdentity: (_host, certificate) => tls.checkServerIdentity(serverName, certificate),
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
        });
      } else {
        socket = net.connect({ host, port });
      }
      const ready = this.#options.transport === 'tls' ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => fail(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        // A late second error from a socket given up on must not go unhandled.
        socket.on('error', () => {});
        socket.destroy();
        reject(new DeliveryError(`cannot connect to ${this.target}: ${describe(error)}`, 'unavailable', undefined, { cause: error }));
      };
      socket.once('error', fail);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.off('error', fail);
        this.#adopt(socket);
        resolve(socket);
      });
    });
  }

  /** Watches a connected socket: any end of it marks the connection broken. */
  #adopt(socket: net.Socket): void {
    this.#socket = socket;
    this.#broken = undefined;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    // Receivers do not talk back; whatever arrives is read and dropped so the socket sees the FIN.
    socket.on('data', () => {});
    const mark = (why: string) => {
      if (this.#socket === socket && this.#broken === undefined) this.#broken = why;
    };
    socket.on('end', () => mark('the receiver closed the connection'));
    socket.on('error', (error: Error) => mark(describe(error)));
    socket.on('close', () => mark('the connection closed'));
  }

  #write(socket: net.Socket, payload: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#drop(socket);
        reject(new DeliveryError(`writing to ${this.target} did not finish within ${this.#options.timeoutMs} ms (the receiver is not reading)`));
      }, this.#options.timeoutMs);
      socket.write(payload, 'utf8', (error) => {
        clearTimeout(timer);
        if (error) {
          this.#drop(socket);
          reject(new DeliveryError(`writing to ${this.target} failed: ${describe(error)}`, 'unavailable', undefined, { cause: error }));
        } else resolve();
      });
    });
  }

  /** Gives up a connection (by default the current one); the next delivery connects anew. */
  #drop(socket: net.Socket | undefined = this.#socket): void {
    socket?.destroy();
    if (socket === this.#socket) {
      this.#socket = undefined;
      this.#broken = undefined;
    }
  }
}

/** The error's code and message without a stack; TLS errors name what failed (e.g. the certificate). */
function describe(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
