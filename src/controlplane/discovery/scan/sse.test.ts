import { describe, expect, it } from 'vitest';
import { SseReader } from './sse.js';

describe('SseReader', () => {
  it('hands back each complete event, whatever the line endings and chunk boundaries', () => {
    const reader = new SseReader();
    expect(reader.feed(Buffer.from(': comment\r\n\r\nevent: message\r\ndata: {"a":'))).toEqual([]);
    expect(reader.feed(Buffer.from('1}\r'))).toEqual([]);
    // The CR that ended the last chunk and this LF are one line break, not two.
    expect(reader.feed(Buffer.from('\n\r\ndata: second\n'))).toEqual(['{"a":1}']);
    expect(reader.feed(Buffer.from('data:line two\n\n'))).toEqual(['second\nline two']);
  });

  it('keeps a character split across chunks whole, and flushes an unterminated last event', () => {
    const reader = new SseReader();
    const bytes = Buffer.from('data: café');
    expect(reader.feed(bytes.subarray(0, bytes.length - 1))).toEqual([]);
    expect(reader.feed(bytes.subarray(bytes.length - 1))).toEqual([]);
    expect(reader.end()).toEqual(['café']);
  });
});
