import { describe, expect, it } from 'vitest';
import { JsonArrayError, JsonArraySplitter, looksLikeJsonArray } from './json-array-splitter.js';

/**
 * Structural characters inside strings, escaped quotes and backslashes (`\\` then `"` too),
 * 4-byte emoji and multi-byte letters raw and escaped, numbers, literals, empty containers,
 * and uneven whitespace.
 */
const representative = Buffer.from(String.raw`  [
  {"id": 1, "tags": ["a", "b]", "{c}", ","], "nested": {"deep": [[1, 2], {"x": null}]}},
  "plain [string] {with} , commas and a } and a ]",
  "escaped \"quote\" and a backslash \\",
  "\\\"",
  "\\",
  {"emoji": "😀 🎉 👩‍👩‍👧", "letters": "Zoë ß 日本語 Ω", "escaped": "\u00e9\ud83d\ude00\/\n\t"},
  -12.5e+3 ,0,
  1234567890,
  true,false ,null,
  [],
  {},
  [[]],
  [{"a": "]"}, {"b": "}"}, {"c": "\"]"}],
  ""
]
`);
const representativeElements = JSON.parse(representative.toString('utf8')) as unknown[];

/** Feeds `document` cut at `cuts` (ascending byte positions), ends it and returns every element text. */
function split(document: Buffer, cuts: readonly number[], maxElementBytes = 1 << 20): string[] {
  const splitter = new JsonArraySplitter(maxElementBytes);
  const texts: string[] = [];
  let from = 0;
  for (const cut of [...cuts, document.length]) {
    texts.push(...splitter.push(document.subarray(from, cut)));
    from = cut;
  }
  splitter.end();
  expect(splitter.count).toBe(texts.length);
  return texts;
}

function everyByte(document: Buffer): number[] {
  return Array.from({ length: document.length - 1 }, (_, index) => index + 1);
}

