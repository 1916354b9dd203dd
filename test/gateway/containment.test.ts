import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeAgent, because, sleep, startGovernanceHarness, type GovernanceHarness } from '../support/governance-harness.js';

const HOUR = 3_600_000;

/** A wiki in monitor mode, so a contained agent's calls there show what enforcement would do. */
const MONITORED_WIKI = `apiVersion: warden.dev/v1
kind: Api
metadata: { name: wiki }
spec:
  owner: docs-team@example.com
  upstream: { url: "\${PRODUCTION}" }
  basePath: /wiki
  mode: monitor
  operations:
    - { id: getPage, method: GET, path: "/pages/{pageId}", parameters: [{ name: pageId, in: path }] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: wiki-reader }
spec:
  grants:
    - { api: wiki, operations: [getPage] }
`;

/**
 * Containment in the data plane: throttles and step-up that a playbook (or a person) puts on
 * an agent reach the gateway in the snapshot, through the real `warden start` runtime. The
 * containments are written to the store as the detection service writes them, then published.
 */
describe('containment in the gateway', () => {
  let h: GovernanceHarness;
  const keys: Record<string, string> = {};
  const roles = ['support-reader', 'support-writer', 'wiki-reader'];

  /** Puts a containment on `agent` ending `untilMs` from now and waits until the gateway has it. */
  async function contain(agent: string, kind: 'throttle' | 'step-up', untilMs: number, rate?: string): Promise<{ id: string; until: number }> {
    const id = `cnt_${randomBytes(8).toString('hex')}`;
    const now = Date.now();
    await h.runtime.store.detection.putContainment({
      id,
      agent,
      kind,
      rate,
      since: new Date(now).toISOString(),
      until: new Date(now + untilMs).toISOString(),
      incident: 'inc_00000000000000aa',
      by: 'playbook:default-response',
    });
    await h.runtime.governance.context.publisher.publish();
    return { id, until: now + untilMs };
  }

  /** Sleeps until just after `until` (epoch ms). */
  const passed = (until: number) => sleep(Math.max(0, until - Date.now()) + 50);

  const read = (agent: string, customer = 'C-1') => h.agentCall(keys[agent], `/crm/customers/${customer}`);

  beforeAll(async () => {
    // Detection itself is not under test: the containments are placed by hand.
    h = await startGovernanceHarness({ manifests: { 'wiki.yaml': MONITORED_WIKI }, config: { detection: { enabled: false } } });
    for (const name of ['throttled-bot', 'free-bot', 'lapsing-bot', 'careful-bot', 'briefly-careful-bot']) keys[name] = (await activeAgent(h, name, { roles })).key;
  });

  afterAll(async () => {
    await h?.close();
  });

  it('refuses a throttled agent beyond the containment rate on any API with 429 and Retry-After, and no other agent', async () => {
    const { id } = await contain('throttled-bot', 'throttle', HOUR, '3/minute');
    for (let i = 0; i < 3; i++) expect((await read('throttled-bot', `C-${i}`)).status).toBe(200);
    // The bucket is the agent's, not the operation's: another API counts against it too.
    const refused = await h.agentCall(keys['throttled-bot'], '/helpdesk/tickets');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'WARDEN_RATE_LIMITED', detail: expect.stringMatching(/^calls of this agent are limited to 3\/minute for now; retry in \d+ s$/) });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // What fired, and which incident, is for the audit log only.
    expect(refused.text).not.toMatch(/containment|cnt_|inc_|playbook|bulk-read/);
    expect((await read('throttled-bot')).status).toBe(429);

    for (let i = 0; i < 6; i++) expect((await read('free-bot', `C-${i}`)).status).toBe(200);

    const record = await h.auditRecord(refused.headers.get('x-request-id')!);
    expect(record.decision).toMatchObject({ outcome: 'deny', reason: 'WARDEN_RATE_LIMITED' });
    expect(record.limits).toMatchObject({ bucket: `containment/${id}`, remaining: 0 });
    // The version the call was decided under says the agent was contained.
    expect(record.decision.policyVersion).toBe(h.runtime.governance.context.publisher.current!.snapshot.version);
  });

  it('stops throttling at the containment\'s end, with no new snapshot', async () => {
    const { until } = await contain('lapsing-bot', 'throttle', 2000, '1/minute');
    const version = h.runtime.governance.context.publisher.current!.snapshot.version;
    expect((await read('lapsing-bot')).status).toBe(200);
    expect((await read('lapsing-bot')).status).toBe(429);
    await passed(until);
    expect((await read('lapsing-bot')).status).toBe(200);
    expect((await read('lapsing-bot')).status).toBe(200);
    expect(h.runtime.governance.context.publisher.current!.snapshot.version).toBe(version);
  });

  it('holds a normally allowed call of an agent under step-up for a person, and forwards it once approved', async () => {
    expect((await read('careful-bot', 'C-10')).status).toBe(200);
    await contain('careful-bot', 'step-up', 24 * HOUR);

    const held = await read('careful-bot', 'C-11');
    expect(held.status).toBe(202);
    expect(held.body).toMatchObject({ code: 'WARDEN_STEP_UP_PENDING', approval: { status: 'pending' } });
    expect(held.text).not.toMatch(/containment|cnt_|inc_|playbook/);
    const id: string = held.body.approval.id;
    expect(h.production.hits.filter((hit) => hit.url === '/crm/customers/C-11')).toHaveLength(0);

    expect((await h.as('sam').post(`/approvals/${id}/approve`, because('the incident is understood; this read is fine'))).status).toBe(200);
    const sent = await h.agentCall(keys['careful-bot'], '/crm/customers/C-11', { headers: { 'warden-approval': id } });
    expect(sent.status).toBe(200);
    expect(h.production.hits.filter((hit) => hit.url === '/crm/customers/C-11')).toHaveLength(1);
    expect((await h.auditRecord(sent.headers.get('x-request-id')!)).approval).toEqual({ id, approvedBy: 'sam@example.com' });
  });

  it('binds the approval of a held write to its body, though no rule inspects that body', async () => {
    const update = (body: unknown, headers: Record<string, string> = {}) => h.agentCall(keys['careful-bot'], '/crm/customers/C-12', { method: 'PATCH', body, headers });
    const id: string = (await update({ note: 'new address' })).body.approval.id;
    await h.as('sam').post(`/approvals/${id}/approve`, because('address change confirmed'));
    const changed = await update({ note: 'new address', iban: 'DE89370400440532013000' }, { 'warden-approval': id });
    expect(changed.status).toBe(403);
    expect(changed.body.code).toBe('WARDEN_STEP_UP_MISMATCH');
    const sent = await update({ note: 'new address' }, { 'warden-approval': id });
    expect(sent.status).toBe(200);
    const hits = h.production.hits.filter((hit) => hit.method === 'PATCH' && hit.url === '/crm/customers/C-12');
    expect(hits.map((hit) => JSON.parse(hit.body))).toEqual([{ note: 'new address' }]);
  });

  it('records would-deny and lets the call pass on an API in monitor mode', async () => {
    const answer = await h.agentCall(keys['careful-bot'], '/wiki/pages/P-1');
    expect(answer.status).toBe(200);
    const record = await h.auditRecord(answer.headers.get('x-request-id')!);
    expect(record.decision).toMatchObject({ outcome: 'would-deny', reason: 'WARDEN_STEP_UP_REQUIRED', monitored: true });
  });

  it('lets calls through without approval once the step-up lapses', async () => {
    const { until } = await contain('briefly-careful-bot', 'step-up', 2000);
    expect((await read('briefly-careful-bot', 'C-20')).status).toBe(202);
    await passed(until);
    const after = await read('briefly-careful-bot', 'C-20');
    expect(after.status).toBe(200);
    expect((await h.auditRecord(after.headers.get('x-request-id')!)).approval).toBeUndefined();
  });
});
