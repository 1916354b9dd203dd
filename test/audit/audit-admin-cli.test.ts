import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeAgent, startGovernanceHarness, type GovernanceHarness, type Json } from '../support/governance-harness.js';

/**
 * The audit log as an auditor and a security team use it: real calls through the gateway of
 * the all-in-one runtime, the admin API under /audit, and the built `warden audit` commands on
 * the same data folder while the gateway runs.
 */


let h: GovernanceHarness;
let support: { key: string };

beforeAll(async () => {
  h = await startGovernanceHarness();
  support = await activeAgent(h, 'support-helper', { template: 'support-bot' });
  // Allowed reads of PII, a call outside the role, and an unknown path.
  for (const id of ['C-1', 'C-2', 'C-3']) expect((await h.agentCall(support.key, `/crm/customers/${id}`)).status).toBe(200);
  expect((await h.agentCall(support.key, '/crm/exports')).status).toBe(403);
  expect((await h.agentCall(support.key, '/nowhere')).status).toBe(404);
  await h.auditEvents((events) => events.length >= 5);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('GET /audit/events', () => {
  it('filters by agent, data class, decision and status, and pages by cursor', async () => {
    const all = await h.as('audrey').get('/audit/events?agent=support-helper&limit=2');
    expect(all.status).toBe(200);
    expect(all.body.records).toHaveLength(2);
    expect(all.body.next).toMatch(/^\d+$/);
    const rest = await h.as('audrey').get(`/audit/events?agent=support-helper&limit=10&cursor=${all.body.next}`);
    expect(rest.body.records.map((record: Json) => record.http.rawPath)).toEqual(['/crm/customers/C-3', '/crm/exports', '/nowhere']);
    expect(rest.body.next).toBeUndefined();

    const pii = await h.as('audrey').get('/audit/events?dataClass=pii&decision=allow');
    expect(pii.body.records.map((record: Json) => record.http.rawPath)).toEqual(['/crm/customers/C-1', '/crm/customers/C-2', '/crm/customers/C-3']);
    const refused = await h.as('audrey').get('/audit/events?status=4xx&order=newest');
    expect(refused.body.records.map((record: Json) => record.http.status)).toEqual([404, 403]);
    const text = await h.as('audrey').get('/audit/events?text=EXPORTS');
    expect(text.body.records).toHaveLength(1);
  });

  it('exports every match as JSONL and as CSV safe to open in a spreadsheet', async () => {
    const jsonl = await fetch(`${h.adminUrl}/audit/events?agent=support-helper&format=jsonl`, { headers: { authorization: `Bearer ${h.tokens.audrey}` } });
    const lines = (await jsonl.text()).trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[0]!)).toMatchObject({ seq: expect.any(Number), hash: expect.stringMatching(/^sha256:/) });
    const csv = await fetch(`${h.adminUrl}/audit/events?format=csv`, { headers: { authorization: `Bearer ${h.tokens.audrey}` } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = (await csv.text()).trimEnd().split('\r\n');
    expect(rows[0]).toMatch(/^seq,time,agent,/);
    expect(rows.some((row) => row.includes(',/crm/exports,'))).toBe(true);
  });

  it('refuses owners and people without a role, and bad cursors with a clear message', async () => {
    expect((await h.as('alice').get('/audit/events')).status).toBe(403);
    const bad = await h.as('audrey').get('/audit/events?cursor=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('next');
  });

  it('answers who accessed PII, and what they read, in one call', async () => {
    const summary = await h.as('audrey').get('/audit/access-summary?dataClass=pii');
    expect(summary.body.agents).toEqual([
      expect.objectContaining({ agent: 'support-helper', calls: 4, allowed: 3, refused: 1, operations: expect.arrayContaining([expect.objectContaining({ operation: 'crm.getCustomer', calls: 3, allowed: 3 })]) as unknown }),
    ]);
  });
});

describe('proofs, checkpoints and verify', () => {
  it('signs checkpoints and proves a record through the API and the CLI, checked offline by the auditor', async () => {
    h.runtime.audit.checkpoint();
    const checkpoints = await h.as('audrey').get('/audit/checkpoints');
    expect(checkpoints.body.checkpoints.at(-1).treeSize).toBe(h.runtime.audit.log.size());
    const publicKeyFile = path.join(h.directory, 'audit.pub.pem');
    await writeFile(publicKeyFile, checkpoints.body.publicKey);

    const proof = await h.as('audrey').get('/audit/proofs/inclusion?seq=2');
    expect(proof.status).toBe(200);
    const proofFile = path.join(h.directory, 'proof.json');
    await writeFile(proofFile, JSON.stringify(proof.body));
    expect((await h.cli(['audit', 'check-proof', proofFile, '--public-key', publicKeyFile])).stdout).toContain('valid');
    // A record changed in the proof no longer checks out.
    await writeFile(proofFile, JSON.stringify({ ...proof.body, record: proof.body.record.replace('C-2', 'C-9') }));
    const forged = await h.cli(['audit', 'check-proof', proofFile, '--public-key', publicKeyFile, '--json']);
    expect(forged.status).toBe(1);
    expect(forged.json.problems.join(' ')).toContain('does not hash');

    const cliProof = await h.cli(['audit', 'inclusion', '3', '--json']);
    expect(cliProof.status).toBe(0);
    expect(cliProof.json).toMatchObject({ seq: 3, treeSize: checkpoints.body.checkpoints.at(-1).treeSize });

    expect((await h.agentCall(support.key, '/crm/customers/C-4')).status).toBe(200);
    await h.auditEvents((events) => events.length >= h.runtime.audit.log.size() && h.runtime.audit.log.size() > checkpoints.body.checkpoints.at(-1).treeSize);
    h.runtime.audit.checkpoint();
    const oldSize = checkpoints.body.checkpoints.at(-1).treeSize;
    const consistency = await h.as('audrey').get(`/audit/proofs/consistency?oldSize=${oldSize}`);
    await writeFile(proofFile, JSON.stringify(consistency.body));
    expect((await h.cli(['audit', 'check-proof', proofFile, '--public-key', publicKeyFile])).stdout).toContain('valid');
    expect((await h.as('audrey').get('/audit/proofs/inclusion?seq=1&treeSize=999999')).status).toBe(404);
  });

  it('verifies through the API and the CLI while the gateway writes', async () => {
    const api = await h.as('audrey').post('/audit/verify', {});
    expect(api.body).toMatchObject({ ok: true, from: 1 });
    const cli = await h.cli(['audit', 'verify', '--json']);
    expect(cli.status).toBe(0);
    expect(cli.json).toMatchObject({ ok: true, checked: expect.any(Number) });
    expect((await h.cli(['audit', 'verify'])).stdout).toMatch(/signing key in use here .*\nintact: records 1–\d+/);
  });

  it('checks a copy of the log with the auditor\'s key only, and says what to pass when it has none', async () => {
    const copy = path.join(h.directory, 'auditor-copy');
    await mkdir(copy);
    h.runtime.audit.log.db.prepare('VACUUM INTO ?').run(path.join(copy, 'warden.db'));
    const keyFile = path.join(h.directory, 'auditor.pub.pem');
    await writeFile(keyFile, h.runtime.audit.signer!.publicKeyPem());
    const without = await h.cli(['audit', 'verify', '--data', copy]);
    expect(without.status).toBe(2);
    expect(without.stderr).toContain('--public-key');
    const withKey = await h.cli(['audit', 'verify', '--data', copy, '--public-key', keyFile]);
    expect(withKey.status).toBe(0);
    expect(withKey.stdout).toContain('checked against the 1 key(s) given');
  });

  it('answers the auditor\'s question with one command', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const result = await h.cli(['audit', 'query', '--data-class', 'pii', '--on', today, '--summary']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^support-helper: \d+ calls/);
    expect(result.stdout).toContain('crm.getCustomer');
    const csv = await h.cli(['audit', 'query', '--agent', 'support-helper', '--format', 'csv']);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^seq,time/);
    const bad = await h.cli(['audit', 'query', '--on', 'yesterday']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('2026-03-15');
  });
});

describe('legal holds', () => {
  it('are placed and released by security, logged, and refused to others', async () => {
    expect((await h.as('audrey').post('/audit/holds', { agent: 'support-helper', reason: 'case 7' })).status).toBe(403);
    const placed = await h.cli(['audit', 'hold', '--agent', 'support-helper', '--reason', 'case 7', '--json']);
    expect(placed.status).toBe(0);
    expect(placed.json).toMatchObject({ kind: 'agent', agent: 'support-helper', createdBy: 'admin@localhost' });
    const listed = await h.as('audrey').get('/audit/holds');
    expect(listed.body.holds.map((hold: Json) => hold.id)).toEqual([placed.json.id]);
    const released = await h.as('sam').post(`/audit/holds/${placed.json.id}/release`, { reason: 'case closed' });
    expect(released.body).toMatchObject({ releasedBy: 'sam@example.com' });
    expect((await h.as('sam').post(`/audit/holds/${placed.json.id}/release`, { reason: 'again' })).status).toBe(404);
    const log = await h.adminEvents('&target=audit-hold/' + placed.json.id);
    expect(log.map((event: Json) => event.action)).toEqual(['audit.release', 'audit.hold']);
  });
});

describe('GET /reports/{name}', () => {
  it('gives compliance reports over the admin API, as JSON and as a printable page, to readers only', async () => {
    const json = await h.as('audrey').get('/reports/violations');
    expect(json.status).toBe(200);
    expect(json.body.result).toMatchObject({ violations: 1 });
    const html = await fetch(`${h.adminUrl}/reports/program-metrics?format=html`, { headers: { authorization: `Bearer ${h.tokens.audrey}` } });
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('not yet measured');
    expect((await h.as('alice').get('/reports/violations')).status).toBe(403);
    expect((await h.as('audrey').get('/reports/nonsense')).status).toBe(404);
  });
});
