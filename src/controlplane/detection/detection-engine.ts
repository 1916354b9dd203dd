import { randomBytes } from 'node:crypto';
import type { AuditEvent } from '../../model/audit-event.js';
import { TEN_MINUTES } from './agent-features.js';
import { Baseline } from './agent-baseline.js';
import { AgentState } from './agent-state.js';
import type { DetectionCatalog } from './detection-catalog.js';
import { DetectionContext, select } from './detection-context.js';
import { DETECTORS, severityRank, type Alert, type DetectorName } from './detection-types.js';
import { bulkReadDetector } from './detectors/bulk-read.js';
import { burstDetector } from './detectors/burst.js';
import { CredentialSharingDetector } from './detectors/credential-sharing.js';
import { MAX_EVENT_IDS, type Detector, type Finding } from './detectors/detector.js';
import { crossCustomerDetector } from './detectors/cross-customer.js';
import { enumerationDetector } from './detectors/enumeration.js';
import { injectionDetector } from './detectors/injection.js';
import { lateralMovementDetector } from './detectors/lateral-movement.js';
import { newNetworkDetector } from './detectors/new-network.js';
import { newSensitiveOperationDetector } from './detectors/new-sensitive-operation.js';
import { offHoursDetector } from './detectors/off-hours.js';
import { scopeProbingDetector } from './detectors/scope-probing.js';
import { zombieApiDetector } from './detectors/zombie-api.js';
import { EventFacts } from './event-facts.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Per detector cooldowns: an ongoing zombie use is one alert a week, a new country one a day. */
const DEFAULT_COOLDOWNS: Readonly<Partial<Record<DetectorName, number>>> = {
  'zombie-api': 7 * DAY_MS,
  'new-network': DAY_MS,
};

export interface DetectionEngineOptions {
  /** Days an agent (or role) is observed before it is compared with its own baseline. Default 7. */
  readonly learningDays?: number;
  /** Days after a grant during which calling the granted operation is learned, not flagged. Default 7. */
  readonly grantGraceDays?: number;
  readonly catalog?: DetectionCatalog;
  /**
   * How long an agent × detector stays quiet after an alert unless severity rises: one number
   * for every detector (default 1 h; zombie-api 7 days, new-network 1 day keep theirs unless
   * named), or per detector.
   */
  readonly cooldownMs?: number | Partial<Record<DetectorName, number>>;
}

/** One exported baseline: `agent:<name>` or `role:<name>`, with its state as JSON. */
export interface BaselineRecord {
  readonly subject: string;
  readonly state: string;
}

export interface DetectionStats {
  /** Agents with a baseline. */
  readonly agents: number;
  /** Roles with a baseline. */
  readonly roles: number;
  /** Records observed since the engine started. */
  readonly observed: number;
  /** Alerts raised since the engine started. */
  readonly alerts: number;
}

/**
 * The streaming detection engine (issue 8): per-agent and per-role baselines learned from
 * the audit stream and twelve detectors comparing each record against them. Pure: no I/O,
 * and the clock is the records' own time, so replaying weeks of history gives the same
 * alerts (apart from their ids).
 */
export class DetectionEngine {
  readonly #learningMs: number;
  readonly #graceMs: number;
  readonly #cooldowns: Float64Array;
  #catalog: DetectionCatalog | undefined;
  readonly #agents = new Map<string, AgentState>();
  readonly #roles = new Map<string, Baseline>();
  readonly #facts = new EventFacts();
  readonly #ctx = new DetectionContext();
  readonly #credentialSharing: CredentialSharingDetector;
  readonly #detectors: readonly Detector[];
  /** DETECTORS index of each entry of `#detectors`. */
  readonly #indexes: readonly number[];
  #observed = 0;
  #alerts = 0;

