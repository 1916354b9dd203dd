import { decide } from '../../../policy/decide.js';
import { CONTINUE, type Filter } from '../../pipeline/filter.js';
import { canonicalTarget, isRejection } from './canonical-target.js';
import { SELF_SERVICE_PREFIX } from '../self-service/self-service-filter.js';
import { headerRejection } from './header-hygiene.js';

/**
 * Route: refuse ambiguous requests (header and target hygiene), then find the declared
 * operation for the canonical path. A path of no operation is 404 and never reaches an
 * upstream, in monitor mode too: there is nothing declared to forward it to.
 */
export function routeFilter(options: { readonly maxUrlBytes: number }): Filter {
  return {
    name: 'route',
    onRequest(ctx) {
      const headers = headerRejection(ctx.req);
      if (headers !== undefined) return { kind: 'respond', status: 400, code: headers.code, detail: headers.detail };
      const target = canonicalTarget(ctx.req.url ?? '', options.maxUrlBytes);
      if (isRejection(target)) return { kind: 'respond', status: 400, code: target.code, detail: target.detail };
      ctx.target = target;
      // The gateway's own endpoints: no operation to route to; the self-service filter answers them.
      if (target.path.startsWith(SELF_SERVICE_PREFIX)) return CONTINUE;
      const method = ctx.req.method ?? '';
      const match = ctx.state.snapshot.route(method, target.path);
      if (match === undefined) {
        // The policy engine knows what this agent may call instead.
        if (ctx.agent !== undefined) ctx.decision = decide(ctx.state.snapshot, { agent: ctx.agent.name, method, path: target.path, time: ctx.time });
        return { kind: 'respond', status: 404, code: 'WARDEN_ROUTE_NOT_FOUND', detail: `no declared operation matches ${method.slice(0, 16)} ${target.path.slice(0, 256)}` };
      }
      ctx.route = match;
      return CONTINUE;
    },
  };
}
