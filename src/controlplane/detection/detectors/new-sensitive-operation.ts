import { select, type DetectionContext } from '../detection-context.js';
import { SENSITIVE_CLASSES } from '../event-facts.js';
import { MAX_EVENT_IDS, clampScore, type Detector, type Finding } from './detector.js';

/** Calls of the same never-seen sensitive operation, each within 10 minutes of the last, that make it a pattern rather than a one-off. */
const REPEATED = 3;

/**
 * The first call of an operation neither the agent nor its roles ever made, when it is
 * sensitive — a confidential or restricted API, sensitive data classes, or a write — and was
 * not granted to the agent recently (a fresh grant is learned, not flagged). Refusals are
 * scope-probing's business: this looks at calls that went through. Such a call is not
 * learned, so each later one is new too: a third within minutes of the last (an agent
 * creating instance after instance it never created) is a pattern, and at least high.
 */
export function newSensitiveOperationDetector(): Detector {
  return {
    name: 'new-sensitive-operation',
    inspect(ctx: DetectionContext): Finding | undefined {
      const facts = ctx.facts;
      if (!facts.executed || facts.opKey === '' || facts.event.api?.undeclared) return undefined;
      if (!ctx.hasReference || ctx.knows(select.ops, facts.opKey) || ctx.grantedRecently(facts.opKey)) return undefined;
      const restricted = facts.sensitivity === 'restricted';
      const confidential = facts.sensitivity === 'confidential';
      const classes = facts.dataClasses.filter((dataClass) => SENSITIVE_CLASSES.has(dataClass.toLowerCase()));
      if (!restricted && !confidential && classes.length === 0 && !facts.write) return undefined;
      const newClasses = classes.filter((dataClass) => !ctx.knows(select.dataClasses, dataClass));
      const calls = ctx.live.noteNovel(facts.opKey, facts.timeMs);
      const repeated = calls >= REPEATED;
      const score = clampScore(50 + (restricted ? 20 : confidential ? 10 : 0) + (classes.length > 0 ? 10 : 0) + (newClasses.length > 0 ? 10 : 0) + (facts.write ? 10 : 0) + (repeated ? 15 : 0));
      const roles = ctx.agentRoles.join(', ') || 'none';
      const reasons = [`${calls === 1 ? 'First call' : `Call ${calls}`} of ${facts.opKey} by this agent: neither it nor its roles (${roles}) called it in their baselines, and it was not granted to the agent in the last ${Math.round(ctx.graceMs / 86_400_000)} days.`];
      if (restricted || confidential) reasons.push(`The API ${facts.apiName} is ${facts.sensitivity}.`);
      if (classes.length > 0) reasons.push(newClasses.length > 0 ? `It handles ${classes.join(', ')} data; the agent and its roles never touched ${newClasses.join(', ')} data before.` : `It handles ${classes.join(', ')} data.`);
      if (facts.write) reasons.push(`It changes data (${facts.event.http.method}).`);
      const first = repeated ? ctx.live.novelFirst : facts.timeMs;
      if (repeated) reasons.push(`The ${calls} calls since ${new Date(first).toISOString()} came each within 10 minutes of the last: a pattern, not a one-off.`);
      return {
        severity: score >= 95 ? 'critical' : score >= 75 || repeated ? 'high' : 'medium',
        score,
        reasons,
        firstEventTime: first,
        eventIds: repeated ? ctx.live.recentEventIds(first, MAX_EVENT_IDS) : [facts.event.id],
      };
    },
  };
}
