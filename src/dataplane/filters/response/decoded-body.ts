import type { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';

/**
 * A decoder for the answer's Content-Encoding: none for identity, zlib for gzip, deflate
 * and br; undefined for an encoding the gateway cannot read (the caller refuses the answer
 * rather than pass it unfiltered). Stacked encodings (`gzip, br`) are not read either.
 */
export function decoderFor(encoding: string | string[] | undefined): { readonly decoder: Transform | null } | undefined {
  const name = (Array.isArray(encoding) ? encoding.join(',') : encoding ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return { decoder: null };
  if (name === 'gzip' || name === 'x-gzip') return { decoder: zlib.createGunzip() };
  if (name === 'deflate') return { decoder: zlib.createInflate() };
  if (name === 'br') return { decoder: zlib.createBrotliDecompress() };
  return undefined;
}

/** The body as it decodes; errors of the upstream body and of the decoder both end the iteration. */
export function decoded(body: Readable, decoder: Transform | null): AsyncIterable<Buffer> {
  if (decoder === null) return body as AsyncIterable<Buffer>;
  body.on('error', (error) => decoder.destroy(error));
  // A body dropped before its end (withheld, refused, the client gone) takes its decoder with it.
  body.once('close', () => {
    if (!body.readableEnded) decoder.destroy();
  });
  body.pipe(decoder);
  return decoder as AsyncIterable<Buffer>;
}
