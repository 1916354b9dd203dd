import { DetectionEngine } from '../../controlplane/detection/detection-engine.js';
import type { Store } from '../../controlplane/store/store.js';
import type { AuditAgent, AuditApi, AuditEvent } from '../../model/audit-event.js';

/** One agent's ordinary work: the same kind of call, round the clock, every so often. */
export interface OrdinaryWork {
  readonly agent: AuditAgent;
  /** The credential id (never a secret). */
  readonly credential: string;
  readonly api: AuditApi;
  /** The path of the n-th call. */
  readonly path: (n: number) => string;
  /** Records returned by each call. */
  readonly records: number;
  readonly days: number;
  /** The pause between two calls is drawn evenly from this range. */
  readonly gapMs: readonly [number, number];
  /** The last call is before this instant. */
  readonly endMs: number;
}

/**
 * Days of an agent's ordinary calls as the gateway would have recorded them. A fresh demo store
 * has no history, and detection stays quiet for an agent it has no baseline for; the demo (and
 * the live detection test) learn one from this, as a restarted Warden loads the baselines it
 * persisted. Round the clock, so whatever hour the demo runs at is never "off hours"; from the
 * loopback address, as the demo's calls come.
 */
export function ordinaryHistory(work: OrdinaryWork): AuditEvent[] {
  const events: AuditEvent[] = [];
  let seed = 20_261_201;
  // A fixed linear congruential sequence: the same history on every run.
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const [shortest, longest] = work.gapMs;
  for (let time = work.endMs - work.days * 86_400_000; time < work.endMs; time += shortest + Math.floor(random() * (longest - shortest))) {
    const n = events.length;
    const path = work.path(n);
    events.push({
      v: 1,
      id: `history_${n}`,
      time: new Date(time).toISOString(),
      requestId: `history_${n}`,
      traceId: undefined,
      node: 'history',
      agent: work.agent,
      credential: { id: work.credential, kind: 'apiKey' },
      src: { ip: '127.0.0.1', country: undefined },
      http: { method: 'GET', rawPath: path, canonicalPath: path, queryParams: [], status: 200, bytesIn: 0, bytesOut: 200 + 150 * work.records, durationMs: 4, upstreamMs: 3 },
      api: work.api,
      decision: { outcome: 'allow', reason: 'GRANTED', rule: undefined, policyVersion: undefined, monitored: false },
      limits: undefined,
      data: { records: work.records, maskedFields: [] },
      context: undefined,
    });
  }
  return events;
}

/** Learns baselines from `history` and stores them where `warden start` loads them from. */
export async function storeBaselinesOf(store: Store, history: readonly AuditEvent[], learningDays: number): Promise<void> {
  const engine = new DetectionEngine({ learningDays });
  for (const event of history) engine.observe(event);
  const updatedAt = new Date();
  await store.detection.saveBaselines(engine.exportBaselines().map((record) => ({ ...record, updatedAt })));
}
