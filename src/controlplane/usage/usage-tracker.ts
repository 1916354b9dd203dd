import type { AuditEvent } from '../../model/audit-event.js';
import type { UsageRecord } from '../store/governance-store.js';
import type { Store } from '../store/store.js';

/**
 * What agents actually use, from the AuditEvent stream (DESIGN.md §1: events go up): per agent,
 * operation and allowing rule the calls and the last call, and when each API key was last
 * used. Counted in memory on the way past and written every few seconds, so access reviews,
 * risk baselines and key listings never scan the audit log.
 */
export class UsageTracker {
  #usage = new Map<string, { agent: string; api: string; operation: string; rule: string; lastUsedAt: number; calls: number }>();
  #keys = new Map<string, number>();
  #flushing: Promise<void> | undefined;

  constructor(private readonly store: Store) {}

  /** Takes note of one request; never throws, never waits. */
  observe(event: AuditEvent): void {
    const agent = event.agent?.name;
    if (agent === undefined) return;
    const time = Date.parse(event.time);
    if (event.credential?.kind === 'apiKey') this.#keys.set(event.credential.id, Math.max(time, this.#keys.get(event.credential.id) ?? 0));
    const api = event.api;
    if (api === undefined || event.decision.outcome === 'deny') return;
    const rule = event.decision.outcome === 'allow' ? (event.decision.rule ?? '') : '';
    const key = `${agent}\n${api.name}\n${api.operation}\n${rule}`;
    const entry = this.#usage.get(key);
    if (entry === undefined) this.#usage.set(key, { agent, api: api.name, operation: api.operation, rule, lastUsedAt: time, calls: 1 });
    else {
      entry.calls++;
      if (time > entry.lastUsedAt) entry.lastUsedAt = time;
    }
  }

  /** Writes what was counted since the last flush; on failure it is kept for the next one. */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#usage.size === 0 && this.#keys.size === 0) return;
    const usage = this.#usage;
    const keys = this.#keys;
    this.#usage = new Map();
    this.#keys = new Map();
    const records: UsageRecord[] = [...usage.values()].map((entry) => ({ ...entry, lastUsedAt: new Date(entry.lastUsedAt) }));
    this.#flushing = (async () => {
      try {
        await this.store.governance.recordUsage(records);
        await this.store.markApiKeysUsed(new Map([...keys].map(([id, time]) => [id, new Date(time)])));
      } catch (error) {
        for (const [key, entry] of usage) {
          const newer = this.#usage.get(key);
          if (newer === undefined) this.#usage.set(key, entry);
          else {
            newer.calls += entry.calls;
            newer.lastUsedAt = Math.max(newer.lastUsedAt, entry.lastUsedAt);
          }
        }
        for (const [id, time] of keys) this.#keys.set(id, Math.max(time, this.#keys.get(id) ?? 0));
        throw error;
      } finally {
        this.#flushing = undefined;
      }
    })();
    await this.#flushing;
  }
}
