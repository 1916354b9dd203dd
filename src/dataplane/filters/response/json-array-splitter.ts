/** Why the input is not one well-formed JSON array (or an element is too large). */
export class JsonArrayError extends Error {
  override name = 'JsonArrayError';
}

// Structural bytes. All are ASCII, and UTF-8 continuation bytes never are, so scanning bytes
// cannot mistake part of a multi-byte character for structure.
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** Small pieces of an unfinished element joined into one at a time (each Buffer costs far more than a few bytes). */
const JOIN_PIECES = 64;

// Where the scan stands. BEFORE: nothing but whitespace yet. OPENED: after `[`. SEPARATED:
// after a `,`. NESTED: inside an element that is a string, an array or an object. SCALAR:
// inside a number or literal. AFTER: an element ended. CLOSED: after the final `]`.
const BEFORE = 0;
const OPENED = 1;
const SEPARATED = 2;
const NESTED = 3;
const SCALAR = 4;
const AFTER = 5;
const CLOSED = 6;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Splits a JSON document that is a top-level array into the JSON texts of its elements as
 * the bytes arrive. Memory is bounded by the largest element (maxElementBytes), never by the document.
 *
 * Only structure is tracked (bracket nesting, strings, escapes); element syntax is left to
 * the caller's JSON.parse of each text. Once it has thrown, the splitter throws the same error again.
 */
export class JsonArraySplitter {
  readonly #maxElementBytes: number;
  #state = BEFORE;
  /** The closing byte each open `[` or `{` of the current element expects, innermost last. */
  readonly #closers: number[] = [];
  #inString = false;
  #escaped = false;
  /**
   * The current element's bytes from earlier chunks, copied: a short tail never keeps a
   * large chunk alive, and the caller may reuse its buffers. Concatenated once, when it completes.
   */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes consumed before the current chunk, for positions in errors. */
  #offset = 0;
  #count = 0;
  #error: JsonArrayError | undefined;

  constructor(maxElementBytes: number) {
    this.#maxElementBytes = maxElementBytes;
  }

