import { ordinaryHistory, storeBaselinesOf } from '../../src/cli/commands/demo-history.js';
import type { Store } from '../../src/controlplane/store/store.js';

/**
 * A harness `prepare` that stores the baselines of two weeks of an agent's ordinary work — one
 * CRM customer read every 20–40 s, round the clock, ending ten minutes ago — as a restarted
 * Warden loads the baselines it persisted. Searching, exporting and bursts are not in it.
 */
export function customerReaderBaselines(agent: string, roles: readonly string[]): (store: Store) => Promise<void> {
  return async (store) => {
    const history = ordinaryHistory({
      agent: { id: agent, name: agent, roles, owner: 'alice@example.com' },
      credential: 'key_history',
      api: { name: 'crm', operation: 'getCustomer', template: '/crm/customers/{customerId}', sensitivity: 'confidential', dataClasses: ['pii'] },
      path: (n) => `/crm/customers/c-${1000 + ((n * 7919) % 9000)}`,
      records: 1,
      days: 14,
      gapMs: [20_000, 40_000],
      endMs: Date.now() - 10 * 60_000,
    });
    await storeBaselinesOf(store, history, 7);
  };
}
