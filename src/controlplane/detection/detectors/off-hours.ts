import type { DetectionContext } from '../detection-context.js';
import { MAX_EVENT_IDS, clampScore, type Detector, type Finding } from './detector.js';

/** Calls in one clock hour before it counts as activity rather than a stray call. */
const MIN_CALLS = 5;
/** Active hours around this hour of day the baseline may hold and still count as "never active". */
const QUIET = 1;
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/**
 * Activity at an hour of the day the agent was (almost) never active at: the hour before, at
 * and after, on any day of the week. Looking across the whole week and the neighbouring hours
 * keeps a business-hours agent working a little late, or on a Saturday, from looking like a
 * stolen key at 3 a.m. A mature agent's own hours decide: its role's hours are the union of
 * its members' time zones and shifts, so they would excuse anything. The role stands in
 * only while the agent is learning.
 */
export function offHoursDetector(): Detector {
  return {
    name: 'off-hours',
    inspect(ctx: DetectionContext): Finding | undefined {
      const facts = ctx.facts;
      const live = ctx.live;
      if (live.hourCalls < MIN_CALLS || !ctx.hasReference) return undefined;
      let agentActive = -1;
      let roleActive = -1;
      if (ctx.agentMature) {
        agentActive = ctx.agent.activeAround(facts.hourOfWeek, facts.hour);
        if (agentActive > QUIET) return undefined;
      } else {
        for (const role of ctx.matureRoles) {
          roleActive = Math.max(roleActive, role.activeAround(facts.hourOfWeek, facts.hour));
          if (roleActive > QUIET) return undefined;
        }
      }
      const hourOfDay = facts.hourOfWeek % 24;
      const day = DAYS[Math.floor(facts.hourOfWeek / 24)]!;
      const window = `${pad(hourOfDay - 1)}:00 and ${pad(hourOfDay + 2)}:00 UTC`;
      const reasons = [`${live.hourCalls} calls between ${pad(hourOfDay)}:00 and ${pad(hourOfDay + 1)}:00 UTC on ${day}.`];
      if (agentActive >= 0) reasons.push(`Over its baseline this agent was active in ${Math.round(agentActive)} clock hours between ${window} on any day of the week.`);
      if (roleActive >= 0) reasons.push(`The agent is still learning; over their baselines its roles (${ctx.agentRoles.join(', ')}) were active in at most ${Math.round(roleActive)} clock hours between ${window} on any day of the week.`);
      const sensitive = facts.sensitivity === 'restricted' || facts.sensitivity === 'confidential';
      return {
        severity: live.hourCalls >= 20 || sensitive ? 'medium' : 'low',
        score: clampScore(40 + 2 * live.hourCalls + (sensitive ? 10 : 0)),
        reasons,
        firstEventTime: live.hourFirst,
        eventIds: live.recentEventIds(live.hourFirst, MAX_EVENT_IDS),
      };
    },
  };
}

function pad(hour: number): string {
  return String((hour + 24) % 24).padStart(2, '0');
}
