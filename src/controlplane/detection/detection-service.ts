import { randomBytes } from 'node:crypto';
import type { AuditEvent } from '../../model/audit-event.js';
import type { Snapshot } from '../../policy/snapshot.js';
import type { Actor } from '../agents/lifecycle.js';
import type { Governance } from '../governance/governance.js';
import { putInForce } from '../governance/governance-context.js';
import { catalogFromSnapshot } from './detection-catalog.js';
import type { DetectionEngine } from './detection-engine.js';
import type { Alert, ContainmentRecord, Incident, PlannedAction } from './detection-types.js';
import { planResponse } from './playbook.js';

export interface DetectionServiceOptions {
  readonly engine: DetectionEngine;
  readonly governance: Governance;
  /** How often the baselines are written to the store (and once more on close). */
  readonly saveEveryMs: number;
  readonly onError: (error: Error) => void;
}

/** What the service did, for `/metrics`-style status and tests. */
export interface DetectionStatus {
  readonly observed: number;
  readonly alerts: number;
  /** Records waiting to be looked at: the detection lag. */
  readonly queued: number;
  /** Records not looked at because the queue was full (they are in the audit log all the same). */
  readonly skipped: number;
}

/** The most records waiting for detection; beyond it they are skipped (and counted), never held in memory without bound. */
const MAX_QUEUED = 200_000;
/** Records looked at per turn of the event loop, so a backlog never blocks the gateway's requests for long. */
const BATCH = 2_000;

/**
 * Live detection (issue 8): the control plane's consumer of the AuditEvent stream. Records are
 * queued as the gateway writes them and looked at in batches on the next turn of the event
 * loop, off the request path. Each alert joins (or opens) its agent's incident and the
 * playbooks' response is carried out through governance — a state change and a new snapshot,
 * never a reach into the data plane (DESIGN.md §1) — and written to the incident.
 */
export class DetectionService {
  readonly #engine: DetectionEngine;
  readonly #governance: Governance;
  readonly #options: DetectionServiceOptions;
  #queue: AuditEvent[] = [];
  /** The next record of `#queue` to look at. */
  #head = 0;
  #scheduled = false;
  #responding: Promise<void> = Promise.resolve();
  /** Per agent, the operations (`api.operation`) the last snapshot let it call. */
  #granted: Map<string, Set<string>> | undefined;
  #saveTimer: NodeJS.Timeout | undefined;
  #observed = 0;
  #alerts = 0;
  #skipped = 0;
  #warnedSkipAt = 0;
  #closed = false;

  private constructor(options: DetectionServiceOptions) {
    this.#engine = options.engine;
    this.#governance = options.governance;
    this.#options = options;
  }

  /** Loads the persisted baselines, learns the policy in force and starts saving baselines. */
  static async start(options: DetectionServiceOptions): Promise<DetectionService> {
    const service = new DetectionService(options);
    const stored = await options.governance.context.store.detection.loadBaselines();
    options.engine.importBaselines(stored.map((record) => ({ subject: record.subject, state: record.state })));
    const snapshot = options.governance.context.publisher.current?.snapshot;
    if (snapshot !== undefined) service.policyChanged(snapshot);
    service.#saveTimer = setInterval(() => void service.saveBaselines().catch(options.onError), options.saveEveryMs);
    service.#saveTimer.unref();
    return service;
  }

