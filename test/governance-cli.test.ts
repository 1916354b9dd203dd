import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The governance CLI end to end: the built `warden start` in a child process (as an operator
 * runs it), real production and staging upstreams, and every change made with the built
 * `warden` command over the admin API, as the people of a small organisation.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Answers are read as loosely typed JSON: the tests assert their shape. */
type Json = any;

const MANIFESTS: Readonly<Record<string, string>> = {
  'apis.yaml': `apiVersion: warden.dev/v1
kind: Api
metadata: { name: crm }
spec:
  owner: crm-team@example.com
  upstream: { url: "\${PRODUCTION}", staging: "\${STAGING}" }
  basePath: /crm
  sensitivity: confidential
  dataClasses: [pii]
  operations:
    - { id: getCustomer, method: GET, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
    - { id: searchCustomers, method: GET, path: "/customers", parameters: [{ name: q, in: query }] }
    - { id: updateCustomer, method: PATCH, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
    - { id: exportCustomers, method: GET, path: "/exports" }
`,
  'roles.yaml': `apiVersion: warden.dev/v1
kind: Role
metadata: { name: support-reader }
spec:
  grants:
    - { id: crm-read, api: crm, operations: [getCustomer, searchCustomers] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: crm-exporter }
spec:
  grants:
    - { id: crm-export, api: crm, operations: [exportCustomers] }
`,
  'templates.yaml': `apiVersion: warden.dev/v1
kind: AgentTemplate
metadata: { name: support-bot }
spec:
  description: The standard support bot
  roles: [support-reader]
  preApproved: true
---
apiVersion: warden.dev/v1
kind: AgentTemplate
metadata: { name: analyst-bot }
spec:
  description: Reads and exports customers; always reviewed
  roles: [support-reader, crm-exporter]
  preApproved: false
`,
  'agents.yaml': `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: report-bot }
spec:
  owner: olivia@example.com
  purpose: Reads customers for the weekly support report
  roles: [support-reader]
  state: active
`,
};

/** The organisation: each person gets an admin token with `warden tokens issue`. */
const PEOPLE = {
  sam: { subject: 'sam@example.com', roles: ['security'] },
  bo: { subject: 'bo@example.com', roles: ['admin'] },
  olivia: { subject: 'olivia@example.com', roles: ['owner'] },
  audrey: { subject: 'audrey@example.com', roles: ['auditor'] },
} as const;
type Person = keyof typeof PEOPLE | 'root';

interface Upstream {
  readonly url: string;
  readonly hits: string[];
  close(): Promise<void>;
}

/** A real HTTP upstream on port 0 that names itself in every answer. */
async function startUpstream(name: string): Promise<Upstream> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push(`${req.method} ${req.url}`);
      const text = JSON.stringify({ upstream: name, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function shown(run: Run): string {
  return `exit ${run.status}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
}

let directory: string;
let dataDirectory: string;
let production: Upstream;
let staging: Upstream;
let warden: ChildProcess | undefined;
let wardenOutput = '';
let adminUrl: string;
let gatewayUrl: string;
const tokenFiles: Partial<Record<Person, string>> = {};
const tokens: Partial<Record<Person, string>> = {};
/** Every secret the CLI printed: none may show up where secrets must not be. */
const secrets: string[] = [];

/** The built CLI as `person` (their token in a file given with --token-file), against the admin API of the test's `warden start`. */
function cli(person: Person | undefined, args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.WARDEN_DATA;
  delete base.WARDEN_DEBUG;
  delete base.WARDEN_ADMIN_TOKEN;
  Object.assign(base, { WARDEN_ADMIN_URL: adminUrl }, env);
  const tokenArgs = person === undefined ? [] : ['--token-file', tokenFiles[person]!];
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin/warden.js'), ...args, ...tokenArgs], { cwd: directory, encoding: 'utf8', env: base, timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs and expects exit 0. */
function ok(person: Person | undefined, ...args: string[]): Run {
  const run = cli(person, args);
  expect(run.status, `warden ${args.join(' ')}\n${shown(run)}`).toBe(0);
  return run;
}

/** Runs with --json, expects exit 0 and returns the parsed answer. */
function json(person: Person | undefined, ...args: string[]): Json {
  const run = ok(person, ...args, '--json');
  return JSON.parse(run.stdout);
}

/** Runs and expects the server to refuse: exit 1 and `CODE: detail` on stderr. */
function refused(code: string, person: Person | undefined, ...args: string[]): Run {
  const run = cli(person, args);
  expect(run.status, `warden ${args.join(' ')}\n${shown(run)}`).toBe(1);
  expect(run.stderr).toContain(`warden: ${code}: `);
  return run;
}

/** One call of an agent on the gateway with its API key. */
/**
 * One agent call on a connection of its own: the CLI runs with spawnSync, which blocks this
 * process for seconds, so a kept-alive socket may have been closed by the gateway meanwhile.
 */
function agentCall(key: string, pathAndQuery: string): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${gatewayUrl}${pathAndQuery}`, { headers: { authorization: `Bearer ${key}` }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode!, body: text.length > 0 ? JSON.parse(text) : undefined });
      });
    });
    request.on('error', reject);
  });
}

