import { classifySegment, identifierShape, isIdentifierKind, type ClassifiedSegment } from './segment-kind.js';

/** What was seen of one method on one inferred endpoint. */
export interface EndpointStats {
  hits: number;
  readonly statuses: Map<number, number>;
  firstSeen: number | undefined;
  lastSeen: number | undefined;
  /** Response-shape fingerprints seen (at most a few). */
  readonly shapes: Set<string>;
  /** Data classes the source reported for the answers (the audit log's). */
  readonly dataClasses: Set<string>;
}

/** An endpoint template inferred from traffic. */
export interface InferredEndpoint {
  readonly method: string;
  /** OpenAPI-style template with unique parameter names, e.g. `/customers/{customerId}/orders/{orderId}`. */
  readonly template: string;
  readonly stats: EndpointStats;
}

const PARAM = '{}';
/** Children beyond which a node is compacted while importing, so fresh ids cannot grow memory without bound. */
const COMPACT_AT = 256;
/** A word child seen at most this often is "cold": values are seen rarely, literals again and again. */
const COLD_HITS = 2;
/** Rule A needs this many word siblings, most of them cold, before they count as values. */
const MIN_COLD_SIBLINGS = 4;
const COLD_SHARE = 0.75;
/** Rule B: word siblings whose subtrees look alike (Jaccard of their next-level keys) are values. */
const SIMILAR_SUBTREES = 0.6;
const MAX_SHAPES = 4;
/** This many sibling names are values whatever their hits: more literals than any API has at one level. */
const MANY_NAMES = 1000;
const RULE_B_LIMIT = 300;
/** A parameter with this many calls absorbs cold names beside it. */
const BUSY_PARAMETER = 10;

class TrieNode {
  hits = 0;
  readonly children = new Map<string, TrieNode>();
  /** Parameter children, by the literal suffix after the value (`''`, `.json`). */
  readonly params = new Map<string, TrieNode>();
  methods: Map<string, EndpointStats> | undefined;
  /** Whether new word values go to the parameter child (their siblings were found to be values). */
  absorbsWords = false;
  /** For a parameter: the shapes of the identifiers merged into it (a few). */
  readonly idShapes = new Set<string>();
  /** Children count at which the node is next compacted while importing. */
  compactAt = COMPACT_AT;
  #classified: ClassifiedSegment | undefined;

  constructor(readonly segment: string) {}

  get classified(): ClassifiedSegment {
    return (this.#classified ??= classifySegment(this.segment));
  }
}

/**
 * Turns concrete paths into endpoint templates for one host: a trie of observed segments
 * whose children are merged into a parameter when the segment looks like an identifier
 * (classification), or when sibling statistics say the words are values: many siblings
 * each seen rarely (usernames), or siblings whose subtrees have the same literal structure
 * (`/{realm}/users`, `/{realm}/groups` for three realms). Literal RPC method names and
 * versions are never merged; response shapes, when known, keep siblings with different
 * answers apart.
 */
export class PathTemplater {
  readonly #root = new TrieNode('');
  #finished = false;

  /** Records one call. Paths are split on `/`; the query must already be removed. */
  observe(method: string, path: string, status: number, time?: number, shape?: string, dataClasses?: readonly string[]): void {
    if (this.#finished) throw new Error('the templater is finished; observe before reading endpoints');
    let node = this.#root;
    node.hits++;
    let start = path.charCodeAt(0) === 47 ? 1 : 0;
    if (path.length > start) {
      for (;;) {
        const slash = path.indexOf('/', start);
        const segment = slash === -1 ? path.slice(start) : path.slice(start, slash);
        node = this.#step(node, segment);
        node.hits++;
        if (slash === -1) break;
        start = slash + 1;
      }
    }
    const methods = (node.methods ??= new Map());
    let stats = methods.get(method);
    if (stats === undefined) {
      stats = { hits: 0, statuses: new Map(), firstSeen: undefined, lastSeen: undefined, shapes: new Set(), dataClasses: new Set() };
      methods.set(method, stats);
    }
    stats.hits++;
    stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
    if (time !== undefined) {
      if (stats.firstSeen === undefined || time < stats.firstSeen) stats.firstSeen = time;
      if (stats.lastSeen === undefined || time > stats.lastSeen) stats.lastSeen = time;
    }
    if (shape !== undefined && stats.shapes.size < MAX_SHAPES) stats.shapes.add(shape);
    if (dataClasses !== undefined) for (const dataClass of dataClasses) stats.dataClasses.add(dataClass);
  }

  #step(node: TrieNode, segment: string): TrieNode {
    const literal = node.children.get(segment);
    if (literal !== undefined) return literal;
    // Compact before adding, never after: the child returned must be the one kept in the trie.
    if (node.children.size >= node.compactAt) {
      mergeValues(node);
      node.compactAt = Math.max(COMPACT_AT, 2 * node.children.size);
    }
    // A strong identifier is a parameter whatever its siblings: it goes there at once, so fresh
    // ids never become nodes of their own. Weak ones join an existing parameter; names always
    // start as literals, so a literal first seen late (`/users/me`) is not swallowed.
    const { kind, suffix } = classifySegment(segment);
    if (kind === 'strong-id' || (node.params.size > 0 && isIdentifierKind(kind))) {
      let param = node.params.get(suffix);
      if (param === undefined && kind === 'strong-id') node.params.set(suffix, (param = new TrieNode(PARAM)));
      if (param !== undefined) {
        // A sample of the values' shapes is enough to tell kinds of ids apart.
        if (param.idShapes.size < MAX_SHAPES && (param.hits & 63) === 0) param.idShapes.add(identifierShape(segment, suffix));
        return param;
      }
    }
    const child = new TrieNode(segment);
    node.children.set(segment, child);
    return child;
  }

