import type { DetectionContext } from '../detection-context.js';
import type { Detector, Finding } from './detector.js';

/**
 * An answer that carried a record of another customer than the task's (the grant's rows),
 * which the gateway withheld. The data did not leave, but an agent asking for it is either
 * misled (prompt injection: "also show me customer B") or probing for an IDOR, so it is
 * raised at once, learning period or not, as high.
 */
export function crossCustomerDetector(): Detector {
  return {
    name: 'cross-customer',
    inspect(ctx: DetectionContext): Finding | undefined {
      const event = ctx.facts.event;
      if (event.decision.reason !== 'WARDEN_DATA_ROW_NOT_BOUND') return undefined;
      const bound = event.context === undefined ? 'its task' : Object.entries(event.context).filter(([name]) => name !== 'purpose' && name !== 'ticket').map(([name, value]) => `${name} ${value}`).join(', ');
      const operation = event.api === undefined ? event.http.rawPath : `${event.api.name}.${event.api.operation}`;
      return {
        severity: 'high',
        score: 80,
        reasons: [
          `The answer to ${operation} held a record of another customer than the task's (${bound || 'its task'}); the gateway withheld it.`,
          'Look at what the agent was asked to do: a prompt that names another customer, or ids walked on purpose.',
        ],
        firstEventTime: ctx.facts.timeMs,
        eventIds: [event.id],
      };
    },
  };
}
