import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Finds the line of a field inside a parsed YAML document. Walks as deep as the path exists
 * and returns the deepest node found, so a missing field points at its parent object and an
 * unknown key points at the key itself.
 */
export function locate(document: Document, segments: readonly (string | number)[], lines: LineCounter, atKey = false): Position {
  let node: unknown = document.contents;
  let offset = rangeStart(document.contents) ?? 0;
  for (const [depth, segment] of segments.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      offset = rangeStart(pair.key as Node) ?? offset;
      node = pair.value;
      // A scalar value is reported at the value, a nested block (or an unknown key) at its key.
      const last = depth === segments.length - 1;
      if (isScalar(node) && !(atKey && last)) offset = rangeStart(node) ?? offset;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (item === undefined) break;
      offset = rangeStart(item as Node) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  const position = lines.linePos(offset);
  return { line: position.line, column: position.col };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
