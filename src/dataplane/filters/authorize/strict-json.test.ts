import { describe, expect, it } from 'vitest';
import { parseStrictJson } from './strict-json.js';

/**
 * parseStrictJson() reads the bodies whose parameters a grant checks. JSON.parse keeps the
 * last of two equal keys while Jackson, Go and many others keep the first (or fail), so a
 * body with a repeated key would let the policy and the upstream see different values.
 */
function value(text: string, maxDepth = 32): unknown {
  const result = parseStrictJson(text, maxDepth);
  if ('error' in result) throw new Error(`expected ${text} to be accepted, got: ${result.error}`);
  return result.value;
}

function error(text: string, maxDepth = 32): string {
  const result = parseStrictJson(text, maxDepth);
  if (!('error' in result)) throw new Error(`expected ${text} to be refused`);
  return result.error;
}

describe('parseStrictJson: accepted bodies', () => {
  it('returns the parsed value', () => {
    expect(value('{"orderId":"O-1","amount":50,"currency":"EUR"}')).toEqual({ orderId: 'O-1', amount: 50, currency: 'EUR' });
  });

  it.each([
    ['{"a":1,"b":{"a":2}}', 'the same key in a nested object'],
    ['[{"a":1},{"a":2}]', 'the same key in sibling objects of an array'],
    ['{"a":{"x":1},"b":{"x":2}}', 'the same key in sibling objects'],
    ['{"a":"a"}', 'a value equal to its key'],
    ['{"a":"b","b":1}', 'a value equal to a later key'],
    ['{"a":["a","a"]}', 'repeated strings in an array'],
    ['{"a":"{\\"a\\":1,","b":1}', 'a string value that looks like JSON'],
    ['{"a\\\\":1,"a":2}', 'keys `a\\` and `a`, which differ'],
    ['{"a\\u0000":1,"a":2}', 'keys `a<NUL>` and `a`, which differ'],
    ['{"a":1,"A":2}', 'keys differing in case (refused by the body reader, not here)'],
    ['{}', 'an empty object'],
    ['[]', 'an empty array'],
    ['1', 'a number'],
    ['"x"', 'a string'],
    ['null', 'null'],
    [' \n{"a" : 1 , "b" : [ 1 , 2 ] }\n', 'whitespace everywhere'],
  ])('accepts %s (%s)', (text) => {
    expect(value(text)).toEqual(JSON.parse(text));
  });
});

describe('parseStrictJson: repeated keys', () => {
  it.each([
    ['{"amount":50,"amount":5000}', 'a repeated key'],
    ['{"amount":50,"amount":50}', 'a repeated key with the same value'],
    ['{"a":1,"\\u0061":2}', 'the second spelt with a \\u escape'],
    ['{"\\u0061":1,"a":2}', 'the first spelt with a \\u escape'],
    ['{"\\u0061":1,"\\u0061":2}', 'both spelt with escapes'],
    ['{"am\\u006Fu\\u006et":1,"amount":2}', 'escapes in the middle, mixed-case hex'],
    ['{"a\\/b":1,"a/b":2}', 'an escaped solidus'],
    ['{"a\\"b":1,"a\\"b":2}', 'keys containing an escaped quote'],
    ['{"\\ud83d\\ude00":1,"😀":2}', 'a surrogate pair escape and the raw character'],
    ['{"x":{"a":1,"a":2}}', 'a repeated key in a nested object'],
    ['[{"a":1,"a":1}]', 'a repeated key in an object inside an array'],
    ['{"a":{"b":1},"a":2}', 'a repeated key after a nested object'],
    ['{"a":[1,{"c":1}],"a":2}', 'a repeated key after an array holding an object'],
    ['{"a":"x,\\"a\\":","a":2}', 'a repeated key after a string full of JSON syntax'],
  ])('refuses %s (%s)', (text) => {
    expect(error(text)).toMatch(/appears twice/);
  });

  it('names the repeated key in the error', () => {
    expect(error('{"amount":1,"\\u0061mount":2}')).toBe('the key "amount" appears twice in one object');
  });
});

describe('parseStrictJson: nesting depth', () => {
  it('accepts nesting of exactly maxDepth levels', () => {
    expect(value('[[["x"]]]', 3)).toEqual([[['x']]]);
    expect(value('{"a":{"b":{"c":1}}}', 3)).toEqual({ a: { b: { c: 1 } } });
  });

  it('refuses nesting one level deeper than maxDepth', () => {
    expect(error('[[[[]]]]', 3)).toBe('the body nests deeper than 3 levels');
    expect(error('{"a":{"b":{"c":{}}}}', 3)).toBe('the body nests deeper than 3 levels');
    expect(error('{"a":[{"b":[1]}]}', 3)).toBe('the body nests deeper than 3 levels');
  });

  it('counts only open containers, not brackets inside strings', () => {
    expect(value('{"a":"[[[[[[{{{{"}', 1)).toEqual({ a: '[[[[[[{{{{' });
  });

  it('counts depth per branch: closed containers do not add up', () => {
    expect(value('[[1],[2],[3],{"a":[4]}]', 3)).toEqual([[1], [2], [3], { a: [4] }]);
  });

  it('refuses a pathologically deep body without throwing', () => {
    const text = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(error(text, 32)).toMatch(/nests deeper than 32|not valid JSON/);
  });
});

describe('parseStrictJson: invalid JSON', () => {
  it.each([
    ['', 'empty text'],
    ['{"a":1,}', 'a trailing comma'],
    ["{'a':1}", 'single quotes'],
    ['{a:1}', 'an unquoted key'],
    ['{"a":NaN}', 'NaN'],
    ['{"a":1} // comment', 'a comment'],
    ['{"a":1}{"a":2}', 'two documents'],
    ['{"a":1}x', 'trailing garbage'],
    ['{"a":"\u0000"}', 'a raw control character in a string'],
    ['{"a":01}', 'a number with a leading zero'],
  ])('refuses %j (%s)', (text) => {
    expect(error(text)).toMatch(/^the body is not valid JSON/);
  });
});
