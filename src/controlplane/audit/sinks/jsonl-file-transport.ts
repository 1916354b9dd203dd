import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DeliveryError, type DeliveredMark, type FormattedBatch, type SinkTransport } from './sink-transport.js';

/** Audit files are readable by the owner's group (a log shipper), by nobody else. */
export const JSONL_FILE_MODE = 0o640;
/** How much of the file's end is read to find its last complete line. */
const TAIL_BYTES = 256 * 1024;
/** `<file>.20260315T090000123Z` or, for a second rotation in the same millisecond, `…Z-1`. */
const ROTATED_SUFFIX = /^\d{8}T\d{9}Z(-\d+)?$/;

export interface JsonlFileOptions {
  /** Absolute path of the live file. */
  readonly file: string;
  /** Rotate before a batch would take the file past this size; 0: never by size. */
  readonly maxBytes: number;
  /** Rotate at the first batch of each UTC day. */
  readonly rotateDaily: boolean;
  /** Rotated files kept; older ones are deleted. */
  readonly keep: number;
  /** fdatasync after each batch, before it counts as delivered. */
  readonly fsync: boolean;
  readonly now?: () => Date;
}

/**
 * An append-only JSON Lines file, one record per line, rotated by size and/or daily, for a log
 * shipper to tail. A batch is delivered when it was written (and, with `fsync`, flushed to disk).
 *
 * A batch always lands whole in one file: rotation happens between batches, so a file may exceed
 * `maxBytes` only when a single batch is larger than it. A write that fails is undone (the file
 * is cut back to where the batch began), and a line cut short by a crash is removed on the next
 * open, so the file never holds half a record. After a crash between a write and the cursor's
 * update, the runner reads the last record back ({@link lastDelivered}) and goes on after it:
 * no record twice.
 */
export class JsonlFileTransport implements SinkTransport {
  readonly target: string;
  #handle: FileHandle | undefined;
  #size = 0;
  /** The UTC day of the live file's last write; undefined while it is empty. */
  #day: string | undefined;
  #last: DeliveredMark | undefined;
  /** Only a regular file is rotated (not a pipe or device the path may point at). */
  #regular = true;

  // Private (#), as in every transport: neither JSON.stringify nor util.inspect shows the options (the webhook's hold its secret).
  readonly #options: JsonlFileOptions;

  constructor(options: JsonlFileOptions) {
    this.#options = options;
    this.target = `jsonl ${options.file}`;
  }

  async lastDelivered(): Promise<DeliveredMark | undefined> {
    await this.#open();
    return this.#last;
  }

  async deliver(batch: FormattedBatch): Promise<void> {
    const data = Buffer.from(batch.items.map((item) => `${item}\n`).join(''), 'utf8');
    let handle: FileHandle | undefined;
    /** Where the batch began, once writing it started. */
    let before: number | undefined;
    try {
      handle = await this.#open();
      const today = utcDay(this.#now());
      const tooBig = this.#options.maxBytes > 0 && this.#size + data.length > this.#options.maxBytes;
      const newDay = this.#options.rotateDaily && this.#day !== undefined && this.#day !== today;
      if (this.#regular && this.#size > 0 && (tooBig || newDay)) handle = await this.#rotate();
      before = this.#size;
      await handle.appendFile(data);
      if (this.#options.fsync) await handle.datasync();
      this.#size += data.length;
      this.#day = today;
    } catch (error) {
      // Cut a partly written batch off, so its retry does not leave records twice.
      if (handle !== undefined && before !== undefined) await handle.truncate(before).catch(() => undefined);
      await this.#closeHandle();
      throw new DeliveryError(`appending records ${batch.firstSeq}–${batch.lastSeq} to ${this.#options.file} failed: ${describe(error as Error)}`, 'unavailable', undefined, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.#closeHandle();
  }

  /** Opens (creating) the live file, removes a torn last line and notes where the file ends. */
  async #open(): Promise<FileHandle> {
    if (this.#handle !== undefined) return this.#handle;
    await mkdir(path.dirname(this.#options.file), { recursive: true, mode: 0o750 });
    const handle = await open(this.#options.file, 'a+', JSONL_FILE_MODE);
    try {
      const info = await handle.stat();
      // The mode given to open() applies only to a new file, and the umask may narrow it. Only a
      // regular file is ours to change: a path may point at a device or pipe a shipper reads.
      if (info.isFile()) await handle.chmod(JSONL_FILE_MODE);
      this.#regular = info.isFile();
      let size = this.#regular ? info.size : 0;
      this.#last = undefined;
      if (size > 0) {
        const start = Math.max(0, size - TAIL_BYTES);
        const tail = Buffer.alloc(size - start);
        await handle.read(tail, 0, tail.length, start);
        let end = tail.length;
        if (tail[end - 1] !== 0x0a) {
          // A crash cut the last line short: drop it (its batch was not confirmed, it is sent again).
          const lastNewline = tail.lastIndexOf(0x0a);
          if (lastNewline >= 0 || start === 0) {
            end = lastNewline + 1;
            size = start + end;
            await handle.truncate(size);
          }
        }
        this.#last = lastMark(tail.subarray(0, end));
      }
      this.#size = size;
      this.#day = size > 0 ? utcDay(info.mtime) : undefined;
      this.#handle = handle;
      return handle;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /** Renames the live file to `<file>.<UTC stamp>`, starts a new one and deletes the oldest beyond `keep`. */
  async #rotate(): Promise<FileHandle> {
    await this.#closeHandle();
    const stamp = this.#now().toISOString().replace(/[-:.]/g, '');
    let target = `${this.#options.file}.${stamp}`;
    for (let n = 1; await exists(target); n++) target = `${this.#options.file}.${stamp}-${n}`;
    await rename(this.#options.file, target);
    await this.#prune();
    return this.#open();
  }

  async #prune(): Promise<void> {
    const directory = path.dirname(this.#options.file);
    const prefix = `${path.basename(this.#options.file)}.`;
    const rotated = (await readdir(directory))
      .filter((name) => name.startsWith(prefix) && ROTATED_SUFFIX.test(name.slice(prefix.length)))
      .sort();
    for (const name of rotated.slice(0, Math.max(0, rotated.length - this.#options.keep))) {
      await rm(path.join(directory, name), { force: true });
    }
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}

/** The `seq` and `hash` of the last line: top-level for `json`, in metadata/unmapped for `ocsf`. */
function lastMark(text: Buffer): DeliveredMark | undefined {
  const content = text.toString('utf8').trimEnd();
  const line = content.slice(content.lastIndexOf('\n') + 1);
  if (line === '') return undefined;
  try {
    const record = JSON.parse(line) as { seq?: unknown; hash?: unknown; metadata?: { sequence?: unknown }; unmapped?: { warden?: { hash?: unknown } } };
    const seq = typeof record.seq === 'number' ? record.seq : record.metadata?.sequence;
    const hash = typeof record.hash === 'string' ? record.hash : record.unmapped?.warden?.hash;
    return typeof seq === 'number' && Number.isSafeInteger(seq) ? { seq, hash: typeof hash === 'string' ? hash : undefined } : undefined;
  } catch {
    return undefined;
  }
}

function utcDay(time: Date): string {
  return time.toISOString().slice(0, 10);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

function describe(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${code} (${error.message})` : error.message;
}
