import { select, type DetectionContext } from '../detection-context.js';
import type { Detector, Finding } from './detector.js';

/**
 * Starting to use a zombie: an API that is retired, past its sunset or deprecated, a
 * deprecated operation (per the catalog), or an undeclared (shadow) path. Only what the
 * agent did not already use in its baseline is raised; the engine's long cooldown keeps an
 * ongoing use to one alert a week.
 */
export function zombieApiDetector(): Detector {
  return {
    name: 'zombie-api',
    inspect(ctx: DetectionContext): Finding | undefined {
      const facts = ctx.facts;
      const api = facts.event.api;
      if (api === undefined || !ctx.hasReference) return undefined;
      let what: string;
      let score: number;
      if (api.undeclared) {
        if (ctx.referenceKnows(select.ops, facts.opKey)) return undefined;
        what = `${facts.event.http.method} ${facts.event.http.rawPath}, a path ${api.name} does not declare (a shadow endpoint)`;
        score = 50;
      } else {
        const catalogApi = ctx.catalog?.apis.get(api.name);
        const sunset = catalogApi?.sunsetAt !== undefined && facts.timeMs >= catalogApi.sunsetAt;
        if (catalogApi !== undefined && (catalogApi.status !== 'active' || sunset)) {
          if (ctx.referenceKnows(select.apis, api.name)) return undefined;
          const state = catalogApi.status === 'retired' ? 'retired' : sunset ? `past its sunset (${new Date(catalogApi.sunsetAt!).toISOString().slice(0, 10)})` : 'deprecated';
          what = `${facts.opKey} of ${api.name}, an API that is ${state}`;
          score = catalogApi.status === 'retired' || sunset ? 75 : 60;
        } else if (ctx.catalog?.operations.get(facts.opKey)?.deprecated) {
          if (ctx.referenceKnows(select.ops, facts.opKey)) return undefined;
          what = `${facts.opKey}, a deprecated operation`;
          score = 50;
        } else return undefined;
      }
      const sensitive = facts.sensitivity === 'restricted' || facts.sensitivity === 'confidential';
      return {
        severity: score >= 75 ? 'high' : 'medium',
        score: Math.min(100, score + (sensitive ? 10 : 0)),
        reasons: [`The agent called ${what}; ${ctx.agentMature ? 'it did not use it in its baseline' : 'its role did not use it in its baseline'}.`, 'Zombie and shadow APIs miss current controls and fixes: the caller should move to the supported replacement.'],
        firstEventTime: facts.timeMs,
        eventIds: [facts.event.id],
      };
    },
  };
}
