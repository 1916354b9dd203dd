import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { parseAuditLine } from './audit-jsonl.js';
import { detectFormat, type TrafficFormat } from './detect-format.js';
import { parseEnvoyLine } from './envoy-json.js';
import { harCall, harEntries } from './har.js';
import { MAX_LINE_LENGTH, type ImportedCall, type ParsedLine } from './imported-call.js';
import { parseNginxLine } from './nginx-combined.js';
import { parseTrafficJsonLine } from './traffic-jsonl.js';

export type { TrafficFormat } from './detect-format.js';
export type { ImportedCall } from './imported-call.js';

/** Why one line (for HAR: one entry, numbered from 1) was skipped. */
export interface ImportProblem {
  readonly line: number;
  readonly message: string;
}

export interface ImportSummary {
  readonly file: string;
  readonly format: TrafficFormat;
  /** Records read, calls plus skipped: non-blank, non-comment lines, or a HAR's entries. */
  readonly lines: number;
  readonly calls: number;
  readonly skipped: number;
  /** The first problems only (MAX_PROBLEMS); `skipped` counts them all. */
  readonly problems: readonly ImportProblem[];
}

export interface ImportOptions {
  readonly format: TrafficFormat | 'auto';
  readonly onCall: (call: ImportedCall) => void;
  /** Called after each chunk read; for a gzip file the bytes are those of the compressed file. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
  readonly signal?: AbortSignal;
}

export const MAX_PROBLEMS = 20;
/** How much of a file `auto` looks at to tell its format. */
const HEAD_BYTES = 64 * 1024;
/** A HAR is one JSON document, parsed whole: V8's longest string is just under 512 MiB. */
const MAX_HAR_BYTES = 500 * 1024 * 1024;
/**
 * Read (and gunzip) in chunks of 64 KiB: each chunk is decoded into one string, and V8 places
 * strings over ~128 KiB in its large-object space, where allocating them costs 30 times more.
 */
const CHUNK_BYTES = 64 * 1024;
const OVERSIZED: { problem: string } = { problem: `the line is longer than ${MAX_LINE_LENGTH / 1024 / 1024} MiB` };

/** Parses one line of a line-based format; undefined for a blank or `#` comment line. */
export function parseTrafficLine(format: Exclude<TrafficFormat, 'har'>, line: string): ParsedLine {
  if (line.length > MAX_LINE_LENGTH) return OVERSIZED;
  const first = line.charCodeAt(0);
  if (Number.isNaN(first)) return undefined;
  if (first === 0x20 || first === 0x09) {
    line = line.trim();
    if (line.length === 0) return undefined;
  }
  if (line.charCodeAt(0) === 0x23 /* # */) return undefined;
  switch (format) {
    case 'audit':
      return parseAuditLine(line);
    case 'jsonl':
      return parseTrafficJsonLine(line);
    case 'nginx':
      return parseNginxLine(line);
    case 'envoy':
      return parseEnvoyLine(line);
  }
}

/**
 * Streams a traffic file (plain or gzip, told by its magic bytes), calling onCall for each
 * call; line formats are read chunk by chunk with memory bounded by the longest line, a HAR is
 * read whole. Throws when the file cannot be read, its format cannot be told, or it is not the
 * format given; skips (and counts) lines it cannot use.
 */
export async function importTrafficFile(file: string, options: ImportOptions): Promise<ImportSummary> {
  const { onCall, onProgress, signal } = options;
  signal?.throwIfAborted();
  const handle = await open(file);
  try {
    const { size } = await handle.stat();
    const magic = Buffer.alloc(2);
    await handle.read(magic, 0, 2, 0);
    const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
    if (options.format === 'har' && !gzip && size > MAX_HAR_BYTES) throw harTooLarge(file);
    const raw = handle.createReadStream({ start: 0, highWaterMark: CHUNK_BYTES, autoClose: false });
    // pipeline() destroys both streams on an error, so a corrupt gzip ends the loop below with it.
    const source: Readable = gzip ? pipeline(raw, createGunzip({ chunkSize: CHUNK_BYTES }), () => {}) : raw;

    let format = options.format === 'auto' ? undefined : options.format;
    let records = 0;
    let calls = 0;
    const problems: ImportProblem[] = [];
    const tally = (line: number, parsed: ParsedLine) => {
      if (parsed === undefined) return;
      records++;
      if ('problem' in parsed) {
        if (problems.length < MAX_PROBLEMS) problems.push({ line, message: parsed.problem });
        return;
      }
      calls++;
      onCall(parsed);
    };

    // Chunks held: the head while the format is not known yet, then a HAR's whole text.
    const held: Buffer[] = [];
    let heldBytes = 0;
    let lines: LineSplitter | undefined;
    const take = (chunk: Buffer) => {
      if (format === 'har' || format === undefined) {
        heldBytes += chunk.length;
        if (format === 'har' && heldBytes > MAX_HAR_BYTES) throw harTooLarge(file);
        held.push(chunk);
      } else {
        lines ??= new LineSplitter(format, tally);
        lines.push(chunk);
      }
    };
    let decideAt = HEAD_BYTES;
    const decide = (complete: boolean) => {
      const text = Buffer.concat(held, heldBytes).toString('utf8');
      if (complete && text.trim().length === 0) throw new Error(`${file} is empty: there is no traffic in it to import`);
      // A first line longer than the head: read on, up to the longest line there can be.
      const detected = detectFormat(text, complete || heldBytes > MAX_LINE_LENGTH * 2);
      if (detected === undefined) {
        decideAt *= 2;
        return;
      }
      if (detected instanceof Error) throw new Error(`${file}: ${detected.message}`);
      format = detected;
      if (format === 'har') return;
      heldBytes = 0;
      for (const chunk of held.splice(0)) take(chunk);
    };

    for await (const chunk of source as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      take(chunk);
      if (format === undefined && heldBytes >= decideAt) decide(false);
      onProgress?.(raw.bytesRead, size);
    }
    if (format === undefined) decide(true);
    if (format === 'har') {
      const text = Buffer.concat(held, heldBytes).toString('utf8');
      held.length = 0;
      let entries: unknown[];
      try {
        entries = harEntries(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      } catch (error) {
        throw new Error(`${file}: ${(error as Error).message}`);
      }
      entries.forEach((entry, index) => tally(index + 1, harCall(entry)));
    } else {
      lines?.end();
    }
    return { file, format: format!, lines: records, calls, skipped: records - calls, problems };
  } finally {
    await handle.close();
  }
}

function harTooLarge(file: string): Error {
  return new Error(`${file}: a HAR file is parsed whole, and this one is over ${MAX_HAR_BYTES / 1024 / 1024} MiB; export a shorter capture`);
}

/**
 * Splits decoded text into lines (LF or CRLF) across chunks, numbering them from 1. A line
 * over MAX_LINE_LENGTH is not accumulated: the rest of it is dropped as it streams past, and
 * it is reported as a problem.
 */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private oversized = false;
  private number = 0;
  private first = true;

  constructor(
    private readonly format: Exclude<TrafficFormat, 'har'>,
    private readonly onLine: (number: number, parsed: ParsedLine) => void,
  ) {}

  push(chunk: Buffer): void {
    let text = this.decoder.write(chunk);
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const piece = text.slice(start, newline);
      start = newline + 1;
      if (this.oversized) {
        this.oversized = false;
        this.onLine(++this.number, OVERSIZED);
        continue;
      }
      this.line(this.carry.length === 0 ? piece : this.carry + piece);
      this.carry = '';
    }
    if (this.oversized) return;
    if (this.carry.length + text.length - start > MAX_LINE_LENGTH) {
      this.oversized = true;
      this.carry = '';
    } else {
      this.carry += text.slice(start);
    }
  }

  /** Ends the text: a last line without a newline still counts. */
  end(): void {
    const rest = this.carry + this.decoder.end();
    if (this.oversized) this.onLine(++this.number, OVERSIZED);
    else if (rest.length > 0) this.line(rest);
  }

  private line(text: string): void {
    const line = text.charCodeAt(text.length - 1) === 0x0d ? text.slice(0, -1) : text;
    this.onLine(++this.number, parseTrafficLine(this.format, line));
  }
}
