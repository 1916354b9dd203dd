/** One thing wrong with a manifest folder, pinned to a file, a line and a field, with a fix. */
export interface ManifestProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted field path inside the document, e.g. `spec.grants[0].operations[1]`; empty for the whole document. */
  readonly field: string;
  readonly message: string;
  readonly fix: string;
}

/** `file:line:col field: message` then the fix, the format editors and CI logs link to. */
export function formatProblem(problem: ManifestProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  const field = problem.field ? ` ${problem.field}:` : '';
  return `${where}${field} ${problem.message}\n    fix: ${problem.fix}`;
}

/** Thrown by APIs that need a valid folder; carries every problem, not just the first. */
export class ManifestError extends Error {
  constructor(readonly problems: readonly ManifestProblem[]) {
    super(`${problems.length} manifest problem(s):\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'ManifestError';
  }
}

/** JSON pointer segments → `spec.grants[0].api`. */
export function fieldPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number' || /^\d+$/.test(segment)) out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}
