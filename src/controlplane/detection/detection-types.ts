/**
 * The vocabulary of detection (issue 8): what a detector raises, how bad it is, and what a
 * playbook may do about it. Types only; the engine, playbooks and incidents share them.
 */

import { DETECTOR_NAMES, RESPONSE_ACTIONS, SEVERITY_NAMES } from '../../model/detection-vocabulary.js';

/** The one list of each lives in the model, where the Playbook manifest schema needs it too. */
export const SEVERITIES = SEVERITY_NAMES;
export type Severity = (typeof SEVERITIES)[number];

/** Orders severities: low 0 … critical 3. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export const DETECTORS = DETECTOR_NAMES;
export type DetectorName = (typeof DETECTORS)[number];

/** What one detector raised about one agent. Times are the audit records' times, never the wall clock. */
export interface Alert {
  /** `alr_` + 16 hex digits. */
  readonly id: string;
  /** When it was raised: the time of the record that tipped it (ISO 8601). */
  readonly time: string;
  /** The first anomalous record's time (ISO 8601), the start of MTTD. */
  readonly firstEventTime: string;
  readonly agent: string;
  readonly roles: readonly string[];
  readonly detector: DetectorName;
  readonly severity: Severity;
  /** 0–100: how far from normal; comparable within one detector. */
  readonly score: number;
  /** Sentences a security engineer reads without the code: what was seen against what is normal. */
  readonly reasons: readonly string[];
  /** Audit record ids that show it (at most 20). */
  readonly eventIds: readonly string[];
  /** The API involved, if one. */
  readonly api: string | undefined;
  /** The highest sensitivity of the APIs involved (`public|internal|confidential|restricted`). */
  readonly sensitivity: string | undefined;
  /** The credential id (never a secret) the calls came with. */
  readonly credential: string | undefined;
}

/** What a playbook may do. None of them can grant access (fail-safe). */
export const PLAYBOOK_ACTIONS = RESPONSE_ACTIONS;

export type PlannedAction =
  | { readonly action: 'alert' }
  /** Every call of the agent counts against `rate` (e.g. `10/minute`) until `untilMs` after it starts. */
  | { readonly action: 'throttle'; readonly rate: string; readonly forMs: number }
  /** Every call of the agent needs a human's approval until `forMs` after it starts. */
  | { readonly action: 'require-step-up'; readonly forMs: number }
  | { readonly action: 'suspend' }
  | { readonly action: 'quarantine' }
  | { readonly action: 'revoke-credentials' };

/** A time-boxed restriction put on an agent by a playbook; it lapses at `until`, or a person lifts it. */
export interface ContainmentRecord {
  /** `cnt_` + 16 hex digits. */
  readonly id: string;
  readonly agent: string;
  readonly kind: 'throttle' | 'step-up';
  /** For `throttle`: the rate, e.g. `10/minute`. */
  readonly rate: string | undefined;
  readonly since: string;
  readonly until: string;
  /** The incident it belongs to. */
  readonly incident: string | undefined;
  /** `playbook:<name>` or the person who placed it. */
  readonly by: string;
}

export const INCIDENT_STATUSES = ['open', 'contained', 'resolved', 'false_positive'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** What was done about an incident, by whom, when. */
export interface IncidentAction {
  readonly time: string;
  /** `playbook:<name>`, `detector`, or a person's e-mail. */
  readonly by: string;
  /** A playbook action, or `status:<new status>`, `hold`, `reinstate`, `lift-containment`, `note`. */
  readonly action: string;
  readonly detail: string;
  /** False when the action could not be taken (with `detail` saying why). */
  readonly ok: boolean;
}

/** Alerts about one agent, grouped while the incident is open or contained. */
export interface Incident {
  /** `inc_` + 16 hex digits. */
  readonly id: string;
  readonly agent: string;
  readonly status: IncidentStatus;
  /** The highest severity of its alerts. */
  readonly severity: Severity;
  readonly detectors: readonly DetectorName[];
  readonly alertCount: number;
  /** The first anomalous record's time: where MTTD starts. */
  readonly firstEventAt: string;
  /** When the first alert was raised (record time in replay; wall clock live). */
  readonly detectedAt: string;
  /** When a containing action (throttle, step-up, suspend, quarantine, revoke) first took effect. */
  readonly containedAt: string | undefined;
  /** When it was resolved or marked a false positive. */
  readonly resolvedAt: string | undefined;
  readonly resolution: string | undefined;
  /** The legal hold on the agent's records, placed when the incident opened. */
  readonly holdId: string | undefined;
  readonly actions: readonly IncidentAction[];
  readonly updatedAt: string;
}
