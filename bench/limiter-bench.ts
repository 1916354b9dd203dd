/**
 * Limiter micro-benchmark, two figures per request, each a median over rounds in one process:
 * - the in-memory limiter: `MemoryLimiter.take` deciding a call's rate limit (GCRA) and quota
 *   window together, for calls spread over 10,000 agents — the figure the ≤ 1 µs target is for;
 * - the whole limit filter: building the checks from the grant (keys, quota conditions), the
 *   limiter, the RateLimit headers and the audit record's `limits`, minus the same request
 *   loop without the filter — what a call with limits pays in the gateway.
 * Every call is under a rate limit and a quota that are never reached, so each takes the
 * allowed path a gateway serves most. Run with `npm run bench:limiter` (`--json` for a
 * machine-readable result).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UpstreamHealth } from '../src/dataplane/filters/limit/upstream-health.js';
import { auditLimits, limitFilter, rateLimitHeaders } from '../src/dataplane/filters/limit/limit-filter.js';
import type { LimitCheck } from '../src/dataplane/filters/limit/limiter.js';
import { MemoryLimiter } from '../src/dataplane/filters/limit/memory-limiter.js';
import { gatewayState } from '../src/dataplane/gateway-state.js';
import { GatewayMetrics } from '../src/dataplane/ops/gateway-metrics.js';
import { CONTINUE } from '../src/dataplane/pipeline/filter.js';
import { RequestContext } from '../src/dataplane/pipeline/request-context.js';
import { compile } from '../src/policy/compile.js';
import { decide } from '../src/policy/decide.js';
import { generateFleet, generateRequests, type FleetSize } from './generate-fleet.js';

const SIZE: FleetSize = { agents: 10_000, apis: 200, operationsPerApi: 10, roles: 100 };
const REQUESTS = 200_000;
const ROUNDS = 7;
const TARGET_NS = 1_000;

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The generated fleet with every read grant under a rate limit and an hourly quota, both far above what the run uses. */
function limitedFleet() {
  const fleet = generateFleet(SIZE);
  for (const role of fleet.roles) {
    const reads = role.spec.grants[0]!;
    Object.assign(reads, { rateLimit: '100000/s', quotas: [{ id: 'reads', limit: 1_000_000_000, per: 'hour', count: 'calls', failureMode: 'open' }] });
  }
  return fleet;
}

/** Allowed reads, routed and decided as the filters before the limit filter leave them. */
function prepared() {
  const snapshot = compile(limitedFleet());
  const state = gatewayState(snapshot, []);
  const inputs = generateRequests(SIZE, REQUESTS * 2, Date.now()).filter((request) => request.method === 'GET');
  const requests: { agent: NonNullable<RequestContext['agent']>; route: NonNullable<RequestContext['route']>; decision: NonNullable<RequestContext['decision']> }[] = [];
  for (const input of inputs) {
    const route = snapshot.route(input.method, input.path);
    const decision = decide(snapshot, input, route);
    if (route === undefined || !decision.allowed) continue;
    requests.push({ agent: snapshot.agents.get(input.agent)!, route, decision });
    if (requests.length === REQUESTS) break;
  }
  if (requests.length < REQUESTS) throw new Error(`only ${requests.length} allowed reads in the generated mix`);
  if (requests[0]!.decision.obligations?.quotas.length !== 1) throw new Error('the benchmark fleet lost its quota: nothing would be measured');
  return { state, requests };
}

function main(): void {
  const json = process.argv.includes('--json');
  const { state, requests } = prepared();
  const limiter = new MemoryLimiter();
  const filter = limitFilter({ limiter, health: new UpstreamHealth(), globalMonitor: false, metrics: new GatewayMetrics(), region: undefined });
  const req = {} as IncomingMessage;
  const res = {} as ServerResponse;
  const target = { path: '', search: '', query: {} } as unknown as NonNullable<RequestContext['target']>;

  /** Builds each request's context as the earlier filters do; with `limit`, runs everything the limiter adds. */
  const run = (limit: boolean): { ns: number; sink: number } => {
    let sink = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      const ctx = new RequestContext('r', req, res, state, '127.0.0.1');
      ctx.agent = request.agent;
      ctx.route = request.route;
      ctx.decision = request.decision;
      ctx.target = target;
      if (limit) {
        if (filter.onRequest!(ctx) !== CONTINUE) throw new Error('a call was refused: the limits are not above what the run uses');
        sink += rateLimitHeaders(ctx.limits!).ratelimit!.length + auditLimits(ctx.limits!)!.remaining;
      } else {
        sink += ctx.time & 1;
      }
    }
    return { ns: Number(process.hrtime.bigint() - start) / requests.length, sink };
  };

  /** The backend alone: one request's two checks (rate, quota) for a spread of agents. */
  const checks: LimitCheck[][] = requests.map((request) => [
    { kind: 'rate', key: `${request.agent.name}|g`, emissionMs: 0.01, burst: 100_000, failClosed: false },
    { kind: 'quota', key: `${request.agent.name}|q`, limit: 1e9, windowMs: 3_600_000, cost: 1, failClosed: false },
  ]);
  const alone = new MemoryLimiter();
  const backend = (): number => {
    const now = Date.now();
    const start = process.hrtime.bigint();
    for (let i = 0; i < checks.length; i++) if (!alone.take(checks[i]!, now).allowed) throw new Error('refused');
    return Number(process.hrtime.bigint() - start) / checks.length;
  };

  // Warm-up: let V8 optimise both loops before anything counts.
  for (let i = 0; i < 3; i++) {
    run(true);
    run(false);
    backend();
  }
  const added: number[] = [];
  const withLimits: number[] = [];
  const without: number[] = [];
  const takes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const limited = run(true).ns;
    const bare = run(false).ns;
    withLimits.push(limited);
    without.push(bare);
    added.push(limited - bare);
    takes.push(backend());
  }
  const result = {
    fleet: SIZE,
    requestsPerRound: requests.length,
    rounds: ROUNDS,
    limiterNs: Math.round(median(takes)),
    targetNs: TARGET_NS,
    met: median(takes) <= TARGET_NS,
    limitFilterNs: Math.round(median(added)),
    loopNs: { withLimitFilter: Math.round(median(withLimits)), without: Math.round(median(without)) },
    node: process.version,
  };
  void limiter.close();
  void alone.close();
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    [
      `limiter benchmark: ${SIZE.agents} agents, ${requests.length} allowed calls per round, each under a rate limit and an hourly quota; ${ROUNDS} rounds, medians`,
      `in-memory limiter, rate + quota decided together: ${result.limiterNs} ns per request (target ≤ ${TARGET_NS} ns: ${result.met ? 'ok' : 'OVER TARGET'})`,
      `whole limit filter (keys, quota conditions, limiter, RateLimit headers, audit summary): ${result.limitFilterNs} ns per request`,
      `  (request loop with the filter ${result.loopNs.withLimitFilter} ns, without ${result.loopNs.without} ns)`,
      '',
    ].join('\n'),
  );
}

main();
