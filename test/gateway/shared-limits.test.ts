import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { CRM_API } from '../support/crm-reader-manifests.js';
import { sleep, startUpstream, type TestUpstream } from '../support/governance-harness.js';
import { RedisServer } from '../support/redis-server.js';
import { createTestIssuer, type TestIssuer } from '../support/test-tokens.js';

/**
 * Two real `warden start` processes, each with its own data folder, sharing one private Redis:
 * one limit enforced together, and each limit's failure mode when Redis is killed mid-test.
 * Agents are identified by JWTs of one IdP, so the same agent can call either gateway.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const IDP = 'https://idp.limits.example/';


/** Per role: the grant's rate limit as written in the manifest. */
const ROLES: Record<string, string> = {
  // Per hour, so a slow run's refill (one a minute) cannot blur the count.
  'shared-reader': '"60/hour"',
  'local-reader': '"5/min"',
  'strict-reader': '{ rate: "60/min", failureMode: closed }',
};

function manifests(): string {
  const roles = Object.entries(ROLES).map(([role, rateLimit]) => `apiVersion: warden.dev/v1
kind: Role
metadata: { name: ${role} }
spec:
  grants:
    - { id: read, api: crm, operations: [getCustomer], rateLimit: ${rateLimit} }
`);
  // One agent per role, named after it, identified by its token's subject.
  const agents = Object.keys(ROLES).map((role) => `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: ${role}-bot }
spec:
  owner: owner@example.com
  purpose: Exercises limits shared by two gateways
  roles: [${role}]
  state: active
  credentials: [{ type: jwt, issuer: "${IDP}", subject: ${role}-svc }]
`);
  return [CRM_API, ...roles, ...agents].join('---\n');
}

interface RunningWarden {
  readonly url: string;
  readonly adminUrl: string;
  readonly child: ChildProcess;
  output: string;
}

