/**
 * Gateway load benchmark: Warden with its whole pipeline against a bare Node proxy, both in
 * front of the same fast upstream, loaded alternately in the same batch. Run with
 * `npm run bench:gateway` (`-- --help` for the options).
 *
 * Upstream, proxies and load generator are separate processes (the machine may have only two
 * cores), so each proxy's own CPU time is measured inside it with process.cpuUsage() and
 * divided by the responses the load generator received.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Child, type CpuSample } from './gateway-bench/ipc.js';
import type { LoadResult } from './gateway-bench/load.js';
import { ALLOWED_PATH, DENIED_PATH, type ProxyReady, type UpstreamReady } from './gateway-bench/scenario.js';

const TARGET_RATIO = 0.8;
const TARGET_CPU_US = 130;
const TARGET_FIELD_RULES_RATIO = 0.7;

const HELP = `Usage: npm run bench:gateway -- [options]

Loads a bare Node proxy (node:http + undici, no checks) and Warden (API key, a grant with
parameter conditions, audit on) alternately with the same request against the same upstream,
and prints throughput, latency and the gateway's CPU per request for both, with the ratios.
Targets: Warden ≥ ${TARGET_RATIO}× the bare proxy's throughput and ≤ ${TARGET_CPU_US} µs of gateway CPU per request.

Options:
  --duration <s>     seconds per measured run (default 10)
  --rounds <n>       measured runs per proxy, alternating; medians are reported (default 3)
  --connections <n>  concurrent keep-alive connections of the load generator (default 50)
  --warmup <s>       unmeasured seconds per proxy before the rounds (default 5)
  --baseline <how>   how the bare proxy streams answers: streamed (by hand, as Warden does;
                     the default) or pipeline (stream.pipeline, the idiomatic and slower way)
  --limits           give Warden's grant a rate limit and a quota (never reached), so every
                     call runs the in-memory limiter and answers with RateLimit headers
  --record           the upstream answers a 1 KB customer record (with personal data in it)
                     instead of a small item, passed through unfiltered
  --field-rules      the upstream answers the 1 KB customer record and Warden's grant filters it
                     (drops a field, masks two, redacts the PII it finds in the rest), so the
                     run shows what response data protection costs; target ≥ ${TARGET_FIELD_RULES_RATIO}× the bare proxy
  --sinks            turn the audit export on (two JSONL sinks: the records and OCSF 6003), so
                     the run shows what SIEM export costs the data plane
  --profile <dir>    run both proxies under node --cpu-prof, profiles written to <dir> at the end
  --json             print the results as JSON instead of a table
  -h, --help         show this help
`;

interface Options {
  readonly duration: number;
  readonly rounds: number;
  readonly connections: number;
  readonly warmup: number;
  readonly profile: string | undefined;
  readonly baseline: 'streamed' | 'pipeline';
  readonly limits: boolean;
  readonly sinks: boolean;
  readonly fieldRules: boolean;
  /** The upstream answers the 1 KB customer record (implied by fieldRules). */
  readonly record: boolean;
  readonly json: boolean;
}

type ProxyName = 'bare' | 'warden';

interface Run {
  readonly proxy: ProxyName;
  readonly round: number;
  readonly load: LoadResult;
  readonly proxyCpuUsPerRequest: number;
  readonly upstreamCpuUsPerRequest: number;
  /** Warden only: audit records written during the run, per response received. */
  readonly auditRecordsPerRequest?: number;
  /** No errors, timeouts or non-2xx answers. */
  readonly clean: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      warmup: { type: 'string', default: '5' },
      profile: { type: 'string' },
      baseline: { type: 'string', default: 'streamed' },
      limits: { type: 'boolean', default: false },
      sinks: { type: 'boolean', default: false },
      'field-rules': { type: 'boolean', default: false },
      record: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const positive = (name: string, text: string, integer: boolean, min: number) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      process.stderr.write(`--${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, not "${text}"\n\n${HELP}`);
      process.exit(2);
    }
    return value;
  };
  if (values.baseline !== 'streamed' && values.baseline !== 'pipeline') {
    process.stderr.write(`--baseline must be streamed or pipeline, not "${values.baseline}"\n\n${HELP}`);
    process.exit(2);
  }
  return {
    baseline: values.baseline,
    duration: positive('duration', values.duration, true, 1),
    rounds: positive('rounds', values.rounds, true, 1),
    connections: positive('connections', values.connections, true, 1),
    warmup: positive('warmup', values.warmup, true, 0),
    profile: values.profile,
    limits: values.limits,
    sinks: values.sinks,
    fieldRules: values['field-rules'],
    record: values.record || values['field-rules'],
    json: values.json,
  };
}