/** The secret on the line `label: …` of a human-readable issue answer. */
function secretOf(run: Run, label: 'key' | 'token'): string {
  const match = new RegExp(`^${label}: (\\S+)$`, 'm').exec(run.stdout);
  expect(match, shown(run)).not.toBeNull();
  expect(run.stdout).toMatch(new RegExp(`this ${label} is shown only now`));
  secrets.push(match![1]!);
  return match![1]!;
}

async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'warden-gov-cli-'));
  dataDirectory = path.join(directory, 'data');
  [production, staging] = await Promise.all([startUpstream('production'), startUpstream('staging')]);
  const manifests = path.join(directory, 'manifests');
  await mkdir(manifests);
  for (const [name, text] of Object.entries(MANIFESTS)) await writeFile(path.join(manifests, name), text.replaceAll('${PRODUCTION}', production.url).replaceAll('${STAGING}', staging.url));
  const configFile = path.join(directory, 'warden.yaml');
  await writeFile(configFile, ['apiVersion: warden.dev/v1', 'kind: GatewayConfig', 'manifests: manifests', 'data: data', 'gateway: { host: 127.0.0.1, port: 0 }', 'admin: { host: 127.0.0.1, port: 0 }', 'audit: { flushIntervalMs: 20 }', ''].join('\n'));

  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.WARDEN_DATA;
  delete env.WARDEN_DEBUG;
  delete env.WARDEN_ADMIN_TOKEN;
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/warden.js'), 'start', '--config', configFile, '--json'], { cwd: directory, env, stdio: ['ignore', 'pipe', 'pipe'] });
  warden = child;
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => ((stdout += chunk.toString('utf8')), (wardenOutput += chunk.toString('utf8'))));
  child.stderr!.on('data', (chunk: Buffer) => (wardenOutput += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  const ready = await new Promise<Json>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`warden start did not print its addresses\n${wardenOutput}`)), 15_000);
    child.stdout!.on('data', () => {
      try {
        const parsed = JSON.parse(stdout);
        clearTimeout(timer);
        resolve(parsed);
      } catch {
        // Not the whole document yet.
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`warden start exited early\n${wardenOutput}`));
    });
  });
  expect(ready.policyVersion).toMatch(/^sha256:/);
  expect(ready.adminTokenFile).toBe(path.join(dataDirectory, 'admin-token'));
  gatewayUrl = `http://127.0.0.1:${ready.agent.port}`;
  adminUrl = `http://127.0.0.1:${ready.admin.port}`;
  tokenFiles.root = ready.adminTokenFile;
}, 30_000);

