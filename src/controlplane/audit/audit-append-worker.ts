import { parentPort, workerData } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import type { AppendWorkerData } from './audit-appender.js';
import { appendJsonl } from './audit-appender.js';
import type { SerializedAuditBatch } from './audit-chain.js';
import { AuditLog } from './audit-log.js';

/**
 * The audit append worker (see WorkerAppender): one per gateway process, the only writer of
 * the audit log's blocks. Batches are appended in the order they arrive, one transaction each.
 */
const data = workerData as AppendWorkerData;
const port = parentPort!;
const database = new Sqlite(data.databaseFile, { fileMustExist: true });
database.pragma('journal_mode = WAL');
database.pragma('busy_timeout = 5000');
database.pragma('synchronous = NORMAL');
const log = AuditLog.open(database, { segmentSize: data.segmentSize });
let jsonl = Promise.resolve();

port.on('message', (message: { readonly id: number; readonly batch: SerializedAuditBatch } | { readonly close: true }) => {
  if ('close' in message) {
    void jsonl.then(() => {
      database.close();
      port.close();
    });
    return;
  }
  try {
    const records = log.appendSerialized(message.batch);
    port.postMessage({ id: message.id, ok: true });
    if (data.jsonlFile !== undefined) {
      const file = data.jsonlFile;
      const lines = records.map((record) => record.json);
      jsonl = jsonl.then(() => appendJsonl(file, lines, (warning) => port.postMessage({ warning })));
    }
  } catch (error) {
    port.postMessage({ id: message.id, ok: false, message: (error as Error).message });
  }
});
port.postMessage({ ready: true });
