import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { DeliveryError, type FormattedBatch, type SinkTransport } from '../audit/sinks/sink-transport.js';

export interface SyslogUdpTransportOptions {
  readonly host: string;
  readonly port: number;
  /** Longest the name lookup of `host` may take. */
  readonly timeoutMs: number;
}

/**
 * Syslog over UDP (RFC 5426): one message per datagram, no framing. A message counts as
 * delivered once the kernel took it; UDP has no acknowledgement, so a receiver that is down
 * loses it without notice (an ICMP "port unreachable" may fail the next send). Fit for
 * notifications, which the audit log keeps anyway; never offered for the audit export itself.
 */
export class SyslogUdpTransport implements SinkTransport {
  readonly target: string;
  #socket: Promise<dgram.Socket> | undefined;
  readonly #options: SyslogUdpTransportOptions;

  constructor(options: SyslogUdpTransportOptions) {
    this.#options = options;
    this.target = `syslog+udp://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  }

  async deliver(batch: FormattedBatch): Promise<void> {
    this.#socket ??= this.#open();
    let socket: dgram.Socket;
    try {
      socket = await this.#socket;
    } catch (error) {
      this.#socket = undefined;
      throw error;
    }
    for (const message of batch.items) {
      await new Promise<void>((resolve, reject) => {
        socket.send(message, (error) => {
          if (!error) return resolve();
          // The socket is made anew next time: a changed address gets looked up again.
          void this.close();
          reject(new DeliveryError(`sending to ${this.target} failed: ${error.message}`, 'unavailable', undefined, { cause: error }));
        });
      });
    }
  }

  async close(): Promise<void> {
    const opening = this.#socket;
    this.#socket = undefined;
    const socket = await opening?.catch(() => undefined);
    socket?.close();
  }

  /** Looks the host up once and connects a socket of its address family to it. */
  async #open(): Promise<dgram.Socket> {
    const { host, port, timeoutMs } = this.#options;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no address within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const address = await Promise.race([lookup(host), timeout]);
      const socket = dgram.createSocket(address.family === 6 ? 'udp6' : 'udp4');
      // Errors after connecting surface in send's callback; this keeps a late one from crashing the process.
      socket.on('error', () => {});
      // A notifier's idle socket must not keep the process alive.
      socket.unref();
      await new Promise<void>((resolve, reject) => {
        const fail = (error: Error) => {
          socket.close();
          reject(error);
        };
        socket.once('error', fail);
        socket.connect(port, address.address, () => {
          socket.off('error', fail);
          resolve();
        });
      });
      return socket;
    } catch (error) {
      throw new DeliveryError(`cannot reach ${this.target}: ${(error as Error).message}`, 'unavailable', undefined, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
