import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, Incident } from '../../src/controlplane/detection/detection-types.js';
import { incidentMetrics } from '../../src/controlplane/detection/incident-metrics.js';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { activeAgent, because, HOUR, startGovernanceHarness, startWebhookReceiver, type GovernanceHarness, type Json, type WebhookReceiver } from '../support/governance-harness.js';

/**
 * Incidents as detection files them and people work them: alerts raised into the all-in-one
 * runtime, real calls through its gateway for the timeline, the admin API as the test's people,
 * notifications to a real webhook receiver, and the built `warden incidents` commands.
 */


let h: GovernanceHarness;
let receiver: WebhookReceiver;
/** crm-reader's calls, oldest first. */
let calls: AuditEvent[];
let alertCount = 0;

function alert(agent: string, overrides: Partial<Alert> = {}): Alert {
  alertCount++;
  return {
    id: `alr_${alertCount.toString(16).padStart(16, '0')}`,
    time: calls.at(-1)!.time,
    firstEventTime: calls[0]!.time,
    agent,
    roles: ['support-reader', 'support-writer'],
    detector: 'burst',
    severity: 'medium',
    score: 64,
    reasons: ['41 calls in 5 minutes against a usual 3 for Tuesday 10:00'],
    eventIds: calls.slice(0, 3).map((event) => event.id),
    api: 'crm',
    sensitivity: 'confidential',
    credential: undefined,
    ...overrides,
  };
}

const raise = (raised: Alert) => h.runtime.governance.incidents.raise(raised);
/** The admin action log's entries of one action, newest first. */
const loggedAs = async (action: string): Promise<Json[]> => (await h.adminEvents()).filter((event: Json) => event.action === action);

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // Detection's own engine stays off: the alerts here are raised by the test, and only by it.
  h = await startGovernanceHarness({ config: { notify: { webhook: { url: receiver.url } }, detection: { enabled: false } } });
  const { key } = await activeAgent(h, 'crm-reader', { template: 'support-bot' });
  await activeAgent(h, 'billing-helper', { owner: 'bob', template: 'support-bot' });
  for (const id of ['C-1', 'C-2', 'C-3']) expect((await h.agentCall(key, `/crm/customers/${id}`)).status).toBe(200);
  expect((await h.agentCall(key, '/crm/exports')).status).toBe(403);
  const events = await h.auditEvents((all) => all.filter((event) => event.agent?.name === 'crm-reader').length >= 4);
  calls = events.filter((event) => event.agent?.name === 'crm-reader');
  expect(calls).toHaveLength(4);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

