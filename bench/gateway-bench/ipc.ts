/**
 * The gateway benchmark's processes talk over the fork IPC channel: the parent calls an
 * operation by name and waits for its answer. Each child announces itself with one `ready`
 * message (its URL and whatever else the parent needs) before any call.
 */
import { fork, type ChildProcess } from 'node:child_process';

interface Call {
  readonly rpc: number;
  readonly op: string;
  readonly args?: unknown;
}

interface Answer {
  readonly rpc: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

export type Handlers = Readonly<Record<string, (args: unknown) => unknown>>;

/** In a child: answers the parent's calls with `handlers`, after announcing `ready`. */
export function serve(handlers: Handlers, ready: unknown): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('this file is a process of the gateway benchmark: run `npm run bench:gateway`');
  process.on('message', (message: Call) => {
    const handler = handlers[message.op];
    void (async () => {
      try {
        if (handler === undefined) throw new Error(`unknown operation ${message.op}`);
        send({ rpc: message.rpc, ok: true, value: await handler(message.args) } satisfies Answer);
      } catch (error) {
        send({ rpc: message.rpc, ok: false, error: (error as Error).stack ?? String(error) } satisfies Answer);
      }
    })();
  });
  // Without a parent there is nobody to stop this process: leave with it.
  process.on('disconnect', () => process.exit(0));
  send({ rpc: 0, ok: true, value: ready } satisfies Answer);
}

/** CPU time this process used between `cpuStart` and `cpuStop` (user + system, all threads). */
export interface CpuSample {
  readonly userUs: number;
  readonly systemUs: number;
}

/** `cpuStart` / `cpuStop` handlers; `settle` runs before the reading (e.g. flushing the audit log, which is per-request work). */
export function cpuMeter(settle: () => Promise<unknown> | unknown = () => undefined): Handlers {
  let start: NodeJS.CpuUsage | undefined;
  return {
    cpuStart() {
      start = process.cpuUsage();
      return true;
    },
    async cpuStop(): Promise<CpuSample> {
      await settle();
      if (start === undefined) throw new Error('cpuStop without cpuStart');
      const used = process.cpuUsage(start);
      start = undefined;
      return { userUs: used.user, systemUs: used.system };
    },
  };
}

/** The parent's handle on one child process. */
export class Child<Ready> {
  readonly #process: ChildProcess;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #next = 1;
  #exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    child: ChildProcess,
    readonly ready: Ready,
  ) {
    this.#process = child;
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.on('message', (message: Answer) => {
      const pending = this.#pending.get(message.rpc);
      if (pending === undefined) return;
      this.#pending.delete(message.rpc);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(new Error(`${name}: ${message.error ?? 'failed'}`));
    });
    child.once('exit', (code, signal) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`${name} exited (${signal ?? code}) during a call`));
      this.#pending.clear();
    });
  }

  /**
   * Forks `file` (built JS) and waits for its `ready` message. The child's stdout goes to our
   * stderr, so `--json` output stays clean.
   */
  static start<Ready>(name: string, file: string, options: { readonly args?: readonly string[]; readonly execArgv?: readonly string[]; readonly env?: NodeJS.ProcessEnv } = {}): Promise<Child<Ready>> {
    const child = fork(file, [...(options.args ?? [])], {
      execArgv: [...(options.execArgv ?? [])],
      env: options.env ?? process.env,
      stdio: ['ignore', 2, 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => reject(new Error(`${name} exited (${signal ?? code}) before it was ready`));
      child.once('exit', onExit);
      child.once('error', reject);
      child.once('message', (message: Answer) => {
        child.off('exit', onExit);
        child.off('error', reject);
        if (message.rpc !== 0 || !message.ok) {
          child.kill();
          reject(new Error(`${name} failed to start: ${message.error ?? JSON.stringify(message)}`));
          return;
        }
        resolve(new Child<Ready>(name, child, message.value as Ready));
      });
    });
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  call<T>(op: string, args?: unknown): Promise<T> {
    const rpc = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(rpc, { resolve: resolve as (value: unknown) => void, reject });
      this.#process.send({ rpc, op, args } satisfies Call);
    });
  }

  /** Asks the child to close cleanly (so `--cpu-prof` writes its profile), killing it if it will not. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), timeoutMs);
    try {
      await this.call('close').catch(() => undefined);
      await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