  /** Takes one audit record; cheap enough for the request thread (a push). */
  observe(event: AuditEvent): void {
    if (this.#closed) return;
    if (this.#queue.length - this.#head >= MAX_QUEUED) {
      this.#skipped++;
      const now = Date.now();
      if (now - this.#warnedSkipAt >= 60_000) {
        this.#warnedSkipAt = now;
        this.#options.onError(new Error(`detection: ${MAX_QUEUED} records are waiting to be looked at; ${this.#skipped} skipped so far (they are in the audit log; replay it with warden detect replay)`));
      }
      return;
    }
    this.#queue.push(event);
    this.#schedule();
  }

  /**
   * A new snapshot: the catalog (sensitivity, lifecycle) changes, and operations granted since
   * the previous one are told to the engine, so calling what was granted yesterday is learned,
   * not flagged. The first snapshot only sets the starting point.
   */
  policyChanged(snapshot: Snapshot): void {
    this.#engine.setCatalog(catalogFromSnapshot(snapshot));
    const granted = new Map<string, Set<string>>();
    for (const agent of snapshot.agents.values()) {
      const operations = new Set<string>();
      for (const index of agent.access.callable) {
        const operation = snapshot.operations[index]!;
        operations.add(`${operation.api.name}.${operation.id}`);
      }
      granted.set(agent.name, operations);
    }
    const previous = this.#granted;
    this.#granted = granted;
    if (previous === undefined) return;
    const now = this.#governance.context.now();
    for (const [agent, operations] of granted) {
      const before = previous.get(agent);
      const added = [...operations].filter((operation) => before === undefined || !before.has(operation));
      if (added.length > 0) this.#engine.noteGrants(agent, added, now);
    }
  }

  status(): DetectionStatus {
    return { observed: this.#observed, alerts: this.#alerts, queued: this.#queue.length - this.#head, skipped: this.#skipped };
  }

  /** Resolves once every record handed over so far was looked at and every response taken. */
  async settled(): Promise<void> {
    while (this.#scheduled || this.#queue.length > this.#head) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.#responding;
  }

  async saveBaselines(): Promise<void> {
    const updatedAt = this.#governance.context.now();
    await this.#governance.context.store.detection.saveBaselines(this.#engine.exportBaselines().map((record) => ({ ...record, updatedAt })));
  }

  /** Looks at what is queued, finishes the responses under way and saves the baselines. */
  async close(): Promise<void> {
    clearInterval(this.#saveTimer);
    await this.settled();
    this.#closed = true;
    await this.saveBaselines();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    const end = Math.min(this.#queue.length, this.#head + BATCH);
    for (; this.#head < end; this.#head++) {
      const event = this.#queue[this.#head]!;
      this.#observed++;
      let alerts: Alert[];
      try {
        alerts = this.#engine.observe(event);
      } catch (error) {
        this.#options.onError(new Error(`detection: record ${event.id} could not be looked at: ${(error as Error).message}`));
        continue;
      }
      for (const alert of alerts) {
        this.#alerts++;
        // One response at a time, in the order raised: a suspension follows the throttle it escalates.
        this.#responding = this.#responding.then(() => this.#respond(alert)).catch((error: Error) => this.#options.onError(new Error(`detection: the response to ${alert.detector} on ${alert.agent} failed: ${error.message}`)));
      }
    }
    if (this.#head < this.#queue.length) return this.#schedule();
    this.#queue = [];
    this.#head = 0;
  }

  async #respond(alert: Alert): Promise<void> {
    const { incident } = await this.#governance.incidents.raise(alert);
    const playbooks = this.#governance.context.publisher.manifests?.playbooks ?? [];
    const plan = planResponse(playbooks, alert);
    const actor: Actor = { subject: plan.playbooks.length === 0 ? 'detector' : `playbook:${plan.playbooks.join(',')}`, roles: ['security'] };
    for (const action of plan.actions) await this.#take(action, alert, incident, actor);
  }

  /** Carries out one action and writes it to the incident, whether it worked or not. */
  async #take(action: PlannedAction, alert: Alert, incident: Incident, actor: Actor): Promise<void> {
    const context = this.#governance.context;
    const reason = `incident ${incident.id}: ${alert.detector} (${alert.severity}) — ${alert.reasons[0] ?? 'anomalous activity'}`;
    const record = async (detail: string, ok: boolean, contains: boolean) => {
      await this.#governance.incidents.recordAction(incident.id, { time: context.now().toISOString(), by: actor.subject, action: action.action, detail, ok }, contains && ok);
    };
    try {
      switch (action.action) {
        case 'alert':
          return await record(`${alert.detector} alert raised (${alert.severity}, score ${alert.score})`, true, false);
        case 'throttle':
        case 'require-step-up': {
          const now = context.now();
          const until = new Date(now.getTime() + action.forMs);
          const containment: ContainmentRecord = {
            id: `cnt_${randomBytes(8).toString('hex')}`,
            agent: alert.agent,
            kind: action.action === 'throttle' ? 'throttle' : 'step-up',
            rate: action.action === 'throttle' ? action.rate : undefined,
            since: now.toISOString(),
            until: until.toISOString(),
            incident: incident.id,
            by: actor.subject,
          };
          await context.store.detection.putContainment(containment);
          await context.log.changed(actor, 'containment.place', `agent/${alert.agent}`, { after: containment, detail: reason });
          await putInForce(context);
          const what = action.action === 'throttle' ? `calls limited to ${action.rate}` : 'every call needs a human approval';
          return await record(`${what} until ${until.toISOString()}`, true, true);
        }
        case 'suspend':
        case 'quarantine': {
          const current = await context.store.governance.getAgent(alert.agent);
          const target = action.action === 'suspend' ? 'suspended' : 'quarantined';
          // Already held (by an earlier alert or a person): nothing to do, and nothing worth a line.
          if (current === undefined || current.state === target || (action.action === 'suspend' && current.state === 'quarantined')) return;
          await this.#governance.agents.act(actor, alert.agent, action.action, reason);
          return await record(`agent ${current.state} → ${target}`, true, true);
        }
        case 'revoke-credentials': {
          const keys = (await this.#governance.credentials.list({ agent: alert.agent })).filter((key) => key.status === 'active' || key.status === 'expiring');
          for (const key of keys) await this.#governance.credentials.revoke(actor, key.id, reason);
          if (keys.length === 0) return;
          return await record(`revoked ${keys.map((key) => key.id).join(', ')}`, true, true);
        }
      }
    } catch (error) {
      await record(`could not ${action.action}: ${(error as Error).message}`, false, false);
    }
  }
}
