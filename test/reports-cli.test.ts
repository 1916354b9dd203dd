import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_OWNER, writeReportDataset } from './support/report-dataset.js';

/**
 * `warden report` end to end: the built CLI (dist/, built by the global setup) in a child
 * process, as an operator runs it, over a data folder holding the generated dataset of
 * test/support/report-dataset.ts. The CLI's clock is real, so the numbers asserted here are
 * the ones fixed by the period given (violations, programme metrics).
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PERIOD = ['--from', '2025-06-01', '--to', '2025-06-30T12:00:00Z'];

/** Answers are read as loosely typed JSON: the tests assert their shape. */
type Json = any;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let directory: string;
let data: string;

function warden(...args: string[]): Run {
  const env = { ...process.env };
  delete env.WARDEN_DATA;
  delete env.WARDEN_DEBUG;
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin/warden.js'), ...args], { cwd: directory, encoding: 'utf8', env, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function shown(run: Run): string {
  return `exit ${run.status}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
}

function ok(...args: string[]): Run {
  const run = warden(...args);
  expect(run.status, `warden ${args.join(' ')}\n${shown(run)}`).toBe(0);
  return run;
}

/** Runs and expects a usage failure: exit 2, `warden: …` and what to do on stderr, nothing on stdout. */
function fails(pattern: RegExp, ...args: string[]): Run {
  const run = warden(...args);
  expect(run.status, `warden ${args.join(' ')}\n${shown(run)}`).toBe(2);
  expect(run.stderr).toMatch(pattern);
  expect(run.stdout).toBe('');
  return run;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'warden-reports-cli-'));
  data = path.join(directory, 'data');
  await writeReportDataset(data);
});

afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('warden report', () => {
  it('lists the reports without a name, and in --help', () => {
    const list = ok('report');
    for (const name of ['agent-inventory', 'access-reviews', 'policy-coverage', 'violations', 'credential-hygiene', 'program-metrics']) expect(list.stdout).toContain(name);
    expect(JSON.parse(ok('report', '--format', 'json').stdout).reports.map((report: Json) => report.name)).toEqual(['agent-inventory', 'access-reviews', 'policy-coverage', 'violations', 'credential-hygiene', 'program-metrics']);
    const help = ok('report', '--help');
    expect(help.stdout).toContain('--from <date>');
    expect(help.stdout).toContain('--format <format>');
    expect(help.stdout).toContain('--out <file>');
    expect(help.stdout).toContain('--data <dir>');
    expect(help.stdout).toContain('warden report violations --from');
  });

  it('reports violations of the period as JSON with the exact counts', () => {
    const answer: Json = JSON.parse(ok('report', 'violations', '--data', data, ...PERIOD, '--format', 'json').stdout);
    expect(answer).toMatchObject({ report: 'violations', period: { from: '2025-06-01T00:00:00.000Z', to: '2025-06-30T12:00:00.000Z' } });
    expect(answer.wardenVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(answer.policyVersion).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(answer.result).toMatchObject({ calls: 200, violations: 8, blocked: 7, monitored: 1, perThousandCalls: 40 });
    expect(answer.result.byAgent[0]).toEqual({ agent: 'support-bot', calls: 146, violations: 6, perThousandCalls: 41.1 });
    // --json is the same as --format json.
    expect(JSON.parse(ok('report', 'violations', '--data', data, ...PERIOD, '--json').stdout).result).toEqual(answer.result);
  });

  it('takes the data folder from WARDEN_DATA too', () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'bin/warden.js'), 'report', 'violations', ...PERIOD, '--json'], { cwd: directory, encoding: 'utf8', env: { ...process.env, WARDEN_DATA: data }, timeout: 30_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).result.calls).toBe(200);
  });

  it('reports the programme metrics, the detection ones as not yet measured', () => {
    const answer: Json = JSON.parse(ok('report', 'program-metrics', '--data', data, ...PERIOD, '--format', 'json').stdout);
    const metrics = Object.fromEntries(answer.result.metrics.map((metric: Json) => [metric.id, metric]));
    expect(metrics['agent-approval-rate']).toMatchObject({ value: 0.5, numerator: 2, denominator: 4 });
    expect(metrics['zombie-apis'].value).toBe(2);
    expect(metrics['access-policy-coverage'].value).toBe(0.625);
    expect(metrics['violations-blocked'].value).toBe(7);
    expect(metrics['mean-time-to-respond']).toMatchObject({ value: null, status: 'not yet measured' });
  });

  it('prints readable text by default', () => {
    const run = ok('report', 'policy-coverage', '--data', data);
    expect(run.stdout).toMatch(/^Access policy coverage\n/);
    expect(run.stdout).toMatch(/Operations covered by a grant +62\.5 % +\(5 of 8\)/);
    expect(run.stdout).toContain('legacy-fax  sendFax');
  });

  it('writes CSV to --out with formulas neutralised', async () => {
    const file = path.join(directory, 'inventory.csv');
    const run = ok('report', 'agent-inventory', '--data', data, '--format', 'csv', '--out', file);
    expect(run.stdout).toMatch(/^wrote agent-inventory \(csv, \d+ bytes\) to .*inventory\.csv\n$/);
    const csv = await readFile(file, 'utf8');
    expect(csv.startsWith('field,value\r\nreport,agent-inventory\r\n')).toBe(true);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""click"") <img src=x onerror=alert(2)>"`);
  });

  it('writes a printable HTML page with every value escaped', async () => {
    const file = path.join(directory, 'inventory.html');
    ok('report', 'agent-inventory', '--data', data, '--format', 'html', '--out', file, ...PERIOD);
    const html = await readFile(file, 'utf8');
    expect(html).toContain('<h1>Agent inventory</h1>');
    expect(html).toContain('@page');
    expect(html).not.toContain(HOSTILE_OWNER);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;@evil.example');
  });

  it('says what to do when the command line is wrong', async () => {
    fails(/no report is called "violation"; did you mean violations\?\n {2}the reports are /, 'report', 'violation', '--data', data);
    fails(/from "last week" is not an ISO 8601 date or time[\s\S]*--from 2026-01-01/, 'report', 'violations', '--data', data, '--from', 'last week');
    fails(/the period is empty/, 'report', 'violations', '--data', data, '--from', '2025-07-01', '--to', '2025-06-01');
    fails(/holds no Warden data[\s\S]*--data DIR/, 'report', 'violations', '--data', path.join(directory, 'nowhere'));
    fails(/cannot write .*: the folder .* does not exist/, 'report', 'violations', '--data', data, '--out', path.join(directory, 'no-such-folder', 'x.csv'));
    const format = warden('report', 'violations', '--data', data, '--format', 'pdf');
    expect(format.status, shown(format)).toBe(2);
    expect(format.stderr).toMatch(/Allowed choices are text, json, csv, html/);
  });

  it('refuses policy coverage before the first apply, saying how to apply', async () => {
    const empty = path.join(directory, 'empty-data');
    const { openSqliteStore, sqliteFileIn } = await import('../src/controlplane/store/sqlite-store.js');
    await (await openSqliteStore(sqliteFileIn(empty))).close();
    fails(/policy-coverage: no policy has been applied yet; run `warden apply DIR` first/, 'report', 'policy-coverage', '--data', empty);
  });
});