/** A small deterministic generator, so a failing chunking can be reproduced. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('JsonArraySplitter: splitting', () => {
  it('gives the elements JSON.parse gives, whole and split at every byte position', () => {
    const whole = split(representative, []);
    expect(whole.map((text) => JSON.parse(text) as unknown)).toEqual(representativeElements);
    for (let cut = 0; cut <= representative.length; cut++) {
      expect(split(representative, [cut]), `split at byte ${cut}`).toEqual(whole);
    }
  });

  it('gives the same elements one byte per chunk and in random chunkings', () => {
    const whole = split(representative, []);
    expect(split(representative, everyByte(representative))).toEqual(whole);
    const next = random(7);
    for (let run = 0; run < 200; run++) {
      const cuts: number[] = [];
      for (let at = 1 + Math.floor(next() * 16); at < representative.length; at += 1 + Math.floor(next() * 16)) cuts.push(at);
      expect(split(representative, cuts), `run ${run}`).toEqual(whole);
    }
  });

  it('gives each element as its exact source text, without whitespace or commas', () => {
    const document = Buffer.from('\n[ 1 ,"a b" , {"c" : [2, 3]},\t-0.5e3\r\n, [ ] ,true]\n');
    expect(split(document, [])).toEqual(['1', '"a b"', '{"c" : [2, 3]}', '-0.5e3', '[ ]', 'true']);
    expect(split(document, everyByte(document))).toEqual(['1', '"a b"', '{"c" : [2, 3]}', '-0.5e3', '[ ]', 'true']);
  });

  it('decodes a character split across chunks only once its element is complete', () => {
    const document = Buffer.from('["😀", "日本"]');
    for (let cut = 0; cut <= document.length; cut++) expect(split(document, [cut])).toEqual(['"😀"', '"日本"']);
  });

  it('accepts an empty array and whitespace padding', () => {
    expect(split(Buffer.from('[]'), [])).toEqual([]);
    expect(split(Buffer.from(' \r\n\t[ \n ]\n\n'), everyByte(Buffer.from(' \r\n\t[ \n ]\n\n')))).toEqual([]);
  });

  it('keeps its own copy of a partial element, so the caller may reuse its buffer', () => {
    const splitter = new JsonArraySplitter(1024);
    const chunk = Buffer.from('[{"a":');
    expect(splitter.push(chunk)).toEqual([]);
    chunk.fill(0x20);
    expect(splitter.push(Buffer.from('1}]'))).toEqual(['{"a":1}']);
    splitter.end();
  });
});

describe('JsonArraySplitter: malformed input', () => {
  const malformed = [
    '[,]',
    '[1,]',
    '[1 2]',
    '[1]]',
    '[1] x',
    '{"a":1}',
    '[{"a":1]',
    '[{"a":1}}]',
    '[[1}]',
    '[}',
    '[1}',
    '[1"a"]',
    '[1[2]]',
    '[{}{}]',
    '["a""b"]',
    '[1,,2]',
    '[1',
    '["a]',
    '["a\\"]',
    '[{"a":[1,2]}',
    '',
    '  \n ',
    'null',
    '"[1]"',
    '[] []',
  ];

  it.each(malformed)('rejects %j, whole and one byte per chunk', (text) => {
    const document = Buffer.from(text);
    expect(() => split(document, [])).toThrow(JsonArrayError);
    expect(() => split(document, everyByte(document))).toThrow(JsonArrayError);
  });

  it('throws the same error again once broken', () => {
    const splitter = new JsonArraySplitter(1024);
    let first: unknown;
    try {
      splitter.push(Buffer.from('[1 2'));
    } catch (error) {
      first = error;
    }
    expect(first).toBeInstanceOf(JsonArrayError);
    expect(() => splitter.push(Buffer.from(']'))).toThrow(first as Error);
    expect(() => splitter.end()).toThrow(first as Error);
  });

  it('says where the structure broke', () => {
    expect(() => split(Buffer.from('[1, 2 3]'), [4])).toThrow(/at byte 6/);
  });
});

describe('JsonArraySplitter: maxElementBytes', () => {
  const record = (size: number) => JSON.stringify({ padding: 'x'.repeat(size - 14) });

  it('throws for an element larger than the limit, whole or arriving in pieces', () => {
    const document = Buffer.from(`[1, ${record(2048)}, 2]`);
    expect(() => split(document, [], 1024)).toThrow(/larger than 1024 bytes/);
    expect(() => split(document, Array.from({ length: 40 }, (_, index) => (index + 1) * 64), 1024)).toThrow(JsonArrayError);
    expect(() => split(Buffer.from(`["${'y'.repeat(2048)}"]`), [700, 1400], 1024)).toThrow(JsonArrayError);
    expect(() => split(Buffer.from(`[${'9'.repeat(2048)}]`), [], 1024)).toThrow(JsonArrayError);
  });

  it('throws from push as soon as the pending part of an element passes the limit', () => {
    const splitter = new JsonArraySplitter(1024);
    expect(splitter.push(Buffer.from('[{"a":"'))).toEqual([]);
    expect(() => splitter.push(Buffer.from('z'.repeat(1100)))).toThrow(JsonArrayError);
  });

  it('allows an element of exactly the limit and any number of small elements', () => {
    expect(record(1024)).toHaveLength(1024);
    expect(split(Buffer.from(`[${record(1024)}]`), [500], 1024)).toHaveLength(1);
    expect(() => split(Buffer.from(`[${record(1025)}]`), [500], 1024)).toThrow(JsonArrayError);
    const many = Buffer.from(`[${Array.from({ length: 100 }, () => record(900)).join(',')}]`);
    expect(many.length).toBeGreaterThan(90_000);
    expect(split(many, Array.from({ length: 100 }, (_, index) => index * 1000 + 37), 1024)).toHaveLength(100);
  });
});

describe('JsonArraySplitter: a large document', () => {
  it('splits 20 MB in 64 KiB chunks holding no more than the largest element', () => {
    const next = random(11);
    const elements: string[] = [];
    let size = 0;
    let largest = 0;
    for (let id = 0; size < 20 * 1024 * 1024; id++) {
      // Mostly ~1 KB records, a few far larger than a chunk, and scalars in between.
      const length = id % 997 === 500 ? 200_000 + Math.floor(next() * 100_000) : Math.floor(next() * 1500);
      const text = id % 10 === 9 ? String(id) : JSON.stringify({ id, name: `Zoë 😀 ${id}`, note: 'n[{,"}]'.repeat(length / 7), tags: [id, { deep: [id] }] });
      const bytes = Buffer.byteLength(text);
      largest = Math.max(largest, bytes);
      size += bytes + 1;
      elements.push(text);
    }
    const document = Buffer.from(`[${elements.join(',')}]`);
    expect(largest).toBeGreaterThan(3 * 65536);

    // With the limit at exactly the largest element, holding any more would throw.
    const splitter = new JsonArraySplitter(largest);
    let index = 0;
    for (let from = 0; from < document.length; from += 65536) {
      for (const text of splitter.push(document.subarray(from, from + 65536))) {
        expect(text === elements[index], `element ${index}`).toBe(true);
        const value = JSON.parse(text) as { id: number } | number;
        expect(typeof value === 'number' ? value : value.id).toBe(index);
        index++;
      }
    }
    splitter.end();
    expect(splitter.count).toBe(elements.length);
    expect(index).toBe(elements.length);
  });
});

describe('looksLikeJsonArray', () => {
  it('decides by the first non-whitespace byte', () => {
    expect(looksLikeJsonArray(Buffer.from('['))).toBe(true);
    expect(looksLikeJsonArray(Buffer.from(' \r\n\t[{"a"'))).toBe(true);
    expect(looksLikeJsonArray(Buffer.from('{"items": []}'))).toBe(false);
    expect(looksLikeJsonArray(Buffer.from('  "["'))).toBe(false);
    expect(looksLikeJsonArray(Buffer.from('\uFEFF[]'))).toBe(false);
  });

  it('is undefined while the head is only whitespace', () => {
    expect(looksLikeJsonArray(Buffer.alloc(0))).toBeUndefined();
    expect(looksLikeJsonArray(Buffer.from(' \n\r\t '))).toBeUndefined();
  });
});
