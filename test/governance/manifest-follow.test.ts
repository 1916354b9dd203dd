import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startGovernanceHarness, type GovernanceHarness, type Json } from '../support/governance-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

/** The running gateway looks for a newer policy version every 2 s; leave room for the build. */
const FOLLOW_WITHIN_MS = 6_000;

const EXTRA_AGENTS = `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: ledger-bot }
spec:
  owner: bob@example.com
  purpose: Exports customers for the ledger reconciliation
  roles: [support-reader, crm-exporter]
  state: active
---
apiVersion: warden.dev/v1
kind: Agent
metadata: { name: night-bot }
spec:
  owner: alice@example.com
  purpose: Answers customer questions at night
  roles: [support-reader]
  state: active
`;

describe('`warden apply` from another process, while the gateway runs', () => {
  let h: GovernanceHarness;
  let ledgerKey: string;

  const agentNames = async () => (await h.as('audrey').get('/agents')).body.agents.map((agent: Json) => agent.name) as string[];

  beforeAll(async () => {
    h = await startGovernanceHarness();
    // alice proposes ledger-bot through the admin API first, with a read-only role.
    const proposed = await h.as('alice').post('/agents', { name: 'ledger-bot', purpose: 'Looks up customers for the ledger team', roles: ['support-reader'] });
    expect(proposed.status).toBe(201);
    ledgerKey = (await h.as('alice').post('/keys', { agent: 'ledger-bot' })).body.key;
    await writeFile(path.join(h.directory, 'manifests', 'extra-agents.yaml'), EXTRA_AGENTS);
    await run(process.execPath, [path.join(ROOT, 'bin/warden.js'), 'apply', path.join(h.directory, 'manifests'), '--data', h.dataDirectory, '--by', 'carol@example.com'], { cwd: h.directory, timeout: 20_000 });
    const deadline = Date.now() + FOLLOW_WITHIN_MS;
    while (!(await agentNames()).includes('night-bot') && Date.now() < deadline) await sleep(100);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('is put in force without a restart: a new agent appears and can be given a key and called', async () => {
    expect(await agentNames()).toContain('night-bot');
    const issued = await h.as('alice').post('/keys', { agent: 'night-bot' });
    expect(issued.status).toBe(201);
    const key = issued.body.key as string;
    expect((await h.agentCall(key, '/crm/customers/C-1')).status).toBe(200);
  });

  it('cannot take over a name proposed through the admin API: the proposal keeps its owner, roles and state', async () => {
    const agent = (await h.as('audrey').get('/agents/ledger-bot')).body;
    expect(agent).toMatchObject({ owner: 'alice@example.com', roles: ['support-reader'], state: 'proposed' });
    // The manifest would have made it active with an export grant; its key is still refused.
    const refused = await h.agentCall(ledgerKey, '/crm/exports');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('WARDEN_AGENT_NOT_ACTIVE');
  });

  it('tells the operator in `warden diff` which manifest was left out and why', async () => {
    const diff = (await h.as('audrey').get('/diff')).body;
    expect(diff.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^the manifest of agent ledger-bot is left out: the name belongs to an agent proposed through the admin API by alice@example\.com/)]));
  });
});
