import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { multipartMethodGuard } from './multipart-method-guard.js';

/** Streams `chunks` through the guard; what came out and how many bytes it counted, or its error. */
async function guard(chunks: readonly string[]): Promise<{ out: string; counted: number } | Error> {
  let counted = 0;
  const out: Buffer[] = [];
  try {
    await pipeline(Readable.from(chunks.map((chunk) => Buffer.from(chunk, 'latin1'))), multipartMethodGuard((bytes) => (counted += bytes)), async function* (source) {
      for await (const chunk of source) out.push(chunk as Buffer);
    });
    return { out: Buffer.concat(out).toString('latin1'), counted };
  } catch (error) {
    return error as Error;
  }
}

describe('multipartMethodGuard', () => {
  it('passes and counts a body without a _method part unchanged', async () => {
    const chunks = ['--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nhello\r\n', '--b--\r\n'];
    expect(await guard(chunks)).toEqual({ out: chunks.join(''), counted: chunks.join('').length });
  });

  it('fails on a part named _method, also when the name is split across two chunks', async () => {
    const body = '--b\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b--\r\n';
    for (let split = 1; split < body.length; split++) {
      const result = await guard([body.slice(0, split), body.slice(split)]);
      expect(result, `split at ${split}`).toBeInstanceOf(Error);
      expect((result as Error & { code?: string }).code).toBe('WARDEN_REQUEST_METHOD_OVERRIDE');
    }
  });

  it('does not take a filename or a longer name for _method', async () => {
    const body = '--b\r\nContent-Disposition: form-data; name="upload"; filename="_method"\r\n\r\nx\r\n--b\r\nContent-Disposition: form-data; name="_method_name"\r\n\r\ny\r\n--b--\r\n';
    expect(await guard([body])).toEqual({ out: body, counted: body.length });
  });
});
