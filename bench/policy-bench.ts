/**
 * Policy engine micro-benchmark: compile time for a large fleet and decision latency
 * percentiles, against a baseline measured in the same process: the bare agent lookup and
 * route lookup that any gateway must do anyway. Run with `npm run bench:policy`.
 */
import { performance } from 'node:perf_hooks';
import FindMyWay from 'find-my-way';
import { compile } from '../src/policy/compile.js';
import { decide, type DecisionRequest } from '../src/policy/decide.js';
import { joinPath, parsePathTemplate } from '../src/policy/path-template.js';
import type { Snapshot } from '../src/policy/snapshot.js';
import { generateFleet, generateRequests, type FleetSize } from './generate-fleet.js';

/**
 * Two shapes of the same size. Templated: agents are stamped from 100 roles, as fleets built
 * from agent templates are. Worst case: 1,000 roles and every agent a distinct pair of them,
 * so role tables and agents spread over far more memory than the CPU caches hold.
 */
const FLEETS: { name: string; size: FleetSize }[] = [
  { name: 'templated', size: { agents: 10_000, apis: 200, operationsPerApi: 10, roles: 100 } },
  { name: 'worst case', size: { agents: 10_000, apis: 200, operationsPerApi: 10, roles: 1_000 } },
];
const SAMPLES = 200_000;
const WARMUP = 100_000;
const ROUNDS = 5;

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Times each call on its own, minus the cost of reading the clock, and returns sorted nanoseconds. */
function timeEach(requests: readonly DecisionRequest[], run: (request: DecisionRequest) => unknown): Float64Array {
  let clockCost = Infinity;
  for (let i = 0; i < 1_000; i++) {
    const a = process.hrtime.bigint();
    const b = process.hrtime.bigint();
    clockCost = Math.min(clockCost, Number(b - a));
  }
  const samples = new Float64Array(requests.length);
  for (let i = 0; i < requests.length; i++) {
    const start = process.hrtime.bigint();
    run(requests[i]!);
    samples[i] = Math.max(0, Number(process.hrtime.bigint() - start) - clockCost);
  }
  return samples.sort();
}

function baselineFor(snapshot: Snapshot): (request: DecisionRequest) => unknown {
  const router = FindMyWay();
  for (const operation of snapshot.operations) {
    const template = parsePathTemplate(joinPath(operation.api.basePath, operation.path));
    if ('error' in template) throw new Error(template.error);
    router.on(operation.method, template.routerPath, () => undefined, operation);
  }
  return (request) => snapshot.agents.get(request.agent) !== undefined && router.find(request.method as 'GET', request.path);
}

function main(): void {
  const results = FLEETS.map(({ name, size }) => measure(name, size));
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

function measure(name: string, SIZE: FleetSize) {
  const fleet = generateFleet(SIZE);
  const compileStart = performance.now();
  const snapshot = compile(fleet);
  const compileMs = performance.now() - compileStart;
  const requests = generateRequests(SIZE, SAMPLES, Date.parse('2026-11-23T10:00:00Z'));
  const baseline = baselineFor(snapshot);

  let allowed = 0;
  for (let i = 0; i < WARMUP; i++) {
    const request = requests[i % requests.length]!;
    if (decide(snapshot, request).allowed) allowed++;
    baseline(request);
  }
  const rounds: { p50: number; p99: number; b50: number; b99: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const decided = timeEach(requests, (request) => decide(snapshot, request));
    const base = timeEach(requests, baseline);
    rounds.push({ p50: percentile(decided, 0.5), p99: percentile(decided, 0.99), b50: percentile(base, 0.5), b99: percentile(base, 0.99) });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const p50 = median(rounds.map((round) => round.p50));
  const p99 = median(rounds.map((round) => round.p99));
  const b50 = median(rounds.map((round) => round.b50));
  const b99 = median(rounds.map((round) => round.b99));
  const mix = decideMix(snapshot, requests);
  const result = {
    fleet: { name, ...SIZE, operations: snapshot.operations.length },
    compileMs: Math.round(compileMs),
    decisions: SAMPLES,
    rounds: ROUNDS,
    allowedShare: Number((mix.allowed / requests.length).toFixed(3)),
    decideNs: { p50, p99 },
    baselineNs: { p50: b50, p99: b99 },
    ratio: { p50: Number((p50 / b50).toFixed(2)), p99: Number((p99 / b99).toFixed(2)) },
    targets: { p50Ns: 2_000, p99Ns: 10_000, compileMs: 2_000 },
    node: process.version,
  };
  if (!process.argv.includes('--json')) {
    const verdict = (value: number, target: number) => (value <= target ? 'ok' : 'OVER TARGET');
    process.stdout.write(
      [
        `${name} fleet: ${SIZE.agents} agents, ${SIZE.apis} APIs, ${snapshot.operations.length} operations, ${SIZE.roles} roles, ${new Set([...snapshot.agents.values()].map((agent) => agent.access)).size} distinct role sets`,
        `compile: ${result.compileMs} ms (target ≤ 2000: ${verdict(compileMs, 2_000)})`,
        `decide: p50 ${p50} ns, p99 ${p99} ns over ${SAMPLES} decisions × ${ROUNDS} rounds (median of rounds; ${Math.round(result.allowedShare * 100)}% allowed)`,
        `        targets p50 ≤ 2000 ns: ${verdict(p50, 2_000)}, p99 ≤ 10000 ns: ${verdict(p99, 10_000)}`,
        `baseline (agent map + route lookup only): p50 ${b50} ns, p99 ${b99} ns`,
        `ratio decide/baseline: p50 ${result.ratio.p50}×, p99 ${result.ratio.p99}×`,
        '',
      ].join('\n'),
    );
  }
  if (allowed === 0) throw new Error('no request was allowed: the generated fleet is broken');
  return result;
}

function decideMix(snapshot: Snapshot, requests: readonly DecisionRequest[]): { allowed: number } {
  let allowed = 0;
  for (const request of requests) if (decide(snapshot, request).allowed) allowed++;
  return { allowed };
}

main();