const file = (name: string) => fileURLToPath(new URL(`./gateway-bench/${name}`, import.meta.url));
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const cpuUs = (sample: CpuSample) => sample.userUs + sample.systemUs;
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** One request through a proxy, to prove the scenario is what it claims before loading it. */
async function probe(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

async function sanityCheck(bare: Child<ProxyReady>, warden: Child<ProxyReady>, authorization: string, upstreamBody: string, opts: Options): Promise<void> {
  const failures: string[] = [];
  const expect = (what: string, actual: { status: number; body: string }, status: number, body?: (text: string) => boolean) => {
    if (actual.status !== status || (body !== undefined && !body(actual.body))) failures.push(`${what}: expected ${status}, got ${actual.status} ${actual.body.slice(0, 200)}`);
  };
  expect('bare proxy, benchmarked call', await probe(bare.ready.url + ALLOWED_PATH, { authorization }), 200, (text) => text === upstreamBody);
  const benchmarked = await probe(warden.ready.url + ALLOWED_PATH, { authorization });
  // With field rules Warden's answer is the record filtered: no internal notes, no readable e-mail, card or IBAN.
  const filtered = (text: string) => !text.includes('internalNotes') && text.includes('"email":"***"') && !text.includes('4111') && !text.includes('WEST') && text.includes('"phone":"****0958"');
  expect('Warden, benchmarked call', benchmarked, 200, opts.fieldRules ? filtered : (text) => text === upstreamBody);
  if (opts.limits && benchmarked.headers.get('ratelimit-policy') === null) failures.push('Warden with --limits: the benchmarked call carries no RateLimit-Policy header, so no limit ran');
  expect('Warden, no API key', await probe(warden.ready.url + ALLOWED_PATH), 401);
  expect('Warden, region outside the grant', await probe(warden.ready.url + DENIED_PATH, { authorization }), 403, (text) => text.includes('WARDEN_AUTHZ_'));
  const audit = await warden.call<{ records: number; recent: { outcome: string; reason: string; status: number }[] }>('audit');
  const outcomes = audit.recent.map((event) => `${event.outcome}/${event.status}`).join(', ');
  if (audit.records < 3 || outcomes !== 'allow/200, deny/401, deny/403') failures.push(`Warden's audit log should hold allow/200, deny/401, deny/403; it holds ${audit.records} records ending ${outcomes}`);
  if (failures.length > 0) throw new Error(`the scenario is not what the benchmark claims:\n  ${failures.join('\n  ')}`);
}

async function main(): Promise<void> {
  const opts = options();
  const log = (line: string) => {
    if (!opts.json) process.stdout.write(`${line}\n`);
  };
  const execArgv = opts.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${opts.profile}`];
  const children: Child<unknown>[] = [];
  try {
    const upstream = await Child.start<UpstreamReady>('upstream', file('upstream.js'), { args: opts.record ? ['--record'] : [] });
    children.push(upstream);
    const [bare, warden, loader] = await Promise.all([
      Child.start<ProxyReady>('bare proxy', file('bare-proxy.js'), { args: [upstream.ready.url, opts.baseline], execArgv }),
      Child.start<ProxyReady>('warden', file('warden-proxy.js'), { args: [upstream.ready.url, ...(opts.limits ? ['--limits'] : []), ...(opts.sinks ? ['--sinks'] : []), ...(opts.fieldRules ? ['--field-rules'] : [])], execArgv }),
      Child.start<unknown>('load generator', file('load.js')),
    ]);
    children.push(bare, warden, loader);
    const proxies: Record<ProxyName, Child<ProxyReady>> = { bare, warden };
    const authorization = `Bearer ${warden.ready.apiKey!}`;
    const upstreamBody = (await probe(upstream.ready.url + ALLOWED_PATH)).body;
    await sanityCheck(bare, warden, authorization, upstreamBody, opts);

    const cpus = os.cpus();
    log(`gateway benchmark: ${opts.rounds} rounds × ${opts.duration} s per proxy, alternating, ${opts.connections} connections, warm-up ${opts.warmup} s, bare proxy ${opts.baseline}${opts.limits ? ', Warden with a rate limit and a quota' : ''}${opts.sinks ? ', Warden exporting to two audit sinks' : ''}${opts.fieldRules ? ', a 1 KB customer record filtered by field rules and PII masking' : opts.record ? ', a 1 KB customer record passed through' : ''}`);
    log(`Node ${process.version}, ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}); processes: upstream ${upstream.pid}, bare ${bare.pid}, warden ${warden.pid}, load ${loader.pid}`);
    log(`request: GET ${ALLOWED_PATH} with a Warden API key (the bare proxy gets the same bytes)`);

    const load = (proxy: ProxyName, seconds: number) =>
      loader.call<LoadResult>('run', { url: proxies[proxy].ready.url + ALLOWED_PATH, headers: { authorization }, connections: opts.connections, seconds });

    if (opts.warmup > 0) {
      for (const proxy of ['bare', 'warden'] as const) {
        log(`warm-up ${proxy} …`);
        await load(proxy, opts.warmup);
      }
    }

    const runs: Run[] = [];
    for (let r = 1; r <= opts.rounds; r++) {
      // Alternate which goes first, so a drift over the batch (thermal, page cache) hits both alike.
      const order: ProxyName[] = r % 2 === 1 ? ['bare', 'warden'] : ['warden', 'bare'];
      for (const proxy of order) {
        const child = proxies[proxy];
        const auditBefore = proxy === 'warden' ? (await warden.call<{ records: number }>('audit')).records : 0;
        await Promise.all([child.call('cpuStart'), upstream.call('cpuStart')]);
        const result = await load(proxy, opts.duration);
        const [proxyCpu, upstreamCpu] = await Promise.all([child.call<CpuSample>('cpuStop'), upstream.call<CpuSample>('cpuStop')]);
        const completed = Math.max(1, result.completed);
        const run: Run = {
          proxy,
          round: r,
          load: result,
          proxyCpuUsPerRequest: round(cpuUs(proxyCpu) / completed, 1),
          upstreamCpuUsPerRequest: round(cpuUs(upstreamCpu) / completed, 1),
          ...(proxy === 'warden' ? { auditRecordsPerRequest: round(((await warden.call<{ records: number }>('audit')).records - auditBefore) / completed, 3) } : {}),
          clean: result.errors === 0 && result.timeouts === 0 && result.non2xx === 0,
        };
        runs.push(run);
        log(
          `round ${r} ${proxy.padEnd(6)} ${fmt(result.requestsPerSecond, 0).padStart(7)} req/s  p50 ${result.latencyMs.p50.toFixed(2)} ms  p99 ${result.latencyMs.p99.toFixed(2)} ms  ` +
            `proxy CPU ${run.proxyCpuUsPerRequest.toFixed(1)} µs/req  (upstream ${run.upstreamCpuUsPerRequest.toFixed(1)}, loader ${result.loaderCpuUsPerRequest} µs/req)` +
            (run.clean ? '' : `  NOT CLEAN: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`),
        );
      }
    }

    const summary = (proxy: ProxyName) => {
      const mine = runs.filter((run) => run.proxy === proxy);
      return {
        requestsPerSecond: Math.round(median(mine.map((run) => run.load.requestsPerSecond))),
        latencyMs: { p50: round(median(mine.map((run) => run.load.latencyMs.p50)), 3), p99: round(median(mine.map((run) => run.load.latencyMs.p99)), 3) },
        proxyCpuUsPerRequest: round(median(mine.map((run) => run.proxyCpuUsPerRequest)), 1),
        upstreamCpuUsPerRequest: round(median(mine.map((run) => run.upstreamCpuUsPerRequest)), 1),
        loaderCpuUsPerRequest: round(median(mine.map((run) => run.load.loaderCpuUsPerRequest)), 1),
      };
    };
    const bareSummary = summary('bare');
    const wardenSummary = summary('warden');
    const ratio = {
      throughput: round(wardenSummary.requestsPerSecond / bareSummary.requestsPerSecond, 3),
      p50: round(wardenSummary.latencyMs.p50 / bareSummary.latencyMs.p50, 2),
      p99: round(wardenSummary.latencyMs.p99 / bareSummary.latencyMs.p99, 2),
      cpu: round(wardenSummary.proxyCpuUsPerRequest / bareSummary.proxyCpuUsPerRequest, 2),
    };
    const clean = runs.every((run) => run.clean);
    const ratioTarget = opts.fieldRules ? TARGET_FIELD_RULES_RATIO : TARGET_RATIO;
    const targets = {
      throughputRatio: { target: ratioTarget, actual: ratio.throughput, met: ratio.throughput >= ratioTarget },
      wardenCpuUsPerRequest: { target: TARGET_CPU_US, actual: wardenSummary.proxyCpuUsPerRequest, met: wardenSummary.proxyCpuUsPerRequest <= TARGET_CPU_US },
    };

    if (opts.json) {
      const results = {
        settings: { baseline: opts.baseline, durationSeconds: opts.duration, rounds: opts.rounds, connections: opts.connections, warmupSeconds: opts.warmup, request: `GET ${ALLOWED_PATH}` },
        environment: { node: process.version, cpus: cpus.length, cpuModel: cpus[0]?.model.trim(), platform: `${os.platform()} ${os.release()}` },
        bare: bareSummary,
        warden: { ...wardenSummary, overheadCpuUsPerRequest: round(wardenSummary.proxyCpuUsPerRequest - bareSummary.proxyCpuUsPerRequest, 1) },
        ratio,
        targets,
        clean,
        runs,
      };
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    } else {
      const verdict = (met: boolean) => (met ? 'ok' : 'BELOW TARGET');
      const row = (name: string, cells: string[]) => name.padEnd(20) + cells.map((cell) => cell.padStart(14)).join('');
      log('');
      log(`medians of ${opts.rounds} rounds:`);
      log(row('', ['req/s', 'p50 ms', 'p99 ms', 'proxy µs/req', 'upstr µs/req', 'load µs/req']));
      for (const [name, s] of [['bare proxy', bareSummary], ['warden', wardenSummary]] as const) {
        log(row(name, [fmt(s.requestsPerSecond, 0), s.latencyMs.p50.toFixed(2), s.latencyMs.p99.toFixed(2), s.proxyCpuUsPerRequest.toFixed(1), s.upstreamCpuUsPerRequest.toFixed(1), s.loaderCpuUsPerRequest.toFixed(1)]));
      }
      log(row('warden / bare', [`${ratio.throughput.toFixed(3)}×`, `${ratio.p50.toFixed(2)}×`, `${ratio.p99.toFixed(2)}×`, `${ratio.cpu.toFixed(2)}×`, '', '']));
      log('');
      log(`throughput: warden ${ratio.throughput.toFixed(3)}× bare (target ≥ ${ratioTarget}×): ${verdict(targets.throughputRatio.met)}`);
      log(`gateway CPU: warden ${wardenSummary.proxyCpuUsPerRequest.toFixed(1)} µs/request (target ≤ ${TARGET_CPU_US} µs): ${verdict(targets.wardenCpuUsPerRequest.met)}; bare ${bareSummary.proxyCpuUsPerRequest.toFixed(1)} µs, so Warden's pipeline costs ${(wardenSummary.proxyCpuUsPerRequest - bareSummary.proxyCpuUsPerRequest).toFixed(1)} µs/request`);
      if (!clean) log('WARNING: some runs had errors, timeouts or non-2xx answers; their figures do not measure the happy path');
    }
    if (!clean) process.exitCode = 1;
  } finally {
    // Children close cleanly (so --cpu-prof profiles get written), in reverse start order.
    for (const child of children.reverse()) await child.stop();
    if (opts.profile !== undefined && !opts.json) process.stdout.write(`CPU profiles written to ${opts.profile} (bare ${children.find((c) => c.name === 'bare proxy')?.pid}, warden ${children.find((c) => c.name === 'warden')?.pid}); summarise with node dist/bench/gateway-bench/profile-summary.js <file>\n`);
  }
}

function fmt(value: number, digits: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

await main();
