import type { Actor } from '../agents/lifecycle.js';
import { scanAudit } from '../audit/audit-query.js';
import type { AuditService } from '../audit/audit-service.js';
import { authorize, hasRole, putInForce, refuse, requireReason, type GovernanceContext } from '../governance/governance-context.js';
import { GovernanceError } from '../governance/governance-error.js';
import { randomId } from '../governance/random-id.js';
import type { IncidentChange, IncidentFilter } from '../store/detection-store.js';
import { severityRank, type Alert, type ContainmentRecord, type DetectorName, type Incident, type IncidentAction, type IncidentStatus } from './detection-types.js';
import { incidentMetrics, type IncidentMetrics } from './incident-metrics.js';
import { buildTimeline, type IncidentTimeline } from './incident-timeline.js';

const HOUR_MS = 3_600_000;
/** The hold starts this long before the first anomalous record: what led up to it is evidence too. */
const HOLD_LEAD_MS = 24 * HOUR_MS;
/** The timeline starts this long before the first anomalous record, to show normal next to abnormal. */
const TIMELINE_LEAD_MS = HOUR_MS;
/** Calls shown in a timeline; all of them are still summarised. */
const TIMELINE_CAP = 2000;
const READERS = 'admin, security or auditor';
const DECIDERS = 'admin or security';
/** Alerts and playbooks act as the detector: it holds no admin role, it is logged by name. */
const DETECTOR: Actor = { subject: 'detector', roles: [] };

/** A status a person may set, and the admin-log action name for it. */
const STATUS_ACTIONS: Readonly<Record<IncidentStatus, string>> = { resolved: 'incident.resolve', false_positive: 'incident.false-positive', open: 'incident.reopen', contained: 'incident.contain' };

/** An incident with its alerts, oldest first. */
export interface IncidentDetail {
  readonly incident: Incident;
  readonly alerts: readonly Alert[];
}

/** What a status change did beyond the status. */
export interface StatusChange {
  readonly incident: Incident;
  /** Throttles and step-ups of this incident lifted (closing lifts them). */
  readonly liftedContainments: number;
  /** The agent's lifecycle state now (undefined: no such agent any more). */
  readonly agentState: string | undefined;
  /** What a person still has to do, e.g. reinstate a suspended agent; undefined when nothing. */
  readonly next: string | undefined;
}

export interface ContainmentLift {
  readonly agent: string;
  readonly lifted: readonly ContainmentRecord[];
}

/**
 * Incidents (docs/incidents.md): alerts about one agent grouped while the incident is open or
 * contained, a legal hold on the agent's records from before it started, notifications to the
 * owner and security, and the people's side — reading (admin, security, auditor), closing,
 * reopening and lifting containments (admin, security), each with a reason in the admin log.
 */
export class IncidentService {
  readonly #context: GovernanceContext;
  readonly #audit: AuditService | undefined;
  /** One raise at a time per agent, so two alerts never open two incidents. */
  readonly #raising = new Map<string, Promise<unknown>>();

  constructor(context: GovernanceContext, audit?: AuditService) {
    this.#context = context;
    this.#audit = audit;
  }

