import { parentPort, workerData } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { AuditLog } from '../audit-log.js';
import { SinkCursors } from '../sink-cursors.js';
import { startAuditExport } from './audit-export.js';
import type { ExportThreadData } from './export-thread.js';

/**
 * The SIEM export on its own thread (see ExportThread): its own SQLite connection, a log that
 * follows the append worker, and the sinks' loops. Formatting and sending cost the request
 * thread nothing.
 */
const data = workerData as ExportThreadData;
const port = parentPort!;
const database = new Sqlite(data.databaseFile, { fileMustExist: true });
database.pragma('busy_timeout = 5000');
const log = AuditLog.open(database, { segmentSize: data.segmentSize, follow: true });
let exporter: ReturnType<typeof startAuditExport>;
try {
  exporter = startAuditExport({
    log,
    cursors: new SinkCursors(database),
    sinks: data.sinks,
    baseDirectory: data.baseDirectory,
    env: data.env,
    onError: (error) => port.postMessage({ error: error.message }),
  });
} catch (error) {
  port.postMessage({ startError: (error as Error).message });
  database.close();
  port.close();
  throw error;
}
const report = () => port.postMessage({ status: exporter.status() });
const timer = setInterval(report, 1000);
port.on('message', (message: 'nudge' | 'status' | 'stop') => {
  if (message === 'nudge') exporter.nudge();
  else if (message === 'status') report();
  else {
    clearInterval(timer);
    void exporter.stop().then(() => {
      report();
      database.close();
      port.close();
    });
  }
});
port.postMessage({ ready: true, status: exporter.status() });
