import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A private redis-server for one test file: its own port and folder, no persistence, so tests
 * can kill, pause and restart it without touching any Redis that runs on the machine.
 */
export class RedisServer {
  #process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly directory: string,
    readonly extraArgs: readonly string[],
  ) {}

  /** Starts redis-server (from PATH) on a free port; `extraArgs` e.g. `['--requirepass', 'x']`. */
  static async start(extraArgs: readonly string[] = []): Promise<RedisServer> {
    const directory = await mkdtemp(path.join(tmpdir(), 'warden-redis-'));
    // Another process may take the free port between the probe and redis-server's bind: try again.
    for (let attempt = 1; ; attempt++) {
      const server = new RedisServer(await freePort(), directory, extraArgs);
      try {
        await server.restart();
        return server;
      } catch (error) {
        if (attempt === 5) {
          await rm(directory, { recursive: true, force: true });
          throw error;
        }
      }
    }
  }

  /** Started and neither killed nor exited since. */
  get running(): boolean {
    return this.#process !== undefined && this.#process.exitCode === null && this.#process.signalCode === null;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port (empty: nothing is persisted). */
  async restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.directory, ...this.extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#process = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          child.stdout!.off('data', onData);
          child.off('exit', onExit);
          child.stdout!.resume();
          resolve();
        }
      };
      const onExit = () => reject(new Error(`redis-server on port ${this.port} exited at start:\n${output}`));
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', onExit);
      child.once('error', reject);
    });
  }

  /** Kills the server the hard way, as a crash or a lost host would, and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  /** Freezes the server: connections stay open but nothing is answered, like a hung host. */
  pause(): void {
    this.#process?.kill('SIGSTOP');
  }

  resume(): void {
    this.#process?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.directory, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
