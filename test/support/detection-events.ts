import type { AuditEvent } from '../../src/model/audit-event.js';

/** What a detection test says about one record; everything else gets a plausible default. */
export interface DetectionEventSpec {
  readonly time: number | Date;
  readonly agent?: string;
  readonly roles?: readonly string[];
  readonly api?: string;
  readonly op?: string;
  /** The operation's full template; the path defaults to it. */
  readonly template?: string;
  readonly path?: string;
  readonly rawPath?: string;
  readonly method?: string;
  readonly sensitivity?: string;
  readonly dataClasses?: readonly string[];
  readonly undeclared?: true;
  readonly outcome?: 'allow' | 'deny' | 'would-deny' | 'error';
  readonly reason?: string;
  readonly status?: number;
  readonly records?: number;
  readonly bytes?: number;
  readonly ip?: string;
  readonly country?: string;
  readonly credential?: string;
  readonly context?: Readonly<Record<string, string>>;
  readonly id?: string;
}

let sequence = 0;

/** An AuditEvent for detection tests. */
export function detectionEvent(spec: DetectionEventSpec): AuditEvent {
  const time = typeof spec.time === 'number' ? spec.time : spec.time.getTime();
  const id = spec.id ?? `evt-${++sequence}`;
  const api = spec.api ?? 'crm';
  const template = spec.template ?? (spec.undeclared ? '' : `/${api}/${spec.op ?? 'list'}`);
  const path = spec.path ?? (template === '' ? `/${api}/unknown` : template);
  const outcome = spec.outcome ?? 'allow';
  return {
    v: 1,
    id,
    time: new Date(time).toISOString(),
    requestId: id,
    traceId: undefined,
    node: 'test',
    agent: spec.agent === undefined ? undefined : { id: spec.agent, name: spec.agent, roles: spec.roles ?? ['support'], owner: 'owner@example.com' },
    credential: spec.credential === undefined ? undefined : { id: spec.credential, kind: 'apiKey' },
    src: { ip: spec.ip ?? '10.1.2.3', country: spec.country },
    http: {
      method: spec.method ?? 'GET',
      rawPath: spec.rawPath ?? path,
      canonicalPath: path,
      queryParams: [],
      status: spec.status ?? (outcome === 'deny' ? 403 : outcome === 'error' ? 502 : 200),
      bytesIn: 0,
      bytesOut: spec.bytes ?? 1_000,
      durationMs: 5,
      upstreamMs: 3,
    },
    api: { name: api, operation: spec.undeclared ? '' : (spec.op ?? 'list'), template, sensitivity: spec.sensitivity ?? 'internal', dataClasses: spec.dataClasses ?? [], ...(spec.undeclared ? { undeclared: true as const } : {}) },
    decision: { outcome, reason: spec.reason ?? (outcome === 'deny' || outcome === 'would-deny' ? 'WARDEN_AUTHZ_NOT_GRANTED' : 'GRANTED'), rule: undefined, policyVersion: 'sha256:test', monitored: outcome === 'would-deny' },
    limits: undefined,
    data: spec.records === undefined ? undefined : { records: spec.records, maskedFields: [] },
    context: spec.context,
  };
}

/** Monday 2 March 2026, 00:00 UTC: the start of simulated weeks. */
export const MONDAY = Date.UTC(2026, 2, 2);
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A tiny seeded random source (mulberry32) so simulated traffic is the same every run. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One agent's normal working pattern for `businessDays`-style simulations. */
export interface WorkPattern {
  readonly agent: string;
  readonly roles?: readonly string[];
  /** Calls per business hour on weekdays (weekends get a tenth). */
  readonly callsPerHour: number;
  /** First and last+1 business hour (UTC). */
  readonly hours?: readonly [number, number];
  /** Operations called, with their API and template (and records per call, if not `records`). */
  readonly ops: readonly Omit<DetectionEventSpec, 'time' | 'agent' | 'roles'>[];
  readonly ip?: string;
  readonly country?: string;
  readonly credential?: string;
  /** Records per call. */
  readonly records?: number;
}

/**
 * Normal traffic of one agent from `start` for `days`: calls spread at random over business
 * hours on weekdays, a few on weekends, ids from a large pool at random. Sorted by time.
 */
export function workTraffic(pattern: WorkPattern, start: number, days: number, seed = 1): DetectionEventSpec[] {
  const random = seeded(seed);
  const [from, to] = pattern.hours ?? [8, 18];
  const out: DetectionEventSpec[] = [];
  for (let day = 0; day < days; day++) {
    const dayStart = start + day * DAY;
    const weekday = new Date(dayStart).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    for (let hour = from; hour < to; hour++) {
      const calls = Math.round(pattern.callsPerHour * (weekend ? 0.1 : 1) * (0.6 + 0.8 * random()));
      for (let i = 0; i < calls; i++) {
        const op = pattern.ops[Math.floor(random() * pattern.ops.length)]!;
        const id = 100_000 + Math.floor(random() * 900_000);
        const path = op.template?.includes('{') ? op.template.replace(/\{[^}]+\}/, String(id)) : op.path;
        out.push({
          ...op,
          ...(path !== undefined ? { path } : {}),
          time: dayStart + hour * HOUR + Math.floor(random() * HOUR),
          agent: pattern.agent,
          roles: pattern.roles ?? ['support'],
          ip: pattern.ip ?? '10.1.2.3',
          ...(pattern.country !== undefined ? { country: pattern.country } : {}),
          ...(pattern.credential !== undefined ? { credential: pattern.credential } : {}),
          records: op.records ?? pattern.records ?? 1,
          context: { customer: `c-${Math.floor(random() * 50)}` },
        });
      }
    }
  }
  return out.sort((a, b) => Number(a.time) - Number(b.time));
}

/** The normal work of the `bot` agent (role `support`) used across detector tests. */
export const SUPPORT_BOT: WorkPattern = {
  agent: 'bot',
  roles: ['support'],
  callsPerHour: 30,
  ops: [
    { api: 'crm', op: 'getCustomer', template: '/crm/customers/{id}', sensitivity: 'confidential', dataClasses: ['pii'] },
    { api: 'crm', op: 'listTickets', template: '/crm/tickets' },
    { api: 'kb', op: 'search', template: '/kb/search' },
  ],
  ip: '10.1.2.3',
  country: 'DE',
  credential: 'key_bot',
};

/** Feeds specs to `observe` and returns every alert raised. */
export function feed<A>(engine: { observe(event: AuditEvent): A[] }, specs: readonly DetectionEventSpec[]): A[] {
  const alerts: A[] = [];
  for (const spec of specs) alerts.push(...engine.observe(detectionEvent(spec)));
  return alerts;
}
