import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { fleetOfSize } from '../scenarios/fleet.js';
import { generateFleetTraffic } from '../scenarios/normal-traffic.js';

/**
 * `warden detect replay` as a security team runs it after an incident: the built CLI in a
 * child process over three weeks of a small fleet's recorded traffic, in which one key was
 * used from a country its agent never worked from, at night.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STOLEN_FROM = { ip: '203.0.113.77', country: 'VN' };

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let scratch: string;
let victim: string;
let stolenAt: string;

function warden(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/warden.js'), ...args], { cwd: scratch, encoding: 'utf8', env: { ...process.env, WARDEN_DATA: path.join(scratch, 'no-data') }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

/** A dozen of the victim's ordinary calls, replayed with its key from far away at 03:00 UTC the day after its last one. */
function stolenKeyCalls(events: readonly AuditEvent[]): AuditEvent[] {
  const own = events.filter((event) => event.agent?.name === victim && event.decision.outcome === 'allow');
  const last = own.at(-1)!;
  const night = new Date(last.time);
  night.setUTCDate(night.getUTCDate() + 1);
  night.setUTCHours(3, 0, 0, 0);
  stolenAt = night.toISOString();
  return own.slice(-12).map((event, index) => ({ ...event, id: `stolen_${index}`, requestId: `stolen_${index}`, time: new Date(night.getTime() + index * 20_000).toISOString(), src: STOLEN_FROM }));
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'warden-detect-cli-'));
  const traffic = generateFleetTraffic({ seed: 11, weeks: 3, agents: fleetOfSize(4) });
  victim = traffic.world.agents[0]!.name;
  const records = [...traffic.events, ...stolenKeyCalls(traffic.events)];
  const jsonl = `${records.map((event) => JSON.stringify(event)).join('\n')}\n`;
  await writeFile(path.join(scratch, 'audit.jsonl'), jsonl);
  await writeFile(path.join(scratch, 'audit.jsonl.gz'), gzipSync(jsonl));
  await writeFile(path.join(scratch, 'access.log'), '10.0.0.1 - - [20/Nov/2026:09:00:00 +0000] "GET /v1/orders HTTP/1.1" 200 12 "-" "curl/8"\n');
}, 60_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('warden detect replay', () => {
  it('finds the stolen key in weeks of history and says when, who, which detector, why and what the playbooks would do', async () => {
    const run = await warden('detect', 'replay', 'audit.jsonl', '--baseline-days', '14', '--json');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ agents: 4, skipped: 0, policy: 'none' });
    expect(report.recordsPerSecond).toBeGreaterThan(0);
    const theft = report.alerts.filter((alert: { agent: string; time: string }) => alert.agent === victim && alert.time >= stolenAt);
    expect(theft.length).toBeGreaterThan(0);
    expect(theft.map((alert: { detector: string }) => alert.detector)).toContain('new-network');
    const network = theft.find((alert: { detector: string }) => alert.detector === 'new-network');
    expect(network.severity).toMatch(/high|critical/);
    expect(network.reasons.join(' ')).toContain('VN');
    expect(network.firstEventTime >= stolenAt).toBe(true);
    expect(network.response).toEqual({ actions: [{ action: 'alert' }], playbooks: [] });
    // Replayed with the records' own clock: nothing before the attack is anywhere near it.
    const ordinary = report.alerts.filter((alert: { time: string }) => alert.time < stolenAt);
    expect(ordinary.length).toBeLessThanOrEqual(2);
  });

  it('reads gzip and prints one line per alert with its reasons, then a summary', async () => {
    const run = await warden('detect', 'replay', 'audit.jsonl.gz', '--baseline-days', '14');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`${stolenAt.slice(0, 13)}.*  ${victim}  new-network  (high|critical) \\(\\d+\\)  → alert`));
    expect(run.stdout).toMatch(/records of 4 agents from 20\d\d-.* in [\d.]+ s \(\d+ records\/s\)/);
    expect(run.stdout).toContain('catalog and playbooks: none');
  });

  it('answers what to do for a missing file and a file that is not an audit log', async () => {
    const missing = await warden('detect', 'replay', 'nowhere.jsonl');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no file nowhere.jsonl');
    expect(missing.stderr).toContain('warden audit query --format jsonl');
    const nginx = await warden('detect', 'replay', 'access.log');
    expect(nginx.status).toBe(2);
    expect(nginx.stderr).toMatch(/holds no Warden audit records \(line 1: not JSON\)/);
    const badDays = await warden('detect', 'replay', 'audit.jsonl', '--baseline-days', 'soon');
    expect(badDays.status).not.toBe(0);
    expect(badDays.stderr).toMatch(/baseline-days/);
  });
});
