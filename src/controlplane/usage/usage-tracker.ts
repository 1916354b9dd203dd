import type { AuditEvent } from '../../model/audit-event.js';
import type { Store } from '../store/store.js';

/** Calls of one agent to one operation under one rule, counted since the last flush. */
interface UsageEntry {
  readonly agent: string;
  readonly api: string;
  readonly operation: string;
  readonly rule: string;
  /** ISO 8601 UTC as AuditEvent.time writes it: text order is time order, no parsing per call. */
  lastUsedAt: string;
  calls: number;
}

/**
 * What agents actually use, from the AuditEvent stream (DESIGN.md §1: events go up): per agent,
 * operation and allowing rule the calls and the last call, and when each API key was last
 * used. Counted in memory on the way past and written every few seconds, so access reviews,
 * risk baselines and key listings never scan the audit log.
 */
export class UsageTracker {
  #usage = new Map<string, UsageEntry>();
  #keys = new Map<string, string>();
  #flushing: Promise<void> | undefined;

  constructor(private readonly store: Store) {}

  /** Takes note of one request; never throws, never waits. */
  observe(event: AuditEvent): void {
    const agent = event.agent?.name;
    if (agent === undefined) return;
    const time = event.time;
    if (event.credential?.kind === 'apiKey') this.#keys.set(event.credential.id, later(time, this.#keys.get(event.credential.id)));
    const api = event.api;
    // An undeclared path (discovery: learn) uses no grant and no operation.
    if (api === undefined || api.undeclared === true || event.decision.outcome === 'deny') return;
    const rule = event.decision.outcome === 'allow' ? (event.decision.rule ?? '') : '';
    const key = `${agent}\n${api.name}\n${api.operation}\n${rule}`;
    const entry = this.#usage.get(key);
    if (entry === undefined) this.#usage.set(key, { agent, api: api.name, operation: api.operation, rule, lastUsedAt: time, calls: 1 });
    else {
      entry.calls++;
      if (time > entry.lastUsedAt) entry.lastUsedAt = time;
    }
  }

  /** Writes what was counted since the last flush; what could not be written is kept for the next one. */
  async flush(): Promise<void> {
    // Wait for a flush under way, whatever became of it: this one writes what is left either way.
    while (this.#flushing !== undefined) await this.#flushing.catch(() => undefined);
    if (this.#usage.size === 0 && this.#keys.size === 0) return;
    const usage = this.#usage;
    const keys = this.#keys;
    this.#usage = new Map();
    this.#keys = new Map();
    this.#flushing = this.#write(usage, keys).finally(() => (this.#flushing = undefined));
    await this.#flushing;
  }

  /** Writes calls, then key times; each part that fails goes back to be written next time, once. */
  async #write(usage: Map<string, UsageEntry>, keys: Map<string, string>): Promise<void> {
    try {
      await this.store.governance.recordUsage([...usage.values()].map((entry) => ({ ...entry, lastUsedAt: new Date(entry.lastUsedAt) })));
    } catch (error) {
      this.#keep(usage, keys);
      throw error;
    }
    try {
      await this.store.markApiKeysUsed(new Map([...keys].map(([id, time]) => [id, new Date(time)])));
    } catch (error) {
      // The calls are written: keeping them would count them twice.
      this.#keep(new Map(), keys);
      throw error;
    }
  }

  #keep(usage: Map<string, UsageEntry>, keys: Map<string, string>): void {
    for (const [key, entry] of usage) {
      const newer = this.#usage.get(key);
      if (newer === undefined) this.#usage.set(key, entry);
      else {
        newer.calls += entry.calls;
        newer.lastUsedAt = later(newer.lastUsedAt, entry.lastUsedAt);
      }
    }
    for (const [id, time] of keys) this.#keys.set(id, later(time, this.#keys.get(id)));
  }
}

function later(a: string, b: string | undefined): string {
  return b === undefined || a > b ? a : b;
}
