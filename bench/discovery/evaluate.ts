import { readOpenApiDocuments } from '../../src/controlplane/discovery/openapi-documents.js';
import type { DocumentedApi } from '../../src/controlplane/discovery/documented-operation.js';
import { InventoryBuilder } from '../../src/controlplane/discovery/inventory.js';
import { OperationMatcher } from '../../src/controlplane/discovery/operation-matcher.js';
import { PathTemplater } from '../../src/controlplane/discovery/path-templater.js';
import { generateTraffic, scoreTemplates, truthEndpoints, type CorpusSpec, type TemplateScore, type ValueMode } from './corpus.js';
import { SeededRandom } from './seeded-random.js';
import { templateRegExp } from './template-routing.js';

/** Template inference on one spec's traffic, with no documentation at all. */
export interface TemplatingResult {
  readonly score: TemplateScore;
  /** Inferred templates with a parameter: must be 0 for a negative control. */
  readonly merges: number;
}

/** Infers templates from generated traffic and scores them against the spec. */
export function evaluateTemplating(spec: CorpusSpec, mode: ValueMode, options: { readonly requestsPerOperation: number; readonly seed: number }): TemplatingResult {
  const traffic = generateTraffic(spec, { mode, requestsPerOperation: options.requestsPerOperation, seed: options.seed });
  const templater = new PathTemplater();
  for (const { observation } of traffic) templater.observe(observation.method, observation.path, observation.status, observation.time, observation.responseShape);
  const endpoints = templater.endpoints();
  return { score: scoreTemplates(endpoints, truthEndpoints(traffic)), merges: endpoints.filter((endpoint) => endpoint.template.includes('{')).length };
}

/** Classification with the spec imported, some operations held out of it (they must come out shadow). */
export interface ClassificationResult {
  readonly requests: number;
  /** Requests of documented operations matched to exactly their operation. */
  readonly matching: number;
  readonly shadowPrecision: number;
  /** Over the held-out calls no documented template routes (see `ambiguous`). */
  readonly shadowRecall: number;
  /**
   * Held-out operations (`METHOD template`) whose calls a documented template also routes
   * (`/platform/settings` held out beside `/{tenant}/settings`): to any router they are calls of
   * the documented operation, so no classifier can find them as shadows; decided with the
   * corpus's own routing (template-routing.ts), not with the matcher under test.
   */
  readonly ambiguous: readonly string[];
  /** Shadow endpoints inferred against the held-out operations' templates. */
  readonly shadowTemplates: TemplateScore;
  readonly zombiesExpected: number;
  readonly zombiesFound: number;
  readonly heldOut: number;
}

/**
 * Holds out every seventh non-deprecated operation (at least one) from the spec, imports the
 * rest, and classifies traffic of all operations: matching accuracy on the documented ones,
 * shadow precision and recall per request, and whether every deprecated operation with traffic
 * is reported as a zombie.
 */
export async function evaluateClassification(spec: CorpusSpec, mode: ValueMode, options: { readonly requestsPerOperation: number; readonly seed: number }): Promise<ClassificationResult> {
  const rng = new SeededRandom(options.seed).fork(`holdout:${spec.name}`);
  const candidates = spec.operations.filter((operation) => !operation.deprecated && operation.sunset === undefined);
  const heldOut = new Set<string>();
  const wanted = Math.max(1, Math.round(candidates.length / 7));
  const pool = [...candidates];
  while (heldOut.size < wanted && pool.length > 0) heldOut.add(pool.splice(rng.int(0, pool.length - 1), 1)[0]!.operationId);
  const [document] = await readOpenApiDocuments([spec.file]);
  const documented: DocumentedApi = { ...document!, operations: document!.operations.filter((operation) => !heldOut.has(operation.operationId)) };
  const matcher = new OperationMatcher(documented.operations);
  const builder = new InventoryBuilder({ documented: [documented] });
  const traffic = generateTraffic(spec, { mode, requestsPerOperation: options.requestsPerOperation, seed: options.seed });
  const documentedRoutes = spec.operations.filter((operation) => !heldOut.has(operation.operationId)).map((operation) => ({ method: operation.method, pattern: templateRegExp(operation.template) }));
  const ambiguous = new Set<string>();
  let documentedRequests = 0;
  let matched = 0;
  let predictedShadow = 0;
  let trueShadow = 0;
  let actualShadow = 0;
  for (const { observation, truth } of traffic) {
    builder.add(observation);
    const operation = matcher.match(observation.method, observation.path);
    const isHeldOut = heldOut.has(truth.operationId);
    if (isHeldOut && documentedRoutes.some((route) => route.method === observation.method && route.pattern.test(observation.path))) {
      ambiguous.add(`${truth.method} ${truth.template}`);
      continue;
    }
    if (isHeldOut) actualShadow++;
    else {
      documentedRequests++;
      if (operation?.operationId === truth.operationId) matched++;
    }
    if (operation === undefined && observation.status >= 200 && observation.status < 400) {
      predictedShadow++;
      if (isHeldOut) trueShadow++;
    }
  }
  const inventory = builder.build();
  const heldOutTruth = truthEndpoints(traffic.filter(({ truth }) => heldOut.has(truth.operationId) && !ambiguous.has(`${truth.method} ${truth.template}`)));
  const shadowEndpoints = inventory.endpoints.filter((endpoint) => endpoint.classification === 'shadow');
  const used = new Set(traffic.map(({ truth }) => truth.operationId));
  const deprecated = spec.operations.filter((operation) => (operation.deprecated || operation.sunset !== undefined) && used.has(operation.operationId));
  const zombies = new Set(inventory.endpoints.filter((endpoint) => endpoint.classification === 'zombie').map((endpoint) => endpoint.operationId));
  return {
    requests: traffic.length,
    matching: documentedRequests === 0 ? 1 : matched / documentedRequests,
    shadowPrecision: predictedShadow === 0 ? 1 : trueShadow / predictedShadow,
    shadowRecall: actualShadow === 0 ? 1 : trueShadow / actualShadow,
    shadowTemplates: scoreTemplates(shadowEndpoints, heldOutTruth),
    zombiesExpected: deprecated.length,
    zombiesFound: deprecated.filter((operation) => zombies.has(operation.operationId)).length,
    heldOut: heldOut.size,
    ambiguous: [...ambiguous].sort(),
  };
}
