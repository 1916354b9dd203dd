import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTrafficFile, MAX_PROBLEMS, parseTrafficLine, type ImportedCall, type ImportOptions, type TrafficFormat } from './import-traffic.js';

const samples = fileURLToPath(new URL('../../../../test/discovery/samples/', import.meta.url));
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'warden-traffic-import-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Imports a file, returning its summary and calls. */
async function load(file: string, format: TrafficFormat | 'auto' = 'auto', options: Partial<ImportOptions> = {}) {
  const calls: ImportedCall[] = [];
  const summary = await importTrafficFile(file, { format, onCall: (call) => calls.push(call), ...options });
  return { summary, calls, observations: calls.map((call) => call.observation) };
}

/** Writes a scratch file of text or bytes and gives its path. */
async function scratch(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(directory, name);
  await writeFile(file, content);
  return file;
}

const jsonLine = (n: number, extra: Record<string, unknown> = {}) => JSON.stringify({ method: 'GET', path: `/v1/items/${n}`, status: 200, ...extra });

describe('importTrafficFile', () => {
  it.each([
    ['chrome.har', 'har', 6, 1],
    ['firefox.har', 'har', 2, 0],
    ['nginx-access.log', 'nginx', 6, 4],
    ['envoy-access.log', 'envoy', 4, 2],
    ['traffic.jsonl', 'jsonl', 5, 2],
    ['audit.jsonl', 'audit', 6, 0],
  ] as const)('tells the format of %s (%s) and imports it', async (name, format, calls, skipped) => {
    const { summary } = await load(path.join(samples, name));
    expect(summary).toMatchObject({ file: path.join(samples, name), format, calls, skipped, lines: calls + skipped });
    expect(summary.problems).toHaveLength(skipped);
  });

  it('numbers problems by line, counting blank and comment lines', async () => {
    const { summary } = await load(path.join(samples, 'nginx-access.log'));
    expect(summary.problems).toEqual([
      { line: 3, message: expect.stringMatching(/no request line/) },
      { line: 4, message: expect.stringMatching(/TLS handshake/) },
      { line: 7, message: expect.stringMatching(/request target "\*"/) },
      { line: 9, message: expect.stringMatching(/request target "api.example.com:443"/) },
    ]);
    const jsonl = await load(path.join(samples, 'traffic.jsonl'));
    expect(jsonl.summary.problems.map((problem) => problem.line)).toEqual([5, 6]);
    expect(jsonl.observations.at(-1)).toMatchObject({ path: '/v1/orders', queryNames: ['email', 'page'] });
  });

  it('never keeps the e-mail address a query carried', async () => {
    const { calls } = await load(path.join(samples, 'traffic.jsonl'));
    const text = JSON.stringify(calls);
    for (const part of ['jane', 'bob', '@', '%40']) expect(text, part).not.toContain(part);
  });

  it('keeps the unregistered-credential mark of the audit log', async () => {
    const { calls } = await load(path.join(samples, 'audit.jsonl'));
    expect(calls.filter((call) => call.unregistered).map((call) => call.observation.client)).toEqual(['key_unknown01']);
  });

  it('refuses a file whose format it cannot tell, naming the formats and --format', async () => {
    const file = await scratch('notes.txt', 'Dear diary,\ntoday the gateway was quiet.\n');
    await expect(load(file)).rejects.toThrow(/notes\.txt: could not tell the format.*pass --format audit\|jsonl\|har\|nginx\|envoy/);
    const csv = await scratch('export.csv', 'seq,time,agent\n1,2026-03-15T09:00:00Z,bot\n');
    await expect(load(csv)).rejects.toThrow(/could not tell the format/);
  });

  it('reads a file as the format it is told, skipping every line that is not', async () => {
    const { summary } = await load(path.join(samples, 'nginx-access.log'), 'jsonl');
    expect(summary).toMatchObject({ format: 'jsonl', calls: 0, skipped: 10 });
    await expect(load(path.join(samples, 'traffic.jsonl'), 'har')).rejects.toThrow(/traffic\.jsonl: not a HAR file: it is not JSON/);
  });

  it('reads CRLF line endings, a byte-order mark, blank lines and a last line without a newline', async () => {
    const file = await scratch('crlf.jsonl', `\uFEFF${jsonLine(1)}\r\n\r\n${jsonLine(2)}\r\n  \r\n${jsonLine(3, { status: 'x' })}\r\n${jsonLine(4)}`);
    const { summary, observations } = await load(file);
    expect(summary).toMatchObject({ format: 'jsonl', lines: 4, calls: 3, skipped: 1, problems: [{ line: 5, message: 'status "x" is not a status code' }] });
    expect(observations.map((seen) => seen.path)).toEqual(['/v1/items/1', '/v1/items/2', '/v1/items/4']);
  });

  it('refuses to guess the format of an empty file, and imports nothing from it when told', async () => {
    const empty = await scratch('empty.log', '');
    await expect(load(empty)).rejects.toThrow(/empty\.log is empty/);
    const blank = await scratch('blank.log', '\n\n  \n');
    await expect(load(blank)).rejects.toThrow(/blank\.log is empty/);
    expect((await load(empty, 'nginx')).summary).toEqual({ file: empty, format: 'nginx', lines: 0, calls: 0, skipped: 0, problems: [] });
  });

  it(`lists the first ${MAX_PROBLEMS} problems and counts them all`, async () => {
    const lines = [jsonLine(0), ...Array.from({ length: 25 }, (_, n) => jsonLine(n, { method: 'G=T' })), jsonLine(99)];
    const { summary } = await load(await scratch('many-problems.jsonl', `${lines.join('\n')}\n`));
    expect(summary).toMatchObject({ lines: 27, calls: 2, skipped: 25 });
    expect(summary.problems).toHaveLength(MAX_PROBLEMS);
    expect(summary.problems[0]).toEqual({ line: 2, message: 'method "G=T" is not an HTTP method' });
    expect(summary.problems.at(-1)?.line).toBe(21);
  });

  it('skips a line over 1 MiB as a problem, without holding it, and reads on', async () => {
    const huge = jsonLine(2, { padding: 'x'.repeat(3 * 1024 * 1024) });
    const file = await scratch('oversized.jsonl', [jsonLine(1), huge, jsonLine(3), huge].join('\n'));
    const { summary, observations } = await load(file);
    expect(summary).toMatchObject({ lines: 4, calls: 2, skipped: 2, problems: [{ line: 2, message: 'the line is longer than 1 MiB' }, { line: 4, message: 'the line is longer than 1 MiB' }] });
    expect(observations.map((seen) => seen.path)).toEqual(['/v1/items/1', '/v1/items/3']);
  });

  it('tells the format when the first line is longer than the head it looks at', async () => {
    const file = await scratch('long-first-line.jsonl', `${jsonLine(1, { note: 'n'.repeat(200 * 1024) })}\n${jsonLine(2)}\n`);
    expect((await load(file)).summary).toMatchObject({ format: 'jsonl', calls: 2 });
  });

  it('decodes multi-byte characters split across chunks', async () => {
    const lines = Array.from({ length: 5000 }, (_, n) => jsonLine(n, { client: 'zoë-€-𝄞' }));
    const { observations } = await load(await scratch('utf8.jsonl', `${lines.join('\n')}\n`));
    expect(observations).toHaveLength(5000);
    expect(new Set(observations.map((seen) => seen.client))).toEqual(new Set(['zoë-€-𝄞']));
  });

  it('reads gzip files, told by their magic bytes, and reports progress in compressed bytes', async () => {
    for (const name of ['nginx-access.log', 'chrome.har', 'audit.jsonl']) {
      const plain = await load(path.join(samples, name));
      const file = await scratch(`${name}.gz`, gzipSync(await readFile(path.join(samples, name))));
      const progress: [number, number][] = [];
      const zipped = await load(file, 'auto', { onProgress: (read, total) => progress.push([read, total]) });
      expect(zipped.calls, name).toEqual(plain.calls);
      expect({ ...zipped.summary, file: '' }).toEqual({ ...plain.summary, file: '' });
      const { size } = await stat(file);
      expect(progress.at(-1)).toEqual([size, size]);
    }
    const corrupt = await scratch('corrupt.log.gz', gzipSync(await readFile(path.join(samples, 'nginx-access.log'))).subarray(0, 200));
    await expect(load(corrupt, 'nginx')).rejects.toThrow(/unexpected end of file/);
  });

  it('reports progress up to the file size on a plain file', async () => {
    const lines = Array.from({ length: 20_000 }, (_, n) => jsonLine(n));
    const file = await scratch('progress.jsonl', `${lines.join('\n')}\n`);
    const progress: number[] = [];
    await load(file, 'jsonl', { onProgress: (read) => progress.push(read) });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe((await stat(file)).size);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('stops when its signal aborts', async () => {
    const lines = Array.from({ length: 50_000 }, (_, n) => jsonLine(n));
    const file = await scratch('abort.jsonl', `${lines.join('\n')}\n`);
    await expect(load(file, 'auto', { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
    const controller = new AbortController();
    let seen = 0;
    const importing = importTrafficFile(file, { format: 'jsonl', signal: controller.signal, onCall: () => (++seen === 100 ? controller.abort() : undefined) });
    await expect(importing).rejects.toThrow(/abort/i);
    expect(seen).toBeLessThan(50_000);
  });

  it('says a file cannot be read', async () => {
    await expect(load(path.join(directory, 'missing.log'))).rejects.toThrow(/ENOENT/);
  });
});

describe('parseTrafficLine', () => {
  it('passes over blank and comment lines, and trims indented ones', () => {
    for (const format of ['audit', 'jsonl', 'nginx', 'envoy'] as const) {
      expect(parseTrafficLine(format, '')).toBeUndefined();
      expect(parseTrafficLine(format, ' \t ')).toBeUndefined();
      expect(parseTrafficLine(format, '# written by logrotate')).toBeUndefined();
    }
    expect(parseTrafficLine('jsonl', `  ${jsonLine(1)}`)).toMatchObject({ observation: { path: '/v1/items/1' } });
    expect(parseTrafficLine('nginx', '\t::1 - - [15/Mar/2026:09:00:00 +0000] "GET / HTTP/1.1" 200 0 "-" "-"')).toMatchObject({ observation: { path: '/' } });
  });

  it('refuses a line over 1 MiB without parsing it', () => {
    expect(parseTrafficLine('jsonl', jsonLine(1, { padding: 'x'.repeat(1024 * 1024) }))).toEqual({ problem: 'the line is longer than 1 MiB' });
  });
});