describe('raising alerts', () => {
  let incident: Incident;

  it('opens an incident for an agent\'s first alert, holds its records and tells its owner and security', async () => {
    const first = alert('crm-reader');
    const raised = await raise(first);
    expect(raised.opened).toBe(true);
    incident = raised.incident;
    expect(incident).toMatchObject({ id: expect.stringMatching(/^inc_[0-9a-f]{16}$/), agent: 'crm-reader', status: 'open', severity: 'medium', detectors: ['burst'], alertCount: 1, firstEventAt: calls[0]!.time, holdId: expect.stringMatching(/^hold_/) });
    expect(incident.actions).toEqual([expect.objectContaining({ by: 'detector', action: 'hold', ok: true })]);

    const hold = h.runtime.audit.holds.get(incident.holdId!);
    expect(hold).toMatchObject({ kind: 'incident', target: incident.id, agent: 'crm-reader', from: new Date(Date.parse(calls[0]!.time) - 24 * HOUR).toISOString(), to: undefined, createdBy: 'detector', releasedAt: undefined });

    const hook = await receiver.waitFor((candidate) => candidate.body?.type === 'incident.opened' && candidate.body.data?.incident === incident.id);
    expect(hook.body).toMatchObject({ recipients: ['alice@example.com', 'security'], data: { agent: 'crm-reader', severity: 'medium', detectors: ['burst'], holdId: incident.holdId, alert: { id: first.id, reasons: first.reasons } } });
    expect(hook.body.summary).toBe(`incident ${incident.id} opened on crm-reader (medium): burst — ${first.reasons[0]}`);
    expect(hook.body.summary).not.toContain('\n');

    const logged = await loggedAs('incident.open');
    expect(logged.find((event: Json) => event.target === `incident/${incident.id}`)).toMatchObject({ actor: 'detector', outcome: 'ok' });
  });

  it('groups the agent\'s later alerts into it: severity is the highest, detectors a union, the first event the earliest', async () => {
    const earlier = new Date(Date.parse(calls[0]!.time) - 10 * 60_000).toISOString();
    const probing = await raise(alert('crm-reader', { detector: 'scope-probing', severity: 'high', firstEventTime: earlier, reasons: ['1 call to crm.exportCustomers, which no role of crm-reader grants'] }));
    expect(probing.opened).toBe(false);
    expect(probing.incident).toMatchObject({ id: incident.id, severity: 'high', detectors: ['burst', 'scope-probing'], alertCount: 2, firstEventAt: earlier });
    const escalated = await receiver.waitFor((candidate) => candidate.body?.type === 'incident.escalated' && candidate.body.data?.incident === incident.id);
    expect(escalated.body.summary).toMatch(/escalated medium → high: scope-probing/);
    expect(escalated.body.recipients).toEqual(['alice@example.com', 'security']);

    // The earlier start widened the hold: a new one from a day before it, the old one released.
    expect(probing.incident.holdId).not.toBe(incident.holdId);
    expect(h.runtime.audit.holds.get(probing.incident.holdId!)?.from).toBe(new Date(Date.parse(earlier) - 24 * HOUR).toISOString());
    expect(h.runtime.audit.holds.get(incident.holdId!)?.releasedAt).toEqual(expect.any(String));

    const lower = await raise(alert('crm-reader', { severity: 'low' }));
    expect(lower.incident).toMatchObject({ id: incident.id, severity: 'high', detectors: ['burst', 'scope-probing'], alertCount: 3 });
    expect(receiver.received.filter((hook) => hook.body?.type === 'incident.escalated' && hook.body.data?.incident === incident.id)).toHaveLength(1);

    const other = await raise(alert('billing-helper', { detector: 'off-hours' }));
    expect(other.opened).toBe(true);
    expect(other.incident.id).not.toBe(incident.id);
    const hook = await receiver.waitFor((candidate) => candidate.body?.type === 'incident.opened' && candidate.body.data?.incident === other.incident.id);
    expect(hook.body.recipients).toEqual(['bob@example.com', 'security']);
  });

  it('opens one incident for alerts raised at once', async () => {
    const both = await Promise.all([raise(alert('lonely-bot')), raise(alert('lonely-bot', { detector: 'enumeration' }))]);
    expect(both.map((raised) => raised.opened).sort()).toEqual([false, true]);
    expect(both[0].incident.id).toBe(both[1].incident.id);
    // No such agent in the policy: nobody owns it, security still hears of it.
    const hook = await receiver.waitFor((candidate) => candidate.body?.type === 'incident.opened' && candidate.body.data?.agent === 'lonely-bot');
    expect(hook.body.recipients).toEqual(['security']);
  });

  it('records what was done; the first containing action marks it contained', async () => {
    const incidents = h.runtime.governance.incidents;
    const noted = await incidents.recordAction(incident.id, { time: new Date().toISOString(), by: 'playbook:crm-guard', action: 'alert', detail: 'burst alert raised', ok: true }, false);
    expect(noted.status).toBe('open');
    const throttledAt = new Date().toISOString();
    await h.runtime.store.detection.putContainment({ id: 'cnt_00000000000000a1', agent: 'crm-reader', kind: 'throttle', rate: '10/minute', since: throttledAt, until: new Date(Date.now() + HOUR).toISOString(), incident: incident.id, by: 'playbook:crm-guard' });
    const contained = await incidents.recordAction(incident.id, { time: throttledAt, by: 'playbook:crm-guard', action: 'throttle', detail: 'calls limited to 10/minute', ok: true }, true);
    expect(contained).toMatchObject({ status: 'contained', containedAt: throttledAt });
    const later = await incidents.recordAction(incident.id, { time: new Date(Date.now() + 1000).toISOString(), by: 'playbook:crm-guard', action: 'require-step-up', detail: 'every call needs a human approval', ok: true }, true);
    expect(later.containedAt).toBe(throttledAt);
    expect(later.actions.map((action) => action.action)).toEqual(['hold', 'hold', 'alert', 'throttle', 'require-step-up']);
    await expect(incidents.recordAction('inc_ffffffffffffffff', later.actions[0]!, false)).rejects.toMatchObject({ code: 'WARDEN_ADMIN_NOT_FOUND' });
  });
});