  constructor(options: DetectionEngineOptions = {}) {
    this.#learningMs = (options.learningDays ?? 7) * DAY_MS;
    this.#graceMs = (options.grantGraceDays ?? 7) * DAY_MS;
    this.#catalog = options.catalog;
    const configured = options.cooldownMs;
    this.#cooldowns = new Float64Array(DETECTORS.map((name) => {
      if (typeof configured === 'object' && configured[name] !== undefined) return configured[name];
      return DEFAULT_COOLDOWNS[name] ?? (typeof configured === 'number' ? configured : HOUR_MS);
    }));
    this.#credentialSharing = new CredentialSharingDetector((agent, timeMs) => {
      const baseline = this.#agents.get(agent)?.baseline;
      return baseline?.mature(timeMs, this.#learningMs) ? baseline : undefined;
    });
    this.#detectors = [
      burstDetector(),
      scopeProbingDetector(),
      newSensitiveOperationDetector(),
      bulkReadDetector(),
      offHoursDetector(),
      newNetworkDetector(),
      enumerationDetector(),
      lateralMovementDetector(),
      zombieApiDetector(),
      injectionDetector(),
      this.#credentialSharing,
      crossCustomerDetector(),
    ];
    this.#indexes = this.#detectors.map((detector) => DETECTORS.indexOf(detector.name));
  }

  /** Looks at one audit record and returns the alerts it raises (usually none). */
  observe(event: AuditEvent): Alert[] {
    this.#observed++;
    const facts = this.#facts;
    if (!facts.fill(event, this.#catalog)) return [];
    const identified = event.agent;
    if (identified === undefined) return this.#unidentified(facts);
    const t = facts.timeMs;
    const name = identified.name;
    let state = this.#agents.get(name);
    if (state === undefined) {
      state = new AgentState(new Baseline(t));
      this.#agents.set(name, state);
    } else if (state.baseline.events === 0) {
      // Created by a grant before its first call: learning starts with the first call.
      state.baseline.first = t;
    }
    state.roles = identified.roles;
    const ctx = this.#ctx;
    ctx.roles.length = 0;
    ctx.matureRoles.length = 0;
    for (const role of identified.roles) {
      let baseline = this.#roles.get(role);
      if (baseline === undefined) {
        baseline = new Baseline(t);
        this.#roles.set(role, baseline);
      }
      ctx.roles.push(baseline);
      if (baseline.mature(t, this.#learningMs)) ctx.matureRoles.push(baseline);
    }
    const live = state.live;
    const agentMature = state.baseline.mature(t, this.#learningMs);
    if (live.day !== -1 && facts.day > live.day && !live.dayTainted) {
      state.baseline.learnDay(live, agentMature);
      for (const role of ctx.roles) role.learnDay(live, role.mature(t, this.#learningMs));
    }
    live.observe(facts);
    const previous = live.previousOp;
    facts.transition = previous !== '' && facts.opKey !== '' && previous !== facts.opKey ? facts.key(previous, '>', facts.opKey) : '';

    ctx.facts = facts;
    ctx.live = live;
    ctx.agent = state.baseline;
    ctx.agentName = name;
    ctx.agentRoles = identified.roles;
    ctx.agentMature = agentMature;
    ctx.catalog = this.#catalog;
    ctx.grants = state.grants.size > 0 ? state.grants : undefined;
    ctx.graceMs = this.#graceMs;

    if (facts.executed && facts.apiName !== '') {
      const slot = live.apiSlot(facts.apiName);
      const fresh = slot === -1 || t - live.apiLast[slot]! > TEN_MINUTES;
      const isNew = fresh && ctx.hasReference && !ctx.knows(select.apis, facts.apiName) && !ctx.grantedApiRecently(facts.apiName);
      live.touchApi(facts.apiName, t, slot, isNew);
    }
    if (facts.denied) live.noteDenial(facts, ctx.outsideRoles());

    let alerts: Alert[] | undefined;
    let found = false;
    for (let i = 0; i < this.#detectors.length; i++) {
      const finding = this.#detectors[i]!.inspect(ctx);
      if (finding === undefined) continue;
      found = true;
      if (finding.ongoing) continue;
      const alert = this.#raise(state, name, identified.roles, this.#indexes[i]!, finding, facts);
      if (alert !== undefined) (alerts ??= []).push(alert);
    }
    if (found) {
      // Neither this record nor the windows around it become the new normal.
      live.quietUntil = t + TEN_MINUTES;
      live.dayTainted = true;
      state.baseline.discardPending();
      if (live.ids !== undefined) live.ids.windowTainted = true;
      for (const role of ctx.roles) role.discardPending();
    } else {
      const peaks = t >= live.quietUntil;
      state.baseline.learn(facts, live, peaks, agentMature, undefined);
      for (const role of ctx.roles) role.learn(facts, live, peaks, role.mature(t, this.#learningMs), name);
    }
    if (facts.opKey !== '' && facts.executed) live.previousOp = facts.opKey;
    return alerts ?? [];
  }

  /** Operations newly granted to `agent` (`api.operation`): calling them within the grace period is learned, not flagged. */
  noteGrants(agent: string, operations: readonly string[], at: Date): void {
    let state = this.#agents.get(agent);
    if (state === undefined) {
      state = new AgentState(new Baseline(at.getTime()));
      this.#agents.set(agent, state);
    }
    const time = at.getTime();
    state.pruneGrants(time, this.#graceMs);
    for (const op of operations) state.grants.set(op, time);
  }

  /** Replaces the catalog (sensitivity, lifecycle, what roles grant). */
  setCatalog(catalog: DetectionCatalog): void {
    this.#catalog = catalog;
  }

  /** Every agent's and role's baseline, to store and `importBaselines` after a restart. */
  exportBaselines(): BaselineRecord[] {
    const records: BaselineRecord[] = [];
    for (const [name, state] of this.#agents) records.push({ subject: `agent:${name}`, state: JSON.stringify(state) });
    for (const [name, baseline] of this.#roles) records.push({ subject: `role:${name}`, state: JSON.stringify(baseline) });
    return records;
  }

  /** Loads baselines `exportBaselines` produced; records that cannot be read are skipped. Returns how many were loaded. */
  importBaselines(records: readonly BaselineRecord[]): number {
    let loaded = 0;
    for (const record of records) {
      let json: unknown;
      try {
        json = JSON.parse(record.state);
      } catch {
        continue;
      }
      if (json === null || typeof json !== 'object' || Array.isArray(json)) continue;
      const state = json as Record<string, unknown>;
      if (record.subject.startsWith('agent:')) this.#agents.set(record.subject.slice(6), AgentState.fromJSON(state));
      else if (record.subject.startsWith('role:')) this.#roles.set(record.subject.slice(5), Baseline.fromJSON(state));
      else continue;
      loaded++;
    }
    return loaded;
  }

  /** Counts for metrics. */
  stats(): DetectionStats {
    return { agents: this.#agents.size, roles: this.#roles.size, observed: this.#observed, alerts: this.#alerts };
  }

  /** A call no agent was identified for: only credential-sharing can say something, about the credential's agent. */
  #unidentified(facts: EventFacts): Alert[] {
    const finding = this.#credentialSharing.inspectFacts(facts, undefined);
    const agent = finding?.agent;
    const state = agent === undefined ? undefined : this.#agents.get(agent);
    if (finding === undefined || agent === undefined || state === undefined) return [];
    const alert = this.#raise(state, agent, state.roles, DETECTORS.indexOf('credential-sharing'), finding, facts);
    return alert === undefined ? [] : [alert];
  }

  /** Turns a finding into an alert unless the agent × detector is in cooldown and severity did not rise. */
  #raise(state: AgentState, agent: string, roles: readonly string[], index: number, finding: Finding, facts: EventFacts): Alert | undefined {
    const rank = severityRank(finding.severity);
    const t = facts.timeMs;
    if (t - state.lastAlert[index]! < this.#cooldowns[index]! && rank <= state.lastRank[index]!) return undefined;
    state.lastAlert[index] = t;
    state.lastRank[index] = rank;
    this.#alerts++;
    const event = facts.event;
    return {
      id: `alr_${randomBytes(8).toString('hex')}`,
      time: event.time,
      firstEventTime: finding.firstEventTime < t ? new Date(finding.firstEventTime).toISOString() : event.time,
      agent,
      roles,
      detector: DETECTORS[index]!,
      severity: finding.severity,
      score: finding.score,
      reasons: finding.reasons,
      eventIds: finding.eventIds.length > MAX_EVENT_IDS ? finding.eventIds.slice(-MAX_EVENT_IDS) : finding.eventIds,
      api: facts.apiName === '' ? undefined : facts.apiName,
      sensitivity: facts.sensitivity === '' ? undefined : facts.sensitivity,
      credential: event.credential?.id,
    };
  }
}
