import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentApprovals, type AgentApprovals } from '../src/controlplane/approvals/agent-approvals.js';
import type { HeldCall } from '../src/controlplane/approvals/approval-service.js';
import { activeAgent, startGovernanceHarness, type GovernanceHarness, type Json, type Person } from './support/governance-harness.js';

/**
 * `warden approvals` end to end: the built CLI in a child process against the admin API of an
 * all-in-one Warden in this process. The calls are held through the control plane's approval
 * sink directly (the gateway's step-up filter is tested with the gateway). The CLI runs
 * asynchronously: this process serves the admin API it talks to.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const shown = (run: Run) => `exit ${run.status}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;

let h: GovernanceHarness;
let sink: AgentApprovals;
const tokenFiles: Partial<Record<Person, string>> = {};

function cli(person: Person | undefined, args: readonly string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, WARDEN_ADMIN_URL: h.adminUrl };
  delete env.WARDEN_DATA;
  delete env.WARDEN_DEBUG;
  delete env.WARDEN_ADMIN_TOKEN;
  const tokenArgs = person === undefined ? [] : ['--token-file', tokenFiles[person]!];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/warden.js'), ...args, ...tokenArgs], { cwd: h.directory, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function ok(person: Person | undefined, ...args: string[]): Promise<Run> {
  const run = await cli(person, args);
  expect(run.status, `warden ${args.join(' ')}\n${shown(run)}`).toBe(0);
  return run;
}

async function json(person: Person | undefined, ...args: string[]): Promise<Json> {
  return JSON.parse((await ok(person, ...args, '--json')).stdout);
}

async function refused(code: string, person: Person | undefined, ...args: string[]): Promise<Run> {
  const run = await cli(person, args);
  expect(run.status, `warden ${args.join(' ')}\n${shown(run)}`).toBe(1);
  expect(run.stderr).toContain(`warden: ${code}: `);
  return run;
}

function held(agent: string, parameters: Record<string, unknown>): HeldCall {
  const customer = String(parameters.customerId);
  return {
    agent,
    api: 'crm',
    operation: 'updateCustomer',
    method: 'PATCH',
    path: `/crm/customers/${customer}`,
    query: '',
    parameters,
    fingerprint: createHash('sha256').update(JSON.stringify([agent, parameters])).digest('hex'),
    context: { customer, ticket: 'T-7' },
    requestId: `req-cli-${customer}`,
  };
}

beforeAll(async () => {
  h = await startGovernanceHarness({ config: { stepUp: { pendingSeconds: 900, useWithinSeconds: 300 } } });
  await activeAgent(h, 'pay-bot', { owner: 'alice', roles: ['support-reader', 'support-writer'] });
  await activeAgent(h, 'peer-bot', { owner: 'bob', roles: ['support-reader', 'support-writer'] });
  sink = agentApprovals(h.runtime.governance.approvals);
  for (const person of ['alice', 'bob', 'sam', 'audrey'] as const) {
    tokenFiles[person] = path.join(h.directory, `${person}.token`);
    await writeFile(tokenFiles[person]!, `${h.tokens[person]}\n`, { mode: 0o600 });
  }
}, 30_000);

afterAll(async () => {
  await h?.close();
});


/** Asks for approval as the gateway does; every call in these tests is put before a person. */
async function ask(sink: AgentApprovals, call: HeldCall) {
  const asked = await sink.request(call);
  if ('refused' in asked) throw new Error(`not put before a person: ${asked.detail}`);
  return asked;
}

