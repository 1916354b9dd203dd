import type { DocumentedOperation } from './documented-operation.js';

interface PatternEdge {
  readonly prefix: string;
  readonly suffix: string;
  readonly node: MatchNode;
}

interface MatchNode {
  readonly literals: Map<string, MatchNode>;
  /** Segments with a parameter (`{id}`, `{CallSid}.json`, `v{major}`), most literal characters first. */
  readonly patterns: PatternEdge[];
  readonly operations: Map<string, DocumentedOperation[]>;
}

function node(): MatchNode {
  return { literals: new Map(), patterns: [], operations: new Map() };
}

/**
 * Finds the documented operation a concrete call is for. Literal segments win over
 * templated ones (`/users/me` before `/users/{id}`), as OpenAPI says; a segment with
 * literal text around its parameter (`{sid}.json`) wins over a bare parameter. Operations of
 * the newest version win over ones only an older version had.
 */
export class OperationMatcher {
  readonly #root = node();

  readonly #empty: boolean;

  constructor(operations: readonly DocumentedOperation[]) {
    for (const operation of operations) this.#add(operation);
    this.#empty = operations.length === 0;
  }

  #add(operation: DocumentedOperation): void {
    let current = this.#root;
    for (const segment of split(operation.template)) {
      const open = segment.indexOf('{');
      const close = segment.lastIndexOf('}');
      if (open === -1 || close < open) {
        let next = current.literals.get(segment);
        if (next === undefined) current.literals.set(segment, (next = node()));
        current = next;
        continue;
      }
      const prefix = segment.slice(0, open);
      const suffix = segment.slice(close + 1);
      let edge = current.patterns.find((candidate) => candidate.prefix === prefix && candidate.suffix === suffix);
      if (edge === undefined) {
        edge = { prefix, suffix, node: node() };
        current.patterns.push(edge);
        current.patterns.sort((a, b) => b.prefix.length + b.suffix.length - (a.prefix.length + a.suffix.length));
      }
      current = edge.node;
    }
    const list = current.operations.get(operation.method);
    if (list === undefined) current.operations.set(operation.method, [operation]);
    else {
      list.push(operation);
      // Current operations before removed ones.
      list.sort((a, b) => Number(a.removedIn !== undefined) - Number(b.removedIn !== undefined));
    }
  }

  /** The operation for a method and concrete path (query removed), or undefined. */
  match(method: string, path: string): DocumentedOperation | undefined {
    // Imports without any document are common and large: no path to split then.
    if (this.#empty) return undefined;
    return search(this.#root, split(path), 0, method);
  }

  /** Whether some operation has this path under another method: the path is documented, the method is not. */
  hasPath(path: string): boolean {
    return searchAny(this.#root, split(path), 0);
  }
}

function search(current: MatchNode, segments: readonly string[], index: number, method: string): DocumentedOperation | undefined {
  if (index === segments.length) return current.operations.get(method)?.[0];
  const segment = segments[index]!;
  const literal = current.literals.get(segment);
  if (literal !== undefined) {
    const found = search(literal, segments, index + 1, method);
    if (found !== undefined) return found;
  }
  for (const edge of current.patterns) {
    if (!fits(edge, segment)) continue;
    const found = search(edge.node, segments, index + 1, method);
    if (found !== undefined) return found;
  }
  return undefined;
}

function searchAny(current: MatchNode, segments: readonly string[], index: number): boolean {
  if (index === segments.length) return current.operations.size > 0;
  const segment = segments[index]!;
  const literal = current.literals.get(segment);
  if (literal !== undefined && searchAny(literal, segments, index + 1)) return true;
  for (const edge of current.patterns) if (fits(edge, segment) && searchAny(edge.node, segments, index + 1)) return true;
  return false;
}

/** A parameter matches at least one character between its literal prefix and suffix. */
function fits(edge: PatternEdge, segment: string): boolean {
  return segment.length > edge.prefix.length + edge.suffix.length && segment.startsWith(edge.prefix) && segment.endsWith(edge.suffix);
}

function split(path: string): string[] {
  const trimmed = path.charCodeAt(0) === 47 ? path.slice(1) : path;
  return trimmed === '' ? [] : trimmed.split('/');
}
