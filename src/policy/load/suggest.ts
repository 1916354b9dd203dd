/** Levenshtein distance, bounded work: names in manifests are short. */
function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The candidate closest to `wanted` if it is close enough to be a likely typo. */
export function closest(wanted: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = wanted.toLowerCase();
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(1, Math.floor(wanted.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

/** "did you mean X?" or a short list of what exists. */
export function suggestion(wanted: string, candidates: readonly string[], noun: string): string {
  const match = closest(wanted, candidates);
  if (match) return `did you mean "${match}"?`;
  if (candidates.length === 0) return `no ${noun} is defined yet`;
  const shown = candidates.slice(0, 8).join(', ');
  return `use one of: ${shown}${candidates.length > 8 ? `, … (${candidates.length} in all)` : ''}`;
}
