import { Worker } from 'node:worker_threads';
import type { AuditSinkConfig } from '../../../model/config/audit-sink-config.js';
import type { SinkStatus } from './sink-worker.js';

/** What the export thread is started with (export-thread-worker.ts). */
export interface ExportThreadData {
  readonly databaseFile: string;
  readonly segmentSize: number;
  readonly sinks: readonly AuditSinkConfig[];
  readonly baseDirectory: string;
  readonly env: NodeJS.ProcessEnv;
}

type ThreadMessage = { readonly ready: true; readonly status: SinkStatus[] } | { readonly startError: string } | { readonly error: string } | { readonly status: SinkStatus[] };

/**
 * Runs the SIEM export (audit-export.ts) on a worker thread, so that the data plane's request
 * thread pays nothing for it: the bench ratio stays the same with sinks on. `start` rejects
 * when a sink is misconfigured, so `warden start` refuses to run with a sink it cannot feed.
 */
export class ExportThread {
  #status: SinkStatus[] = [];
  #asked: (() => void)[] = [];

  private constructor(private readonly worker: Worker) {}

  static start(workerFile: string, data: ExportThreadData, onError: (message: string) => void): Promise<ExportThread> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerFile, { workerData: data });
      const thread = new ExportThread(worker);
      worker.on('message', (message: ThreadMessage) => {
        if ('startError' in message) reject(new Error(message.startError));
        else if ('error' in message) onError(message.error);
        else {
          thread.#status = message.status;
          for (const answered of thread.#asked.splice(0)) answered();
          if ('ready' in message) resolve(thread);
        }
      });
      worker.once('error', (error) => {
        reject(error);
        onError(`the export thread failed: ${error.message}`);
      });
    });
  }

  /** Each sink's cursor, lag and last error, asked of the thread now (or as of the last second, if it does not answer within one). */
  async status(): Promise<SinkStatus[]> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.#asked.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.postMessage('status');
    });
    return this.#status;
  }

  /** Records were appended: idle sinks look now. */
  nudge(): void {
    this.worker.postMessage('nudge');
  }

  /** Stops every sink after its in-flight delivery. */
  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage('stop');
    await exited;
  }
}
