import type { Containment } from '../../policy/containment.js';
import { compileRate } from '../../policy/rate-limit.js';
import type { ContainmentRecord } from '../detection/detection-types.js';

/** What an unreadable throttle rate becomes: a containment must never be loosened by a typo. */
const FALLBACK_RATE = '1/minute';

/**
 * The store's containments as the compiler takes them. Playbooks and the admin API validate
 * what they store, but a record that still cannot be read fails closed: a throttle with an
 * unreadable rate holds the agent to one call a minute, and says so.
 */
export function containmentsOf(records: readonly ContainmentRecord[], warnings: string[]): Containment[] {
  const containments: Containment[] = [];
  for (const record of records) {
    const until = Date.parse(record.until);
    if (Number.isNaN(until)) {
      warnings.push(`containment ${record.id} of ${record.agent} ends at "${record.until}", which is no time; it is left out`);
      continue;
    }
    let rate = record.rate;
    if (record.kind === 'throttle' && (rate === undefined || 'error' in compileRate(rate))) {
      warnings.push(`containment ${record.id} of ${record.agent} has no readable rate (${JSON.stringify(rate ?? null)}); the agent is held to ${FALLBACK_RATE} until ${record.until}`);
      rate = FALLBACK_RATE;
    }
    containments.push({ id: record.id, agent: record.agent, kind: record.kind, rate: record.kind === 'throttle' ? rate : undefined, until });
  }
  return containments;
}
