import { DetectionEngine } from '../../src/controlplane/detection/detection-engine.js';
import type { Alert } from '../../src/controlplane/detection/detection-types.js';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { generateAttacks, type Attack } from './attacks.js';
import { detectionCatalog, HOUR_MS } from './fleet.js';
import { generateFleetTraffic, timeOrdered } from './normal-traffic.js';
import { SeededRandom } from './seeded-random.js';

export interface ScenarioOptions {
  readonly seed: number;
  /** Simulated weeks (default 6); the attacks fall in weeks 3–6. */
  readonly weeks?: number;
  /** The engine's learning period (default 14 days: the first two weeks). */
  readonly learningDays?: number;
  readonly grantGraceDays?: number;
}

export interface AttackResult {
  readonly name: string;
  readonly agent: string;
  readonly start: string;
  readonly end: string;
  readonly records: number;
  readonly detected: boolean;
  /** The first alert on the attacked agent in the window: when, by which detector, how bad. */
  readonly firstAlert: Alert | undefined;
  /** First alert time − first attack record time. */
  readonly mttdMs: number | undefined;
  /** Every alert in the window, for the detectors that saw it. */
  readonly alerts: readonly Alert[];
}

export interface ScenarioReport {
  readonly seed: number;
  readonly days: number;
  readonly agents: number;
  readonly normalRecords: number;
  readonly attackRecords: number;
  readonly alerts: readonly Alert[];
  readonly attacks: readonly AttackResult[];
  /** Alerts not explained by any attack on their agent. */
  readonly falsePositives: readonly Alert[];
  /** False positives per agent per simulated month (30 days). */
  readonly falsePositiveRate: number;
  /** The same over the days after learning only, when alerts can happen at all. */
  readonly falsePositiveRateAfterLearning: number;
  readonly learningDays: number;
  readonly detectionRate: number;
  readonly medianMttdMs: number | undefined;
  readonly engineSeconds: number;
  readonly eventsPerSecond: number;
  /** Every record fed to the engine, by id, for checking what an alert points at. */
  readonly recordsById: ReadonlyMap<string, AuditEvent>;
}

/** How long after the last attack record an alert still counts as catching the attack. */
const DETECTION_SLACK_MS = HOUR_MS;

/**
 * One scenario run: weeks of the fleet's normal traffic with the seven attacks mixed in,
 * fed in time order to a fresh detection engine (told of the mid-way grant when it happens),
 * and scored. An attack is detected by any alert on its agent from its first record to an
 * hour after its last; every other alert is a false positive — except one whose first
 * anomalous record lies inside an attack, which is a late word about that attack.
 */
export function runScenario(options: ScenarioOptions): ScenarioReport {
  const weeks = options.weeks ?? 6;
  const traffic = generateFleetTraffic({ seed: options.seed, weeks });
  const world = traffic.world;
  const attacks = generateAttacks(world, new SeededRandom(options.seed));
  const attackRecords = attacks.reduce((sum, attack) => sum + attack.events.length, 0);
  const records = timeOrdered([...traffic.events, ...attacks.flatMap((attack) => attack.events)]);

  const learningDays = options.learningDays ?? 14;
  const engine = new DetectionEngine({ learningDays, grantGraceDays: options.grantGraceDays ?? 7, catalog: detectionCatalog() });
  const grants = [...traffic.grantChanges].sort((a, b) => a.at - b.at);
  const alerts: Alert[] = [];
  let nextGrant = 0;
  const started = performance.now();
  for (const event of records) {
    const at = Date.parse(event.time);
    while (nextGrant < grants.length && grants[nextGrant]!.at <= at) {
      const grant = grants[nextGrant++]!;
      engine.noteGrants(grant.agent, grant.operations, new Date(grant.at));
    }
    for (const alert of engine.observe(event)) alerts.push(alert);
  }
  const engineSeconds = (performance.now() - started) / 1000;

  const results = attacks.map((attack) => score(attack, alerts));
  const explained = new Set(results.flatMap((result) => result.alerts));
  for (const alert of alerts) if (attacks.some((attack) => lateWordAbout(attack, alert))) explained.add(alert);
  const falsePositives = alerts.filter((alert) => !explained.has(alert));
  const mttds = results.flatMap((result) => (result.mttdMs === undefined ? [] : [result.mttdMs])).sort((a, b) => a - b);
  return {
    seed: options.seed,
    days: world.days,
    agents: world.agents.length,
    normalRecords: traffic.events.length,
    attackRecords,
    alerts,
    attacks: results,
    falsePositives,
    falsePositiveRate: falsePositives.length / (world.agents.length * (world.days / 30)),
    falsePositiveRateAfterLearning: falsePositives.length / (world.agents.length * (Math.max(1, world.days - learningDays) / 30)),
    learningDays,
    detectionRate: results.filter((result) => result.detected).length / results.length,
    medianMttdMs: mttds.length === 0 ? undefined : mttds[Math.floor((mttds.length - 1) / 2)],
    engineSeconds,
    eventsPerSecond: records.length / engineSeconds,
    recordsById: new Map(records.map((event) => [event.id, event])),
  };
}

