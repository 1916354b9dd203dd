import { CompileError } from './compile-error.js';
import { compileRate, type CompiledRate } from './rate-limit.js';

/**
 * A time-boxed restriction on one agent, placed by a playbook or a person, as the compiler
 * takes it. The control plane converts its own records into this shape: the policy package
 * knows nothing of incidents.
 */
export interface Containment {
  /** Stable for the containment's life: a throttle's limiter bucket is named after it, so rebuilds never reset it. */
  readonly id: string;
  readonly agent: string;
  readonly kind: 'throttle' | 'step-up';
  /** For a throttle: the rate every call of the agent counts against, e.g. `10/minute`. */
  readonly rate: string | undefined;
  /** Epoch ms at which it lapses. */
  readonly until: number;
}

/** An extra per-agent rate limit over every call of the agent. */
export interface ContainmentThrottle {
  /** `containment/<id>`: the limiter key (with the agent) and the audit record's `limits.bucket`. */
  readonly bucket: string;
  readonly rate: CompiledRate;
  /** Epoch ms; from then on the throttle no longer counts. */
  readonly until: number;
}

/**
 * What the data plane enforces on one agent. Each part applies while the request's time is
 * before its end, so a containment that lapses stops applying without a new snapshot.
 */
export interface AgentContainment {
  /** Every throttle in force, each with its own bucket: when the tightest lapses, the next still holds. */
  readonly throttles: readonly ContainmentThrottle[];
  /** Epoch ms until which every allowed call needs a human's approval (0: never). */
  readonly stepUpUntil: number;
}

/** Groups the containments still in force at `now` by agent; throws on a throttle whose rate does not parse. */
export function compileContainments(containments: readonly Containment[], now: number): Map<string, AgentContainment> {
  const byAgent = new Map<string, { throttles: ContainmentThrottle[]; stepUpUntil: number }>();
  for (const containment of [...containments].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (containment.until <= now) continue;
    let entry = byAgent.get(containment.agent);
    if (entry === undefined) byAgent.set(containment.agent, (entry = { throttles: [], stepUpUntil: 0 }));
    if (containment.kind === 'step-up') {
      entry.stepUpUntil = Math.max(entry.stepUpUntil, containment.until);
      continue;
    }
    const rate = compileRate(containment.rate ?? '');
    if ('error' in rate) throw new CompileError(`containment ${containment.id} of agent ${containment.agent}: ${rate.error}`);
    entry.throttles.push(Object.freeze({ bucket: `containment/${containment.id}`, rate, until: containment.until }));
  }
  return new Map([...byAgent].map(([agent, entry]) => [agent, Object.freeze({ throttles: entry.throttles, stepUpUntil: entry.stepUpUntil })]));
}
