import type { Alternative } from './decision.js';
import type { CompiledAgent, CompiledOperation, Snapshot } from './snapshot.js';

/** What the agent asked for: a known operation, or only a method and path that matched none. */
export type AlternativeTarget =
  | { readonly operation: CompiledOperation }
  | { readonly method: string; readonly path: string };

const MAX_ALTERNATIVES = 3;

interface Scored {
  readonly operation: CompiledOperation;
  readonly score: number;
  readonly sameApi: boolean;
  readonly similarPath: boolean;
}

/**
 * The operations this agent may call that are closest to what it asked for: same API first,
 * then shared data classes, then similar path and method. The basis of helpful denials, so an
 * agent can recover on its own instead of retrying the same forbidden call. Runs on denials
 * only, over precomputed segments, keeping just the best three.
 */
export function findAlternatives(snapshot: Snapshot, agent: CompiledAgent, target: AlternativeTarget, time: number, usable?: (operation: CompiledOperation) => boolean): Alternative[] {
  const targetOperation = 'operation' in target ? target.operation : undefined;
  const method = targetOperation ? targetOperation.method : (target as { method: string }).method;
  const segments = targetOperation ? targetOperation.segments : (target as { path: string }).path.split('/').filter(Boolean);
  const best: Scored[] = [];
  const callable = agent.access.callable;
  for (let i = 0; i < callable.length; i++) {
    const candidate = snapshot.operations[callable[i]!]!;
    if (candidate === targetOperation) continue;
    const api = candidate.api;
    if (api.status === 'retired' || (api.sunsetAt !== undefined && time >= api.sunsetAt)) continue;
    if (usable !== undefined && !usable(candidate)) continue;
    const sameApi = targetOperation ? api === targetOperation.api : underBasePath(segments, api.basePath);
    let score = sameApi ? 4 : 0;
    let shared = 0;
    if (targetOperation) {
      shared = sharedCount(candidate.dataClasses, targetOperation.dataClasses);
      score += 2 * Math.min(2, shared);
      if (candidate.effect === targetOperation.effect) score += 1;
    }
    if (candidate.method === method) score += 1;
    const similarity = pathSimilarity(segments, candidate.segments);
    score += 3 * similarity;
    // Shared words of the summaries: "salaries by department" is near "department budgets".
    if (targetOperation !== undefined) score += 2 * wordOverlap(targetOperation.words, candidate.words);
    if (score < 1) continue;
    insertBest(best, { operation: candidate, score, sameApi, similarPath: similarity >= 0.5 });
  }
  return best.map((entry) => toAlternative(entry, targetOperation));
}

/** Keeps `best` sorted (score, then catalogue order) and at most MAX_ALTERNATIVES long. */
function insertBest(best: Scored[], entry: Scored): void {
  let position = best.length;
  while (position > 0) {
    const above = best[position - 1]!;
    if (above.score > entry.score || (above.score === entry.score && above.operation.index < entry.operation.index)) break;
    position--;
  }
  if (position >= MAX_ALTERNATIVES) return;
  best.splice(position, 0, entry);
  if (best.length > MAX_ALTERNATIVES) best.pop();
}

function toAlternative({ operation, sameApi, similarPath }: Scored, target: CompiledOperation | undefined): Alternative {
  const shared = target ? operation.dataClasses.filter((dataClass) => target.dataClasses.includes(dataClass)) : [];
  const why: string[] = [];
  if (sameApi) why.push('same API');
  if (shared.length > 0) why.push(`also ${shared.join(', ')}`);
  if (similarPath) why.push('similar path');
  const alternative: Alternative = {
    api: operation.api.name,
    operation: operation.id,
    method: operation.method,
    path: operation.fullPath,
    effect: operation.effect,
    why: why.length > 0 ? why.join('; ') : 'callable by this agent',
  };
  return operation.summary ? { ...alternative, summary: operation.summary } : alternative;
}

function sharedCount(a: readonly string[], b: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (b.includes(a[i]!)) count++;
  return count;
}

