import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The gateway's Prometheus metrics, served on the admin port. Label values are bounded:
 * agents and APIs come from the snapshot (unknown callers are `-`), outcomes are fixed.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({ name: 'warden_requests_total', help: 'Requests by agent, API and decision outcome', labelNames: ['agent', 'api', 'outcome'] as const, registers: [this.registry] });
  readonly #duration = new Histogram({
    name: 'warden_request_duration_seconds',
    help: 'Time from request to the end of the response, by API',
    labelNames: ['api'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly #unregistered = new Counter({ name: 'warden_unregistered_clients_total', help: 'Valid credentials bound to no registered agent, by kind', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly #exceptions = new Counter({ name: 'warden_pipeline_exceptions_total', help: 'Exceptions thrown by filters (bugs), by filter', labelNames: ['filter'] as const, registers: [this.registry] });
  readonly #limitRefusals = new Counter({ name: 'warden_limit_refusals_total', help: 'Calls refused by limits, by API and kind (rate, quota, overloaded, unavailable)', labelNames: ['api', 'kind'] as const, registers: [this.registry] });
  readonly #limiterFallbacks = new Counter({ name: 'warden_limiter_fallback_total', help: 'Calls the local limiter decided because the shared limiter (Redis) was unreachable, by reason', labelNames: ['reason'] as const, registers: [this.registry] });
  // Labelled children by agent, API and outcome: prom-client would hash the labels on every call.
  readonly #series = new Map<string, { readonly requests: Counter.Internal; readonly duration: Histogram.Internal<'api'> }>();
  readonly #inFlight = new Gauge({ name: 'warden_requests_in_flight', help: 'Requests being handled now', registers: [this.registry] });

  constructor(options: { readonly auditPending?: () => number } = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: 'warden_process_' });
    const auditPending = options.auditPending;
    if (auditPending !== undefined) {
      new Gauge({ name: 'warden_audit_pending_records', help: 'Audit records accepted but not yet durable (audit lag)', registers: [this.registry], collect() { this.set(auditPending()); } });
    }
  }

  request(agent: string, api: string, outcome: string, seconds: number): void {
    const key = `${agent}\n${api}\n${outcome}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { requests: this.#requests.labels(agent, api, outcome), duration: this.#duration.labels(api) };
      this.#series.set(key, series);
    }
    series.requests.inc();
    series.duration.observe(seconds);
  }

  unregisteredClient(kind: string): void {
    this.#unregistered.inc({ kind });
  }

  limitRefusal(api: string, kind: 'rate' | 'quota' | 'overloaded' | 'unavailable'): void {
    this.#limitRefusals.inc({ api, kind });
  }

  limiterFallback(reason: string): void {
    this.#limiterFallbacks.inc({ reason });
  }

  exception(filter: string): void {
    this.#exceptions.inc({ filter });
  }

  inFlight(delta: 1 | -1): void {
    this.#inFlight.inc(delta);
  }
}
