/**
 * The load generator, a process of its own so it does not share an event loop with either
 * proxy: autocannon with N keep-alive connections for D seconds. Latencies are recorded per
 * response at full precision (autocannon's own histogram rounds to whole milliseconds).
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { cpuMeter, serve } from './ipc.js';

interface AutocannonOptions {
  readonly url: string;
  readonly connections: number;
  readonly duration: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly pipelining?: number;
  readonly timeout?: number;
}

interface AutocannonResult {
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly requests: { readonly total: number };
}

type Autocannon = (options: AutocannonOptions, done: (error: Error | null, result: AutocannonResult) => void) => EventEmitter;

// autocannon is CommonJS without type declarations; this is the part of its API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly seconds: number;
}

export interface LoadResult {
  /** Responses received (any status). */
  readonly completed: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** CPU the load generator itself used per response: if it is near a core's worth, the loader is the bottleneck. */
  readonly loaderCpuUsPerRequest: number;
}

function run(request: LoadRequest): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 18);
  let count = 0;
  const cpuStart = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: request.url, connections: request.connections, duration: request.seconds, headers: request.headers, pipelining: 1, timeout: 10 },
      (error, result) => {
        if (error) return reject(error);
        const cpu = process.cpuUsage(cpuStart);
        const sorted = latencies.subarray(0, count).sort();
        const at = (p: number) => round3(sorted[Math.min(count - 1, Math.floor(p * count))] ?? Number.NaN);
        const completed = result.requests.total;
        resolve({
          completed,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          seconds: result.duration,
          requestsPerSecond: Math.round(completed / result.duration),
          latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round3(sorted[count - 1] ?? Number.NaN) },
          loaderCpuUsPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, completed)),
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTime;
    });
  });
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

serve(
  {
    ...cpuMeter(),
    run: (args) => run(args as LoadRequest),
    close: () => {
      setTimeout(() => process.exit(0), 20);
      return true;
    },
  },
  { pid: process.pid },
);
