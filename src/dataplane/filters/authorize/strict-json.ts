/**
 * JSON as an authorising gateway must read it: `JSON.parse` keeps the last of two equal keys
 * while other parsers keep the first, so a body with a repeated key (also when spelt with
 * escapes, `"a"` and `"\u0061"`) is refused, as is nesting deeper than `maxDepth`.
 */
export function parseStrictJson(text: string, maxDepth: number): { readonly value: unknown } | { readonly error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `the body is not valid JSON (${(error as Error).message})` };
  }
  const problem = scan(text, maxDepth);
  return problem === undefined ? { value } : { error: problem };
}

/** Walks the (already valid) JSON text: nesting depth and the keys of every object. */
function scan(text: string, maxDepth: number): string | undefined {
  // One entry per open container: the keys seen so far for objects, null for arrays.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x7b /* { */ || code === 0x5b /* [ */) {
      if (stack.length >= maxDepth) return `the body nests deeper than ${maxDepth} levels`;
      stack.push(code === 0x7b ? new Set() : null);
      expectKey = code === 0x7b;
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (code === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] != null;
    } else if (code === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        const keys = stack[stack.length - 1]!;
        if (keys.has(key)) return `the key "${key.slice(0, 64)}" appears twice in one object`;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    }
  }
  return undefined;
}

/** Index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x5c /* \ */) i++;
    else if (code === 0x22) return i;
  }
  return text.length;
}
