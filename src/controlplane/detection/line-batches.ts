import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

/** The most characters of one line held in memory; the rest of a longer line is dropped unread. */
const MAX_LINE_CHARS = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

export interface LineFile {
  /** The file's lines, one batch per chunk read: consumed synchronously, with no promise per line. */
  readonly batches: AsyncIterable<readonly string[]>;
  /** Bytes of the file on disk read so far (of the compressed file, for gzip). */
  bytesRead(): number;
  readonly size: number;
}

/**
 * Opens a text file of lines (LF or CRLF), plain or gzip as its magic bytes say. Lines come in
 * batches per 64 KiB chunk, which is several times faster than a promise per line. A line
 * longer than 1 MiB is cut there (its tail dropped as it streams past), so memory stays bounded
 * and the cut line fails whatever parsing follows.
 */
export async function openLineFile(file: string): Promise<LineFile> {
  const handle = await open(file);
  let gzip: boolean;
  let size: number;
  try {
    size = (await handle.stat()).size;
    const magic = Buffer.alloc(2);
    await handle.read(magic, 0, 2, 0);
    gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
  const raw = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  // pipeline() destroys both streams on an error, so a corrupt gzip ends the reading with it.
  const input: Readable = gzip ? pipeline(raw, createGunzip({ chunkSize: CHUNK_BYTES }), () => {}) : raw;
  return { batches: splitLines(input), bytesRead: () => raw.bytesRead, size };
}

async function* splitLines(input: Readable): AsyncGenerator<readonly string[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const text = carry + decoder.write(chunk);
    const lines = text.split('\n');
    carry = lines.pop()!;
    if (carry.length > MAX_LINE_CHARS) carry = carry.slice(0, MAX_LINE_CHARS);
    for (let index = 0; index < lines.length; index++) if (lines[index]!.endsWith('\r')) lines[index] = lines[index]!.slice(0, -1);
    if (lines.length > 0) yield lines;
  }
  const last = carry + decoder.end();
  if (last.length > 0) yield [last.endsWith('\r') ? last.slice(0, -1) : last];
}
