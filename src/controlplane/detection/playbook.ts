import type { PlaybookAction, PlaybookManifest, PlaybookWhen } from '../../model/manifests/index.js';
import { parseDuration } from '../../policy/duration.js';
import { parseRateLimit, type RateLimit } from '../../policy/rate-limit.js';
import { PLAYBOOK_ACTIONS, severityRank, type Alert, type PlannedAction } from './detection-types.js';

/** What to do about one alert, and which playbooks said so. */
export interface ResponsePlan {
  /** At most one of each action, in the order of PLAYBOOK_ACTIONS (alert first, revocation last). */
  readonly actions: readonly PlannedAction[];
  /** Names of the playbooks with a matching rule, sorted; empty when none matched. */
  readonly playbooks: readonly string[];
}

const ONLY_ALERT: readonly PlannedAction[] = Object.freeze([Object.freeze({ action: 'alert' as const })]);

/**
 * Plans the response to an alert the way roles decide a call: order never matters, every
 * matching rule of every playbook contributes, and the same action from several rules merges
 * into the strictest (the tightest throttle rate, the longest duration). With no matching rule
 * the alert is only raised. Fail-safe by construction: no action can grant anything.
 */
export function planResponse(playbooks: readonly PlaybookManifest[], alert: Alert): ResponsePlan {
  const matched = new Set<string>();
  const merged = new Map<PlannedAction['action'], PlannedAction>();
  for (const playbook of playbooks) {
    for (const rule of playbook.spec.rules) {
      if (!matches(rule.when, alert)) continue;
      matched.add(playbook.metadata.name);
      for (const action of rule.actions) {
        const next = planned(action, playbook.metadata.name);
        const before = merged.get(next.action);
        merged.set(next.action, before === undefined ? next : stricter(before, next));
      }
    }
  }
  if (merged.size === 0) return { actions: ONLY_ALERT, playbooks: [] };
  const actions = PLAYBOOK_ACTIONS.flatMap((name) => merged.get(name) ?? []);
  return { actions, playbooks: [...matched].sort() };
}

/** Every condition given holds; a condition left out matches any alert. */
function matches(when: PlaybookWhen | undefined, alert: Alert): boolean {
  if (when === undefined) return true;
  if (severityRank(alert.severity) < severityRank(when.minSeverity)) return false;
  if (when.detectors !== undefined && !when.detectors.includes(alert.detector)) return false;
  if (when.agents !== undefined && !when.agents.includes(alert.agent)) return false;
  if (when.roles !== undefined && !alert.roles.some((role) => when.roles!.includes(role))) return false;
  // An alert about no API (or one of unknown sensitivity) never matches a condition on it.
  if (when.apis !== undefined && (alert.api === undefined || !when.apis.includes(alert.api))) return false;
  if (when.apiSensitivity !== undefined && (alert.sensitivity === undefined || !(when.apiSensitivity as readonly string[]).includes(alert.sensitivity))) return false;
  return true;
}

/** The manifest action as the engine carries it out. */
function planned(action: PlaybookAction, playbook: string): PlannedAction {
  if (action.action === 'throttle') {
    rateOf(action.rate, playbook);
    return { action: 'throttle', rate: action.rate, forMs: durationOf(action.for, playbook) };
  }
  if (action.action === 'require-step-up') return { action: 'require-step-up', forMs: durationOf(action.for, playbook) };
  return { action: action.action };
}

/** The loader refused any other duration: one here means a playbook skipped validation. */
function durationOf(text: string, playbook: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`playbook ${playbook}: "${text}" is not a duration`);
  return ms;
}

/** As `durationOf`, for rates. */
function rateOf(text: string, playbook: string): RateLimit {
  const rate = parseRateLimit(text);
  if ('error' in rate) throw new Error(`playbook ${playbook}: ${rate.error}`);
  return rate;
}

/** Two plans of one action merged: the tighter rate and the longer time of either. */
function stricter(a: PlannedAction, b: PlannedAction): PlannedAction {
  if (a.action === 'throttle' && b.action === 'throttle') return { action: 'throttle', rate: tighter(a.rate, b.rate), forMs: Math.max(a.forMs, b.forMs) };
  if (a.action === 'require-step-up' && b.action === 'require-step-up') return { action: 'require-step-up', forMs: Math.max(a.forMs, b.forMs) };
  return a;
}

/** The rate letting fewer calls through on average; with equal averages, the smaller burst. */
function tighter(a: string, b: string): string {
  // Both were read by `rateOf` when planned.
  const x = parseRateLimit(a) as RateLimit;
  const y = parseRateLimit(b) as RateLimit;
  // Cross-multiplied, so 1/minute and 60/hour compare equal without rounding.
  const difference = x.limit * y.periodMs - y.limit * x.periodMs;
  return difference < 0 || (difference === 0 && x.burst <= y.burst) ? a : b;
}
