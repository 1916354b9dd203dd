import type { AuditEvent } from '../../src/model/audit-event.js';
import type { Call } from './call-recorder.js';
import { operationOf, type AgentProfile, type Network } from './fleet.js';
import { rolesAt, type ScenarioWorld } from './scenario-world.js';
import type { SeededRandom } from './seeded-random.js';

const BACKGROUND_FAILURE = 0.0015;
const MAX_RETRIES = 2;

/** What a call in a session may set; the session supplies time, address, context and trace. */
export type SessionCall = Omit<Call, 'at' | 'operation' | 'src' | 'context' | 'traceId'> & { readonly context?: Readonly<Record<string, string>> };

/**
 * One stretch of work by one caller with an agent's key: a clock that moves with think time
 * and call latency, one source address, one task context and trace, and the client habits
 * that make real logs untidy — failed calls retried after a back-off, a task abandoned when
 * the upstream stays down.
 */
export class AgentSession {
  readonly agent: AgentProfile;
  readonly #world: ScenarioWorld;
  readonly #random: SeededRandom;
  readonly #out: AuditEvent[];
  readonly #src: { readonly ip: string; readonly country: string };
  readonly #traceId: string | undefined;
  #context: Readonly<Record<string, string>> | undefined;
  at: number;

  constructor(options: {
    readonly world: ScenarioWorld;
    readonly agent: AgentProfile;
    readonly random: SeededRandom;
    readonly out: AuditEvent[];
    readonly at: number;
    readonly src: { readonly ip: string; readonly country: string };
    readonly context?: Readonly<Record<string, string>>;
    /** False for a caller outside the orchestrator, who sends no trace context. */
    readonly traced?: boolean;
  }) {
    this.agent = options.agent;
    this.#world = options.world;
    this.#random = options.random;
    this.#out = options.out;
    this.at = options.at;
    this.#src = options.src;
    this.#context = options.context;
    this.#traceId = options.traced !== false && options.random.chance(0.8) ? options.random.hex(32) : undefined;
  }

  /**
   * Makes the call (retrying a failed one after a back-off) and moves the clock past it.
   * Returns the last record, or undefined when the upstream stayed down and the task should stop.
   */
  call(operation: string, call: SessionCall = {}): AuditEvent | undefined {
    const random = this.#random;
    const api = operationOf(operation).api.name;
    for (let attempt = 0; ; attempt++) {
      const outage = this.#world.outageFailureRate(api, this.at);
      const upstreamDown = outage > 0 && random.chance(outage);
      const upstreamError = !upstreamDown && random.chance(BACKGROUND_FAILURE);
      const event = this.#world.recorder.record(this.agent, rolesAt(this.agent, this.at), {
        ...call,
        ...(upstreamDown ? { upstreamDown: true } : upstreamError ? { status: random.pick([500, 503]) } : {}),
        at: Math.round(this.at),
        operation,
        context: call.context ?? this.#context,
        src: this.#src,
        traceId: this.#traceId,
      });
      this.#out.push(event);
      this.at += event.http.durationMs;
      const retriable = event.http.status >= 500 || event.http.status === 429;
      if (!retriable) return event;
      if (attempt === MAX_RETRIES) return undefined;
      this.at += random.uniform(1, 4) * 1_000 * 2 ** attempt;
    }
  }

  /** Waits as long as the model takes to decide the next step (lognormal around `medianSeconds`). */
  think(medianSeconds: number, sigma = 0.6): void {
    this.at += this.#random.lognormal(medianSeconds, sigma) * 1_000;
  }

  setContext(context: Readonly<Record<string, string>> | undefined): void {
    this.#context = context;
  }
}

/** An address from one of the networks, from the few NAT egress hosts each has. */
export function addressIn(network: Network, random: SeededRandom): { readonly ip: string; readonly country: string } {
  return { ip: `${network.prefix}.${random.int(11, 14)}`, country: network.country };
}
