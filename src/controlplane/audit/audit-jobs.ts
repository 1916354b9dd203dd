import type { AuditService } from './audit-service.js';

export interface AuditJobSettings {
  readonly checkpointSeconds: number;
  readonly retention: { readonly everyMinutes: number };
}

/**
 * The audit log's timers: a signed checkpoint every `checkpointSeconds` while records arrive,
 * retention every `retention.everyMinutes`, and a last checkpoint on stop so the final records
 * are signed too.
 */
export function startAuditJobs(audit: AuditService, settings: AuditJobSettings, options: { readonly now: () => Date; readonly onError: (error: Error) => void }): { stop(): void } {
  const run = (job: () => unknown) => () => {
    try {
      job();
    } catch (error) {
      options.onError(error as Error);
    }
  };
  const checkpoint = run(() => audit.checkpoint(options.now()));
  const checkpoints = setInterval(checkpoint, settings.checkpointSeconds * 1000);
  const retention = setInterval(run(() => audit.prune(options.now())), settings.retention.everyMinutes * 60_000);
  checkpoints.unref();
  retention.unref();
  return {
    stop() {
      clearInterval(checkpoints);
      clearInterval(retention);
      checkpoint();
    },
  };
}