async function startWarden(directory: string, name: string): Promise<RunningWarden> {
  const configFile = path.join(directory, `${name}.yaml`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.WARDEN_DATA;
  delete env.WARDEN_DEBUG;
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/warden.js'), 'start', '--config', configFile, '--json'], { cwd: directory, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const running: RunningWarden = { url: '', adminUrl: '', child, output: '' };
  let stdout = '';
  child.stderr!.on('data', (chunk: Buffer) => (running.output += chunk.toString('utf8')));
  const ready = await new Promise<{ agent: { port: number }; admin: { port: number } }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`warden start (${name}) did not print its addresses\n${running.output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      running.output += chunk.toString('utf8');
      try {
        const parsed = JSON.parse(stdout);
        clearTimeout(timer);
        resolve(parsed);
      } catch {
        // Not the whole document yet.
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`warden start (${name}) exited early\n${running.output}`));
    });
  });
  return Object.assign(running, { url: `http://127.0.0.1:${ready.agent.port}`, adminUrl: `http://127.0.0.1:${ready.admin.port}` });
}

async function stopWarden(warden: RunningWarden | undefined): Promise<void> {
  if (warden === undefined || warden.child.exitCode !== null || warden.child.signalCode !== null) return;
  const exited = once(warden.child, 'exit');
  warden.child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (warden.child.exitCode === null) warden.child.kill('SIGKILL');
}

/** The value of one Prometheus counter series, 0 when it was never counted. */
async function metric(warden: RunningWarden, series: string): Promise<number> {
  const text = await (await fetch(`${warden.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

/** The records a gateway appended to its audit JSONL, once `until` holds (or after 5 s). */
async function readAudit(file: string, until: (events: AuditEvent[]) => boolean): Promise<AuditEvent[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const events = text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as AuditEvent);
    if (until(events) || Date.now() > deadline) return events;
    await sleep(20);
  }
}

describe('two gateway processes sharing Redis', () => {
  let directory: string;
  let redis: RedisServer;
  let upstream: TestUpstream;
  let idp: TestIssuer;
  let a: RunningWarden;
  let b: RunningWarden;
  const tokens: Record<string, string> = {};

  async function call(warden: RunningWarden, role: string, customer = 'C-1'): Promise<{ status: number; headers: Headers; body: { code?: string } }> {
    const response = await fetch(`${warden.url}/crm/customers/${customer}`, { headers: { authorization: `Bearer ${tokens[role]}` } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text.length > 0 ? JSON.parse(text) : {} };
  }

  const auditRecords = (name: 'a' | 'b', until: (events: AuditEvent[]) => boolean) => readAudit(path.join(directory, `audit-${name}.jsonl`), until);

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'warden-shared-limits-'));
    [redis, upstream, idp] = await Promise.all([RedisServer.start(), startUpstream('crm'), createTestIssuer(IDP, 'ES256')]);
    for (const role of Object.keys(ROLES)) tokens[role] = await idp.sign({ sub: `${role}-svc` }, { expiresIn: 600 });
    await mkdir(path.join(directory, 'manifests'));
    await writeFile(path.join(directory, 'manifests', 'fleet.yaml'), manifests().replaceAll('${UPSTREAM}', upstream.url));
    await writeFile(path.join(directory, 'idp.jwks.json'), JSON.stringify(idp.jwks));
    for (const name of ['a', 'b']) {
      await writeFile(
        path.join(directory, `${name}.yaml`),
        [
          'apiVersion: warden.dev/v1',
          'kind: GatewayConfig',
          'manifests: manifests',
          `data: data-${name}`,
          `audit: { flushIntervalMs: 20, jsonl: audit-${name}.jsonl }`,
          'gateway: { host: 127.0.0.1, port: 0 }',
          'admin: { host: 127.0.0.1, port: 0 }',
          // A generous command timeout: on a loaded CI machine a Redis answer can take longer than
          // the 50 ms default, and each such call would be decided locally, which is not what this shows.
          `rateLimits: { backend: redis, redis: { url: "${redis.url}", prefix: "warden-test:", commandTimeoutMs: 1000 } }`,
          `identity: { jwt: [{ issuer: "${IDP}", audiences: [warden], keys: { jwksFile: idp.jwks.json }, algorithms: [ES256] }] }`,
          '',
        ].join('\n'),
      );
    }
    [a, b] = await Promise.all([startWarden(directory, 'a'), startWarden(directory, 'b')]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([stopWarden(a), stopWarden(b)]);
    await redis?.stop();
    await upstream?.close();
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  });

  it('enforce one limit together: 60/hour across both is 60 calls, not 120', async () => {
    const answers: { gateway: 'a' | 'b'; status: number }[] = [];
    // 160 calls of one agent, alternating gateways, 16 in flight at a time.
    for (let round = 0; round < 10; round++) {
      const batch = Array.from({ length: 16 }, (_, index) => (index % 2 === 0 ? 'a' : 'b') as 'a' | 'b');
      const statuses = await Promise.all(batch.map((gateway) => call(gateway === 'a' ? a : b, 'shared-reader')));
      statuses.forEach((answer, index) => answers.push({ gateway: batch[index]!, status: answer.status }));
    }
    const allowed = answers.filter((answer) => answer.status === 200);
    // The burst exactly, or one more if a minute of refill passed (the issue asks within 5%).
    expect(allowed.length).toBeGreaterThanOrEqual(60);
    expect(allowed.length).toBeLessThanOrEqual(61);
    expect(answers.every((answer) => answer.status === 200 || answer.status === 429)).toBe(true);
    // Both gateways let calls through and both refused: one budget, spent from either side.
    for (const gateway of ['a', 'b'] as const) {
      expect(allowed.filter((answer) => answer.gateway === gateway).length).toBeGreaterThan(10);
      expect(answers.filter((answer) => answer.gateway === gateway && answer.status === 429).length).toBeGreaterThan(10);
    }
    expect(upstream.hits.length).toBe(allowed.length);
    // Every decision came from Redis: neither gateway fell back to its own limiter.
    expect(await metric(a, 'warden_limiter_fallback_total{reason="unreachable"}')).toBe(0);
    expect(await metric(b, 'warden_limiter_fallback_total{reason="unreachable"}')).toBe(0);
  });

  it('when Redis is killed: fail-open limits fall back to each gateway on its own, fail-closed ones refuse with 503, and both recover', async () => {
    // A fail-closed call while Redis is up passes.
    expect((await call(a, 'strict-reader')).status).toBe(200);
    await redis.kill();
    const hitsBefore = upstream.hits.length;

    const strict = await call(a, 'strict-reader');
    expect(strict.status).toBe(503);
    expect(strict.body.code).toBe('WARDEN_RATE_LIMIT_UNAVAILABLE');
    expect(strict.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await call(b, 'strict-reader')).status).toBe(503);
    expect(upstream.hits.length).toBe(hitsBefore);

    // 5/min, decided by each gateway's local limiter: 5 on each, then 429.
    for (const warden of [a, b]) {
      const statuses: number[] = [];
      for (let index = 0; index < 7; index++) statuses.push((await call(warden, 'local-reader')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    }
    expect(upstream.hits.length).toBe(hitsBefore + 10);
    expect(await metric(a, 'warden_limiter_fallback_total{reason="unreachable"}')).toBeGreaterThanOrEqual(8);
    expect(await metric(b, 'warden_limiter_fallback_total{reason="unreachable"}')).toBeGreaterThanOrEqual(8);
    // The audit records say so: decided locally, and refused for want of the shared limiter.
    const records = await auditRecords('a', (events) => events.filter((event) => event.agent?.name === 'local-reader-bot').length >= 7);
    const local = records.filter((event) => event.agent?.name === 'local-reader-bot');
    expect(local.map((event) => [event.http.status, event.limits?.fallback])).toEqual([...Array(5).fill([200, true]), [429, true], [429, true]]);
    const refused = records.filter((event) => event.agent?.name === 'strict-reader-bot' && event.http.status === 503);
    expect(refused.map((event) => [event.decision.outcome, event.decision.reason])).toEqual([['error', 'WARDEN_RATE_LIMIT_UNAVAILABLE']]);

    // Redis back on the same port: the clients reconnect on their own and fail-closed calls pass again.
    await redis.restart();
    const deadline = Date.now() + 10_000;
    let recovered = { a: false, b: false };
    while (!(recovered.a && recovered.b) && Date.now() < deadline) {
      await sleep(100);
      recovered = { a: recovered.a || (await call(a, 'strict-reader')).status === 200, b: recovered.b || (await call(b, 'strict-reader')).status === 200 };
    }
    expect(recovered).toEqual({ a: true, b: true });
  });
});
