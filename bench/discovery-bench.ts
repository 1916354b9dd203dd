/**
 * `npm run bench:discovery`: how well discovery infers endpoint templates and classifies
 * traffic on the bundled corpus (bench/discovery/corpus), and how fast it imports.
 *
 * 1. Templating, no documentation: per spec, traffic with fresh parameter values and with
 *    low-cardinality values (2–5 per parameter) → template precision, recall, F1; negative
 *    controls must produce zero merges.
 * 2. Classification, the spec imported with every seventh operation held out: request →
 *    operation matching, shadow precision and recall, every deprecated operation a zombie.
 * 3. Import rate: a plain traffic JSONL file and an nginx log of generated traffic, read and
 *    inventoried end to end (`discoverFromTraffic`, as `warden discover import` runs it);
 *    the median of several runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { discoverFromTraffic } from '../src/controlplane/discovery/discover-traffic.js';
import { generateTraffic, loadCorpus, type LabelledObservation, type ValueMode } from './discovery/corpus.js';
import { evaluateClassification, evaluateTemplating } from './discovery/evaluate.js';

const SEED = Number(process.env.DISCOVERY_SEED ?? 20261201);
const REQUESTS_PER_OPERATION = Number(process.env.DISCOVERY_REQUESTS ?? 20);
const IMPORT_REQUESTS = Number(process.env.DISCOVERY_IMPORT_REQUESTS ?? 1_000_000);
const IMPORT_RUNS = 3;

const pct = (value: number) => `${(value * 100).toFixed(1)}`.padStart(5);
const specs = loadCorpus();

console.log(`discovery bench: ${specs.length} corpus specs, ${REQUESTS_PER_OPERATION} requests per operation, seed ${SEED}\n`);
console.log('1. Template inference from traffic alone (P / R / F1, %)');
console.log(`${'spec'.padEnd(26)} ${'fresh values'.padEnd(22)} ${'low-cardinality values'.padEnd(22)} merges`);
const totals: Record<ValueMode, number[]> = { fresh: [], repeated: [], 'low-cardinality': [] };
let controlMerges = 0;
for (const spec of specs) {
  const cells: string[] = [];
  let merges = 0;
  for (const mode of ['fresh', 'low-cardinality'] as const) {
    const result = evaluateTemplating(spec, mode, { requestsPerOperation: REQUESTS_PER_OPERATION, seed: SEED });
    totals[mode].push(result.score.f1);
    merges += result.merges;
    cells.push(`${pct(result.score.precision)} ${pct(result.score.recall)} ${pct(result.score.f1)}`.padEnd(22));
    if (process.env.DISCOVERY_VERBOSE) {
      for (const miss of result.score.falsePositives) console.log(`    ${mode} false +: ${miss}`);
      for (const miss of result.score.falseNegatives) console.log(`    ${mode} false −: ${miss}`);
    }
  }
  if (spec.negativeControl) controlMerges += merges;
  console.log(`${spec.name.padEnd(26)} ${cells.join(' ')} ${spec.negativeControl ? `${merges} (negative control)` : ''}`);
}
const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
console.log(`${'mean F1'.padEnd(26)} ${pct(mean(totals.fresh)).padStart(17).padEnd(22)} ${pct(mean(totals['low-cardinality'])).padStart(17).padEnd(22)}`);
console.log(`negative controls: ${controlMerges} merges (target 0); targets on unseen specs: F1 ≥ 90 fresh, ≥ 75 low-cardinality\n`);

console.log('2. With the spec imported, every 7th operation held out (%); shadow recall over held-out calls no documented template routes');
console.log(`${'spec'.padEnd(26)} ${'matching'.padStart(8)} ${'shadow P'.padStart(8)} ${'shadow R'.padStart(8)} ${'shadow F1'.padStart(9)} zombies`);
let allZombies = true;
const matching: number[] = [];
const shadowP: number[] = [];
const shadowR: number[] = [];
for (const spec of specs) {
  const result = await evaluateClassification(spec, 'fresh', { requestsPerOperation: REQUESTS_PER_OPERATION, seed: SEED });
  matching.push(result.matching);
  shadowP.push(result.shadowPrecision);
  shadowR.push(result.shadowRecall);
  if (result.zombiesFound < result.zombiesExpected) allZombies = false;
  const aside = result.ambiguous.length > 0 ? `  (set aside, routed by a documented template: ${result.ambiguous.join(', ')})` : '';
  console.log(`${spec.name.padEnd(26)} ${pct(result.matching).padStart(8)} ${pct(result.shadowPrecision).padStart(8)} ${pct(result.shadowRecall).padStart(8)} ${pct(result.shadowTemplates.f1).padStart(9)} ${`${result.zombiesFound}/${result.zombiesExpected}`.padEnd(7)}${aside}`);
}
console.log(`${'min'.padEnd(26)} ${pct(Math.min(...matching)).padStart(8)} ${pct(Math.min(...shadowP)).padStart(8)} ${pct(Math.min(...shadowR)).padStart(8)}           ${allZombies ? 'every zombie found' : 'ZOMBIES MISSED'}`);
console.log('targets: matching ≥ 99, shadow precision and recall ≥ 95, every zombie found\n');

console.log(`3. Import rate (${IMPORT_REQUESTS.toLocaleString('en-US')} requests per file, median of ${IMPORT_RUNS} runs)`);
const directory = mkdtempSync(path.join(tmpdir(), 'warden-discovery-bench-'));
try {
  const { jsonl, nginx } = writeImportFiles(directory);
  for (const [label, file, format] of [['plain traffic JSONL', jsonl, 'jsonl'], ['nginx combined', nginx, 'nginx']] as const) {
    const rates: number[] = [];
    for (let run = 0; run < IMPORT_RUNS; run++) {
      const started = performance.now();
      const result = await discoverFromTraffic({ files: [file], format, specs: [], catalog: [] });
      const seconds = (performance.now() - started) / 1000;
      rates.push(result.inventory.calls / seconds);
    }
    rates.sort((a, b) => a - b);
    const median = rates[rates.length >> 1]!;
    console.log(`${label.padEnd(22)} ${Math.round(median).toLocaleString('en-US').padStart(10)} requests/s (runs: ${rates.map((rate) => Math.round(rate).toLocaleString('en-US')).join(', ')}); target ≥ 100,000`);
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}

/** The two log files of the import runs; the generated traffic is garbage once they are written, so it does not weigh on the runs' heap. */
function writeImportFiles(directory: string): { jsonl: string; nginx: string } {
  const traffic = importTraffic();
  const jsonl = path.join(directory, 'traffic.jsonl');
  const nginx = path.join(directory, 'access.log');
  writeFileSync(jsonl, traffic.map(({ observation: o }) => JSON.stringify({ time: new Date(o.time ?? 0).toISOString(), method: o.method, path: o.path, status: o.status, host: o.host, client: o.client })).join('\n') + '\n');
  writeFileSync(nginx, traffic.map(({ observation: o }) => `10.0.0.${(o.time ?? 0) % 250} - - [${nginxTime(o.time ?? 0)}] "${o.method} ${o.path} HTTP/1.1" ${o.status} 512 "-" "agent/1.0"`).join('\n') + '\n');
  return { jsonl, nginx };
}

/** Fresh-valued traffic over every spec, repeated until IMPORT_REQUESTS requests. */
function importTraffic(): LabelledObservation[] {
  const out: LabelledObservation[] = [];
  for (let round = 0; out.length < IMPORT_REQUESTS; round++) {
    for (const spec of specs) {
      for (const item of generateTraffic(spec, { mode: 'fresh', requestsPerOperation: 10, seed: SEED + round })) {
        out.push(item);
        if (out.length === IMPORT_REQUESTS) return out;
      }
    }
  }
  return out;
}

function nginxTime(epoch: number): string {
  const date = new Date(epoch);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (value: number) => String(value).padStart(2, '0');
  return `${two(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}
