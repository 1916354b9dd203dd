import { CONTINUE, type Filter } from '../../pipeline/filter.js';
import { denyOrMonitor } from '../authorize/authorize-filter.js';

/**
 * Guard: what must hold before an allowed call is forwarded. An agent in acceptance testing
 * reaches only APIs with a staging upstream (or, in monitor mode, passes as would-deny). A grant
 * with `stepUp: true` needs a human's approval per call; until an approval is attached the
 * call is refused (fail closed), never forwarded.
 */
export function guardFilter(options: { readonly globalMonitor: boolean }): Filter {
  return {
    name: 'guard',
    onRequest(ctx) {
      const decision = ctx.decision;
      if (decision === undefined || !decision.allowed) return CONTINUE;
      const api = ctx.route!.operation.api;
      const monitored = options.globalMonitor || api.mode === 'monitor';
      if (ctx.agent!.state === 'testing' && api.staging === undefined) {
        return denyOrMonitor(ctx, monitored, 'WARDEN_AGENT_NOT_ACTIVE', `agent ${ctx.agent!.name} is in acceptance testing and ${api.name} has no staging upstream`);
      }
      if (decision.obligations?.stepUp !== true) return CONTINUE;
      return denyOrMonitor(ctx, monitored, 'WARDEN_STEP_UP_REQUIRED', `${decision.api}.${decision.operation} needs a human's approval for each call; approvals are not available on this gateway yet, so the call is refused`);
    },
  };
}
