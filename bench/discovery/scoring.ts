/**
 * Scoring inferred path templates against the truth: exact endpoint sets, compared after
 * parameter names are erased, since a templater cannot know that the spec called it `{CallSid}`.
 */

/** `/a/{x}/b/{y}.json` → `/a/{}/b/{}.json`: parameter names do not matter for scoring. */
export function normalizeTemplate(template: string): string {
  return template.replace(/\{[^{}]*\}/g, '{}');
}

/** What scoreTemplates reports. */
export interface TemplateScore {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly truePositives: number;
  /** Inferred endpoints that are not in the truth, as `METHOD /normalized/{}`, sorted. */
  readonly falsePositives: string[];
  /** Truth endpoints that were not inferred, as `METHOD /normalized/{}`, sorted. */
  readonly falseNegatives: string[];
}

/**
 * Precision, recall and F1 of the distinct inferred endpoints against the distinct truth
 * endpoints (method upper-cased, template normalized). An empty side gives 0/0, which counts
 * as 1 (nothing claimed, nothing wrong); F1 is 0 when precision and recall are both 0.
 */
export function scoreTemplates(
  inferred: readonly { method: string; template: string }[],
  truth: readonly { method: string; template: string }[],
): TemplateScore {
  const key = (e: { method: string; template: string }): string => `${e.method.toUpperCase()} ${normalizeTemplate(e.template)}`;
  const got = new Set(inferred.map(key));
  const want = new Set(truth.map(key));
  let truePositives = 0;
  const falsePositives: string[] = [];
  for (const k of got) {
    if (want.has(k)) truePositives++;
    else falsePositives.push(k);
  }
  const falseNegatives = [...want].filter((k) => !got.has(k));
  const precision = ratio(truePositives, got.size);
  const recall = ratio(truePositives, want.size);
  // Both 0 means nothing right at all: F1 0, not the 0/0 = 1 of the empty-set convention.
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePositives, falsePositives: falsePositives.sort(), falseNegatives: falseNegatives.sort() };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 1 : numerator / denominator;
}
