import type { Governance } from './governance.js';

export interface JobReport {
  /** Keys whose owners were warned of the coming expiry. */
  readonly warnedKeys: readonly string[];
  /** Time-boxed runtime grants that ended and were removed. */
  readonly expiredRules: readonly string[];
  /** Access review items notified (0 when the daily notice was sent already). */
  readonly reviewItems: number;
  /** Step-up approvals whose time ran out, marked expired. */
  readonly expiredApprovals: readonly string[];
}

const DAY_MS = 86_400_000;

/**
 * The periodic side of governance: warn owners before keys expire, remove time-boxed grants
 * that ended (they already deny from the moment they end; removing them keeps listings and
 * alternatives true), mark step-up approvals whose time ran out as expired (they are refused
 * from that moment anyway; marking them keeps lists true), and tell reviewers once a day what
 * the access review holds.
 */
export class GovernanceJobs {
  #timer: NodeJS.Timeout | undefined;
  #lastReviewNotice = 0;
  #running: Promise<JobReport> | undefined;

  constructor(
    private readonly governance: Governance,
    private readonly options: { readonly everyMs: number; readonly onError?: (error: Error) => void },
  ) {}

  start(): void {
    this.#timer ??= setInterval(() => void this.runOnce().catch((error: Error) => this.options.onError?.(error)), this.options.everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Runs every job once; overlapping calls share one run. */
  runOnce(): Promise<JobReport> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #run(): Promise<JobReport> {
    const context = this.governance.context;
    const warnedKeys = await this.governance.credentials.warnExpiring();
    const now = context.now();
    const expiredRules: string[] = [];
    for (const rule of await context.store.governance.listRules()) {
      if (rule.expiresAt !== undefined && rule.expiresAt <= now && (await context.store.governance.removeRule(rule.id))) expiredRules.push(rule.id);
    }
    if (expiredRules.length > 0) {
      await context.publisher.publish();
      await context.store.governance.appendAdminEvent({ time: now, actor: 'warden jobs', roles: [], action: 'rule.expire', target: 'rules', outcome: 'ok', detail: `removed ${expiredRules.length} time-boxed grant(s) that ended`, before: { rules: expiredRules }, after: undefined });
    }
    const expiredApprovals = await this.governance.approvals.expire();
    let reviewItems = 0;
    if (now.getTime() - this.#lastReviewNotice >= DAY_MS) {
      reviewItems = await this.governance.reviews.notifyDue();
      this.#lastReviewNotice = now.getTime();
    }
    return { warnedKeys, expiredRules, reviewItems, expiredApprovals };
  }
}