  /** Merges what is left to merge and returns every endpoint, sorted by template then method. */
  endpoints(): InferredEndpoint[] {
    if (!this.#finished) {
      settle(this.#root);
      this.#finished = true;
    }
    const out: InferredEndpoint[] = [];
    collect(this.#root, [], [], out);
    out.sort((a, b) => (a.template < b.template ? -1 : a.template > b.template ? 1 : a.method < b.method ? -1 : a.method > b.method ? 1 : 0));
    return out;
  }

  /**
   * The inferred template a concrete path falls under, after `endpoints()`: its literal
   * segments, or the parameter beside them. Undefined when no literal or parameter fits.
   */
  templateOf(path: string): string | undefined {
    if (!this.#finished) throw new Error('call endpoints() first');
    const segments = splitPath(path);
    const names: string[] = [];
    const parts: string[] = [];
    let node = this.#root;
    for (const segment of segments) {
      const literal = node.children.get(segment);
      if (literal !== undefined) {
        node = literal;
        parts.push(segment);
        continue;
      }
      const { suffix } = classifySegment(segment);
      const param = node.params.get(suffix);
      if (param === undefined) return undefined;
      const name = paramName(parts, names);
      names.push(name);
      parts.push(`{${name}}${suffix}`);
      node = param;
    }
    return `/${parts.join('/')}`;
  }
}

function splitPath(path: string): string[] {
  const trimmed = path.charCodeAt(0) === 47 ? path.slice(1) : path;
  return trimmed === '' ? [] : trimmed.split('/');
}

/** Settles the whole trie top-down: each node's values are merged before its children are looked at. */
function settle(node: TrieNode): void {
  mergeValues(node);
  for (const child of node.children.values()) settle(child);
  for (const param of node.params.values()) settle(param);
}

/** Decides which children of a node are values and merges them into its parameter children. */
function mergeValues(node: TrieNode): void {
  if (node.children.size === 0) return;
  const toMerge = new Set<TrieNode>();
  const weak = new Map<string, TrieNode[]>();
  const words: TrieNode[] = [];
  // Method-like names (`chat.postMessage`) are literal unless seen as rarely as values are.
  const strays: TrieNode[] = [];
  const strongSuffixes = new Set<string>(node.params.keys());
  for (const child of node.children.values()) {
    const { kind, suffix } = child.classified;
    if (kind === 'strong-id') {
      toMerge.add(child);
      strongSuffixes.add(suffix);
    } else if (kind === 'weak-id' || kind === 'date') {
      const key = `${kind}${suffix}`;
      const group = weak.get(key);
      if (group === undefined) weak.set(key, [child]);
      else group.push(child);
    } else if (kind === 'word') words.push(child);
    else if (kind === 'rpc-word' && child.hits <= COLD_HITS) strays.push(child);
    // Versions are literal (`/v1/`, `/v2/`) unless there are many, each seen rarely (release tags).
    else if (kind === 'version' && child.hits <= COLD_HITS) words.push(child);
  }
  // Weak identifiers merge with siblings of their own kind or into a parameter beside them;
  // a lone one (`/api/3/`, `/2010-04-01/`) is judged like a name.
  for (const group of weak.values()) {
    if (group.length >= 2 || strongSuffixes.has(group[0]!.classified.suffix)) for (const child of group) toMerge.add(child);
    else words.push(group[0]!);
  }
  for (const word of wordValues(node, words)) toMerge.add(word);
  const busy = (node.params.get('')?.hits ?? 0) + [...toMerge].reduce((sum, child) => sum + (child.classified.suffix === '' ? child.hits : 0), 0) >= BUSY_PARAMETER;
  if (busy) {
    // Beside a busy parameter, a name whose subtree looks like the parameter's is one more
    // value (`/orders/DBGKRZ/items` beside `/orders/{id}/items`), and names seen once or
    // twice are values too (`allUsers` among entity ids).
    const valueKeys = new Set<string>();
    for (const child of toMerge) if (child.classified.suffix === '') for (const key of literalKeys(child)) valueKeys.add(key);
    const param = node.params.get('');
    if (param !== undefined) for (const key of literalKeys(param)) valueKeys.add(key);
    for (const child of [...strays, ...words]) {
      if (toMerge.has(child) || distinctShapes(child, param === undefined ? [...toMerge] : [...toMerge, param])) continue;
      const keys = literalKeys(child);
      if (child.hits <= COLD_HITS || alike(keys, valueKeys)) toMerge.add(child);
    }
  }
  for (const child of toMerge) {
    node.children.delete(child.segment);
    const suffix = child.classified.suffix;
    let param = node.params.get(suffix);
    if (param === undefined) {
      param = new TrieNode(PARAM);
      node.params.set(suffix, param);
    }
    if (param.idShapes.size < MAX_SHAPES && isIdentifierKind(child.classified.kind)) param.idShapes.add(identifierShape(child.segment, suffix));
    mergeInto(param, child);
  }
}

/** Which word children are values rather than literal names (rules A, B and C of the class comment). */
function wordValues(node: TrieNode, words: TrieNode[]): TrieNode[] {
  if (words.length === 0) return [];
  // Rule A: many siblings, most seen only once or twice, are values; the hot ones (`me`) stay
  // literal. Once a node is known to hold values, only cold newcomers join them.
  if (node.absorbsWords) return words.filter((word) => word.hits <= COLD_HITS && !distinctShapes(word, words));
  const cold = words.filter((word) => word.hits <= COLD_HITS);
  // Hundreds of sibling names are values however often each is seen (users who call daily):
  // no API lists that many literals at one level (Slack's whole RPC surface is ~200 methods).
  if ((words.length >= MIN_COLD_SIBLINGS && cold.length >= COLD_SHARE * words.length) || words.length >= MANY_NAMES) {
    node.absorbsWords = true;
    const limit = Math.max(COLD_HITS, 5 * medianHits(words));
    return words.filter((word) => word.hits <= limit && !distinctShapes(word, cold));
  }
  // Rule B compares siblings pairwise; low-cardinality values are a handful, so it never needs more.
  if (words.length < 2 || words.length > RULE_B_LIMIT) return [];
  // Rule B: siblings whose subtrees share their literal structure (and answers, when known).
  const signatures = words.map((word) => ({ word, keys: literalKeys(word) }));
  const merged = new Set<TrieNode>();
  for (let i = 0; i < signatures.length; i++) {
    const a = signatures[i]!;
    if (merged.has(a.word) || a.keys.size === 0) continue;
    const group = [a.word];
    for (let j = i + 1; j < signatures.length; j++) {
      const b = signatures[j]!;
      if (!merged.has(b.word) && alike(a.keys, b.keys) && sameAnswers(a.word, b.word)) group.push(b.word);
    }
    if (group.length >= 2) for (const word of group) merged.add(word);
  }
  // Rule C: leaves answering with the same non-trivial response shape are one endpoint's values.
  const byShape = new Map<string, TrieNode[]>();
  for (const word of words) {
    // Names with a file extension (`Daily.json`) are documents, not values.
    if (merged.has(word) || word.children.size > 0 || word.params.size > 0 || word.segment.includes('.')) continue;
    const shape = shapeOf(word);
    if (shape === undefined) continue;
    const group = byShape.get(shape);
    if (group === undefined) byShape.set(shape, [word]);
    else group.push(word);
  }
  for (const group of byShape.values()) if (group.length >= 3) for (const word of group) merged.add(word);
  return [...merged];
}

/**
 * The literal names below a node (identifiers left out). Two siblings whose children share
 * their literal names (`/acme/users`, `/acme/groups` and `/globex/users`, `/globex/groups`)
 * are values of one parameter; collections that merely both hold ids (`/invoices/{id}`,
 * `/customers/{id}`) share nothing literal and stay apart.
 */
function literalKeys(node: TrieNode): Set<string> {
  const keys = new Set<string>();
  for (const child of node.children.values()) {
    const { kind, suffix } = child.classified;
    keys.add(isIdentifierKind(kind) ? `{${identifierShape(child.segment, suffix)}}${suffix}` : child.segment);
  }
  for (const [suffix, param] of node.params) for (const shape of param.idShapes) keys.add(`{${shape}}${suffix}`);
  return keys;
}

/** False when both answer GET with known, different response shapes. */
function sameAnswers(a: TrieNode, b: TrieNode): boolean {
  const left = shapeOf(a);
  const right = shapeOf(b);
  return left === undefined || right === undefined || left === right;
}

/** Subtrees alike enough to be one parameter's values: most keys shared, at least one of them a literal name. */
function alike(a: Set<string>, b: Set<string>): boolean {
  let literal = false;
  for (const key of a) if (key.charCodeAt(0) !== 123 && b.has(key)) literal = true;
  return literal && jaccard(a, b) >= SIMILAR_SUBTREES;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const key of a) if (b.has(key)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}

function shapeOf(node: TrieNode): string | undefined {
  const stats = node.methods?.get('GET');
  if (stats === undefined || stats.shapes.size !== 1) return undefined;
  const [shape] = stats.shapes;
  return shape === '' || shape === '{}' || shape === '[]' ? undefined : shape;
}

/** True when the word and the values both have known answers and none of theirs is the word's: a literal next to values. */
function distinctShapes(word: TrieNode, values: readonly TrieNode[]): boolean {
  const own = shapeOf(word);
  if (own === undefined) return false;
  let known = false;
  for (const value of values) {
    const shape = shapeOf(value);
    if (shape === own) return false;
    if (shape !== undefined) known = true;
  }
  return known;
}

function medianHits(nodes: readonly TrieNode[]): number {
  const hits = nodes.map((node) => node.hits).sort((a, b) => a - b);
  return hits[hits.length >> 1] ?? 0;
}

/** Unions `source` into `target`: hits, endpoints and, recursively, children. */
function mergeInto(target: TrieNode, source: TrieNode): void {
  target.hits += source.hits;
  target.absorbsWords ||= source.absorbsWords;
  for (const shape of source.idShapes) if (target.idShapes.size < MAX_SHAPES) target.idShapes.add(shape);
  if (source.methods !== undefined) {
    const methods = (target.methods ??= new Map());
    for (const [method, stats] of source.methods) {
      const into = methods.get(method);
      if (into === undefined) {
        methods.set(method, stats);
        continue;
      }
      into.hits += stats.hits;
      for (const [status, count] of stats.statuses) into.statuses.set(status, (into.statuses.get(status) ?? 0) + count);
      if (stats.firstSeen !== undefined && (into.firstSeen === undefined || stats.firstSeen < into.firstSeen)) into.firstSeen = stats.firstSeen;
      if (stats.lastSeen !== undefined && (into.lastSeen === undefined || stats.lastSeen > into.lastSeen)) into.lastSeen = stats.lastSeen;
      for (const shape of stats.shapes) if (into.shapes.size < MAX_SHAPES) into.shapes.add(shape);
      for (const dataClass of stats.dataClasses) into.dataClasses.add(dataClass);
    }
  }
  for (const [segment, child] of source.children) {
    const existing = target.children.get(segment);
    if (existing === undefined) {
      // A strong id under a node that already has a parameter for it goes there.
      const { kind, suffix } = child.classified;
      const param = target.params.get(suffix);
      if (param !== undefined && isIdentifierKind(kind)) mergeInto(param, child);
      else target.children.set(segment, child);
    } else mergeInto(existing, child);
  }
  for (const [suffix, param] of source.params) {
    const existing = target.params.get(suffix);
    if (existing === undefined) target.params.set(suffix, param);
    else mergeInto(existing, param);
  }
}

function collect(node: TrieNode, parts: string[], names: string[], out: InferredEndpoint[]): void {
  if (node.methods !== undefined) {
    const template = `/${parts.join('/')}`;
    for (const [method, stats] of node.methods) out.push({ method, template, stats });
  }
  for (const [segment, child] of node.children) {
    parts.push(segment);
    collect(child, parts, names, out);
    parts.pop();
  }
  for (const [suffix, param] of node.params) {
    const name = paramName(parts, names);
    parts.push(`{${name}}${suffix}`);
    names.push(name);
    collect(param, parts, names, out);
    names.pop();
    parts.pop();
  }
}

/**
 * Names a parameter after the literal before it (`/customers/{customerId}`), unique within
 * the template so the inferred document is valid OpenAPI.
 */
function paramName(parts: readonly string[], taken: readonly string[]): string {
  const previous = parts[parts.length - 1];
  let base = 'param';
  if (previous !== undefined && !previous.startsWith('{') && /^[A-Za-z][A-Za-z0-9_-]*$/.test(previous)) {
    const word = previous.replace(/[-_]+([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase());
    base = `${singular(word)}Id`;
  }
  let name = base;
  for (let n = 2; taken.includes(name); n++) name = `${base}${n}`;
  return name;
}

function singular(word: string): string {
  if (/ies$/i.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ss|us)$/i.test(word)) return word;
  if (/s$/i.test(word)) return word.slice(0, -1);
  return word;
}