  /** Files an alert: joins the agent's active incident or opens one (with a legal hold and notifications). */
  async raise(alert: Alert): Promise<{ readonly incident: Incident; readonly opened: boolean }> {
    const previous = this.#raising.get(alert.agent) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.#raise(alert));
    this.#raising.set(alert.agent, next);
    try {
      return await next;
    } finally {
      if (this.#raising.get(alert.agent) === next) this.#raising.delete(alert.agent);
    }
  }

  /** Appends what was done; the first containing action marks the incident contained. */
  async recordAction(incidentId: string, action: IncidentAction, contains: boolean): Promise<Incident> {
    const incident = await this.#find(incidentId);
    const containsFirst = contains && incident.containedAt === undefined;
    const updated = await this.#context.store.detection.updateIncident(incidentId, {
      addAction: action,
      updatedAt: this.#context.now(),
      ...(containsFirst ? { containedAt: action.time } : {}),
      ...(contains && incident.status === 'open' ? { status: 'contained' as const } : {}),
    });
    if (updated === undefined) throw notFound(incidentId);
    return updated;
  }

  /** Incidents newest first, of some statuses or one agent. */
  async list(actor: Actor, filter: IncidentFilter = {}): Promise<Incident[]> {
    await this.#mayRead(actor, 'incidents');
    return this.#context.store.detection.listIncidents(filter);
  }

  /** One incident with its alerts. */
  async get(actor: Actor, id: string): Promise<IncidentDetail> {
    await this.#mayRead(actor, `incident/${id}`);
    const incident = await this.#find(id);
    return { incident, alerts: await this.#context.store.detection.listAlerts({ incident: id }) };
  }

  /**
   * Sets the status (admin or security, with a reason). Closing (resolved, false_positive)
   * lifts the incident's throttles and step-ups; suspension, quarantine and revoked keys stay
   * until a person reinstates the agent, and the legal hold stays until someone releases it.
   */
  async setStatus(actor: Actor, id: string, status: IncidentStatus, reason: string | undefined): Promise<StatusChange> {
    const action = STATUS_ACTIONS[status];
    const target = `incident/${id}`;
    await authorize(this.#context, actor, action, target, hasRole(actor, 'admin', 'security'), DECIDERS);
    const why = await Promise.resolve()
      .then(() => requireReason(reason))
      .catch((error: GovernanceError) => refuse(this.#context, actor, action, target, error));
    const before = await this.#find(id);
    if (before.status === status) return refuse(this.#context, actor, action, target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${id} is ${status} already`));
    const closing = status === 'resolved' || status === 'false_positive';
    if (!closing && isClosed(before.status)) {
      const active = await this.#context.store.detection.activeIncidentFor(before.agent);
      if (active !== undefined) return refuse(this.#context, actor, action, target, new GovernanceError('WARDEN_ADMIN_CONFLICT', `${before.agent} has incident ${active.id} ${active.status}; new alerts join that one — work on it instead of reopening ${id}`));
    }
    const now = this.#context.now();
    const change: IncidentChange = {
      status,
      updatedAt: now,
      addAction: { time: now.toISOString(), by: actor.subject, action: `status:${status}`, detail: why, ok: true },
      ...(closing ? { resolvedAt: now.toISOString(), resolution: why } : {}),
      ...(!closing && isClosed(before.status) ? { resolvedAt: null, resolution: null } : {}),
      ...(status === 'contained' && before.containedAt === undefined ? { containedAt: now.toISOString() } : {}),
    };
    const after = await this.#context.store.detection.updateIncident(id, change);
    if (after === undefined) throw notFound(id);
    const lifted = closing ? await this.#context.store.detection.liftContainments(before.agent, id) : 0;
    await this.#context.log.changed(actor, action, target, { before: summary(before), after: { ...summary(after), liftedContainments: lifted }, detail: why });
    if (lifted > 0) await putInForce(this.#context);
    const agentState = (await this.#context.store.governance.getAgent(before.agent))?.state;
    const held = agentState === 'suspended' || agentState === 'quarantined';
    return {
      incident: after,
      liftedContainments: lifted,
      agentState,
      next: closing && held ? `${before.agent} is still ${agentState}; when it is safe, reinstate it: warden agents reinstate ${before.agent} --reason "…"` : undefined,
    };
  }

  /** Lifts every throttle and step-up on an agent early (admin or security, with a reason). */
  async liftContainment(actor: Actor, agent: string, reason: string | undefined): Promise<ContainmentLift> {
    const target = `agent/${agent}`;
    await authorize(this.#context, actor, 'containment.lift', target, hasRole(actor, 'admin', 'security'), DECIDERS);
    const why = await Promise.resolve()
      .then(() => requireReason(reason))
      .catch((error: GovernanceError) => refuse(this.#context, actor, 'containment.lift', target, error));
    const known = this.#context.publisher.current?.snapshot.agents.has(agent) === true || (await this.#context.store.governance.getAgent(agent)) !== undefined;
    if (!known) return refuse(this.#context, actor, 'containment.lift', target, new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no agent is called ${agent}`));
    const now = this.#context.now();
    const inForce = (await this.#context.store.detection.listContainments(now)).filter((record) => record.agent === agent);
    if (inForce.length === 0) return { agent, lifted: [] };
    await this.#context.store.detection.liftContainments(agent);
    for (const incident of new Set(inForce.map((record) => record.incident).filter((id): id is string => id !== undefined))) {
      const kinds = inForce.filter((record) => record.incident === incident).map((record) => record.kind).join(', ');
      await this.#context.store.detection.updateIncident(incident, { updatedAt: now, addAction: { time: now.toISOString(), by: actor.subject, action: 'lift-containment', detail: `${kinds} lifted: ${why}`, ok: true } });
    }
    await this.#context.log.changed(actor, 'containment.lift', target, { before: { containments: inForce }, after: { containments: [] }, detail: why });
    await putInForce(this.#context);
    return { agent, lifted: inForce };
  }

  /** Throttles and step-ups in force now, optionally on one agent. */
  async containments(actor: Actor, agent?: string): Promise<ContainmentRecord[]> {
    await this.#mayRead(actor, 'containments');
    const records = await this.#context.store.detection.listContainments(this.#context.now());
    return agent === undefined ? records : records.filter((record) => record.agent === agent);
  }

  /** The incident's story: the agent's calls from an hour before it began, its alerts and actions, and the data touched. */
  async timeline(actor: Actor, id: string): Promise<IncidentTimeline> {
    await this.#mayRead(actor, `incident/${id}`);
    const incident = await this.#find(id);
    const alerts = await this.#context.store.detection.listAlerts({ incident: id, limit: 10_000 });
    const from = new Date(Date.parse(incident.firstEventAt) - TIMELINE_LEAD_MS);
    const to = incident.resolvedAt !== undefined ? new Date(incident.resolvedAt) : this.#context.now();
    const window = { from: from.toISOString(), to: to.toISOString(), cap: TIMELINE_CAP };
    if (this.#audit === undefined) return buildTimeline(incident, alerts, [], { ...window, note: 'the audit log is not open in this process, so the agent\'s calls are not shown; ask for the timeline from `warden start`\'s admin API' });
    // `to` is exclusive in the audit filter; the record at the closing instant belongs in the story.
    const matches = scanAudit(this.#audit.log, { agent: incident.agent, from, to: new Date(to.getTime() + 1) });
    return buildTimeline(incident, alerts, (function* () {
      for (const match of matches) yield match.event;
    })(), window);
  }

  /** Counts by status and severity, MTTD, MTTC, MTTR and the false-positive rate, optionally of one agent or since a time. */
  async metrics(actor: Actor, filter: { readonly agent?: string; readonly since?: string } = {}): Promise<IncidentMetrics & { readonly since: string | undefined; readonly agent: string | undefined }> {
    await this.#mayRead(actor, 'incidents');
    const incidents = await this.#context.store.detection.listIncidents({ ...filter, limit: 10_000 });
    return { ...incidentMetrics(incidents), since: filter.since, agent: filter.agent };
  }

  async #raise(alert: Alert): Promise<{ readonly incident: Incident; readonly opened: boolean }> {
    const store = this.#context.store.detection;
    const active = await store.activeIncidentFor(alert.agent);
    if (active === undefined) return { incident: await this.#open(alert), opened: true };
    const escalated = severityRank(alert.severity) > severityRank(active.severity);
    const earlier = Date.parse(alert.firstEventTime) < Date.parse(active.firstEventAt);
    const detectors: DetectorName[] = active.detectors.includes(alert.detector) ? [...active.detectors] : [...active.detectors, alert.detector];
    await store.addAlert(alert, active.id);
    const joined = await store.updateIncident(active.id, {
      updatedAt: this.#context.now(),
      ...(escalated ? { severity: alert.severity } : {}),
      ...(detectors.length !== active.detectors.length ? { detectors } : {}),
      ...(earlier ? { firstEventAt: alert.firstEventTime } : {}),
    });
    if (joined === undefined) throw notFound(active.id);
    let incident = joined;
    if (earlier) incident = await this.#widenHold(incident);
    if (escalated) {
      await this.#context.log.changed(DETECTOR, 'incident.escalate', `incident/${incident.id}`, { before: { severity: active.severity }, after: { severity: incident.severity }, detail: `${alert.detector}: ${alert.reasons[0] ?? ''}` });
      this.#notify('incident.escalated', incident, alert, `incident ${incident.id} on ${incident.agent} escalated ${active.severity} → ${incident.severity}: ${alert.detector} — ${alert.reasons[0] ?? 'anomalous activity'}`);
    }
    return { incident, opened: false };
  }

  async #open(alert: Alert): Promise<Incident> {
    const store = this.#context.store.detection;
    const now = this.#context.now();
    const id = randomId('inc');
    await store.createIncident({ id, agent: alert.agent, severity: alert.severity, detectors: [alert.detector], firstEventAt: alert.firstEventTime, detectedAt: now.toISOString() }, now);
    await store.addAlert(alert, id);
    const incident = await this.#hold(await this.#find(id), Date.parse(alert.firstEventTime) - HOLD_LEAD_MS);
    await this.#context.log.changed(DETECTOR, 'incident.open', `incident/${id}`, { after: summary(incident), detail: `${alert.detector}: ${alert.reasons[0] ?? ''}` });
    this.#notify('incident.opened', incident, alert, `incident ${id} opened on ${alert.agent} (${alert.severity}): ${alert.detector} — ${alert.reasons[0] ?? 'anomalous activity'}`);
    return incident;
  }

  /** Places the incident's legal hold from `fromMs` on, with no end; a failure is recorded on the incident, never thrown. */
  async #hold(incident: Incident, fromMs: number): Promise<Incident> {
    if (this.#audit === undefined) return incident;
    const now = this.#context.now();
    let change: IncidentChange;
    try {
      const hold = this.#audit.holds.place({ kind: 'incident', target: incident.id, agent: incident.agent, from: new Date(fromMs), reason: `incident ${incident.id} (${incident.detectors.join(', ')})`, by: DETECTOR.subject }, now);
      change = { holdId: hold.id, updatedAt: now, addAction: { time: now.toISOString(), by: DETECTOR.subject, action: 'hold', detail: `legal hold ${hold.id} on ${incident.agent}'s records from ${hold.from}`, ok: true } };
    } catch (error) {
      change = { updatedAt: now, addAction: { time: now.toISOString(), by: DETECTOR.subject, action: 'hold', detail: `could not place a legal hold: ${(error as Error).message}`, ok: false } };
    }
    return (await this.#context.store.detection.updateIncident(incident.id, change)) ?? incident;
  }

  /** A joining alert began earlier than the hold covers: a new hold from the earlier start replaces the old one. */
  async #widenHold(incident: Incident): Promise<Incident> {
    const fromMs = Date.parse(incident.firstEventAt) - HOLD_LEAD_MS;
    const current = incident.holdId === undefined ? undefined : this.#audit?.holds.get(incident.holdId);
    if (current?.from !== undefined && Date.parse(current.from) <= fromMs && current.releasedAt === undefined) return incident;
    const widened = await this.#hold(incident, fromMs);
    // Released only once the wider hold is in place, so no record is ever unheld in between.
    if (current !== undefined && widened.holdId !== current.id) this.#audit?.holds.release(current.id, DETECTOR.subject, this.#context.now());
    return widened;
  }

  #notify(type: string, incident: Incident, alert: Alert, text: string): void {
    const owner = this.#context.publisher.current?.snapshot.agents.get(incident.agent)?.owner;
    this.#context.notifier.notify({
      type,
      time: this.#context.now().toISOString(),
      recipients: owner === undefined ? ['security'] : [owner, 'security'],
      summary: text,
      data: {
        incident: incident.id,
        agent: incident.agent,
        severity: incident.severity,
        detectors: incident.detectors,
        alerts: incident.alertCount,
        firstEventAt: incident.firstEventAt,
        detectedAt: incident.detectedAt,
        holdId: incident.holdId ?? null,
        alert: { id: alert.id, detector: alert.detector, severity: alert.severity, score: alert.score, reasons: alert.reasons, api: alert.api ?? null },
      },
    });
  }

  async #mayRead(actor: Actor, target: string): Promise<void> {
    await authorize(this.#context, actor, 'read.incidents', target, hasRole(actor, 'admin', 'security', 'auditor'), READERS);
  }

  async #find(id: string): Promise<Incident> {
    const incident = await this.#context.store.detection.getIncident(id);
    if (incident === undefined) throw notFound(id);
    return incident;
  }
}

function notFound(id: string): GovernanceError {
  return new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no incident has the id ${id}; list them with warden incidents list`);
}

function isClosed(status: IncidentStatus): boolean {
  return status === 'resolved' || status === 'false_positive';
}

/** What the admin log keeps of an incident: enough to read a change, never the alerts' detail. */
function summary(incident: Incident): Record<string, unknown> {
  return { agent: incident.agent, status: incident.status, severity: incident.severity, detectors: incident.detectors, alerts: incident.alertCount, holdId: incident.holdId ?? null, resolution: incident.resolution ?? null };
}