describe('the admin API', () => {
  let id: string;

  beforeAll(async () => {
    id = (await h.runtime.store.detection.activeIncidentFor('crm-reader'))!.id;
  });

  it('lists and shows incidents to admin, security and auditors, never to owners', async () => {
    for (const person of ['root', 'sam', 'audrey'] as const) expect((await h.as(person).get('/incidents')).status, person).toBe(200);
    const refused = await h.as('alice').get('/incidents');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('WARDEN_ADMIN_FORBIDDEN');

    const active = await h.as('audrey').get('/incidents?status=open,contained&agent=crm-reader');
    expect(active.body.incidents.map((incident: Json) => incident.id)).toEqual([id]);
    expect((await h.as('audrey').get('/incidents?status=resolved')).body.incidents).toEqual([]);
    const wrong = await h.as('audrey').get('/incidents?status=closed');
    expect(wrong.status).toBe(400);
    expect(wrong.body.detail).toMatch(/status "closed" is not one of open, contained, resolved, false_positive/);

    const shown = await h.as('audrey').get(`/incidents/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.incident).toMatchObject({ id, status: 'contained', severity: 'high', alertCount: 3 });
    expect(shown.body.alerts.map((raised: Json) => raised.detector)).toEqual(['burst', 'scope-probing', 'burst']);
    expect(shown.body.alerts[1].reasons).toEqual(['1 call to crm.exportCustomers, which no role of crm-reader grants']);
    const missing = await h.as('audrey').get('/incidents/inc_ffffffffffffffff');
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toMatch(/warden incidents list/);
  });

  it('tells the incident\'s story: calls, alerts and actions in time order, and the data touched', async () => {
    const answer = await h.as('sam').get(`/incidents/${id}/timeline`);
    expect(answer.status).toBe(200);
    const timeline = answer.body;
    const requests = timeline.entries.filter((entry: Json) => entry.kind === 'request');
    expect(requests.map((entry: Json) => `${entry.method} ${entry.path} ${entry.decision} ${entry.status}`)).toEqual([
      'GET /crm/customers/C-1 allow 200',
      'GET /crm/customers/C-2 allow 200',
      'GET /crm/customers/C-3 allow 200',
      'GET /crm/exports deny 403',
    ]);
    expect(requests[0]).toMatchObject({ api: 'crm', operation: 'getCustomer', reason: 'GRANTED', id: calls[0]!.id });
    expect(requests[3]).toMatchObject({ api: 'crm', operation: 'exportCustomers', reason: 'WARDEN_AUTHZ_NOT_GRANTED' });
    expect(timeline.entries.filter((entry: Json) => entry.kind === 'alert')).toHaveLength(3);
    expect(timeline.entries.filter((entry: Json) => entry.kind === 'action').map((entry: Json) => entry.action)).toEqual(['hold', 'hold', 'alert', 'throttle', 'require-step-up']);
    const times = timeline.entries.map((entry: Json) => Date.parse(entry.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(timeline.requests).toEqual({ shown: 4, total: 4, truncated: false });
    expect(timeline.touched).toMatchObject({ calls: 4, denied: 1, dataClasses: ['pii'], customers: { count: 0, ids: [] } });
    expect(timeline.touched.operations).toEqual([
      { api: 'crm', operation: 'getCustomer', calls: 3, passed: 3, records: 0 },
      { api: 'crm', operation: 'exportCustomers', calls: 1, passed: 0, records: 0 },
    ]);
    expect(Date.parse(timeline.from)).toBe(Date.parse(timeline.incident.firstEventAt) - HOUR);
    expect(timeline.note).toBeUndefined();
    expect((await h.as('alice').get(`/incidents/${id}/timeline`)).status).toBe(403);
  });

  it('lists containments in force and lets security lift them early, with a reason', async () => {
    const inForce = await h.as('audrey').get('/containments?agent=crm-reader');
    expect(inForce.body.containments).toEqual([expect.objectContaining({ id: 'cnt_00000000000000a1', kind: 'throttle', rate: '10/minute', incident: id })]);

    expect((await h.as('audrey').post('/agents/crm-reader/containment/lift', because('looks fine to me'))).status).toBe(403);
    expect((await h.as('sam').post('/agents/crm-reader/containment/lift', {})).status).toBe(400);
    expect((await h.as('sam').post('/agents/no-such-agent/containment/lift', because('typo check'))).status).toBe(404);
    const lifted = await h.as('sam').post('/agents/crm-reader/containment/lift', because('owner confirmed the nightly export job'));
    expect(lifted.status).toBe(200);
    expect(lifted.body).toEqual({ agent: 'crm-reader', lifted: [expect.objectContaining({ id: 'cnt_00000000000000a1' })] });
    expect((await h.as('audrey').get('/containments')).body.containments).toEqual([]);
    const again = await h.as('sam').post('/agents/crm-reader/containment/lift', because('owner confirmed the nightly export job'));
    expect(again.body.lifted).toEqual([]);

    const shown = await h.as('sam').get(`/incidents/${id}`);
    expect(shown.body.incident.actions.at(-1)).toMatchObject({ by: 'sam@example.com', action: 'lift-containment', detail: 'throttle lifted: owner confirmed the nightly export job', ok: true });
    const logged = await loggedAs('containment.lift');
    expect(logged.filter((event: Json) => event.outcome === 'ok')).toHaveLength(1);
    expect(logged.filter((event: Json) => event.outcome === 'refused').map((event: Json) => `${event.actor} ${event.target}`).sort()).toEqual(['audrey@example.com agent/crm-reader', 'sam@example.com agent/no-such-agent']);
  });

  it('lets security and admins close and reopen incidents, with a reason; auditors and owners only read', async () => {
    for (const person of ['audrey', 'alice'] as const) {
      const refused = await h.as(person).post(`/incidents/${id}/status`, { status: 'resolved', reason: 'nothing to see' });
      expect(refused.status, person).toBe(403);
    }
    expect((await h.as('sam').post(`/incidents/${id}/status`, { status: 'resolved' })).status).toBe(400);
    expect((await h.as('sam').post(`/incidents/${id}/status`, { status: 'closed', reason: 'done' })).status).toBe(400);

    // A containment of this incident still in force, and the agent suspended by a person.
    await h.runtime.store.detection.putContainment({ id: 'cnt_00000000000000a2', agent: 'crm-reader', kind: 'step-up', rate: undefined, since: new Date().toISOString(), until: new Date(Date.now() + 6 * HOUR).toISOString(), incident: id, by: 'playbook:crm-guard' });
    expect((await h.as('sam').post('/agents/crm-reader/actions/suspend', because('incident under investigation'))).status).toBe(200);

    h.clock.advance(2 * HOUR);
    const resolved = await h.as('sam').post(`/incidents/${id}/status`, { status: 'resolved', reason: 'credential rotated, job fixed' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ incident: { id, status: 'resolved', resolution: 'credential rotated, job fixed', resolvedAt: expect.any(String) }, liftedContainments: 1, agentState: 'suspended' });
    expect(resolved.body.next).toBe('crm-reader is still suspended; when it is safe, reinstate it: warden agents reinstate crm-reader --reason "…"');
    expect((await h.as('audrey').get('/containments')).body.containments).toEqual([]);
    // The hold stays: releasing it is a decision of its own.
    expect(h.runtime.audit.holds.get(resolved.body.incident.holdId)?.releasedAt).toBeUndefined();
    const twice = await h.as('ada').post(`/incidents/${id}/status`, { status: 'resolved', reason: 'again' });
    expect(twice.status).toBe(409);

    const logged = await loggedAs('incident.resolve');
    expect(logged.find((event: Json) => event.outcome === 'ok')).toMatchObject({ actor: 'sam@example.com', target: `incident/${id}`, detail: 'credential rotated, job fixed', before: { status: 'contained' }, after: { status: 'resolved' } });
    // Refusals are logged too: the two without the role, and resolving twice.
    expect(logged.filter((event: Json) => event.outcome === 'refused').map((event: Json) => event.actor).sort()).toEqual(['ada@example.com', 'alice@example.com', 'audrey@example.com']);

    // A new alert after closing opens a new incident; the old one cannot be reopened beside it.
    const next = await raise(alert('crm-reader', { detector: 'bulk-read' }));
    expect(next.opened).toBe(true);
    const blocked = await h.as('ada').post(`/incidents/${id}/status`, { status: 'open', reason: 'not over yet' });
    expect(blocked.status).toBe(409);
    expect(blocked.body.detail).toContain(next.incident.id);
    const falsePositive = await h.as('ada').post(`/incidents/${next.incident.id}/status`, { status: 'false_positive', reason: 'quarterly export, announced' });
    expect(falsePositive.body).toMatchObject({ incident: { status: 'false_positive' }, liftedContainments: 0 });
    const reopened = await h.as('ada').post(`/incidents/${id}/status`, { status: 'open', reason: 'the job misbehaved again' });
    expect(reopened.status).toBe(200);
    expect(reopened.body.incident.status).toBe('open');
    expect(reopened.body.incident).not.toHaveProperty('resolvedAt');
    expect(reopened.body.incident).not.toHaveProperty('resolution');
    expect(reopened.body.next).toBeUndefined();
    expect(reopened.body.incident.actions.slice(-2).map((action: Json) => `${action.by} ${action.action}`)).toEqual(['sam@example.com status:resolved', 'ada@example.com status:open']);
    expect((await h.as('sam').post('/agents/crm-reader/actions/reinstate', because('fixed'))).status).toBe(200);
  });

  it('measures detection and response', async () => {
    const answer = await h.as('audrey').get('/incidents/metrics');
    expect(answer.status).toBe(200);
    const all = (await h.as('audrey').get('/incidents?limit=100')).body.incidents as Incident[];
    expect(answer.body).toEqual({ ...incidentMetrics(all), agent: undefined, since: undefined } as Json);
    expect(answer.body).toMatchObject({ total: 4, byStatus: { open: 3, contained: 0, resolved: 0, false_positive: 1 }, falsePositiveRate: 1 });
    const one = await h.as('audrey').get('/incidents/metrics?agent=billing-helper');
    expect(one.body).toMatchObject({ total: 1, agent: 'billing-helper', mttr: { count: 0, medianMs: null } });
    expect((await h.as('audrey').get(`/incidents/metrics?since=${encodeURIComponent(new Date(Date.now() + 30 * 24 * HOUR).toISOString())}`)).body.total).toBe(0);
    expect((await h.as('audrey').get('/incidents/metrics?since=yesterday')).status).toBe(400);
    expect((await h.as('alice').get('/incidents/metrics')).status).toBe(403);
  });
});

describe('incident metrics', () => {
  const at = (minutes: number) => new Date(Date.UTC(2026, 10, 2, 9, minutes)).toISOString();
  const incident = (status: Incident['status'], firstEvent: number, detected: number, extra: Partial<Incident> = {}): Incident => ({
    id: `inc_${firstEvent}`,
    agent: 'a',
    status,
    severity: 'high',
    detectors: ['burst'],
    alertCount: 1,
    firstEventAt: at(firstEvent),
    detectedAt: at(detected),
    containedAt: undefined,
    resolvedAt: undefined,
    resolution: undefined,
    holdId: undefined,
    actions: [],
    updatedAt: at(detected),
    ...extra,
  });

  it('computes MTTD over all, MTTC over contained and MTTR over closed incidents, with medians and means', () => {
    const metrics = incidentMetrics([
      incident('open', 0, 2),
      incident('contained', 10, 14, { containedAt: at(15) }),
      incident('resolved', 20, 26, { containedAt: at(29), resolvedAt: at(56) }),
      incident('false_positive', 30, 38, { resolvedAt: at(48) }),
    ]);
    const minute = 60_000;
    expect(metrics.byStatus).toEqual({ open: 1, contained: 1, resolved: 1, false_positive: 1 });
    expect(metrics.bySeverity).toEqual({ low: 0, medium: 0, high: 4, critical: 0 });
    expect(metrics.mttd).toEqual({ count: 4, medianMs: 5 * minute, meanMs: 5 * minute });
    expect(metrics.mttc).toEqual({ count: 2, medianMs: 2 * minute, meanMs: 2 * minute });
    expect(metrics.mttr).toEqual({ count: 2, medianMs: 20 * minute, meanMs: 20 * minute });
    expect(metrics.falsePositiveRate).toBe(0.5);
  });

  it('says nothing rather than zero when there is nothing to measure', () => {
    expect(incidentMetrics([])).toMatchObject({ total: 0, mttd: { count: 0, medianMs: null, meanMs: null }, falsePositiveRate: null });
  });
});

describe('warden incidents', () => {
  it('lists and shows incidents, as JSON and as text', async () => {
    const listed = await h.cli(['incidents', 'list', '--agent', 'crm-reader', '--json']);
    expect(listed.status).toBe(0);
    const id = listed.json.incidents[0].id as string;
    expect(listed.json.incidents.map((incident: Json) => incident.status)).toEqual(['open']);
    const all = await h.cli(['incidents', 'list', '--all', '--json']);
    expect(all.json.incidents).toHaveLength(4);

    const shown = await h.cli(['incidents', 'show', id, '--json']);
    expect(shown.status).toBe(0);
    expect(shown.json.incident.id).toBe(id);
    expect(shown.json.alerts).toHaveLength(3);

    const text = await h.cli(['incidents', 'show', id]);
    expect(text.stdout).toContain(`${id}  crm-reader  open  high`);
    expect(text.stdout).toContain('- 1 call to crm.exportCustomers, which no role of crm-reader grants');
    expect(text.stdout).toContain('sam@example.com: lift-containment — throttle lifted: owner confirmed the nightly export job');
    const table = await h.cli(['incidents', 'list']);
    expect(table.stdout).toMatch(/^ID\s+AGENT\s+STATUS\s+SEVERITY/);
    expect(table.stdout).toContain(id);
  });

  it('prints the timeline and the metrics, and resolves with a reason', async () => {
    const id = (await h.cli(['incidents', 'list', '--agent', 'crm-reader', '--json'])).json.incidents[0].id as string;
    const timeline = await h.cli(['incidents', 'timeline', id]);
    expect(timeline.status).toBe(0);
    expect(timeline.stdout).toMatch(/GET \/crm\/customers\/C-1 {2}crm\.getCustomer {2}allow {2}200/);
    expect(timeline.stdout).toContain('data classes      pii');
    const metrics = await h.cli(['incidents', 'metrics', '--json']);
    expect(metrics.json.total).toBe(4);

    const missingReason = await h.cli(['incidents', 'resolve', id]);
    expect(missingReason.status).toBe(2);
    expect(missingReason.stderr).toContain("required option '--reason <text>'");
    const resolved = await h.cli(['incidents', 'resolve', id, '--reason', 'job fixed for good']);
    expect(resolved.status).toBe(0);
    expect(resolved.stdout).toContain(`${id}: resolved`);
  });

  it('says what went wrong and what to do next', async () => {
    const missing = await h.cli(['incidents', 'show', 'inc_ffffffffffffffff']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('WARDEN_ADMIN_NOT_FOUND: no incident has the id inc_ffffffffffffffff; list them with warden incidents list');
    const owner = await h.cli(['incidents', 'list'], h.tokens.alice);
    expect(owner.status).toBe(1);
    expect(owner.stderr).toContain('WARDEN_ADMIN_FORBIDDEN');
    const help = await h.cli(['incidents', 'lift', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('warden agents reinstate');
  });
});