function score(attack: Attack, alerts: readonly Alert[]): AttackResult {
  const window = alerts.filter((alert) => {
    const at = Date.parse(alert.time);
    return alert.agent === attack.agent && at >= attack.start && at <= attack.end + DETECTION_SLACK_MS;
  });
  const first = window[0];
  return {
    name: attack.name,
    agent: attack.agent,
    start: new Date(attack.start).toISOString(),
    end: new Date(attack.end).toISOString(),
    records: attack.events.length,
    detected: first !== undefined,
    firstAlert: first,
    mttdMs: first === undefined ? undefined : Date.parse(first.time) - attack.start,
    alerts: window,
  };
}

function lateWordAbout(attack: Attack, alert: Alert): boolean {
  const first = Date.parse(alert.firstEventTime);
  return alert.agent === attack.agent && first >= attack.start && first <= attack.end;
}

/** The report as a table for the test log. */
export function formatReport(report: ScenarioReport): string {
  const lines: string[] = [];
  const months = report.days / 30;
  lines.push(`Detection scenario, seed ${report.seed}: ${report.agents} agents, ${report.days} days (${months.toFixed(2)} months, the first ${report.learningDays} learning), ${report.normalRecords} normal + ${report.attackRecords} attack records`);
  lines.push('');
  lines.push(`${'attack'.padEnd(62)} ${'agent'.padEnd(15)} ${'recs'.padStart(5)}  ${'detected'.padEnd(8)} ${'MTTD'.padStart(8)}  first detector (severity); all detectors`);
  for (const attack of report.attacks) {
    const detectors = [...new Set(attack.alerts.map((alert) => alert.detector))].join(', ');
    lines.push(
      `${attack.name.padEnd(62)} ${attack.agent.padEnd(15)} ${String(attack.records).padStart(5)}  ${(attack.detected ? 'yes' : 'NO').padEnd(8)} ${formatDuration(attack.mttdMs).padStart(8)}  ` +
        (attack.firstAlert === undefined ? '-' : `${attack.firstAlert.detector} (${attack.firstAlert.severity}); ${detectors}`),
    );
  }
  lines.push('');
  lines.push(`detection rate       ${(report.detectionRate * 100).toFixed(0)}% (${report.attacks.filter((attack) => attack.detected).length}/${report.attacks.length})`);
  lines.push(`median MTTD          ${formatDuration(report.medianMttdMs)}`);
  lines.push(`alerts               ${report.alerts.length} (${report.alerts.length - report.falsePositives.length} on attacks)`);
  lines.push(`false positives      ${report.falsePositives.length} = ${report.falsePositiveRate.toFixed(3)} per agent per month (budget < 1); ${report.falsePositiveRateAfterLearning.toFixed(3)} over the ${report.days - report.learningDays} days after learning`);
  const byDetector = new Map<string, number>();
  for (const alert of report.falsePositives) byDetector.set(alert.detector, (byDetector.get(alert.detector) ?? 0) + 1);
  if (byDetector.size > 0) lines.push(`  by detector        ${[...byDetector].map(([name, count]) => `${name} ${count}`).join(', ')}`);
  for (const alert of report.falsePositives) {
    lines.push(`  FP ${alert.time} ${alert.agent.padEnd(17)} ${alert.detector.padEnd(24)} ${alert.severity.padEnd(8)} ${alert.reasons[0] ?? ''}`);
  }
  lines.push(`engine               ${report.engineSeconds.toFixed(2)} s, ${Math.round(report.eventsPerSecond).toLocaleString('en-US')} records/s`);
  return lines.join('\n');
}

function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < HOUR_MS) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / HOUR_MS).toFixed(1)} h`;
}
