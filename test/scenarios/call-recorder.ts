import type { AuditEvent } from '../../src/model/audit-event.js';
import { grantFor, MINUTE_MS, operationOf, type AgentProfile } from './fleet.js';
import type { SeededRandom } from './seeded-random.js';

/** One call an agent (or whoever holds its key) makes, before the gateway has had its say. */
export interface Call {
  readonly at: number;
  /** `api.operation` of the scenario catalog. */
  readonly operation: string;
  /** Path parameters. */
  readonly params?: Readonly<Record<string, string>>;
  /** Names of the query parameters sent. */
  readonly query?: readonly string[];
  /** The verified task context the orchestrator bound the call to. */
  readonly context?: Readonly<Record<string, string>>;
  /** Records the upstream returns when it answers 2xx. */
  readonly records?: number;
  /** The upstream's status when it answers (default 200, 201 for a create). */
  readonly status?: number;
  readonly bytesIn?: number;
  /** The gateway could not reach the upstream (502). */
  readonly upstreamDown?: true;
  readonly src: { readonly ip: string; readonly country: string };
  readonly traceId?: string;
}

/**
 * Turns calls into the AuditEvents the gateway writes for them, deciding each the way the
 * gateway does: a sunset API is refused (or, in monitor mode, let through as would-deny), an
 * operation no role grants is refused, a customer-bound grant checks the task context, and
 * a grant's per-minute limit refuses the calls over it. Normal traffic and attacks go
 * through the same recorder, so they differ only in what the caller does.
 */
export class CallRecorder {
  readonly #random: SeededRandom;
  /** Calls per limit bucket and minute, for `limits.remaining` and 429s. */
  readonly #minuteCounts = new Map<string, number>();
  readonly #policyVersion: (at: number) => string;

  constructor(random: SeededRandom, policyVersion: (at: number) => string) {
    this.#random = random;
    this.#policyVersion = policyVersion;
  }

  record(agent: AgentProfile, roles: readonly string[], call: Call): AuditEvent {
    const random = this.#random;
    const { api, operation, template } = operationOf(call.operation);
    const rawPath = template.includes('{') ? template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = call.params?.[name];
      if (value === undefined) throw new Error(`${call.operation} needs path parameter ${name}`);
      return value;
    }) : template;
    const pastSunset = api.sunsetAt !== undefined && api.sunsetAt <= new Date(call.at).toISOString();
    const found = grantFor(roles, call.operation);
    let refusal: { readonly status: number; readonly reason: string } | undefined;
    if (pastSunset) refusal = { status: 410, reason: 'WARDEN_API_RETIRED' };
    else if (found === undefined) refusal = { status: 403, reason: 'WARDEN_AUTHZ_NOT_GRANTED' };
    else if (found.grant.boundTo === 'customer') {
      const customer = call.context?.customer;
      if (customer === undefined) refusal = { status: 403, reason: 'WARDEN_AUTHZ_CONTEXT_MISSING' };
      else if (call.params?.customerId !== customer) refusal = { status: 403, reason: 'WARDEN_AUTHZ_CONTEXT_MISMATCH' };
    }
    const wouldDeny = refusal !== undefined && api.mode === 'monitor';
    const rule = found === undefined ? undefined : `${found.role}/grants/${found.grant.id}`;

    let limits: AuditEvent['limits'];
    let rateLimited = false;
    if ((refusal === undefined || wouldDeny) && found?.grant.perMinute !== undefined) {
      const key = `${agent.credential}|${rule}|${Math.floor(call.at / MINUTE_MS)}`;
      const used = (this.#minuteCounts.get(key) ?? 0) + 1;
      this.#minuteCounts.set(key, used);
      rateLimited = used > found.grant.perMinute;
      limits = { bucket: rule!, remaining: Math.max(0, found.grant.perMinute - used) };
    }

    let outcome: AuditEvent['decision']['outcome'];
    let reason: string;
    let status: number;
    let records: number | undefined;
    let upstreamMs: number | undefined;
    if (refusal !== undefined && !wouldDeny) {
      outcome = 'deny';
      ({ reason, status } = refusal);
    } else if (rateLimited) {
      outcome = 'deny';
      reason = 'WARDEN_RATE_LIMITED';
      status = 429;
    } else if (call.upstreamDown) {
      outcome = 'error';
      reason = 'WARDEN_UPSTREAM_UNAVAILABLE';
      status = 502;
      upstreamMs = random.uniform(2, 30);
    } else {
      outcome = wouldDeny ? 'would-deny' : 'allow';
      reason = wouldDeny ? refusal!.reason : 'GRANTED';
      status = call.status ?? (operation.method === 'POST' && operation.effect === 'write' ? 201 : 200);
      if (status < 300 && operation.effect === 'read') records = call.records ?? 1;
      upstreamMs = random.lognormal(35 + (records ?? 0) * 0.4, 0.45);
    }

    const bytesOut = records !== undefined
      ? Math.round(records * api.bytesPerRecord * random.uniform(0.7, 1.3)) + 180
      : random.int(160, 520);
    const durationMs = round((upstreamMs ?? 0) + random.lognormal(1.2, 0.4));
    const rawIn = call.bytesIn ?? (operation.method === 'GET' || operation.method === 'DELETE' ? 0 : random.int(180, 1_800));
    const id = timeOrderedId(call.at, random);
    return {
      v: 1,
      id,
      time: new Date(call.at).toISOString(),
      requestId: id,
      traceId: call.traceId,
      node: agent.node,
      agent: { id: agent.name, name: agent.name, roles: [...roles], owner: agent.owner },
      credential: { id: agent.credential, kind: 'apiKey' },
      src: { ip: call.src.ip, country: call.src.country },
      http: {
        method: operation.method,
        rawPath,
        canonicalPath: rawPath,
        queryParams: call.query ?? [],
        status,
        bytesIn: rawIn,
        bytesOut,
        durationMs,
        upstreamMs: upstreamMs === undefined ? undefined : round(upstreamMs),
      },
      api: { name: api.name, operation: operation.id, template, sensitivity: api.sensitivity, dataClasses: [...(operation.dataClasses ?? api.dataClasses)] },
      decision: { outcome, reason, rule: outcome === 'deny' && reason !== 'WARDEN_RATE_LIMITED' ? undefined : rule, policyVersion: this.#policyVersion(call.at), monitored: wouldDeny },
      limits: limits === undefined ? undefined : rateLimited ? { ...limits, remaining: 0 } : limits,
      data: records === undefined ? undefined : { records, maskedFields: [] },
      context: call.context,
    };
  }
}

/** A UUIDv7-shaped id (time first), as the gateway gives every request; the request id is the same. */
function timeOrderedId(at: number, random: SeededRandom): string {
  const time = at.toString(16).padStart(12, '0');
  const rest = random.hex(19);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${rest.slice(0, 3)}-${(8 + (parseInt(rest[3]!, 16) & 3)).toString(16)}${rest.slice(4, 7)}-${rest.slice(7, 19)}`;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
