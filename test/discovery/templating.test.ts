/**
 * Path templating over the whole evaluation corpus (bench/discovery/corpus), from traffic alone:
 * negative controls must stay literal, and inferred templates must match the specs' closely
 * enough to be worth reviewing. Seeds are fixed, so a failure reproduces exactly with
 * `DISCOVERY_SEED=<seed> DISCOVERY_VERBOSE=1 npm run bench:discovery`.
 */
import { describe, expect, it } from 'vitest';
import { loadCorpus, type CorpusSpec, type ValueMode } from '../../bench/discovery/corpus.js';
import { evaluateTemplating, type TemplatingResult } from '../../bench/discovery/evaluate.js';

const SEEDS = [20261201, 7] as const;
const REQUESTS_PER_OPERATION = 20;
const MODES: readonly ValueMode[] = ['fresh', 'repeated', 'low-cardinality'];

/** The per-spec floors and the corpus-wide means this templater is held to. */
const FRESH_SPEC_F1 = 0.9;
const FRESH_MEAN_F1 = 0.95;
const LOW_CARDINALITY_SPEC_F1 = 0.75;
const LOW_CARDINALITY_MEAN_F1 = 0.85;

const specs = loadCorpus();
const controls = specs.filter((spec) => spec.negativeControl);
const templated = specs.filter((spec) => !spec.negativeControl);

const cache = new Map<string, TemplatingResult>();
function result(spec: CorpusSpec, mode: ValueMode, seed: number): TemplatingResult {
  const key = `${spec.name}/${mode}/${seed}`;
  let found = cache.get(key);
  if (found === undefined) cache.set(key, (found = evaluateTemplating(spec, mode, { requestsPerOperation: REQUESTS_PER_OPERATION, seed })));
  return found;
}

/** What went wrong, for the assertion message. */
function misses(spec: CorpusSpec, mode: ValueMode, seed: number): string {
  const { score } = result(spec, mode, seed);
  return [`${spec.name} ${mode} seed ${seed}: F1 ${score.f1.toFixed(3)}`, ...score.falsePositives.map((e) => `  false +: ${e}`), ...score.falseNegatives.map((e) => `  false −: ${e}`)].join('\n');
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

it('the corpus has negative controls and templated specs to score', () => {
  expect(controls.map((spec) => spec.name).sort()).toEqual(['literal-admin', 'rpc-chat']);
  expect(templated.length).toBeGreaterThanOrEqual(10);
});

describe.each(SEEDS)('templating with seed %i', (seed) => {
  describe.each(MODES)('negative controls, %s values', (mode) => {
    it.each(controls.map((spec) => [spec.name, spec] as const))('%s: no merges, every endpoint found', (_name, spec) => {
      const { merges, score } = result(spec, mode, seed);
      expect(merges, misses(spec, mode, seed)).toBe(0);
      expect(score.f1, misses(spec, mode, seed)).toBe(1);
    });
  });

  it.each(templated.map((spec) => [spec.name, spec] as const))(`%s: fresh values give F1 ≥ ${FRESH_SPEC_F1}`, (_name, spec) => {
    expect(result(spec, 'fresh', seed).score.f1, misses(spec, 'fresh', seed)).toBeGreaterThanOrEqual(FRESH_SPEC_F1);
  });

  it.each(templated.map((spec) => [spec.name, spec] as const))(`%s: low-cardinality values give F1 ≥ ${LOW_CARDINALITY_SPEC_F1}`, (_name, spec) => {
    expect(result(spec, 'low-cardinality', seed).score.f1, misses(spec, 'low-cardinality', seed)).toBeGreaterThanOrEqual(LOW_CARDINALITY_SPEC_F1);
  });

  it(`mean F1 over the templated specs is ≥ ${FRESH_MEAN_F1} with fresh values`, () => {
    const scores = templated.map((spec) => result(spec, 'fresh', seed).score.f1);
    expect(mean(scores)).toBeGreaterThanOrEqual(FRESH_MEAN_F1);
  });

  it(`mean F1 over the templated specs is ≥ ${LOW_CARDINALITY_MEAN_F1} with low-cardinality values`, () => {
    const scores = templated.map((spec) => result(spec, 'low-cardinality', seed).score.f1);
    expect(mean(scores)).toBeGreaterThanOrEqual(LOW_CARDINALITY_MEAN_F1);
  });
});