describe('warden approvals', () => {
  it('prints --help for every command and is listed by the program', async () => {
    for (const command of [['approvals'], ['approvals', 'list'], ['approvals', 'show'], ['approvals', 'approve'], ['approvals', 'deny']]) {
      const run = await cli(undefined, [...command, '--help']);
      expect(run.status, shown(run)).toBe(0);
      expect(run.stdout).toContain(`Usage: warden ${command.join(' ')}`);
      if (command.length > 1) expect(run.stdout).toContain('--admin-url <url>');
    }
    expect((await cli(undefined, ['--help'])).stdout).toMatch(/^ {2}approvals /m);
    // A missing --reason is a usage error.
    expect((await cli('sam', ['approvals', 'approve', 'apr_0000000000000000'])).status).toBe(2);
  });

  it('lists, shows, approves and denies held calls as the right people', async () => {
    const mine = await ask(sink, held('pay-bot', { customerId: 'C-1001', address: 'Hauptstraße 1 \u001b[2J', vip: true }));
    const other = await ask(sink, held('pay-bot', { customerId: 'C-1002' }));
    const theirs = await ask(sink, held('peer-bot', { customerId: 'C-2001' }));

    const listed = await ok('sam', 'approvals', 'list', '--status', 'pending');
    expect(listed.stdout).toMatch(/^ID +AGENT +OPERATION +STATUS +REQUESTED +EXPIRES +DECIDED BY +CALL$/m);
    expect(listed.stdout).toMatch(new RegExp(`^${mine.id} +pay-bot +crm\\.updateCustomer +pending +\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}Z +\\d{4}-\\S+ \\S+ +- +PATCH /crm/customers/C-1001$`, 'm'));
    expect(listed.stdout).toContain(theirs.id);
    const alices = await json('alice', 'approvals', 'list');
    expect(alices.approvals.map((item: Json) => item.id).sort()).toEqual([mine.id, other.id].sort());
    expect((await json('audrey', 'approvals', 'list', '--agent', 'peer-bot')).approvals.map((item: Json) => item.id)).toEqual([theirs.id]);
    expect((await ok('sam', 'approvals', 'list', '--status', 'used')).stdout).toBe('no approval matches\n');
    await refused('WARDEN_ADMIN_INVALID', 'sam', 'approvals', 'list', '--status', 'sleeping');

    const show = await ok('alice', 'approvals', 'show', mine.id);
    expect(show.stdout).toMatch(new RegExp(`^${mine.id}: pending, expires \\d{4}-\\S+ \\S+Z$`, 'm'));
    expect(show.stdout).toMatch(/^ {2}agent +pay-bot \(owner alice@example\.com\)$/m);
    expect(show.stdout).toMatch(/^ {2}operation +crm\.updateCustomer$/m);
    expect(show.stdout).toMatch(/^ {2}call +PATCH \/crm\/customers\/C-1001$/m);
    expect(show.stdout).toMatch(/^ {2}context +customer=C-1001, ticket=T-7$/m);
    expect(show.stdout).toMatch(/^parameters:$/m);
    expect(show.stdout).toMatch(/^ {2}customerId +"C-1001"$/m);
    expect(show.stdout).toMatch(/^ {2}vip +true$/m);
    // What the agent sent cannot drive the approver's terminal.
    expect(show.stdout).toContain('"Hauptstraße 1 \\u001b[2J"');
    expect(show.stdout).not.toContain('\u001b');
    expect(show.stdout).toContain(`decide: warden approvals approve ${mine.id} --reason …`);
    await refused('WARDEN_ADMIN_NOT_FOUND', 'alice', 'approvals', 'show', theirs.id);
    expect((await json('audrey', 'approvals', 'show', theirs.id)).agent).toBe('peer-bot');

    await refused('WARDEN_ADMIN_FORBIDDEN', 'bob', 'approvals', 'approve', mine.id, '--reason', 'not my agent');
    await refused('WARDEN_ADMIN_FORBIDDEN', 'audrey', 'approvals', 'deny', mine.id, '--reason', 'auditors only read');
    const approved = await ok('alice', 'approvals', 'approve', mine.id, '--reason', 'the customer moved');
    expect(approved.stdout).toMatch(new RegExp(`^${mine.id}: approved; pay-bot may send PATCH /crm/customers/C-1001 once, until \\d{4}-\\S+Z$`, 'm'));
    await refused('WARDEN_ADMIN_CONFLICT', 'sam', 'approvals', 'deny', mine.id, '--reason', 'decided already');
    expect(await json('sam', 'approvals', 'deny', other.id, '--reason', 'not during the freeze')).toMatchObject({ id: other.id, status: 'denied', decidedBy: 'sam@example.com', decidedVia: 'admin' });
    expect((await ok('bob', 'approvals', 'deny', theirs.id, '--reason', 'wrong customer')).stdout).toBe(`${theirs.id}: denied; peer-bot's call of crm.updateCustomer does not pass\n`);

    // Used by the agent: the approval shows by which gateway request.
    const call = held('pay-bot', { customerId: 'C-1001', address: 'Hauptstraße 1 \u001b[2J', vip: true });
    expect(await sink.redeem('pay-bot', mine.id, call.fingerprint, 'req-gateway-1')).toMatchObject({ ok: true, approvedBy: 'alice@example.com' });
    const used = await ok('audrey', 'approvals', 'show', mine.id);
    expect(used.stdout).toMatch(new RegExp(`^${mine.id}: used$`, 'm'));
    expect(used.stdout).toMatch(/^ {2}decided +\S+ \S+ by alice@example\.com via admin: the customer moved$/m);
    expect(used.stdout).toMatch(/^ {2}used +\S+ \S+ by gateway request req-gateway-1$/m);
    expect(used.stdout).not.toContain('decide:');
  });
});
