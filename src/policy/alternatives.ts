import type { Alternative } from './decision.js';
import type { CompiledAgent, CompiledOperation, Snapshot } from './snapshot.js';

/** What the agent asked for: a known operation, or only a method and path that matched none. */
export type AlternativeTarget =
  | { readonly operation: CompiledOperation }
  | { readonly method: string; readonly path: string };

const MAX_ALTERNATIVES = 3;

/**
 * The operations this agent may call that are closest to what it asked for: same API first,
 * then shared data classes, then similar path and method. The basis of helpful denials, so an
 * agent can recover on its own instead of retrying the same forbidden call.
 */
export function findAlternatives(snapshot: Snapshot, agent: CompiledAgent, target: AlternativeTarget, time: number): Alternative[] {
  const targetOperation = 'operation' in target ? target.operation : undefined;
  const method = targetOperation ? targetOperation.method : (target as { method: string }).method;
  const segments = splitPath(targetOperation ? targetOperation.fullPath : (target as { path: string }).path);
  const scored: { operation: CompiledOperation; score: number; why: string[] }[] = [];
  for (const index of agent.access.callable) {
    const candidate = snapshot.operations[index]!;
    if (candidate === targetOperation) continue;
    const api = candidate.api;
    if (api.status === 'retired' || (api.sunsetAt !== undefined && time >= api.sunsetAt)) continue;
    const why: string[] = [];
    let score = 0;
    if (targetOperation ? api === targetOperation.api : underBasePath(segments, api.basePath)) {
      score += 4;
      why.push('same API');
    }
    if (targetOperation) {
      const shared = candidate.dataClasses.filter((dataClass) => targetOperation.dataClasses.includes(dataClass));
      if (shared.length > 0) {
        score += 2 * Math.min(2, shared.length);
        why.push(`also ${shared.join(', ')}`);
      }
      if (candidate.effect === targetOperation.effect) score += 1;
    }
    if (candidate.method === method) score += 1;
    const similarity = pathSimilarity(segments, splitPath(candidate.fullPath));
    if (similarity >= 0.5) why.push('similar path');
    score += 3 * similarity;
    if (score >= 1) scored.push({ operation: candidate, score, why });
  }
  scored.sort((a, b) => b.score - a.score || a.operation.index - b.operation.index);
  return scored.slice(0, MAX_ALTERNATIVES).map(({ operation, why }) => {
    const alternative: Alternative = {
      api: operation.api.name,
      operation: operation.id,
      method: operation.method,
      path: operation.fullPath,
      effect: operation.effect,
      why: why.length > 0 ? why.join('; ') : 'callable by this agent',
    };
    return operation.summary ? { ...alternative, summary: operation.summary } : alternative;
  });
}

function splitPath(path: string): string[] {
  return path.split('/').filter(Boolean);
}

function underBasePath(segments: readonly string[], basePath: string): boolean {
  const base = splitPath(basePath);
  return base.length > 0 && base.every((segment, index) => segments[index] === segment);
}

/** 0..1: the shared leading segments weigh most, shared literal words anywhere add a little. */
function pathSimilarity(a: readonly string[], b: readonly string[]): number {
  const longest = Math.max(a.length, b.length);
  if (longest === 0) return 1;
  let prefix = 0;
  while (prefix < Math.min(a.length, b.length) && segmentsMatch(a[prefix]!, b[prefix]!)) prefix++;
  const wordsA = new Set(a.filter((segment) => !segment.includes('{')));
  const wordsB = new Set(b.filter((segment) => !segment.includes('{')));
  const union = new Set([...wordsA, ...wordsB]).size;
  const shared = [...wordsA].filter((word) => wordsB.has(word)).length;
  return 0.6 * (prefix / longest) + 0.4 * (union === 0 ? 0 : shared / union);
}

function segmentsMatch(a: string, b: string): boolean {
  return a === b || a.startsWith('{') || b.startsWith('{');
}
