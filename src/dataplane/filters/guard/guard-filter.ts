import { CONTINUE, type Filter } from '../../pipeline/filter.js';
import { denyOrMonitor } from '../authorize/authorize-filter.js';

/**
 * Guard: obligations an allowed decision carries that must hold before forwarding. A grant
 * with `stepUp: true` needs a human's approval per call; until an approval is attached the
 * call is refused (fail closed), never forwarded.
 */
export function guardFilter(options: { readonly globalMonitor: boolean }): Filter {
  return {
    name: 'guard',
    onRequest(ctx) {
      const decision = ctx.decision;
      if (decision === undefined || !decision.allowed || decision.obligations?.stepUp !== true) return CONTINUE;
      const monitored = options.globalMonitor || ctx.route!.operation.api.mode === 'monitor';
      return denyOrMonitor(ctx, monitored, 'WARDEN_STEP_UP_REQUIRED', `${decision.api}.${decision.operation} needs a human's approval for each call; approvals are not available on this gateway yet, so the call is refused`);
    },
  };
}
