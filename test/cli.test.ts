import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = path.join(ROOT, 'examples');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI exactly as a user would, from the package root. */
function warden(...args: string[]): Run {
  const env = { ...process.env };
  delete env.WARDEN_DATA;
  delete env.WARDEN_DEBUG;
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin/warden.js'), ...args], { cwd: ROOT, encoding: 'utf8', env, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function shown(run: Run): string {
  return `exit ${run.status}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
}

let scratch: string;

/** A fresh copy of the examples with one text replaced. */
async function brokenCopy(name: string, file: string, from: string, to: string): Promise<string> {
  const dir = path.join(scratch, name);
  await cp(EXAMPLES, dir, { recursive: true });
  const text = await readFile(path.join(dir, file), 'utf8');
  if (!text.includes(from)) throw new Error(`"${from}" is not in ${file}`);
  await writeFile(path.join(dir, file), text.replace(from, to));
  return dir;
}

beforeAll(async () => {
  // dist/ is built from the current sources by the global setup (test/support/build-dist.ts).
  scratch = await mkdtemp(path.join(os.tmpdir(), 'warden-cli-'));
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('warden check', () => {
  it('passes the examples and prints ok with the counts', () => {
    const run = warden('check', 'examples');
    expect(run.status, shown(run)).toBe(0);
    expect(run.stdout).toMatch(/^ok: 17 file\(s\), 7 APIs with 30 operations, 5 roles, 8 agents, 2 templates, 1 playbook, 1 data policy\n$/);
    expect(run.stderr).toBe('');
  });

  it('fails a broken folder with file:line:col messages and fixes', async () => {
    const dir = await brokenCopy('check-broken', 'agents/agents.yaml', 'roles: [customer-service, refund-supervisor]', 'roles: [customer-service, refund-supervisr]');
    const run = warden('check', dir);
    expect(run.status, shown(run)).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/agents\/agents\.yaml:59:29 spec\.roles\[1\]: role "refund-supervisr" is not defined$/);
    expect(lines[1]).toBe('    fix: did you mean "refund-supervisor"?');
    expect(lines.at(-1)).toBe('1 problem(s) in 17 file(s)');
  });

  it('prints parseable JSON with the problems', async () => {
    const dir = await brokenCopy('check-json', 'apis/payments.yaml', '  sensitivity: restricted\n', '  sensitivity: secret\n');
    const run = warden('check', dir, '--json');
    expect(run.status, shown(run)).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; files: number; problems: { file: string; line: number; column: number; field: string; message: string; fix: string }[] };
    expect(report.ok).toBe(false);
    expect(report.files).toBe(17);
    const problem = report.problems.find((candidate) => candidate.field === 'spec.sensitivity');
    expect(problem, run.stdout).toBeDefined();
    expect(problem!.file.endsWith('apis/payments.yaml')).toBe(true);
    expect(problem!).toMatchObject({ line: 12, column: 16, message: expect.stringContaining('"secret" is not one of') as unknown, fix: expect.stringContaining('restricted') as unknown });
  });

  it('prints JSON for a valid folder too', () => {
    const run = warden('check', 'examples', '--json');
    expect(run.status, shown(run)).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, files: 17, apis: 7, operations: 30, roles: 5, agents: 8, templates: 2, playbooks: 1, dataPolicies: 1, problems: [] });
  });

  it('treats a folder that does not exist as bad input (exit 2) and says what to give', () => {
    const run = warden('check', path.join(scratch, 'no-such-folder'));
    expect(run.status, shown(run)).toBe(2);
    expect(`${run.stdout}${run.stderr}`).toContain('no such file or folder');
    expect(`${run.stdout}${run.stderr}`).toMatch(/folder that holds your manifests/);
  });

  it('exits 2 with usage help when the folder is not given', () => {
    const run = warden('check');
    expect(run.status, shown(run)).toBe(2);
    expect(run.stderr).toContain("missing required argument 'dir'");
    expect(run.stderr).toContain('--help');
  });
});

describe('warden decide', () => {
  const allowed = ['decide', 'examples', '--agent', 'support-bot', '--method', 'GET', '--path', '/crm/customers/C-1001', '--context', 'customer=C-1001', '--region', 'eu'];
  const denied = ['decide', 'examples', '--agent', 'support-bot', '--method', 'GET', '--path', '/hr/employees/E-7', '--region', 'eu'];

  it('allows the support bot to read the customer of its task', () => {
    const run = warden(...allowed);
    expect(run.status, shown(run)).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('ALLOW crm.getCustomer  (GRANTED)');
    expect(run.stdout).toContain('customer-service/grants/read-task-customer');
    expect(run.stdout).toContain('rate limit: 60/min');
  });

  it('denies a call outside the grants, exit 1, and names alternatives', () => {
    const run = warden(...denied);
    expect(run.status, shown(run)).toBe(1);
    expect(run.stdout).toMatch(/^DENY hr\.getEmployee /);
    expect(run.stdout).toContain('you may use instead:');
    expect(run.stdout).toContain('GET /crm/customers/{customerId}  (crm.getCustomer');
  });

  it('denies another customer than the one of the task', () => {
    const run = warden('decide', 'examples', '--agent', 'support-bot', '--method', 'GET', '--path', '/crm/customers/C-2002', '--context', 'customer=C-1001', '--region', 'eu');
    expect(run.status, shown(run)).toBe(1);
    expect(run.stdout).toMatch(/^DENY crm\.getCustomer /);
  });

  it('prints the decision as JSON', () => {
    const allow = warden(...allowed, '--json');
    expect(allow.status, shown(allow)).toBe(0);
    const yes = JSON.parse(allow.stdout) as { allowed: boolean; api: string; operation: string };
    expect(yes).toMatchObject({ allowed: true, api: 'crm', operation: 'getCustomer' });

    const deny = warden(...denied, '--json');
    expect(deny.status, shown(deny)).toBe(1);
    const no = JSON.parse(deny.stdout) as { allowed: boolean; alternatives: unknown[] };
    expect(no.allowed).toBe(false);
    expect(no.alternatives.length).toBeGreaterThan(0);
  });

  it('refuses a --param without "=", exit 2, saying how to write it', () => {
    const run = warden(...allowed, '--param', 'nokey');
    expect(run.status, shown(run)).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('warden: --param "nokey" is not key=value');
    expect(run.stderr).toContain('write --param customerId=C-1001');
  });

  it('refuses a --time that is not a date, exit 2', () => {
    const run = warden(...allowed, '--time', 'yesterday');
    expect(run.status, shown(run)).toBe(2);
    expect(run.stderr).toContain('--time "yesterday" is not a date');
    expect(run.stderr).toContain('ISO 8601');
  });

  it('exits 2 when a required option is missing', () => {
    const run = warden('decide', 'examples', '--method', 'GET', '--path', '/crm/customers/C-1001');
    expect(run.status, shown(run)).toBe(2);
    expect(run.stderr).toContain('--agent');
  });

  it('refuses to decide against a broken folder, exit 2, listing file:line problems', async () => {
    const dir = await brokenCopy('decide-broken', 'roles/it-operations.yaml', 'rateLimit: 100/s', 'rateLimit: lots');
    const run = warden('decide', dir, '--agent', 'itops-agent', '--method', 'GET', '--path', '/itops/compute/instances');
    expect(run.status, shown(run)).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/roles\/it-operations\.yaml:12:\d+ spec\.grants\[0\]\.rateLimit: "lots" is not a rate/);
    expect(run.stderr).toContain(`warden check ${dir}`);
  });
});

describe('warden apply and history', () => {
  it('applies the examples, then reports them unchanged, and lists the version', async () => {
    const data = path.join(scratch, 'data');
    const first = warden('apply', 'examples', '--data', data, '--by', 'tester', '-m', 'first apply');
    expect(first.status, shown(first)).toBe(0);
    expect(first.stdout).toMatch(/^applied version \S+ \(sha256:[0-9a-f]{12}\) by tester\n/);

    const again = warden('apply', 'examples', '--data', data, '--by', 'tester');
    expect(again.status, shown(again)).toBe(0);
    expect(again.stdout).toMatch(/^unchanged: version \S+ \(sha256:[0-9a-f]{12}\) is already in force\n$/);

    const history = warden('history', '--data', data, '--json');
    expect(history.status, shown(history)).toBe(0);
    const records = JSON.parse(history.stdout) as { id: unknown; version: string; appliedBy: string; message?: string }[];
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ appliedBy: 'tester', message: 'first apply' });
    expect(records[0]!.version).toMatch(/^sha256:[0-9a-f]+$/);

    const text = warden('history', '--data', data);
    expect(text.status, shown(text)).toBe(0);
    expect(text.stdout).toContain('tester');
    expect(text.stdout).toContain('first apply');
  });

  it('records a second version when the folder changes', async () => {
    const data = path.join(scratch, 'data-changes');
    expect(warden('apply', 'examples', '--data', data).status).toBe(0);
    const dir = await brokenCopy('apply-changed', 'roles/it-operations.yaml', 'rateLimit: 100/s', 'rateLimit: 50/s');
    const changed = warden('apply', '-f', dir, '--data', data, '--json');
    expect(changed.status, shown(changed)).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({ changed: true });
    const records = JSON.parse(warden('history', '--data', data, '--json').stdout) as unknown[];
    expect(records).toHaveLength(2);
  });

  it('refuses to apply a broken folder and stores nothing', async () => {
    const data = path.join(scratch, 'data-broken');
    const dir = await brokenCopy('apply-broken', 'agents/agents.yaml', 'roles: [it-operations]', 'roles: [it-operation]');
    const run = warden('apply', dir, '--data', data);
    expect(run.status, shown(run)).toBe(2);
    expect(run.stderr).toMatch(/agents\/agents\.yaml:47:\d+ spec\.roles\[0\]: role "it-operation" is not defined/);
    const history = warden('history', '--data', data, '--json');
    expect(JSON.parse(history.stdout)).toEqual([]);
  });

  it('refuses a bad --limit for history, exit 2', () => {
    const run = warden('history', '--data', path.join(scratch, 'data-limit'), '--limit', 'many');
    expect(run.status, shown(run)).toBe(2);
    expect(run.stderr).toContain('--limit "many" is not a positive whole number');
    expect(run.stderr).toContain('--limit 20');
  });
});

describe('warden demo (npm start)', () => {
  it('serves the example fleet through the real gateway and walks through allowed, denied and monitored calls', async () => {
    const data = path.join(scratch, 'demo-data');
    const run = warden('demo', '--once', '--port', '0', '--admin-port', '0', '--data', data);
    expect(run.status, shown(run)).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/1\. The support bot reads[^\n]*\n[^\n]*\n   → 200 name \S+ \S+, email \*\*\*, phone \*\*\*/);
    expect(out).toContain('→ 403 WARDEN_AUTHZ_CONTEXT_MISMATCH');
    expect(out).toMatch(/→ 403 WARDEN_AUTHZ_FORBIDDEN[^\n]*\n     may use instead: GET \/crm\//);
    expect(out).toContain('→ 403 WARDEN_AUTHZ_PARAM_VIOLATION');
    expect(out).toMatch(/→ 200 \d+ transactions/);
    expect(out).toContain('audit: decision would-deny WARDEN_AUTHZ_NOT_GRANTED');
    expect(out).toContain('→ 400 WARDEN_REQUEST_NOT_CANONICAL');
    expect(out).toContain('→ 401 WARDEN_AUTHN_MISSING');
    // Governance: a suspension is in force for the very next call, and an access request, once approved, too.
    expect(out).toMatch(/suspended: new policy in the gateway [\d.]+ ms after the change\n     next call: 403 WARDEN_AGENT_NOT_ACTIVE/);
    expect(out).toContain('→ 200 state active');
    expect(out).toMatch(/→ 201 pending: ar_[0-9a-f]{16} waits for security, risk (low|medium|high) \(\d+\)/);
    expect(out).toMatch(/→ 200 granted until \S+; then \$GW\/crm\/customers\?q=martin → 200, \d+ customer\(s\)/);
    // Step-up: held, approved by the officer, let through once; then a rate limit with its headers.
    expect(out).toMatch(/→ 202 WARDEN_STEP_UP_PENDING: approval (apr_[0-9a-f]{16}), poll \/\.warden\/approvals\/\1/);
    expect(out).toMatch(/→ 200 approved by security\.officer@example\.com; the call → 200; sent again → 409 WARDEN_STEP_UP_USED/);
    expect(out).toMatch(/→ 429 WARDEN_RATE_LIMITED, Retry-After \d+ s \(the six answered 201 201 201 201 201 429\)\n     RateLimit-Policy: "rate";q=5;w=60, "quota-1";q=500;w=86400/);
    expect(out).toMatch(/→ 200 \d+ customer rows from an undocumented read; the four answered 200 200 200 200/);
    // A stolen key at machine speed, under the rate limit: detected against the learned baseline and throttled by the default playbook.
    expect(out).toMatch(/→ 429 WARDEN_RATE_LIMITED: calls of this agent are limited to 20\/minute for now; retry in \d+ s \(after \d+ calls that passed\)/);
    expect(out).toMatch(/incident inc_[0-9a-f]{16} \(contained\): burst, (medium|high); alert: burst alert raised[^;]*; throttle: calls limited to 20\/minute until \S+; its records are on legal hold/);
    expect(out).toContain('→ 200 false_positive; the next read → 200');
    const recordCount = Number(/(\d+) new records/.exec(out)![1]);
    // Discovery over the tour's own records: the learned path is a shadow endpoint, the deprecated warehouse a zombie.
    expect(out).toContain('   shadow  GET /warehouse/tables/{tableId}: 4 calls, in no manifest, answered anyway');
    expect(out).toMatch(/   zombie  GET \/warehouse\/export \(legacy-warehouse\.exportAll\): deprecated, sunset on 2027-03-31, still serving/);
    expect(out).not.toContain('/.warden/access-requests: ');
    // The audit file has one record per gateway call and none of the secrets the demo printed.
    const key = /export SUPPORT_KEY=(\S+)/.exec(out)![1]!;
    const token = /export ANALYST_TOKEN=(\S+)/.exec(out)![1]!;
    const adminToken = /ADMIN_TOKEN=(wda_\S+)/.exec(out)![1]!;
    const itopsKey = /export ITOPS_KEY=(\S+)/.exec(out)![1]!;
    const records = (await readFile(path.join(data, 'demo', 'audit.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(records).toHaveLength(recordCount);
    expect(recordCount).toBeGreaterThan(24 + 20);
    for (const record of records) {
      expect(record).not.toContain(key);
      expect(record).not.toContain(itopsKey);
      expect(record).not.toContain(token.split('.')[2]);
      expect(record).not.toContain(adminToken);
    }
    // A second run starts from the fleet as written again.
    const again = warden('demo', '--once', '--port', '0', '--admin-port', '0', '--data', data);
    expect(again.status, shown(again)).toBe(0);
    expect(again.stdout).toMatch(/→ 201 pending: ar_/);
  }, 90_000);
});

describe('--help', () => {
  it.each([[[]], [['check']], [['decide']], [['apply']], [['history']], [['start']], [['demo']], [['discover']], [['discover', 'import']], [['discover', 'scan']], [['discover', 'adopt']], [['detect']], [['detect', 'replay']], [['incidents']], [['incidents', 'timeline']]])('warden %j --help exits 0 with usage', (command: string[]) => {
    const run = warden(...command, '--help');
    expect(run.status, shown(run)).toBe(0);
    expect(run.stdout).toContain(`Usage: warden${command.length > 0 ? ` ${command[0]}` : ''}`);
    expect(run.stderr).toBe('');
  });
});
