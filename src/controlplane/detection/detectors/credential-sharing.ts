import type { Baseline } from '../agent-baseline.js';
import type { DetectionContext } from '../detection-context.js';
import type { EventFacts } from '../event-facts.js';
import type { Detector, Finding } from './detector.js';

/** Two places within this long is one credential in two hands. */
const WINDOW_MS = 5 * 60_000;
/** Credentials followed; past this the oldest tenth is forgotten. */
const MAX_CREDENTIALS = 200_000;

/** Where one credential was last used. */
interface Sighting {
  agent: string | undefined;
  wide: string;
  wideLast: number;
  /** The /16 used before `wide`, and when it was last used. */
  previousWide: string;
  previousWideLast: number;
  country: string | undefined;
  countryLast: number;
}

/**
 * One credential used from two places at once: two countries within 5 minutes (impossible
 * travel), or two /16 networks interleaved (A, B, A) within 5 minutes. Places the agent
 * normally alternates between (both in its baseline) are not raised. Keyed by credential id,
 * so calls no agent was identified for count too.
 */
export class CredentialSharingDetector implements Detector {
  readonly name = 'credential-sharing' as const;
  readonly #sightings = new Map<string, Sighting>();

  /** `matureBaselineOf` gives the agent's baseline once mature: while an agent is learning, its normal places are unknown and nothing is raised. */
  constructor(private readonly matureBaselineOf: (agent: string, timeMs: number) => Baseline | undefined) {}

  inspect(ctx: DetectionContext): Finding | undefined {
    return this.inspectFacts(ctx.facts, ctx.agentName);
  }

  /** Looks at one record by its credential; `agent` is undefined when the call named none. */
  inspectFacts(facts: EventFacts, agent: string | undefined): Finding | undefined {
    const credential = facts.event.credential?.id;
    if (credential === undefined) return undefined;
    const t = facts.timeMs;
    let sighting = this.#sightings.get(credential);
    if (sighting === undefined) {
      if (this.#sightings.size >= MAX_CREDENTIALS) this.#forgetOldest();
      this.#sightings.set(credential, { agent, wide: facts.wideNetwork, wideLast: t, previousWide: '', previousWideLast: 0, country: facts.country, countryLast: t });
      return undefined;
    }
    if (agent !== undefined) sighting.agent = agent;
    const owner = sighting.agent;
    const baseline = owner === undefined ? undefined : this.matureBaselineOf(owner, t);
    let finding: Finding | undefined;

    const country = facts.country;
    if (country !== undefined) {
      const before = sighting.country;
      if (before !== undefined && before !== country && t - sighting.countryLast <= WINDOW_MS && !(baseline?.countries.has(before) && baseline.countries.has(country))) {
        finding = {
          severity: 'high',
          score: 85,
          reasons: [`Credential ${credential} was used from ${before} and, ${Math.round((t - sighting.countryLast) / 1000)} s later, from ${country} (${facts.event.src.ip}): one credential cannot travel that fast.`],
          firstEventTime: sighting.countryLast,
          eventIds: [facts.event.id],
          ...(agent === undefined && owner !== undefined ? { agent: owner } : {}),
        };
      }
      sighting.country = country;
      sighting.countryLast = t;
    }

    const wide = facts.wideNetwork;
    if (wide === sighting.wide) sighting.wideLast = t;
    else {
      if (finding === undefined && wide === sighting.previousWide && t - sighting.previousWideLast <= WINDOW_MS && !(baseline?.wideNetworks.has(wide) && baseline.wideNetworks.has(sighting.wide))) {
        finding = {
          severity: 'medium',
          score: 65,
          reasons: [`Credential ${credential} alternates between networks ${wide}.* and ${sighting.wide}.* within ${Math.round((t - sighting.previousWideLast) / 1000)} s (now from ${facts.event.src.ip}): two clients seem to share it.`],
          firstEventTime: sighting.previousWideLast,
          eventIds: [facts.event.id],
          ...(agent === undefined && owner !== undefined ? { agent: owner } : {}),
        };
      }
      sighting.previousWide = sighting.wide;
      sighting.previousWideLast = sighting.wideLast;
      sighting.wide = wide;
      sighting.wideLast = t;
    }
    return baseline === undefined ? undefined : finding;
  }

  #forgetOldest(): void {
    let drop = Math.ceil(MAX_CREDENTIALS / 10);
    for (const key of this.#sightings.keys()) {
      if (drop-- <= 0) break;
      this.#sightings.delete(key);
    }
  }
}
