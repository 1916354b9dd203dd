import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SerializedAuditBatch } from './audit-chain.js';
import type { AuditLog } from './audit-log.js';

/**
 * Where the audit writer's batches go: appended to the Merkle log (chained, hashed, stored)
 * and, with a JSONL file configured, to that file. `append` resolves once the batch is durable
 * and rejects with nothing appended when it is not, so the writer can retry the batch.
 */
export interface AuditAppender {
  append(batch: SerializedAuditBatch): Promise<void>;
  close(): Promise<void>;
}

export interface AppenderOptions {
  /** Also append every record to this JSONL file. */
  readonly jsonlFile?: string;
  /** Problems that lose nothing (a JSONL append that failed: the log has the records). */
  readonly onWarning?: (message: string) => void;
}

/** Appends on the calling thread: for tests, benchmarks and tools that write the log themselves. */
export class InlineAppender implements AuditAppender {
  constructor(
    private readonly log: AuditLog,
    private readonly options: AppenderOptions = {},
  ) {}

  async append(batch: SerializedAuditBatch): Promise<void> {
    const records = this.log.appendSerialized(batch);
    if (this.options.jsonlFile !== undefined) await appendJsonl(this.options.jsonlFile, records.map((record) => record.json), this.options.onWarning);
  }

  async close(): Promise<void> {}
}

/** What the append worker is started with (audit-append-worker.ts). */
export interface AppendWorkerData {
  readonly databaseFile: string;
  readonly segmentSize: number;
  readonly jsonlFile: string | undefined;
}

type WorkerAnswer = { readonly id: number; readonly ok: true } | { readonly id: number; readonly ok: false; readonly message: string } | { readonly warning: string } | { readonly ready: true };

/**
 * Appends on a worker thread with its own SQLite connection: hashing, the Merkle tree and the
 * insert cost the request thread nothing; it only serialises each event and hands over text.
 * A worker that dies fails the batches in flight (the writer keeps and retries them) and is
 * started again on the next append, continuing the log from the database.
 */
export class WorkerAppender implements AuditAppender {
  #worker: Promise<Worker> | undefined;
  #nextId = 0;
  readonly #waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  constructor(
    private readonly workerFile: string,
    private readonly data: AppendWorkerData,
    private readonly options: AppenderOptions = {},
  ) {}

  /** Starts the worker now (else on the first append), so a broken setup fails at start. */
  async start(): Promise<void> {
    await this.#running();
  }

  async append(batch: SerializedAuditBatch): Promise<void> {
    const worker = await this.#running();
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ id, batch });
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker === undefined) return;
    const running = await worker.catch(() => undefined);
    if (running === undefined) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.postMessage({ close: true });
    await exited;
  }

  #running(): Promise<Worker> {
    this.#worker ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(this.workerFile, { workerData: this.data });
      worker.on('message', (answer: WorkerAnswer) => {
        if ('ready' in answer) resolve(worker);
        else if ('warning' in answer) this.options.onWarning?.(answer.warning);
        else {
          const waiter = this.#waiting.get(answer.id);
          this.#waiting.delete(answer.id);
          if (answer.ok) waiter?.resolve();
          else waiter?.reject(new Error(answer.message));
        }
      });
      worker.once('error', (error) => {
        reject(error);
        this.#failAll(error);
      });
      worker.once('exit', (code) => {
        this.#worker = undefined;
        reject(new Error(`the audit append worker exited (${code}) before it was ready`));
        this.#failAll(new Error(`the audit append worker exited (${code})`));
      });
    });
    const starting = this.#worker;
    // A worker that fails to start is tried again on the next append.
    starting.catch(() => {
      if (this.#worker === starting) this.#worker = undefined;
    });
    return starting;
  }

  #failAll(error: Error): void {
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }
}

/** Appends lines to the JSONL file; a failure is a warning (the log, the record of truth, has them). */
export async function appendJsonl(file: string, lines: readonly string[], onWarning: ((message: string) => void) | undefined): Promise<void> {
  if (lines.length === 0) return;
  try {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true, mode: 0o750 });
    await appendFile(file, `${lines.join('\n')}\n`, { mode: 0o640 });
  } catch (error) {
    onWarning?.(`appending to ${file} failed; the audit log has these records: ${(error as Error).message}`);
  }
}