afterAll(async () => {
  if (warden !== undefined && warden.exitCode === null && warden.signalCode === null) {
    const exited = once(warden, 'exit');
    warden.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (warden.exitCode === null) warden.kill('SIGKILL');
  }
  await production?.close();
  await staging?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

// Each test runs the built CLI one process after another (about 0.6 s each, more on a loaded
// 2-core CI machine); the longest run twenty, so the default 20 s is too tight to be honest.
describe('the governance commands', { timeout: 60_000 }, () => {
  it('print --help and exit 0, every one of them', () => {
    const commands = [
      ['agents'], ['agents', 'list'], ['agents', 'show'], ['agents', 'propose'], ['agents', 'review'],
      ...['approve', 'reject', 'test', 'activate', 'suspend', 'quarantine', 'reinstate', 'decommission'].map((action) => ['agents', action]),
      ['agents', 'bind'], ['agents', 'unbind'],
      ['keys'], ['keys', 'list'], ['keys', 'issue'], ['keys', 'rotate'], ['keys', 'revoke'],
      ['access'], ['access', 'list'], ['access', 'request'], ['access', 'approve'], ['access', 'deny'],
      ['review'], ['review', 'confirm'], ['review', 'revoke'],
      ['diff'],
      ['tokens'], ['tokens', 'list'], ['tokens', 'issue'], ['tokens', 'revoke'],
      ['owners'], ['owners', 'list'], ['owners', 'leave'], ['owners', 'return'],
      ['admin-log'],
    ];
    for (const command of commands) {
      const run = cli(undefined, [...command, '--help']);
      expect(run.status, `warden ${command.join(' ')} --help\n${shown(run)}`).toBe(0);
      expect(run.stdout).toContain(`Usage: warden ${command.join(' ')}`);
      const leaf = command.length > 1 || ['review', 'diff', 'admin-log'].includes(command[0]!);
      if (leaf) expect(run.stdout).toContain('--admin-url <url>');
    }
    // The program's own help lists them beside the manifest commands.
    const top = cli(undefined, ['--help']);
    expect(top.status).toBe(0);
    for (const name of ['check', 'apply', 'start', 'agents', 'keys', 'access', 'review', 'diff', 'tokens', 'owners', 'admin-log']) expect(top.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    // 38 processes one after another: slow on a loaded 2-core machine, not a hang.
  }, 90_000);

  it('exit 2 and say what to do when the admin API cannot be reached or no token is found', async () => {
    const port = await deadPort();
    const down = cli('root', ['agents', 'list', '--admin-url', `http://127.0.0.1:${port}`]);
    expect(down.status, shown(down)).toBe(2);
    expect(down.stderr).toContain(`cannot reach the admin API at http://127.0.0.1:${port}/`);
    expect(down.stderr).toContain('warden start');
    const viaEnv = cli('root', ['keys', 'list'], { WARDEN_ADMIN_URL: `http://127.0.0.1:${port}` });
    expect(viaEnv.status).toBe(2);
    expect(viaEnv.stderr).toContain(`http://127.0.0.1:${port}/`);

    const noToken = cli(undefined, ['agents', 'list']);
    expect(noToken.status, shown(noToken)).toBe(2);
    expect(noToken.stderr).toContain(`no admin token: the default token file ${path.join('.warden', 'admin-token')} does not exist`);
    const badUrl = cli('root', ['agents', 'list', '--admin-url', 'not a url']);
    expect(badUrl.status).toBe(2);
    // Usage errors of the command line are exit 2 too.
    expect(cli('root', ['keys', 'issue']).status).toBe(2);
    expect(cli('root', ['keys', 'issue', '--agent', 'report-bot', '--ttl-days', 'soon']).status).toBe(2);
    expect(cli('root', ['agents', 'propose', 'x-bot', '--purpose', 'no roles and no template given']).status).toBe(2);
  });

  it('issue admin tokens once, list them without secrets, and take the token from --data, WARDEN_ADMIN_TOKEN or --token-file', async () => {
    const sam = cli('root', ['tokens', 'issue', '--subject', PEOPLE.sam.subject, '--role', 'security']);
    expect(sam.status, shown(sam)).toBe(0);
    tokens.sam = secretOf(sam, 'token');
    expect(tokens.sam).toMatch(/^wda_/);
    for (const person of ['bo', 'olivia', 'audrey'] as const) {
      const issued = json('root', 'tokens', 'issue', '--subject', PEOPLE[person].subject, ...PEOPLE[person].roles.flatMap((role) => ['--role', role]), '--ttl-days', '30');
      expect(issued.record).toMatchObject({ subject: PEOPLE[person].subject, roles: PEOPLE[person].roles });
      tokens[person] = issued.token;
      secrets.push(issued.token);
    }
    for (const person of Object.keys(PEOPLE) as (keyof typeof PEOPLE)[]) {
      tokenFiles[person] = path.join(directory, `${person}.token`);
      await writeFile(tokenFiles[person]!, `${tokens[person]}\n`, { mode: 0o600 });
    }

    const listed = ok('audrey', 'tokens', 'list');
    for (const { subject } of [...Object.values(PEOPLE), { subject: 'admin@localhost' }]) expect(listed.stdout).toContain(subject);
    expect(listed.stdout).not.toContain('wda_');
    refused('WARDEN_ADMIN_FORBIDDEN', 'olivia', 'tokens', 'list');
    refused('WARDEN_ADMIN_FORBIDDEN', 'sam', 'tokens', 'issue', '--subject', 'eve@example.com', '--role', 'admin');

    // The bootstrap token from <data>/admin-token, as `warden start` wrote it.
    expect(cli(undefined, ['agents', 'list', '--data', dataDirectory]).status).toBe(0);
    expect(cli(undefined, ['agents', 'list'], { WARDEN_DATA: dataDirectory }).status).toBe(0);
    // WARDEN_ADMIN_TOKEN, and --token-file over it.
    const whoEnv = cli(undefined, ['tokens', 'list'], { WARDEN_ADMIN_TOKEN: tokens.olivia! });
    expect(whoEnv.status).toBe(1);
    expect(whoEnv.stderr).toContain('olivia@example.com has owner');
    expect(cli('audrey', ['tokens', 'list'], { WARDEN_ADMIN_TOKEN: tokens.olivia! }).status).toBe(0);

    // A revoked token is refused, and the CLI says which token it sent.
    const temp = json('root', 'tokens', 'issue', '--subject', 'temp@example.com', '--role', 'auditor');
    secrets.push(temp.token);
    const revoked = json('root', 'tokens', 'revoke', temp.record.id, '--reason', 'temporary access ended');
    expect(revoked).toMatchObject({ id: temp.record.id, revokedAt: expect.any(String) });
    const rejected = cli(undefined, ['agents', 'list'], { WARDEN_ADMIN_TOKEN: temp.token });
    expect(rejected.status, shown(rejected)).toBe(1);
    expect(rejected.stderr).toContain('warden: WARDEN_ADMIN_UNAUTHENTICATED: ');
    expect(rejected.stderr).toContain('from WARDEN_ADMIN_TOKEN was not accepted');
  });

  describe('an agent\'s whole life', () => {
    let key: string;
    let keyId: string;
    const call = () => agentCall(key, '/crm/customers/C-1001');

    it('is proposed by its owner and waits in the review queue with its risk', () => {
      const proposed = ok('olivia', 'agents', 'propose', 'orders-bot', '--purpose', 'Looks up customers to answer questions about their orders', '--role', 'support-reader', '--description', 'the orders assistant');
      expect(proposed.stdout).toMatch(/^proposed orders-bot: proposed, waiting for a security review/m);
      expect(proposed.stdout).toMatch(/^ {2}risk \d+ \((low|medium|high)\)/m);

      const queue = ok('sam', 'agents', 'review');
      expect(queue.stdout).toMatch(/^NAME +STATE +OWNER +RISK +ROLES +WAITS FOR$/m);
      expect(queue.stdout).toMatch(/^orders-bot +proposed +olivia@example\.com +\d+ \((low|medium|high)\) +support-reader +security review$/m);
      const queueJson = json('audrey', 'agents', 'review');
      const entry = queueJson.agents.find((agent: Json) => agent.name === 'orders-bot');
      expect(entry).toMatchObject({ state: 'proposed', risk: { score: expect.any(Number), level: expect.any(String), reasons: expect.any(Array) } });
      expect(queue.stdout).toContain(`risk ${entry.risk.score} (${entry.risk.level})`);
      for (const reason of entry.risk.reasons) expect(queue.stdout).toContain(reason.message);

      const listed = ok('audrey', 'agents', 'list', '--state', 'proposed,in_review');
      expect(listed.stdout).toMatch(/^orders-bot +proposed +olivia@example\.com +support-reader +api +0$/m);
      expect(listed.stdout).not.toContain('report-bot');
      expect(json('audrey', 'agents', 'list', '--owner', 'olivia@example.com').agents.map((agent: Json) => agent.name).sort()).toEqual(['orders-bot', 'report-bot']);
      refused('WARDEN_ADMIN_INVALID', 'audrey', 'agents', 'list', '--state', 'sleeping');
    });

    it('is refused to its owner\'s approval, an illegal action and an auditor\'s change, with exit 1', () => {
      const own = refused('WARDEN_ADMIN_FORBIDDEN', 'olivia', 'agents', 'approve', 'orders-bot', '--reason', 'I like my own bot');
      expect(own.stderr).toContain('owns this agent and cannot approve it');
      const illegal = refused('WARDEN_LIFECYCLE_ILLEGAL_TRANSITION', 'bo', 'agents', 'activate', 'orders-bot', '--reason', 'too early');
      expect(illegal.stderr).toContain('legal actions from proposed: approve, reject, decommission');
      const illegalJson = cli('bo', ['agents', 'activate', 'orders-bot', '--reason', 'too early', '--json']);
      expect(illegalJson.status).toBe(1);
      expect(JSON.parse(illegalJson.stdout)).toMatchObject({ code: 'WARDEN_LIFECYCLE_ILLEGAL_TRANSITION', status: 409, legal: ['approve', 'reject', 'decommission'] });
      refused('WARDEN_ADMIN_FORBIDDEN', 'audrey', 'agents', 'reject', 'orders-bot', '--reason', 'auditors only look');
      refused('WARDEN_ADMIN_FORBIDDEN', 'audrey', 'keys', 'issue', '--agent', 'orders-bot');
      refused('WARDEN_ADMIN_NOT_FOUND', 'sam', 'agents', 'show', 'nobody-bot');
      expect(json('audrey', 'agents', 'show', 'orders-bot').state).toBe('proposed');
    });

    it('passes the security review, then the business approval of an admin', () => {
      const review = ok('sam', 'agents', 'approve', 'orders-bot', '--reason', 'read-only access to customers fits the purpose');
      expect(review.stdout).toMatch(/^orders-bot: proposed → in_review \(approve\)$/m);
      expect(review.stdout).toMatch(/^in force in the gateway \d+\.\d ms after the change$/m);
      expect(ok('sam', 'agents', 'review').stdout).toMatch(/^orders-bot +in_review .* business approval$/m);
      refused('WARDEN_ADMIN_FORBIDDEN', 'sam', 'agents', 'approve', 'orders-bot', '--reason', 'security cannot give the business approval');
      const approval = json('bo', 'agents', 'approve', 'orders-bot', '--reason', 'the support team needs it');
      expect(approval).toMatchObject({ from: 'in_review', agent: { name: 'orders-bot', state: 'approved' }, propagationMs: expect.any(Number) });
      expect(ok('sam', 'agents', 'review').stdout).toBe('the review queue is empty: no agent waits for review\n');
    });

    it('gets a key, shown once; its acceptance test reaches the staging upstream only', async () => {
      const issued = ok('olivia', 'keys', 'issue', '--agent', 'orders-bot', '--ttl-days', '60');
      key = secretOf(issued, 'key');
      expect(key).toMatch(/^wdn_/);
      keyId = /^issued (key_\S+) for orders-bot, expires /m.exec(issued.stdout)![1]!;
      expect((await call()).body).toMatchObject({ code: 'WARDEN_AGENT_NOT_ACTIVE' });

      const tested = ok('olivia', 'agents', 'test', 'orders-bot', '--reason', 'acceptance test on staging');
      expect(tested.stdout).toMatch(/^orders-bot: approved → testing \(test\)$/m);
      const before = production.hits.length;
      const answer = await call();
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ upstream: 'staging', url: '/crm/customers/C-1001' });
      expect(production.hits.length).toBe(before);
    });

    it('is activated, calls production, is suspended (next call 403), reinstated', async () => {
      expect(ok('olivia', 'agents', 'activate', 'orders-bot', '--reason', 'acceptance test passed').stdout).toMatch(/testing → active/);
      const answer = await call();
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ upstream: 'production', url: '/crm/customers/C-1001' });

      const suspended = json('sam', 'agents', 'suspend', 'orders-bot', '--reason', 'odd access pattern at night');
      expect(suspended).toMatchObject({ from: 'active', agent: { state: 'suspended', actions: ['quarantine', 'reinstate', 'decommission'] } });
      const denied = await call();
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('WARDEN_AGENT_NOT_ACTIVE');

      refused('WARDEN_ADMIN_FORBIDDEN', 'olivia', 'agents', 'reinstate', 'orders-bot', '--reason', 'owners cannot reinstate');
      expect(ok('sam', 'agents', 'reinstate', 'orders-bot', '--reason', 'looked into: a nightly batch').stdout).toMatch(/suspended → active/);
      expect((await call()).status).toBe(200);
    });

    it('rotates its key: the old key works through the overlap, the new one at once', async () => {
      const rotated = json('olivia', 'keys', 'rotate', keyId, '--overlap-hours', '1');
      secrets.push(rotated.next.key);
      expect(rotated.previous).toMatchObject({ id: keyId, replacedBy: rotated.next.record.id });
      expect((await agentCall(key, '/crm/customers/C-1')).status).toBe(200);
      expect((await agentCall(rotated.next.key, '/crm/customers/C-2')).status).toBe(200);
      const keys = ok('audrey', 'keys', 'list', '--agent', 'orders-bot');
      expect(keys.stdout).toMatch(new RegExp(`^${keyId} +orders-bot +expiring +\\S+ \\S+ .* ${rotated.next.record.id}$`, 'm'));
      expect(keys.stdout).toMatch(new RegExp(`^${rotated.next.record.id} +orders-bot +active`, 'm'));
      refused('WARDEN_ADMIN_CONFLICT', 'olivia', 'keys', 'rotate', keyId);
      key = rotated.next.key;
      keyId = rotated.next.record.id;
    });

    it('gets a denied operation through an access request and its approval', async () => {
      const before = await agentCall(key, '/crm/exports');
      expect(before.status).toBe(403);
      expect(before.body.code).toBe('WARDEN_AUTHZ_NOT_GRANTED');
      const asked = ok('olivia', 'access', 'request', '--agent', 'orders-bot', '--api', 'crm', '--operation', 'exportCustomers', '--reason', 'the monthly order export for finance', '--days', '7');
      const id = /^(ar_\S+): pending, waiting for security/m.exec(asked.stdout)?.[1];
      expect(id, shown(asked)).toBeDefined();
      const pending = ok('sam', 'access', 'list', '--status', 'pending');
      expect(pending.stdout).toMatch(new RegExp(`^${id} +orders-bot +crm\\.exportCustomers +pending +\\d+ \\(\\w+\\)`, 'm'));
      refused('WARDEN_ADMIN_FORBIDDEN', 'olivia', 'access', 'approve', id!, '--reason', 'my own request');
      const approved = ok('sam', 'access', 'approve', id!, '--reason', 'finance needs the export');
      expect(approved.stdout).toMatch(new RegExp(`^${id}: granted; orders-bot may call crm\\.exportCustomers until \\d{4}-`, 'm'));
      const after = await agentCall(key, '/crm/exports');
      expect(after.status).toBe(200);
      expect(after.body.upstream).toBe('production');
      refused('WARDEN_ADMIN_CONFLICT', 'sam', 'access', 'deny', id!, '--reason', 'decided already');

      const second = json('olivia', 'access', 'request', '--agent', 'orders-bot', '--api', 'crm', '--operation', 'updateCustomer', '--reason', 'to fix typos in customer addresses');
      expect(second.status).toBe('pending');
      expect(json('sam', 'access', 'deny', second.id, '--reason', 'updates go through the CRM team')).toMatchObject({ status: 'denied' });
      expect(json('audrey', 'access', 'list', '--agent', 'orders-bot').requests.map((request: Json) => [request.operation, request.status]).sort()).toEqual([['exportCustomers', 'granted'], ['updateCustomer', 'denied']]);
      expect((await agentCall(key, '/crm/customers/C-1')).status).toBe(200);
    });

    it('binds and unbinds external identities', () => {
      const bound = ok('olivia', 'agents', 'bind', 'orders-bot', '--jwt', 'https://idp.example.com/', 'orders-svc');
      const bindingId = /^bound JWT issuer https:\/\/idp\.example\.com\/ subject orders-svc to orders-bot as (bnd_\S+)$/m.exec(bound.stdout)?.[1];
      expect(bindingId, shown(bound)).toBeDefined();
      const spiffe = json('sam', 'agents', 'bind', 'orders-bot', '--spiffe', 'spiffe://example.com/ns/shop/sa/orders');
      expect(spiffe).toMatchObject({ agent: 'orders-bot', binding: { type: 'mtls', spiffeId: 'spiffe://example.com/ns/shop/sa/orders' } });
      const shownAgent = json('audrey', 'agents', 'show', 'orders-bot');
      expect(shownAgent.credentials.jwt).toEqual([{ issuer: 'https://idp.example.com/', subject: 'orders-svc' }]);
      expect(shownAgent.credentials.certificates).toEqual(['spiffe://example.com/ns/shop/sa/orders']);
      refused('WARDEN_ADMIN_CONFLICT', 'sam', 'agents', 'bind', 'report-bot', '--jwt', 'https://idp.example.com/', 'orders-svc');
      expect(cli('sam', ['agents', 'bind', 'orders-bot', '--jwt', 'https://idp.example.com/']).status).toBe(2);
      expect(cli('sam', ['agents', 'bind', 'orders-bot', '--jwt', 'https://idp.example.com/', 'x', '--spiffe', 'spiffe://a/b']).status).toBe(2);
      expect(ok('olivia', 'agents', 'unbind', 'orders-bot', bindingId!).stdout).toBe(`removed binding ${bindingId} from orders-bot\n`);
      expect(json('audrey', 'agents', 'show', 'orders-bot').credentials.jwt).toEqual([]);
      refused('WARDEN_ADMIN_NOT_FOUND', 'olivia', 'agents', 'unbind', 'orders-bot', bindingId!);
    });

    it('shows its definition, state, credentials, rules, history and risk, without any secret', () => {
      const text = ok('audrey', 'agents', 'show', 'orders-bot').stdout;
      expect(text).toMatch(/^orders-bot: active since \d{4}-\d{2}-\d{2} \d{2}:\d{2}Z$/m);
      expect(text).toMatch(/^ {2}owner +olivia@example\.com$/m);
      expect(text).toMatch(/^ {2}purpose +Looks up customers to answer questions about their orders$/m);
      expect(text).toMatch(/^ {2}source +proposed through the admin API$/m);
      expect(text).toMatch(new RegExp(`^ {2}API keys +.*${keyId}`, 'm'));
      expect(text).toMatch(/^ {2}rt_\S+ +grant +crm +exportCustomers +\d{4}-/m);
      expect(text).toMatch(/^risk \d+ \((low|medium|high)\): /m);
      for (const action of ['propose', 'approve', 'test', 'activate', 'suspend', 'reinstate']) expect(text).toMatch(new RegExp(`^ {2}\\d{4}-\\S+ \\S+ +\\S+ +\\S+ +${action} `, 'm'));
      const detail = ok('audrey', 'agents', 'show', 'orders-bot', '--json').stdout;
      const parsed = JSON.parse(detail);
      expect(parsed).toMatchObject({ name: 'orders-bot', state: 'active', owner: 'olivia@example.com', roles: ['support-reader'], risk: { score: expect.any(Number) } });
      expect(parsed.history.map((transition: Json) => transition.to)).toEqual(['proposed', 'in_review', 'approved', 'testing', 'active', 'suspended', 'active']);
      expect(detail).not.toMatch(/wdn_|wda_/);
      for (const secret of secrets) expect(detail).not.toContain(secret);
    });

    it('is decommissioned by its owner: its keys are revoked (401) and no action applies any more', async () => {
      const done = ok('olivia', 'agents', 'decommission', 'orders-bot', '--reason', 'replaced by the new orders assistant');
      expect(done.stdout).toMatch(/^orders-bot: active → decommissioned \(decommission\)$/m);
      expect(done.stdout).toContain('no action applies any more');
      const answer = await call();
      expect(answer.status).toBe(401);
      expect(json('audrey', 'keys', 'list', '--agent', 'orders-bot').keys.every((record: Json) => record.status === 'revoked')).toBe(true);
      const final = refused('WARDEN_LIFECYCLE_ILLEGAL_TRANSITION', 'sam', 'agents', 'reinstate', 'orders-bot', '--reason', 'bring it back');
      expect(final.stderr).toContain('no action applies from decommissioned: it is final');
      refused('WARDEN_ADMIN_CONFLICT', 'olivia', 'keys', 'issue', '--agent', 'orders-bot');
    });
  });

  it('approves a proposal with a pre-approved template at once, and queues one with a reviewed template', () => {
    const proposed = ok('olivia', 'agents', 'propose', 'returns-bot', '--template', 'support-bot', '--purpose', 'Answers questions about returns of customers');
    expect(proposed.stdout).toMatch(/^proposed returns-bot: approved at once \(template:support-bot: the template is pre-approved\)$/m);
    const agent = json('audrey', 'agents', 'show', 'returns-bot');
    expect(agent).toMatchObject({ state: 'approved', template: 'support-bot', roles: ['support-reader'] });
    expect(agent.history.at(-1)).toMatchObject({ from: 'proposed', to: 'approved', actor: 'template:support-bot' });

    const analyst = json('olivia', 'agents', 'propose', 'analyst-bot-1', '--template', 'analyst-bot', '--region', 'eu', '--purpose', 'Exports customers for the quarterly analysis');
    expect(analyst).toMatchObject({ state: 'proposed', template: 'analyst-bot' });
    expect([...analyst.roles].sort()).toEqual(['crm-exporter', 'support-reader']);
    expect(json('sam', 'agents', 'review').agents.map((entry: Json) => entry.name)).toEqual(['analyst-bot-1']);
    expect(ok('sam', 'agents', 'reject', 'analyst-bot-1', '--reason', 'exports need a data protection review first').stdout).toMatch(/proposed → decommissioned \(reject\)/);
    refused('WARDEN_ADMIN_INVALID', 'olivia', 'agents', 'propose', 'other-bot', '--template', 'support-bot', '--role', 'crm-exporter', '--purpose', 'A bot that asks for more than its template');
    refused('WARDEN_ADMIN_FORBIDDEN', 'olivia', 'agents', 'propose', 'alien-bot', '--role', 'support-reader', '--owner', 'someone@example.com', '--purpose', 'Proposed for somebody else by an owner');
  });

  it('reviews access: items per agent with what revoking does; confirm quiets an item, revoke acts', async () => {
    const reportKey = secretOf(ok('sam', 'keys', 'issue', '--agent', 'report-bot', '--ttl-days', '10'), 'key');
    const reportKeyId = json('audrey', 'keys', 'list', '--agent', 'report-bot').keys[0].id;
    expect((await agentCall(reportKey, '/crm/customers/R-1')).status).toBe(200);
    const returnsKey = json('olivia', 'keys', 'issue', '--agent', 'returns-bot', '--ttl-days', '5');
    secrets.push(returnsKey.key);

    const review = ok('audrey', 'review', '--expiry-days', '30');
    expect(review.stdout).toMatch(/^report-bot \(active, owner olivia@example\.com\)$/m);
    expect(review.stdout).toMatch(new RegExp(`^ {2}credential:${reportKeyId} +\\[expiring-credential\\] +API key ${reportKeyId} expires \\d{4}-`, 'm'));
    expect(review.stdout).toMatch(/^ {4}revoke: revokes the key \(rotate it instead to keep the agent running\)$/m);
    expect(review.stdout).toMatch(new RegExp(`^ {2}credential:${returnsKey.record.id} +\\[expiring-credential\\]`, 'm'));
    expect(review.stdout).toMatch(/^\d+ item\(s\) on \d+ agent\(s\)$/m);
    // Nothing expires within 3 days.
    expect(json('audrey', 'review', '--expiry-days', '3').reviews.flatMap((entry: Json) => entry.items.filter((item: Json) => item.kind === 'expiring-credential'))).toEqual([]);

    refused('WARDEN_ADMIN_FORBIDDEN', 'audrey', 'review', 'confirm', 'returns-bot', `credential:${returnsKey.record.id}`, '--reason', 'auditors only look');
    // The token file given before the subcommand name counts too.
    const confirmed = cli(undefined, ['review', '--token-file', tokenFiles.olivia!, 'confirm', 'returns-bot', `credential:${returnsKey.record.id}`, '--reason', 'the bot is retired next week']);
    expect(confirmed.status, shown(confirmed)).toBe(0);
    expect(confirmed.stdout).toBe(`returns-bot credential:${returnsKey.record.id}: confirmed by olivia@example.com\n`);
    const revoked = json('sam', 'review', 'revoke', 'report-bot', `credential:${reportKeyId}`, '--reason', 'the report moves to the new key scheme');
    expect(revoked).toMatchObject({ agent: 'report-bot', item: `credential:${reportKeyId}`, decision: 'revoke', actor: 'sam@example.com' });
    expect((await agentCall(reportKey, '/crm/customers/R-2')).status).toBe(401);
    const after = json('audrey', 'review', '--expiry-days', '30').reviews.flatMap((entry: Json) => entry.items.map((item: Json) => `${entry.agent} ${item.item}`));
    expect(after).not.toContain(`returns-bot credential:${returnsKey.record.id}`);
    expect(after).not.toContain(`report-bot credential:${reportKeyId}`);
    refused('WARDEN_ADMIN_INVALID', 'sam', 'review', 'confirm', 'report-bot', 'credential:key_nothere01', '--reason', 'no such item');

    // An owner who left: their agents come up in the review.
    expect(ok('sam', 'owners', 'leave', 'olivia@example.com', '--reason', 'left the company').stdout).toMatch(/^olivia@example\.com left \(/);
    expect(ok('audrey', 'owners', 'list').stdout).toMatch(/^olivia@example\.com +left +\d{4}-\S+ \S+ +sam@example\.com$/m);
    const withOwner = json('audrey', 'review');
    expect(withOwner.reviews.find((entry: Json) => entry.agent === 'report-bot').items).toContainEqual({ item: 'owner', kind: 'owner-left', detail: 'its owner olivia@example.com has left', revoke: 'suspends the agent until someone takes it over' });
    // Leaving revoked olivia's admin token: she can no longer act at all.
    refused('WARDEN_ADMIN_UNAUTHENTICATED', 'olivia', 'owners', 'return', 'olivia@example.com', '--reason', 'I am back');
    expect(json('sam', 'owners', 'return', 'olivia@example.com', '--reason', 'came back')).toMatchObject({ email: 'olivia@example.com', active: true });
  });

  it('diffs what runs against the manifests in force', () => {
    ok('sam', 'agents', 'quarantine', 'report-bot', '--reason', 'incident INC-42 is looked into');
    const diff = ok('audrey', 'diff');
    expect(diff.stdout).toMatch(/^beyond the manifests of version \d+:$/m);
    expect(diff.stdout).toMatch(/^AGENT +KIND +MANIFEST +RUNTIME$/m);
    expect(diff.stdout).toMatch(/^report-bot +state +active +quarantined$/m);
    expect(diff.stdout).toMatch(/^orders-bot +agent +- +proposed by olivia@example\.com, decommissioned, roles support-reader$/m);
    expect(diff.stdout).toMatch(/^returns-bot +agent +- +proposed by olivia@example\.com, approved, roles support-reader$/m);
    expect(diff.stdout).toMatch(/^orders-bot +key +- +API key key_\S+ \(revoked\)$/m);
    // Decommissioning removed its runtime grant: nothing of it is left to carry back.
    expect(diff.stdout).not.toMatch(/^orders-bot +rule /m);
    // …and released its bindings, so the identities can serve a successor.
    expect(diff.stdout).not.toMatch(/^orders-bot +binding /m);
    const parsed = json('audrey', 'diff');
    expect(parsed.appliedVersion).toEqual(expect.any(Number));
    expect(parsed.differences).toContainEqual({ agent: 'report-bot', kind: 'state', manifest: 'active', runtime: 'quarantined' });
  });

  it('shows the admin log: who did what, refusals included, and never a secret', () => {
    const log = ok('audrey', 'admin-log', '--target', 'agent/orders-bot', '--limit', '200');
    expect(log.stdout).toMatch(/^SEQ +TIME +ACTOR +ACTION +TARGET +OUTCOME +DETAIL$/m);
    expect(log.stdout).toMatch(/^\d+ +\S+ +sam@example\.com +agent\.approve +agent\/orders-bot +ok +read-only access to customers fits the purpose$/m);
    expect(log.stdout).toMatch(/^\d+ +\S+ +olivia@example\.com +agent\.approve +agent\/orders-bot +refused +.*owns this agent/m);
    expect(log.stdout).toMatch(/^\d+ +\S+ +audrey@example\.com +agent\.reject +agent\/orders-bot +refused /m);
    const bySam = json('audrey', 'admin-log', '--actor', 'sam@example.com', '--limit', '3');
    expect(bySam.events).toHaveLength(3);
    expect(bySam.events.every((event: Json) => event.actor === 'sam@example.com')).toBe(true);
    const older = json('audrey', 'admin-log', '--before', String(bySam.events[0].seq), '--limit', '1');
    expect(older.events[0].seq).toBeLessThan(bySam.events[0].seq);

    const everything = ok('audrey', 'admin-log', '--limit', '1000', '--json').stdout;
    const events = JSON.parse(everything).events;
    expect(events.map((event: Json) => event.action)).toEqual(expect.arrayContaining(['token.issue', 'token.revoke', 'agent.propose', 'key.issue', 'key.rotate', 'access.approve', 'review.revoke', 'owner.leave', 'agent.decommission']));
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    expect(everything).not.toMatch(/wdn_|wda_/);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    refused('WARDEN_ADMIN_INVALID', 'audrey', 'admin-log', '--limit', '5000');
  });
});