function underBasePath(segments: readonly string[], basePath: string): boolean {
  const base = basePath.split('/').filter(Boolean);
  return base.length > 0 && base.every((segment, index) => segments[index] === segment);
}

/** 0..1: the shared leading segments weigh most, shared literal words anywhere add a little. */
function pathSimilarity(a: readonly string[], b: readonly string[]): number {
  const longest = Math.max(a.length, b.length);
  if (longest === 0) return 1;
  const shortest = Math.min(a.length, b.length);
  let prefix = 0;
  while (prefix < shortest && segmentsMatch(a[prefix]!, b[prefix]!)) prefix++;
  let literalsA = 0;
  let shared = 0;
  for (let i = 0; i < a.length; i++) {
    const segment = a[i]!;
    if (isParameter(segment)) continue;
    literalsA++;
    if (b.includes(segment)) shared++;
  }
  let literalsB = 0;
  for (let i = 0; i < b.length; i++) if (!isParameter(b[i]!)) literalsB++;
  const union = literalsA + literalsB - shared;
  return 0.6 * (prefix / longest) + 0.4 * (union <= 0 ? 0 : shared / union);
}

function isParameter(segment: string): boolean {
  return segment.charCodeAt(0) === 123; // {
}

function segmentsMatch(a: string, b: string): boolean {
  return a === b || isParameter(a) || isParameter(b);
}

/** 0..1: the share of the smaller word set found in the other. */
function wordOverlap(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let shared = 0;
  for (let i = 0; i < a.length; i++) if (b.includes(a[i]!)) shared++;
  return shared / Math.min(a.length, b.length);
}

/**
 * For a denied operation that holds data: the data the agent can read instead, named by the
 * catalog's summaries — "no access to salaries (financial, pii); department budgets and
 * headcount per department are available". Only readable alternatives are data it can have.
 */
export function dataHint(target: CompiledOperation, alternatives: readonly Alternative[]): string | undefined {
  if (target.dataClasses.length === 0) return undefined;
  const readable = alternatives.filter((alternative) => alternative.effect === 'read').map((alternative) => (alternative.summary === undefined ? `${alternative.api}.${alternative.operation}` : dataNamed(alternative.summary)));
  const denied = `no access to ${target.summary === undefined ? `${target.api.name}.${target.id}` : dataNamed(target.summary)} (${target.dataClasses.join(', ')})`;
  if (readable.length === 0) return `${denied}; request access if the task needs it`;
  const listed = readable.length === 1 ? readable[0]! : `${readable.slice(0, -1).join(', ')} and ${readable.at(-1)!}`;
  return `${denied}; ${listed} ${readable.length === 1 ? 'is' : 'are'} available`;
}

/** A summary as the data it names: "Read an employee record" → "an employee record", "Salaries" → "salaries". */
function dataNamed(summary: string): string {
  const noun = summary.replace(LEADING_VERB, '');
  // Keep acronyms and names as they are: "CRM notes" stays.
  return noun.length > 1 && noun[1] === noun[1]!.toLowerCase() ? noun[0]!.toLowerCase() + noun.slice(1) : noun;
}

const LEADING_VERB = /^(?:read|list|get|show|fetch|search|find|look up|view)\s+(?=\S)/i;

const STOP_WORDS = new Set(['a', 'an', 'and', 'by', 'for', 'from', 'get', 'in', 'list', 'of', 'on', 'one', 'or', 'per', 'the', 'to', 'with', 'all', 'read', 'show']);

/** The content words of an operation's summary and path, lower-cased and singular, for ranking alternatives. */
export function contentWords(summary: string | undefined, segments: readonly string[]): string[] {
  const words = new Set<string>();
  const text = `${summary ?? ''} ${segments.filter((segment) => !isParameter(segment)).join(' ')}`;
  for (const raw of text.toLowerCase().split(/[^a-z0-9]+/)) {
    if (raw.length < 3 || STOP_WORDS.has(raw)) continue;
    words.add(raw.endsWith('ies') ? `${raw.slice(0, -3)}y` : raw.endsWith('s') && !raw.endsWith('ss') ? raw.slice(0, -1) : raw);
  }
  return [...words];
}
