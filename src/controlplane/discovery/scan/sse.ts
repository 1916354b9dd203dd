import { StringDecoder } from 'node:string_decoder';

/**
 * Reads a `text/event-stream` body chunk by chunk and hands back the `data` of each complete
 * event: an MCP server answers a POST with such a stream and may keep it open afterwards.
 */
export class SseReader {
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';

  /** The data fields of the events completed by this chunk. */
  feed(chunk: Buffer): string[] {
    let text = this.#pending + this.#decoder.write(chunk);
    // A CR at the end may be the first half of a CRLF split across chunks: keep it for later.
    const heldCr = text.endsWith('\r');
    if (heldCr) text = text.slice(0, -1);
    const blocks = text.replace(/\r\n?/g, '\n').split('\n\n');
    this.#pending = (blocks.pop() ?? '') + (heldCr ? '\r' : '');
    return blocks.flatMap(eventData);
  }

  /** The data of a last event the stream ended without a blank line after. */
  end(): string[] {
    const rest = (this.#pending + this.#decoder.end()).replace(/\r\n?/g, '\n');
    this.#pending = '';
    return rest.split('\n\n').flatMap(eventData);
  }
}

/** An event block's data lines joined with newlines; nothing for a block without data (a comment, a retry). */
function eventData(block: string): string[] {
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === 'data') data.push('');
    else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
  }
  return data.length > 0 ? [data.join('\n')] : [];
}
