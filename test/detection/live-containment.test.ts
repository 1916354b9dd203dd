import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerReaderBaselines } from '../support/learned-baselines.js';
import { activeAgent, sleep, startGovernanceHarness, startWebhookReceiver, type GovernanceHarness, type WebhookReceiver } from '../support/governance-harness.js';

const AGENT = 'ticket-helper';

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

describe('live detection on real sockets', () => {
  let h: GovernanceHarness;
  let hooks: WebhookReceiver;
  let key: string;

  beforeAll(async () => {
    hooks = await startWebhookReceiver();
    h = await startGovernanceHarness({ manifests: { 'playbooks.yaml': PLAYBOOK }, prepare: customerReaderBaselines(AGENT, ['support-reader', 'support-writer']), config: { notify: { webhook: { url: hooks.url } } } });
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
    // Out of the burst detector's 10-second window, so its first anomalous call is the attack's first.
    await sleep(10_500);

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
    expect(Date.parse(incident.firstEventAt)).toBeGreaterThanOrEqual(started - 5);
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
