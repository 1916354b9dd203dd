import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../model/api-key.js';
import type { AuditDecision, AuditEvent } from '../../model/audit-event.js';
import type { GovernanceStore, UsageRecord } from '../store/governance-store.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { UsageTracker } from './usage-tracker.js';

const T = (minute: number) => new Date(Date.UTC(2025, 6, 1, 9, minute, 0));

let directory: string;
let store: Store;
let sequence = 0;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'warden-usage-'));
  store = await openSqliteStore(path.join(directory, 'warden.db'));
});

afterEach(async () => {
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

interface EventSpec {
  readonly agent?: string | undefined;
  readonly time: Date;
  readonly credential?: AuditEvent['credential'];
  readonly api?: string;
  readonly operation?: string;
  readonly outcome?: AuditDecision['outcome'];
  readonly rule?: string | undefined;
  readonly noApi?: boolean;
}

function event(spec: EventSpec): AuditEvent {
  const outcome = spec.outcome ?? 'allow';
  const agent = 'agent' in spec ? spec.agent : 'support-bot';
  return {
    v: 1,
    id: `evt_${++sequence}`,
    time: spec.time.toISOString(),
    requestId: `req_${sequence}`,
    traceId: undefined,
    node: 'test-node',
    agent: agent === undefined ? undefined : { id: agent, name: agent, roles: ['customer-service'], owner: 'alice.martin@example.com' },
    credential: spec.credential,
    src: { ip: '127.0.0.1', country: undefined },
    http: { method: 'GET', rawPath: '/crm/customers/c-1', canonicalPath: '/crm/customers/c-1', queryParams: [], status: outcome === 'deny' ? 403 : 200, bytesIn: 0, bytesOut: 10, durationMs: 1, upstreamMs: 1 },
    api: spec.noApi ? undefined : { name: spec.api ?? 'crm', operation: spec.operation ?? 'getCustomer', template: '/customers/{customerId}', sensitivity: 'confidential', dataClasses: ['pii'] },
    decision: { outcome, reason: outcome === 'allow' ? 'GRANTED' : 'WARDEN_AUTHZ_NOT_GRANTED', rule: 'rule' in spec ? spec.rule : outcome === 'allow' ? 'customer-service/grants/read-task-customer' : undefined, policyVersion: 'sha256:test', monitored: outcome === 'would-deny' },
    limits: undefined,
    data: undefined,
    context: undefined,
  };
}

const apiKey = (id: string) => ({ id, kind: 'apiKey' as const });

function keyRecord(id: string, lastUsedAt?: Date): ApiKeyRecord {
  return { id, digest: 'd'.repeat(64), createdAt: T(0), expiresAt: new Date('2026-01-01T00:00:00.000Z'), revokedAt: undefined, ...(lastUsedAt ? { lastUsedAt } : {}) };
}

function usage(agent: string, api: string, operation: string, rule: string, lastUsedAt: Date, calls: number): UsageRecord {
  return { agent, api, operation, rule, lastUsedAt, calls };
}

/** The real store with some methods replaced. */
function storeWith(overrides: Partial<Store>, governanceOverrides: Partial<GovernanceStore> = {}): Store {
  const governance = new Proxy(store.governance, {
    get(target, property, receiver) {
      if (Object.hasOwn(governanceOverrides, property)) return governanceOverrides[property as keyof GovernanceStore];
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Proxy(store, {
    get(target, property) {
      if (property === 'governance') return governance;
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Store];
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('UsageTracker', () => {
  it('counts calls per agent, operation and allowing rule, with the latest call', async () => {
    const tracker = new UsageTracker(store);
    tracker.observe(event({ time: T(1) }));
    tracker.observe(event({ time: T(5) }));
    tracker.observe(event({ time: T(3) }));
    tracker.observe(event({ time: T(2), operation: 'listCustomerOrders' }));
    tracker.observe(event({ time: T(4), rule: 'refund-supervisor/grants/larger-refunds', api: 'payments', operation: 'createRefund' }));
    tracker.observe(event({ time: T(6), agent: 'finance-analyst', api: 'finance', operation: 'listTransactions', rule: 'financial-analyst/grants/read-transactions' }));
    await tracker.flush();

    expect(await store.governance.listUsage()).toEqual([
      usage('finance-analyst', 'finance', 'listTransactions', 'financial-analyst/grants/read-transactions', T(6), 1),
      usage('support-bot', 'crm', 'getCustomer', 'customer-service/grants/read-task-customer', T(5), 3),
      usage('support-bot', 'crm', 'listCustomerOrders', 'customer-service/grants/read-task-customer', T(2), 1),
      usage('support-bot', 'payments', 'createRefund', 'refund-supervisor/grants/larger-refunds', T(4), 1),
    ]);
  });

  it('keeps the same operation allowed by two rules apart', async () => {
    const tracker = new UsageTracker(store);
    tracker.observe(event({ time: T(1), rule: 'customer-service/grants/small-refunds', operation: 'createRefund', api: 'payments' }));
    tracker.observe(event({ time: T(2), rule: 'refund-supervisor/grants/larger-refunds', operation: 'createRefund', api: 'payments' }));
    await tracker.flush();
    expect((await store.governance.listUsage()).map((record) => [record.rule, record.calls])).toEqual([
      ['customer-service/grants/small-refunds', 1],
      ['refund-supervisor/grants/larger-refunds', 1],
    ]);
  });

  it('does not count denied calls as usage, but still notes that the key was used', async () => {
    await store.putApiKey(keyRecord('key_supportbot01'));
    const tracker = new UsageTracker(store);
    tracker.observe(event({ time: T(7), outcome: 'deny', credential: apiKey('key_supportbot01') }));
    await tracker.flush();
    expect(await store.governance.listUsage()).toEqual([]);
    expect((await store.getApiKey('key_supportbot01'))?.lastUsedAt).toEqual(T(7));
  });

  it('counts calls monitor mode let through, and errors, under no rule', async () => {
    const tracker = new UsageTracker(store);
    tracker.observe(event({ time: T(1), outcome: 'would-deny', rule: undefined }));
    tracker.observe(event({ time: T(2), outcome: 'error', rule: 'customer-service/grants/read-task-customer' }));
    tracker.observe(event({ time: T(3), outcome: 'allow', rule: undefined }));
    await tracker.flush();
    expect(await store.governance.listUsage()).toEqual([usage('support-bot', 'crm', 'getCustomer', '', T(3), 3)]);
  });

  it('ignores requests of no known agent, and requests that reached no API', async () => {
    await store.putApiKey(keyRecord('key_stranger01'));
    const tracker = new UsageTracker(store);
    tracker.observe(event({ time: T(1), agent: undefined, credential: apiKey('key_stranger01') }));
    tracker.observe(event({ time: T(2), noApi: true }));
    await tracker.flush();
    expect(await store.governance.listUsage()).toEqual([]);
    expect((await store.getApiKey('key_stranger01'))?.lastUsedAt).toBeUndefined();
  });

  it('records when each API key was last used, never moving it back', async () => {
    await store.putApiKey(keyRecord('key_supportbot01'));
    await store.putApiKey(keyRecord('key_itopsagent01', T(30)));
    const tracker = new UsageTracker(store);
    tracker.observe(event({ time: T(9), credential: apiKey('key_supportbot01') }));
    tracker.observe(event({ time: T(8), credential: apiKey('key_supportbot01') }));
    tracker.observe(event({ time: T(10), agent: 'itops-agent', credential: apiKey('key_itopsagent01') }));
    // Tokens and certificates are not API keys.
    tracker.observe(event({ time: T(11), credential: { id: 'https://login.example.com/#finance-analyst-svc', kind: 'jwt' } }));
    await tracker.flush();
    expect((await store.getApiKey('key_supportbot01'))?.lastUsedAt).toEqual(T(9));
    expect((await store.getApiKey('key_itopsagent01'))?.lastUsedAt).toEqual(T(30));
  });

  it('adds to what earlier flushes wrote and writes each call once', async () => {
    const tracker = new UsageTracker(store);
    tracker.observe(event({ time: T(1) }));
    tracker.observe(event({ time: T(2) }));
    await tracker.flush();
    await tracker.flush();
    tracker.observe(event({ time: T(3) }));
    await tracker.flush();
    await tracker.flush();
    expect(await store.governance.listUsage()).toEqual([usage('support-bot', 'crm', 'getCustomer', 'customer-service/grants/read-task-customer', T(3), 3)]);
  });

  it('keeps the latest time when a late event arrives after a flush', async () => {
    const tracker = new UsageTracker(store);
    tracker.observe(event({ time: T(5) }));
    await tracker.flush();
    tracker.observe(event({ time: T(1) }));
    await tracker.flush();
    expect(await store.governance.listUsage()).toEqual([usage('support-bot', 'crm', 'getCustomer', 'customer-service/grants/read-task-customer', T(5), 2)]);
  });

  it('does not touch the store when there is nothing to write', async () => {
    let writes = 0;
    const counting = storeWith(
      { markApiKeysUsed: async () => void writes++ },
      { recordUsage: async () => void writes++ },
    );
    const tracker = new UsageTracker(counting);
    await tracker.flush();
    expect(writes).toBe(0);
  });

  it('never throws from observe, even on an event it cannot use', () => {
    const tracker = new UsageTracker(store);
    expect(() => tracker.observe(event({ time: T(1), agent: undefined, noApi: true }))).not.toThrow();
    expect(() => tracker.observe(event({ time: T(1), outcome: 'deny', noApi: true }))).not.toThrow();
  });

  it('keeps what a failed flush could not write for the next one', async () => {
    await store.putApiKey(keyRecord('key_supportbot01'));
    let failing = true;
    const flaky = storeWith({}, {
      recordUsage: async (records) => {
        if (failing) throw new Error('database is locked');
        return store.governance.recordUsage(records);
      },
    });
    const tracker = new UsageTracker(flaky);
    tracker.observe(event({ time: T(1), credential: apiKey('key_supportbot01') }));
    tracker.observe(event({ time: T(4), credential: apiKey('key_supportbot01') }));
    await expect(tracker.flush()).rejects.toThrow('database is locked');
    expect(await store.governance.listUsage()).toEqual([]);

    // Counted meanwhile: merged with what was kept.
    tracker.observe(event({ time: T(2), credential: apiKey('key_supportbot01') }));
    tracker.observe(event({ time: T(3), operation: 'listCustomerOrders' }));
    failing = false;
    await tracker.flush();
    expect(await store.governance.listUsage()).toEqual([
      usage('support-bot', 'crm', 'getCustomer', 'customer-service/grants/read-task-customer', T(4), 3),
      usage('support-bot', 'crm', 'listCustomerOrders', 'customer-service/grants/read-task-customer', T(3), 1),
    ]);
    expect((await store.getApiKey('key_supportbot01'))?.lastUsedAt).toEqual(T(4));
  });

  it('never counts a call twice when only the key update of a flush fails', async () => {
    await store.putApiKey(keyRecord('key_supportbot01'));
    let failing = true;
    const flaky = storeWith({
      markApiKeysUsed: async (lastUsed) => {
        if (failing) throw new Error('database is locked');
        return store.markApiKeysUsed(lastUsed);
      },
    });
    const tracker = new UsageTracker(flaky);
    tracker.observe(event({ time: T(1), credential: apiKey('key_supportbot01') }));
    tracker.observe(event({ time: T(2), credential: apiKey('key_supportbot01') }));
    await expect(tracker.flush()).rejects.toThrow('database is locked');
    failing = false;
    await tracker.flush();

    // Two calls were made; the store must say two, and the key must carry its last use.
    expect(await store.governance.listUsage()).toEqual([usage('support-bot', 'crm', 'getCustomer', 'customer-service/grants/read-task-customer', T(2), 2)]);
    expect((await store.getApiKey('key_supportbot01'))?.lastUsedAt).toEqual(T(2));
  });

  it('still writes on a flush that waited behind a failing one (the final flush at shutdown)', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inFlush = new Promise<void>((resolve) => (entered = resolve));
    let failing = true;
    const flaky = storeWith({}, {
      recordUsage: async (records) => {
        if (failing) {
          failing = false;
          entered();
          await released;
          throw new Error('database is locked');
        }
        return store.governance.recordUsage(records);
      },
    });
    const tracker = new UsageTracker(flaky);
    tracker.observe(event({ time: T(1) }));
    const periodic = tracker.flush().then(() => 'written', (error: Error) => error.message);
    await inFlush;
    tracker.observe(event({ time: T(2) }));
    const final = tracker.flush();
    release();

    expect(await periodic).toBe('database is locked');
    // The store works again: the waiting flush must write both calls instead of failing with the other flush's error.
    await expect(final).resolves.toBeUndefined();
    expect(await store.governance.listUsage()).toEqual([usage('support-bot', 'crm', 'getCustomer', 'customer-service/grants/read-task-customer', T(2), 2)]);
  });

  it('runs flushes one at a time and loses nothing counted during a flush', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inFlush = new Promise<void>((resolve) => (entered = resolve));
    let concurrent = 0;
    let maxConcurrent = 0;
    let first = true;
    const slow = storeWith({}, {
      recordUsage: async (records) => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        try {
          if (first) {
            first = false;
            entered();
            await released;
          }
          await store.governance.recordUsage(records);
        } finally {
          concurrent--;
        }
      },
    });
    const tracker = new UsageTracker(slow);
    tracker.observe(event({ time: T(1) }));
    const one = tracker.flush();
    await inFlush;
    tracker.observe(event({ time: T(2) }));
    tracker.observe(event({ time: T(3), agent: 'finance-analyst', api: 'finance', operation: 'getReport', rule: 'financial-analyst/grants/download-reports' }));
    const two = tracker.flush();
    release();
    await Promise.all([one, two]);

    expect(maxConcurrent).toBe(1);
    expect(await store.governance.listUsage()).toEqual([
      usage('finance-analyst', 'finance', 'getReport', 'financial-analyst/grants/download-reports', T(3), 1),
      usage('support-bot', 'crm', 'getCustomer', 'customer-service/grants/read-task-customer', T(2), 2),
    ]);
  });
});
