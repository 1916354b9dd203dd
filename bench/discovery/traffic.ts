/**
 * Labelled synthetic traffic for a corpus spec: concrete requests whose path parameter values
 * follow the spec's schemas, each labelled with the operation it came from. Deterministic in
 * the seed, so a benchmark number or a failing test can be reproduced exactly.
 */
import type { Observation } from '../../src/controlplane/discovery/observation.js';
import type { CorpusOperation, CorpusParameter, CorpusSpec } from './corpus.js';
import { schemaValue } from './schema-values.js';
import { SeededRandom } from './seeded-random.js';
import { mayOverlap, rivalWins, segmentRank, splitSegments, templateRegExp } from './template-routing.js';

/**
 * How path parameter values repeat: `fresh` draws a new value for every request (distinct
 * wherever the schema allows), `repeated` draws from a pool of 10 per parameter so concrete
 * paths recur, `low-cardinality` from a pool of 2–5 (three realms, five tenants).
 */
export type ValueMode = 'fresh' | 'repeated' | 'low-cardinality';

/** One generated observation and the operation it truly belongs to. */
export interface LabelledObservation {
  readonly observation: Observation;
  readonly truth: { readonly method: string; readonly template: string; readonly operationId: string };
}

/** Options of generateTraffic. */
export interface TrafficOptions {
  readonly mode: ValueMode;
  readonly requestsPerOperation: number;
  readonly seed: number;
  /** Response status for an operation; default 200 GET, 201 POST, 204 DELETE, else 200. */
  readonly statusFor?: (op: CorpusOperation) => number;
  /** Epoch ms of the first request; default 2026-11-01T00:00:00Z. */
  readonly startTime?: number;
}

const DEFAULT_START = Date.UTC(2026, 10, 1);
const REPEATED_POOL = 10;
const CLIENTS = 5;
/** Draws allowed to find a value that is new (fresh) or not a sibling literal before giving up. */
const ATTEMPTS = 60;

interface PreparedOperation {
  readonly op: CorpusOperation;
  readonly segments: readonly string[];
  /** Templates a router could pick instead of this one for some concrete path. */
  readonly rivals: readonly { readonly template: string; readonly segments: readonly string[]; readonly regex: RegExp }[];
  readonly pathParams: readonly { readonly param: CorpusParameter; readonly key: string }[];
  readonly queryParams: readonly CorpusParameter[];
}

/** Labelled observations for every operation of `spec`, `requestsPerOperation` each, in random order. */
export function generateTraffic(spec: CorpusSpec, options: TrafficOptions): LabelledObservation[] {
  if (!Number.isInteger(options.requestsPerOperation) || options.requestsPerOperation < 0) {
    throw new RangeError(`requestsPerOperation must be a non-negative integer, got ${options.requestsPerOperation}`);
  }
  // Separate streams, so that e.g. adding a query parameter to a spec does not change every path value.
  const root = new SeededRandom(options.seed).fork(spec.name);
  const orderRng = root.fork('order');
  const valueRng = root.fork('values');
  const extraRng = root.fork('extras');

  const prepared = prepare(spec);
  const forbidden = forbiddenValues(prepared);
  const values = new ValueSource(options.mode, valueRng, forbidden);
  const clients = Array.from({ length: CLIENTS }, () => `key_${extraRng.string('0123456789abcdef', 12)}`);
  const host = `${spec.name}.api.test`;

  const requests: PreparedOperation[] = [];
  for (const p of prepared) for (let k = 0; k < options.requestsPerOperation; k++) requests.push(p);
  const order = orderRng.shuffle(requests);

  let time = options.startTime ?? DEFAULT_START;
  const out: LabelledObservation[] = [];
  for (const p of order) {
    const { op } = p;
    const chosen = new Map<string, string>();
    for (const { param, key } of p.pathParams) chosen.set(param.name, values.draw(key, param));
    const concrete = op.template.replace(/\{([^{}]*)\}/g, (_, name: string) => encodeURIComponent(chosen.get(name)!));
    for (const rival of p.rivals) {
      if (rival.regex.test(concrete) && rivalWins(p.segments, rival.segments)) {
        throw new Error(`${spec.name}: generated ${op.method} ${concrete} for ${op.template}, but a router would route it to ${rival.template}`);
      }
    }
    const queryNames = p.queryParams.filter((q) => q.required || extraRng.chance(0.5)).map((q) => q.name);
    time += extraRng.int(1, 5);
    const observation: Observation = {
      method: op.method,
      path: concrete,
      ...(queryNames.length > 0 ? { queryNames } : {}),
      status: options.statusFor ? options.statusFor(op) : defaultStatus(op.method),
      time,
      host,
      client: extraRng.pick(clients),
      ...(op.method === 'GET' && op.responseShape !== undefined ? { responseShape: op.responseShape } : {}),
    };
    out.push({ observation, truth: { method: op.method, template: op.template, operationId: op.operationId } });
  }
  return out;
}

