import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetectionEngine } from '../../src/controlplane/detection/detection-engine.js';
import type { Store } from '../../src/controlplane/store/store.js';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { activeAgent, startGovernanceHarness, startWebhookReceiver, type GovernanceHarness, type WebhookReceiver } from '../support/governance-harness.js';

const AGENT = 'ticket-helper';
const MINUTE = 60_000;
const BASELINE_DAYS = 14;

const PLAYBOOK = `apiVersion: warden.dev/v1
kind: Playbook
metadata: { name: stop-bursts }
spec:
  description: A burst of calls far above normal stops the agent at once; a person reinstates it
  rules:
    - when: { detectors: [burst], minSeverity: medium }
      actions:
        - { action: suspend }
        - { action: alert }
`;

/**
 * Two weeks of ordinary work of the agent, round the clock (so the hour of day the test runs at
 * is never "off hours"): a customer read every 20–40 s from the gateway's own address. The
 * baseline the live engine starts from is learned from it, as a restarted Warden loads the
 * baselines it persisted.
 */
function ordinaryWeeks(endMs: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  let seed = 7;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  for (let time = endMs - BASELINE_DAYS * 86_400_000; time < endMs; time += 20_000 + Math.floor(random() * 20_000)) {
    const customer = `c-${1000 + Math.floor(random() * 9000)}`;
    events.push({
      v: 1,
      id: `evt_${events.length}`,
      time: new Date(time).toISOString(),
      requestId: `req_${events.length}`,
      traceId: undefined,
      node: 'baseline',
      agent: { id: AGENT, name: AGENT, roles: ['support-reader', 'support-writer'], owner: 'alice@example.com' },
      credential: { id: 'key_baseline', kind: 'apiKey' },
      src: { ip: '127.0.0.1', country: undefined },
      http: { method: 'GET', rawPath: `/crm/customers/${customer}`, canonicalPath: `/crm/customers/${customer}`, queryParams: [], status: 200, bytesIn: 0, bytesOut: 400, durationMs: 3, upstreamMs: 2 },
      api: { name: 'crm', operation: 'getCustomer', template: '/crm/customers/{customerId}', sensitivity: 'confidential', dataClasses: ['pii'] },
      decision: { outcome: 'allow', reason: 'GRANTED', rule: 'support-reader/grants/crm-read', policyVersion: 'sha256:baseline', monitored: false },
      limits: undefined,
      data: { records: 1, maskedFields: [] },
      context: undefined,
    });
  }
  return events;
}

async function seedBaselines(store: Store): Promise<void> {
  const engine = new DetectionEngine({ learningDays: 7 });
  for (const event of ordinaryWeeks(Date.now() - 10 * MINUTE)) engine.observe(event);
  const updatedAt = new Date();
  await store.detection.saveBaselines(engine.exportBaselines().map((record) => ({ ...record, updatedAt })));
}

describe('live detection on real sockets', () => {
  let h: GovernanceHarness;
  let hooks: WebhookReceiver;
  let key: string;

  beforeAll(async () => {
    hooks = await startWebhookReceiver();
    h = await startGovernanceHarness({ manifests: { 'playbooks.yaml': PLAYBOOK }, prepare: seedBaselines, config: { notify: { webhook: { url: hooks.url } } } });
    ({ key } = await activeAgent(h, AGENT, { template: 'support-bot' }));
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await hooks?.close();
  });

  it('contains a burst within a second of its first anomalous call: the agent is suspended and its next call denied', async () => {
    // Ordinary pace first: nothing fires.
    for (let index = 0; index < 3; index++) expect((await h.agentCall(key, `/crm/customers/c-${2000 + index}`)).status).toBe(200);
    await h.runtime.detection!.settled();
    expect((await h.as('sam').get('/incidents')).body.incidents).toEqual([]);

    // The attack: ten at a time, as fast as the gateway answers, until it stops answering 200.
    const started = Date.now();
    let denied: { status: number; code: string; at: number } | undefined;
    let sent = 0;
    while (denied === undefined && Date.now() - started < 5000) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, index) => h.agentCall(key, `/crm/customers/c-${3000 + sent + index}`)));
      sent += answers.length;
      const refused = answers.find((answer) => answer.status !== 200);
      if (refused !== undefined) denied = { status: refused.status, code: refused.body?.code, at: Date.now() };
    }
    expect(denied, 'the agent was never stopped').toBeDefined();
    expect(denied!.status).toBe(403);
    expect(denied!.code).toBe('WARDEN_AGENT_NOT_ACTIVE');
    // The next call is denied too: the suspension is in the snapshot, not a one-off refusal.
    const next = await h.agentCall(key, '/crm/customers/c-9999');
    expect(next.status).toBe(403);
    expect(next.body.detail).not.toMatch(/burst|detector|incident/i);

    await h.runtime.detection!.settled();
    const incidents = (await h.as('sam').get('/incidents')).body.incidents;
    expect(incidents).toHaveLength(1);
    const incident = incidents[0];
    expect(incident).toMatchObject({ agent: AGENT, status: 'contained', detectors: expect.arrayContaining(['burst']) });
    const containedMs = Date.parse(incident.containedAt) - Date.parse(incident.firstEventAt);
    const detectedMs = Date.parse(incident.detectedAt) - Date.parse(incident.firstEventAt);
    console.log(`live containment: first anomalous call → detected ${detectedMs} ms, → suspended ${containedMs} ms; first refusal after ${denied!.at - started} ms and ${sent} calls`);
    expect(containedMs).toBeGreaterThanOrEqual(0);
    expect(containedMs).toBeLessThanOrEqual(1000);
    expect(denied!.at - started).toBeLessThanOrEqual(1000 + 200);

    const agent = (await h.as('sam').get(`/agents/${AGENT}`)).body;
    expect(agent.state).toBe('suspended');
    const actions = (await h.as('sam').get(`/incidents/${incident.id}`)).body.incident.actions;
    expect(actions.map((action: { action: string }) => action.action)).toEqual(expect.arrayContaining(['suspend', 'alert']));
    const opened = await hooks.waitFor((hook) => hook.body?.type === 'incident.opened');
    expect(opened.body.data).toMatchObject({ agent: AGENT });
    expect(opened.raw).not.toContain(key);
  });
});
