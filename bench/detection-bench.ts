/**
 * `npm run bench:detection`: how many audit records per second one process's detection keeps
 * up with (issue 8 asks for ≥ 50,000).
 *
 * The records are the scenario suite's normal fleet traffic (test/scenarios), scaled to more
 * agents: business-hours rhythms, nightly jobs, noise. Three measurements, each the median of
 * RUNS runs in this one process:
 * 1. engine: `DetectionEngine.observe` over records already in memory — the live service's
 *    cost per record (it is handed parsed records by the audit writer);
 * 2. replay: `warden detect replay` end to end over the same records as a JSONL file (read,
 *    parse, detect, plan responses);
 * 3. read only: the same file read (the same way) and parsed without detection — the baseline
 *    the replay's ratio is taken against.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { replayAuditFile } from '../src/controlplane/detection/audit-replay.js';
import { DetectionEngine } from '../src/controlplane/detection/detection-engine.js';
import { openLineFile } from '../src/controlplane/detection/line-batches.js';
import { detectionCatalog, fleetOfSize } from '../test/scenarios/fleet.js';
import { generateFleetTraffic } from '../test/scenarios/normal-traffic.js';

const AGENTS = Number(process.env.DETECTION_AGENTS ?? 64);
const WEEKS = Number(process.env.DETECTION_WEEKS ?? 4);
const RUNS = 3;
const TARGET = 50_000;

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rate = (records: number, ms: number) => Math.round(records / (ms / 1000));

const generated = performance.now();
const traffic = generateFleetTraffic({ seed: 20261201, weeks: WEEKS, agents: fleetOfSize(AGENTS) });
const events = traffic.events;
console.log(`detection bench: ${events.length.toLocaleString('en')} records of ${AGENTS} agents over ${WEEKS} weeks (generated in ${((performance.now() - generated) / 1000).toFixed(1)} s), median of ${RUNS} runs\n`);

const engineRates: number[] = [];
let alerts = 0;
for (let run = 0; run < RUNS; run++) {
  const engine = new DetectionEngine({ learningDays: 14, catalog: detectionCatalog() });
  // ISO strings of one length compare as their instants do: no parsing inside the timed loop.
  const grants = [...traffic.grantChanges].sort((a, b) => a.at - b.at).map((change) => ({ ...change, time: new Date(change.at).toISOString() }));
  alerts = 0;
  const started = performance.now();
  for (const event of events) {
    while (grants.length > 0 && grants[0]!.time <= event.time) {
      const change = grants.shift()!;
      engine.noteGrants(change.agent, change.operations, new Date(change.at));
    }
    alerts += engine.observe(event).length;
  }
  engineRates.push(rate(events.length, performance.now() - started));
}

const directory = mkdtempSync(path.join(tmpdir(), 'warden-detection-bench-'));
try {
  const file = path.join(directory, 'audit.jsonl');
  writeFileSync(file, `${events.map((event) => JSON.stringify(event)).join('\n')}\n`);
  const replayRates: number[] = [];
  const readRates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let started = performance.now();
    let read = 0;
    for await (const batch of (await openLineFile(file)).batches) for (const line of batch) if (line.length > 0 && JSON.parse(line) !== null) read++;
    readRates.push(rate(read, performance.now() - started));
    started = performance.now();
    const summary = await replayAuditFile(file, { baselineDays: 14, catalog: detectionCatalog(), playbooks: [] });
    replayRates.push(rate(summary.records, performance.now() - started));
  }
  const engineRate = median(engineRates);
  const replayRate = median(replayRates);
  const readRate = median(readRates);
  console.log(`1. engine (records in memory)   ${engineRate.toLocaleString('en').padStart(10)} records/s   ${alerts} alerts   target ≥ ${TARGET.toLocaleString('en')}: ${engineRate >= TARGET ? 'met' : 'NOT MET'}`);
  console.log(`2. replay (JSONL file)          ${replayRate.toLocaleString('en').padStart(10)} records/s   ${(replayRate / readRate).toFixed(2)}× of read-only   target ≥ ${TARGET.toLocaleString('en')}: ${replayRate >= TARGET ? 'met' : 'NOT MET'}`);
  console.log(`3. read and parse only          ${readRate.toLocaleString('en').padStart(10)} records/s`);
  console.log(`\nruns: engine ${engineRates.join(', ')}; replay ${replayRates.join(', ')}; read ${readRates.join(', ')}`);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