  /** Elements completed so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Feeds the next bytes. Returns the texts of the elements completed within them (each is the
   * element's exact UTF-8 source text, without surrounding whitespace or the separating comma).
   * Throws JsonArrayError when the input cannot be a JSON array (first non-whitespace byte is not
   * `[`), when structure is broken (missing/extra commas, `]` mismatch, garbage between elements,
   * anything but whitespace after the closing `]`), or an element grows beyond maxElementBytes.
   */
  push(chunk: Buffer): string[] {
    if (this.#error !== undefined) throw this.#error;
    const elements: string[] = [];
    const closers = this.#closers;
    const length = chunk.length;
    // The hot state lives in locals for the loop and is written back once, at the end.
    let state = this.#state;
    let inString = this.#inString;
    let escaped = this.#escaped;
    // Where the current element starts in this chunk: 0 when it began in an earlier one.
    let start = 0;
    for (let i = 0; i < length; i++) {
      let byte = chunk[i]!;
      // Most bytes of a typical document are inside strings: skip their plain bytes in a tight loop.
      if (inString) {
        if (escaped) {
          escaped = false;
          continue;
        }
        while (byte !== QUOTE && byte !== BACKSLASH && ++i < length) byte = chunk[i]!;
        if (i === length) break;
        if (byte === BACKSLASH) escaped = true;
        else {
          inString = false;
          // No bracket open: the element was a string, and it just ended.
          if (closers.length === 0) {
            elements.push(this.#complete(chunk, start, i + 1));
            state = AFTER;
          }
        }
        continue;
      }
      switch (state) {
        case NESTED:
          if (byte === QUOTE) inString = true;
          else if (byte === OPEN_BRACKET) closers.push(CLOSE_BRACKET);
          else if (byte === OPEN_BRACE) closers.push(CLOSE_BRACE);
          else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
            // Outside a string a NESTED element always has a bracket open, so pop() is never empty.
            const expected = closers.pop()!;
            if (byte !== expected) throw this.#fail(`found ${String.fromCharCode(byte)} where ${String.fromCharCode(expected)} was expected`, i);
            if (closers.length === 0) {
              elements.push(this.#complete(chunk, start, i + 1));
              state = AFTER;
            }
          }
          break;
        case SCALAR:
          if (byte === COMMA) state = SEPARATED;
          else if (byte === CLOSE_BRACKET) state = CLOSED;
          else if (isWhitespace(byte)) state = AFTER;
          // A quote or bracket glued to a number or literal would throw off the nesting count.
          else if (byte === QUOTE || byte === OPEN_BRACKET || byte === OPEN_BRACE || byte === CLOSE_BRACE) throw this.#fail(`unexpected ${String.fromCharCode(byte)} after a value`, i);
          else break;
          elements.push(this.#complete(chunk, start, i));
          break;
        case OPENED:
        case SEPARATED:
          if (isWhitespace(byte)) break;
          start = i;
          if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
            closers.push(byte === OPEN_BRACKET ? CLOSE_BRACKET : CLOSE_BRACE);
            state = NESTED;
          } else if (byte === QUOTE) {
            inString = true;
            state = NESTED;
          } else if (byte === CLOSE_BRACKET && state === OPENED) state = CLOSED;
          else if (byte === CLOSE_BRACKET || byte === COMMA || byte === CLOSE_BRACE) throw this.#fail(`expected an element, found ${String.fromCharCode(byte)}`, i);
          else state = SCALAR;
          break;
        case AFTER:
          if (byte === COMMA) state = SEPARATED;
          else if (byte === CLOSE_BRACKET) state = CLOSED;
          else if (!isWhitespace(byte)) throw this.#fail('expected , or ] after an element', i);
          break;
        case BEFORE:
          if (byte === OPEN_BRACKET) state = OPENED;
          else if (!isWhitespace(byte)) throw this.#fail('the document is not a JSON array', i);
          break;
        default: // CLOSED
          if (!isWhitespace(byte)) throw this.#fail('unexpected content after the closing ]', i);
      }
    }
    if ((state === NESTED || state === SCALAR) && start < length) {
      this.#pendingBytes += length - start;
      if (this.#pendingBytes > this.#maxElementBytes) throw this.#tooLarge();
      this.#pending.push(Buffer.from(chunk.subarray(start)));
      // Tiny chunks would cost a Buffer each: the last few are joined, each byte copied once more at most.
      if (this.#pending.length % JOIN_PIECES === 0) this.#joinTail();
    }
    this.#state = state;
    this.#inString = inString;
    this.#escaped = escaped;
    this.#offset += length;
    return elements;
  }

  /** The input ended: throws JsonArrayError unless the array was closed (only whitespace may follow). */
  end(): void {
    if (this.#error !== undefined) throw this.#error;
    if (this.#state === BEFORE) throw this.#fail('the document is empty, not a JSON array', 0);
    if (this.#state !== CLOSED) throw this.#fail('the document ended before the array was closed', 0);
  }

  /** The text of the element that ends at `end` in `chunk`, with whatever of it came before. */
  #complete(chunk: Buffer, start: number, end: number): string {
    const size = this.#pendingBytes + end - start;
    if (size > this.#maxElementBytes) throw this.#tooLarge();
    this.#count++;
    if (this.#pending.length === 0) return chunk.toString('utf8', start, end);
    // Decoding only the whole element keeps a character split across chunks intact.
    this.#pending.push(chunk.subarray(0, end));
    const text = Buffer.concat(this.#pending, size).toString('utf8');
    this.#pending = [];
    this.#pendingBytes = 0;
    return text;
  }

  /** Joins the last JOIN_PIECES pending pieces into one, if they are small. */
  #joinTail(): void {
    const tail = this.#pending.slice(-JOIN_PIECES);
    const bytes = tail.reduce((total, piece) => total + piece.length, 0);
    if (bytes >= JOIN_PIECES * 1024) return;
    this.#pending.length -= JOIN_PIECES;
    this.#pending.push(Buffer.concat(tail, bytes));
  }

  #tooLarge(): JsonArrayError {
    return this.#fail(`element ${this.#count + 1} is larger than ${this.#maxElementBytes} bytes`);
  }

  /** Records the error so later calls throw it too; `at` is an index into the current chunk. */
  #fail(message: string, at?: number): JsonArrayError {
    this.#error = new JsonArrayError(at === undefined ? message : `${message} (at byte ${this.#offset + at})`);
    return this.#error;
  }
}

/**
 * Whether a body whose first bytes are `head` is a JSON array: true/false by its first
 * non-whitespace byte, or undefined while `head` is only whitespace.
 */
export function looksLikeJsonArray(head: Buffer): boolean | undefined {
  for (const byte of head) {
    if (!isWhitespace(byte)) return byte === OPEN_BRACKET;
  }
  return undefined;
}
