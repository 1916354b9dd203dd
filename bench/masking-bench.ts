/**
 * Response data protection micro-benchmark: what filtering a JSON answer costs per KB, against
 * a baseline measured in the same process — parsing and serialising the same bytes, which any
 * filter of a JSON answer must do. Run with `npm run bench:masking` (`-- --json` for JSON).
 *
 * Cases: field rules only (drop one field, mask two), PII recognition over every leaf (the
 * `pii` rules, redacting what is found), both, and a 20 MB list streamed record by record
 * through the splitter as the gateway does beyond 1 MiB.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { ResponseRules } from '../src/model/manifests/index.js';
import { compileResponseRules } from '../src/policy/data-rules.js';
import { JsonArraySplitter } from '../src/dataplane/filters/response/json-array-splitter.js';
import { ResponseShaper, ShapeFindings, WITHHELD } from '../src/dataplane/filters/response/response-shaper.js';
import { CUSTOMER_RECORD } from './gateway-bench/scenario.js';

const HELP = `Usage: npm run bench:masking -- [--rounds N] [--json]

Times response filtering of a ~1 KB customer record (field rules, PII masking, both) and of a
20 MB list streamed record by record, and prints µs per KB of JSON against parsing and
serialising the same bytes (the baseline every JSON filter pays).
`;

const KEY = Buffer.alloc(32, 1);
const FIELD_RULES: ResponseRules = { drop: ['internalNotes'], mask: ['email', { field: 'phone', style: 'partial' }] };
const PII_RULES: ResponseRules = { pii: { default: 'redact' } };
const BOTH: ResponseRules = { ...FIELD_RULES, ...PII_RULES };

interface Result {
  readonly case: string;
  readonly usPerKb: number;
  /** Over the baseline (parse + serialise): what the rules themselves add per KB. */
  readonly addedUsPerKb: number;
  readonly mbPerSecond: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median µs per KB of `run` over `bytes` of JSON, `rounds` timed rounds of `iterations` each after a warm-up. */
function time(bytes: number, iterations: number, rounds: number, run: () => void): number {
  for (let i = 0; i < iterations; i++) run();
  const perRound: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) run();
    perRound.push(((performance.now() - start) * 1000) / iterations / (bytes / 1024));
  }
  return median(perRound);
}

function wholeAnswer(rules: ResponseRules | undefined, text: string): () => void {
  if (rules === undefined) return () => JSON.stringify(JSON.parse(text));
  const compiled = compileResponseRules(rules, undefined)!;
  return () => {
    const shaped = new ResponseShaper(compiled, KEY, undefined, new ShapeFindings()).document(JSON.parse(text));
    if (!shaped.ok) throw new Error(shaped.detail);
    JSON.stringify(shaped.value);
  };
}

/** A list of `count` records in 64 KiB chunks, as a chunked upstream sends it. */
function listChunks(count: number): Buffer[] {
  const list = Buffer.from(JSON.stringify(Array.from({ length: count }, (_, index) => ({ ...CUSTOMER_RECORD, id: `C-${index}` }))));
  const chunks: Buffer[] = [];
  for (let at = 0; at < list.length; at += 65_536) chunks.push(list.subarray(at, at + 65_536));
  return chunks;
}

function streamedList(rules: ResponseRules, chunks: readonly Buffer[]): () => void {
  const compiled = compileResponseRules(rules, undefined)!;
  return () => {
    const splitter = new JsonArraySplitter(1 << 20);
    const shaper = new ResponseShaper(compiled, KEY, undefined, new ShapeFindings());
    let out = 0;
    for (const chunk of chunks) {
      for (const text of splitter.push(chunk)) {
        const shaped = shaper.record(JSON.parse(text));
        if (shaped !== WITHHELD) out += JSON.stringify(shaped).length;
      }
    }
    splitter.end();
    if (out === 0) throw new Error('nothing came out');
  };
}

function main(): void {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  const record = JSON.stringify(CUSTOMER_RECORD);
  const bytes = Buffer.byteLength(record);
  const iterations = 20_000;
  const baseline = time(bytes, iterations, rounds, wholeAnswer(undefined, record));
  const results: Result[] = [];
  const add = (name: string, usPerKb: number) => results.push({ case: name, usPerKb: round(usPerKb), addedUsPerKb: round(usPerKb - baseline), mbPerSecond: Math.round(10240 / usPerKb) / 10 });
  add(`baseline: parse + serialise ${bytes} B`, baseline);
  add('field rules (drop 1, mask 2)', time(bytes, iterations, rounds, wholeAnswer(FIELD_RULES, record)));
  add('PII rules (every leaf, redact)', time(bytes, iterations, rounds, wholeAnswer(PII_RULES, record)));
  add('field rules + PII rules', time(bytes, iterations, rounds, wholeAnswer(BOTH, record)));
  const chunks = listChunks(20_000);
  const listBytes = chunks.reduce((total, chunk) => total + chunk.length, 0);
  add(`streamed list of 20,000 records (${(listBytes / 1_048_576).toFixed(1)} MiB), field + PII rules`, time(listBytes, 1, rounds, streamedList(BOTH, chunks)));

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, recordBytes: bytes, results }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`response filtering, Node ${process.version}, median of ${rounds} rounds; a ${bytes} B customer record (see bench/gateway-bench/scenario.ts)\n\n`);
  const width = Math.max(...results.map((result) => result.case.length));
  process.stdout.write(`${'case'.padEnd(width)}  µs/KB  added µs/KB  MB/s\n`);
  for (const result of results) {
    process.stdout.write(`${result.case.padEnd(width)}  ${result.usPerKb.toFixed(2).padStart(5)}  ${result.addedUsPerKb.toFixed(2).padStart(11)}  ${result.mbPerSecond.toFixed(1).padStart(5)}\n`);
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

main();