/** The distinct endpoints present in labelled traffic: the truth side of scoreTemplates. */
export function truthEndpoints(traffic: readonly LabelledObservation[]): { method: string; template: string }[] {
  const seen = new Map<string, { method: string; template: string }>();
  for (const { truth } of traffic) seen.set(`${truth.method} ${truth.template}`, { method: truth.method, template: truth.template });
  return [...seen.values()];
}

function defaultStatus(method: string): number {
  if (method === 'POST') return 201;
  if (method === 'DELETE') return 204;
  return 200;
}

/**
 * Pools are keyed by parameter name and schema, so `{realm}` in `/{realm}/users` and in
 * `/{realm}/groups` draws the same three realms, as one deployment's traffic would.
 */
function poolKey(param: CorpusParameter): string {
  return `${param.name}\u0000${JSON.stringify(param.schema)}`;
}

function prepare(spec: CorpusSpec): PreparedOperation[] {
  const templates = [...new Set(spec.operations.map((o) => o.template))].map((template) => ({
    template,
    segments: splitSegments(template),
    regex: templateRegExp(template),
  }));
  return spec.operations.map((op) => {
    const segments = splitSegments(op.template);
    return {
      op,
      segments,
      rivals: templates.filter((t) => t.template !== op.template && mayOverlap(segments, t.segments)),
      pathParams: op.parameters.filter((p) => p.in === 'path').map((param) => ({ param, key: poolKey(param) })),
      queryParams: op.parameters.filter((p) => p.in === 'query'),
    };
  });
}

/**
 * Per pool key, the literal words a value must not be: where a parameter is a whole segment
 * and an overlapping template has a literal at that segment (`me` for `/users/{id}` beside
 * `/users/me`), that word would be routed to the literal sibling instead.
 */
function forbiddenValues(prepared: readonly PreparedOperation[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const p of prepared) {
    for (const { param, key } of p.pathParams) {
      const index = p.segments.indexOf(`{${param.name}}`);
      if (index < 0) continue;
      let set = out.get(key);
      if (!set) out.set(key, (set = new Set()));
      for (const rival of p.rivals) {
        const seg = rival.segments[index]!;
        if (segmentRank(seg) === 2) set.add(decodeURIComponent(seg));
      }
    }
  }
  return out;
}

class ValueSource {
  private readonly used = new Map<string, Set<string>>();
  private readonly pools = new Map<string, string[]>();

  constructor(
    private readonly mode: ValueMode,
    private readonly rng: SeededRandom,
    private readonly forbidden: ReadonlyMap<string, ReadonlySet<string>>,
  ) {}

  draw(key: string, param: CorpusParameter): string {
    if (this.mode === 'fresh') {
      let used = this.used.get(key);
      if (!used) this.used.set(key, (used = new Set()));
      const value = this.newValue(key, param, used);
      used.add(value);
      return value;
    }
    let pool = this.pools.get(key);
    if (!pool) {
      const size = this.mode === 'repeated' ? REPEATED_POOL : this.rng.int(2, 5);
      const members = new Set<string>();
      // Small domains (an enum of three) give a smaller pool: the attempts run out first.
      for (let attempt = 0; attempt < size * 3 && members.size < size; attempt++) members.add(this.newValue(key, param, members));
      pool = [...members];
      this.pools.set(key, pool);
    }
    return this.rng.pick(pool);
  }

  /** A value not in `avoid` and not forbidden, if one turns up within ATTEMPTS draws; else any allowed one. */
  private newValue(key: string, param: CorpusParameter, avoid: ReadonlySet<string>): string {
    const forbidden = this.forbidden.get(key);
    let allowed: string | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const value = schemaValue(param.schema, param.name, this.rng);
      if (forbidden?.has(value)) continue;
      if (!avoid.has(value)) return value;
      allowed ??= value;
    }
    if (allowed !== undefined) return allowed;
    throw new Error(`parameter ${param.name}: every value drawn is a literal sibling (${[...(forbidden ?? [])].join(', ')})`);
  }
}
