import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeAgent, sleep, startGovernanceHarness, type GovernanceHarness, type Json } from '../support/governance-harness.js';

/**
 * The SIEM export as `warden start` runs it: sinks from the config on their own thread, fed by
 * the append worker, with their cursors in the store across a restart.
 */

let h: GovernanceHarness;
let key: string;
const exported = () => path.join(h.directory, 'export', 'audit.jsonl');

async function exportedLines(count: number): Promise<Json[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await readFile(exported(), 'utf8').catch(() => '');
    const lines = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Json);
    if (lines.length >= count || Date.now() > deadline) return lines;
    await sleep(20);
  }
}

beforeAll(async () => {
  h = await startGovernanceHarness({ config: { audit: { sinks: [{ name: 'siem-file', type: 'jsonl', file: 'export/audit.jsonl' }] } } });
  key = (await activeAgent(h, 'export-bot', { template: 'support-bot' })).key;
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('audit export in the runtime', () => {
  it('delivers every record to the sink, reports its lag, and resumes after a restart without repeating one', async () => {
    for (const id of ['C-1', 'C-2', 'C-3']) expect((await h.agentCall(key, `/crm/customers/${id}`)).status).toBe(200);
    const first = await exportedLines(3);
    expect(first.map((record) => record.http.rawPath)).toEqual(['/crm/customers/C-1', '/crm/customers/C-2', '/crm/customers/C-3']);
    expect(first[0]).toMatchObject({ seq: 1, hash: expect.stringMatching(/^sha256:/) });

    const deadline = Date.now() + 5000;
    let status = await h.as('audrey').get('/audit/sinks');
    while (status.body.sinks[0]?.lag !== 0 && Date.now() < deadline) {
      await sleep(100);
      status = await h.as('audrey').get('/audit/sinks');
    }
    expect(status.body.sinks).toEqual([expect.objectContaining({ name: 'siem-file', type: 'jsonl', cursor: 3, lag: 0 })]);

    await h.restart();
    expect((await h.agentCall(key, '/crm/customers/C-4')).status).toBe(200);
    const all = await exportedLines(4);
    expect(all.map((record) => record.seq)).toEqual([1, 2, 3, 4]);
  });
});
