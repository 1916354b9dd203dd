import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerReaderBaselines } from '../support/learned-baselines.js';
import { activeAgent, because, startGovernanceHarness, type GovernanceHarness, type Json } from '../support/governance-harness.js';

/**
 * Live detection through the all-in-one runtime: what was granted yesterday is learned when it
 * is first used, what was granted long ago and never used is an anomaly, and the playbooks'
 * response goes through governance — containment, key revocation, the admin log — on the
 * incident's record.
 */

const AGENT = 'watched-bot';

const PLAYBOOK = `apiVersion: warden.dev/v1
kind: Playbook
metadata: { name: contain-new-sensitive }
spec:
  rules:
    - when: { detectors: [new-sensitive-operation], roles: [support-reader] }
      actions:
        - { action: throttle, rate: 5/minute, for: 1h }
        - { action: revoke-credentials }
`;

describe('playbook responses to live alerts', () => {
  let h: GovernanceHarness;
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    h = await startGovernanceHarness({ manifests: { 'playbooks.yaml': PLAYBOOK }, prepare: customerReaderBaselines(AGENT, ['support-reader']) });
    ({ key, keyId } = await activeAgent(h, AGENT, { roles: ['support-reader'] }));
    // As after any restart: the agent and its grants are in the first policy detection sees.
    await h.restart();
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  const incidents = async (): Promise<Json[]> => {
    await h.runtime.detection!.settled();
    return (await h.as('sam').get(`/incidents?agent=${AGENT}&status=open,contained`)).body.incidents;
  };

  it('learns an operation granted since, when it is first used', async () => {
    expect((await h.agentCall(key, '/crm/customers/c-1001')).status).toBe(200);
    const asked = await h.agentCall(key, '/.warden/access-requests', { method: 'POST', body: { api: 'crm', operation: 'exportCustomers', reason: 'the quarterly customer report needs the export', durationDays: 7 } });
    expect(asked.status).toBe(201);
    expect((await h.as('sam').post(`/access-requests/${asked.body.id}/approve`, because('report approved by the data owner'))).status).toBe(200);
    expect((await h.agentCall(key, '/crm/exports')).status).toBe(200);
    expect(await incidents()).toEqual([]);
  });

  it('flags a sensitive operation granted long ago but never used, and the playbook throttles the agent and revokes its key', async () => {
    expect((await h.agentCall(key, '/crm/customers?q=martin')).status).toBe(200);
    const [incident] = await incidents();
    expect(incident).toMatchObject({ agent: AGENT, status: 'contained', detectors: ['new-sensitive-operation'] });
    const { alerts } = (await h.as('sam').get(`/incidents/${incident.id}`)).body;
    expect(alerts[0].reasons.join(' ')).toMatch(/searchCustomers/);
    const done = incident.actions.filter((action: Json) => action.by === 'playbook:contain-new-sensitive');
    expect(done.map((action: Json) => [action.action, action.ok])).toEqual([
      ['throttle', true],
      ['revoke-credentials', true],
    ]);
    expect(done[1].detail).toContain(keyId);

    // The key no longer works, at once; the throttle is in force until a person lifts it or it lapses.
    const refused = await h.agentCall(key, '/crm/customers/c-1001');
    expect(refused.status).toBe(401);
    expect(refused.text).not.toMatch(/incident|detector|searchCustomers/);
    const { containments } = (await h.as('audrey').get(`/containments?agent=${AGENT}`)).body;
    expect(containments).toMatchObject([{ agent: AGENT, kind: 'throttle', rate: '5/minute', incident: incident.id, by: 'playbook:contain-new-sensitive' }]);
    expect(Date.parse(containments[0].until) - Date.parse(containments[0].since)).toBe(3_600_000);

    // Every change is in the admin log under the playbook's name, like a person's.
    const log = await h.adminEvents('&actor=playbook:contain-new-sensitive');
    expect(log.map((entry: Json) => entry.action).sort()).toEqual(['containment.place', 'key.revoke']);
  });

  it('keeps baselines and containments across a restart', async () => {
    expect(h.rows("SELECT subject FROM detection_baselines WHERE subject = 'agent:' || ?", AGENT)).toHaveLength(1);
    await h.restart();
    const fresh = await h.as('alice').post('/keys', { agent: AGENT });
    expect(fresh.status).toBe(201);
    // Ordinary reads with a new key: the restarted engine knows the agent, and the throttle still holds.
    const answers = [];
    for (let index = 0; index < 6; index++) answers.push(await h.agentCall(fresh.body.key, `/crm/customers/c-${1002 + index}`));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(answers[5]!.body.detail).toMatch(/limited to 5\/minute for now/);
    expect(await incidents()).toHaveLength(1);
  });
});
