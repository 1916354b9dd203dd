import { decide } from '../../../policy/decide.js';
import { CONTINUE, type Filter, type Verdict } from '../../pipeline/filter.js';
import type { RequestContext } from '../../pipeline/request-context.js';
import { canonicalTarget, isRejection } from './canonical-target.js';
import { SELF_SERVICE_PREFIX } from '../self-service/self-service-filter.js';
import { headerRejection } from './header-hygiene.js';

/**
 * Route: refuse ambiguous requests (header and target hygiene), then find the declared
 * operation for the canonical path. A path of no operation is 404 and never reaches an
 * upstream — except under an API with `discovery: learn` in monitor mode, which takes it as
 * an undeclared call of that API (see `routeMiss`).
 */
export function routeFilter(options: { readonly maxUrlBytes: number; readonly globalMonitor: boolean }): Filter {
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
      if (match === undefined) return routeMiss(ctx, method, target.path, options.globalMonitor);
      ctx.route = match;
      return CONTINUE;
    },
  };
}

/**
 * A canonical path no operation declares. Under an API with `discovery: learn` the call is
 * that API's (`ctx.learnedApi`), so its record names the API for discovery; in monitor mode
 * (the API's or the gateway's) it is then recorded as would-deny and forwarded like a declared
 * call. Otherwise it is 404, with the operations the agent may call instead.
 */
function routeMiss(ctx: RequestContext, method: string, path: string, globalMonitor: boolean): Verdict {
  const snapshot = ctx.state.snapshot;
  const detail = `no declared operation matches ${method.slice(0, 16)} ${path.slice(0, 256)}`;
  const learned = snapshot.learningApi(path);
  if (learned !== undefined) {
    ctx.learnedApi = learned;
    if (globalMonitor || learned.mode === 'monitor') {
      ctx.wouldDeny ??= { code: 'WARDEN_ROUTE_NOT_FOUND', detail };
      return CONTINUE;
    }
  }
  // The policy engine knows what this agent may call instead.
  if (ctx.agent !== undefined) ctx.decision = decide(snapshot, { agent: ctx.agent.name, method, path, time: ctx.time });
  return { kind: 'respond', status: 404, code: 'WARDEN_ROUTE_NOT_FOUND', detail };
}
