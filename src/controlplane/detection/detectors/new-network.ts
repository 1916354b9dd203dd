import { select, type DetectionContext } from '../detection-context.js';
import type { Detector, Finding } from './detector.js';

/** A new network alone is judged only for agents that normally call from a handful of networks. */
const STABLE_NETWORKS = 8;

/**
 * A source country neither the agent nor its roles ever called from (high), or — weaker — a
 * network in a /16 neither ever used, for an agent that normally sits in a handful of
 * networks. Agents spread over many networks (serverless, NAT pools) are not judged by
 * network at all: for them a new one is normal.
 */
export function newNetworkDetector(): Detector {
  return {
    name: 'new-network',
    inspect(ctx: DetectionContext): Finding | undefined {
      if (!ctx.hasReference) return undefined;
      const facts = ctx.facts;
      const ip = facts.event.src.ip;
      const country = facts.country;
      if (country !== undefined && !ctx.knows(select.countries, country)) {
        const known = knownCountries(ctx);
        return {
          severity: known.length > 0 ? 'high' : 'medium',
          score: known.length > 0 ? 85 : 60,
          reasons: [
            known.length > 0
              ? `Call from ${country} (${ip}); this agent and its roles (${ctx.agentRoles.join(', ')}) only ever called from ${known.slice(0, 8).join(', ')}.`
              : `Call from ${country} (${ip}); no country was recorded for this agent or its roles before.`,
          ],
          firstEventTime: facts.timeMs,
          eventIds: [facts.event.id],
        };
      }
      if (!ctx.agentMature || ctx.agent.networks.size > STABLE_NETWORKS) return undefined;
      if (ctx.knows(select.networks, facts.network) || ctx.knows(select.wideNetworks, facts.wideNetwork)) return undefined;
      return {
        severity: 'low',
        score: 35,
        reasons: [`Call from ${ip}, in a network (${facts.wideNetwork}.*) neither this agent nor its roles ever called from; the agent normally calls from ${ctx.agent.networks.size} networks (${[...ctx.agent.networks.keys()].slice(0, 4).join(', ')}).`],
        firstEventTime: facts.timeMs,
        eventIds: [facts.event.id],
      };
    },
  };
}

function knownCountries(ctx: DetectionContext): string[] {
  const known = new Set(ctx.agent.countries.keys());
  for (const role of ctx.roles) for (const country of role.countries.keys()) known.add(country);
  return [...known];
}
