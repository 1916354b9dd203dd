import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditEvent } from '../../model/audit-event.js';
import type { ManifestSet } from '../../model/manifests/index.js';
import { compile } from '../../policy/compile.js';
import type { Snapshot } from '../../policy/snapshot.js';
import { AccessReviewService, type AgentReview } from '../access/access-review.js';
import type { AuditLog } from '../audit/audit-log.js';
import { scanAudit } from '../audit/audit-query.js';
import { DEFAULT_GOVERNANCE_SETTINGS, type GovernanceContext, type GovernanceSettings } from '../governance/governance-context.js';
import { GovernanceError } from '../governance/governance-error.js';
import { policyInForce } from '../manifests/policy-in-force.js';
import { effectivePolicy } from '../publish/effective-policy.js';
import type { PolicyPublisher } from '../publish/policy-publisher.js';
import type { PolicyVersionRecord, Store } from '../store/store.js';

/** The reporting period: from (inclusive) to (exclusive). */
export interface ReportPeriod {
  readonly from: Date;
  readonly to: Date;
}

/** Thresholds the reports judge by; the defaults follow the governance settings. */
export interface ReportSettings {
  /** Every agent in service has its access reviewed at least this often (days). */
  readonly reviewIntervalDays: number;
  /** A review due within this many days is shown as due soon. */
  readonly reviewDueSoonDays: number;
  /** A key that expires within this many days is expiring. */
  readonly expiringWithinDays: number;
  /** A key in use for longer than this without a successor counts as never rotated. */
  readonly maxKeyAgeDays: number;
}

/** The effective policy in force: the applied manifests with the runtime state laid over them, compiled. */
export interface ReportPolicy {
  readonly record: PolicyVersionRecord;
  /** The applied manifests (what `warden apply` put in force). */
  readonly applied: ManifestSet;
  /** The applied manifests with agents proposed through the admin API, runtime keys and rules, compiled. */
  readonly snapshot: Snapshot;
}

/** Everything a report reads. Built once per report run with `createReportContext`. */
export interface ReportContext {
  readonly store: Store;
  /** "Now" for every judgement of the run (expired, overdue, age). */
  readonly now: Date;
  readonly settings: ReportSettings;
  /** Undefined before the first `warden apply`. */
  readonly policy: ReportPolicy | undefined;
  /** The audit log; undefined when it cannot be read here (reports that need it refuse with a reason). */
  readonly audit: AuditLog | undefined;
  readonly wardenVersion: string;
  /** The open items of the access review now (what `warden review` lists). */
  reviewItems(): Promise<readonly AgentReview[]>;
}

export interface ReportContextOptions {
  readonly now?: Date;
  readonly settings?: Partial<ReportSettings>;
  /** The governance settings in force (review thresholds); defaults to DEFAULT_GOVERNANCE_SETTINGS. */
  readonly governanceSettings?: GovernanceSettings;
  /** The audit log to read; without it reports that need the audit log refuse. */
  readonly audit?: AuditLog;
  /**
   * The policy the gateway runs now (the admin API passes its publisher's snapshot); without it
   * the effective policy is built from the store, as the publisher would.
   */
  readonly snapshot?: Snapshot;
  /** The open access review items (the admin API passes `governance.reviews.review()`). */
  readonly reviewItems?: () => Promise<readonly AgentReview[]>;
  readonly wardenVersion?: string;
}

const DAY_MS = 86_400_000;

/** Default thresholds, from the governance defaults: reviews every 90 days, keys warned 14 days ahead, keys rotated within their 90-day default lifetime. */
export function defaultReportSettings(governance: GovernanceSettings = DEFAULT_GOVERNANCE_SETTINGS): ReportSettings {
  return { reviewIntervalDays: governance.reviewUnusedDays, reviewDueSoonDays: 14, expiringWithinDays: governance.expiryWarningDays, maxKeyAgeDays: governance.keyTtlDays };
}

/** Reads the policy in force and the runtime state from the store once, for one report run. */
export async function createReportContext(store: Store, options: ReportContextOptions = {}): Promise<ReportContext> {
  const now = options.now ?? new Date();
  const governanceSettings = options.governanceSettings ?? DEFAULT_GOVERNANCE_SETTINGS;
  const settings = { ...defaultReportSettings(governanceSettings), ...options.settings };
  const policy = await loadPolicy(store, now, options.snapshot);
  const reviewItems =
    options.reviewItems ??
    (async () => {
      if (policy === undefined) return [];
      return openReviewItems(store, policy.snapshot, now, governanceSettings);
    });
  return { store, now, settings, policy, audit: options.audit, wardenVersion: options.wardenVersion ?? wardenVersion(), reviewItems };
}

async function loadPolicy(store: Store, now: Date, given: Snapshot | undefined): Promise<ReportPolicy | undefined> {
  const inForce = await policyInForce(store);
  if (inForce === undefined) return undefined;
  if (given !== undefined) return { record: inForce.record, applied: inForce.set, snapshot: given };
  const governance = store.governance;
  const [agents, keys, bindings, rules] = await Promise.all([governance.listAgents(), store.listApiKeys(), governance.listBindings(), governance.listRules()]);
  const { set } = effectivePolicy(inForce.set, { agents, keys, bindings, rules });
  return { record: inForce.record, applied: inForce.set, snapshot: compile(set, { now }) };
}

/**
 * The access review's open items, computed by the access review itself over this snapshot. It
 * only reads (the snapshot, settings, clock and store); acting on items is not possible here.
 */
function openReviewItems(store: Store, snapshot: Snapshot, now: Date, settings: GovernanceSettings): Promise<AgentReview[]> {
  const readOnly = (): never => {
    throw new Error('reports only read the access review');
  };
  const context: GovernanceContext = {
    store,
    publisher: { current: { snapshot } } as unknown as PolicyPublisher,
    log: { changed: readOnly, refused: readOnly } as unknown as GovernanceContext['log'],
    notifier: { notify: readOnly, flush: readOnly },
    now: () => now,
    settings,
  };
  return new AccessReviewService(context, undefined as never, undefined as never).review();
}

/** The policy in force, or a refusal that says what to do. */
export function requirePolicy(context: ReportContext): ReportPolicy {
  if (context.policy === undefined) throw new GovernanceError('WARDEN_ADMIN_INVALID', 'no policy has been applied yet; run `warden apply DIR` first');
  return context.policy;
}

/** Every audit record whose time lies in the period, in log order. */
export function* auditEventsIn(context: ReportContext, period: ReportPeriod): Generator<AuditEvent> {
  if (context.audit === undefined) throw new GovernanceError('WARDEN_ADMIN_INVALID', 'the audit log of this store cannot be read here; run the report against the embedded store (--data DIR of `warden start`)');
  for (const match of scanAudit(context.audit, { from: period.from, to: period.to })) yield match.event;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The period from `--from`/`--to` (or the admin API's `from`/`to`): ISO 8601 dates or times with
 * a zone. A date alone means the whole day in UTC, so `--from 2026-01-01 --to 2026-01-31` is all
 * of January. Default: the 30 days before `to`, and `to` now.
 */
export function resolvePeriod(input: { readonly from?: string | undefined; readonly to?: string | undefined }, now: Date): ReportPeriod {
  const to = input.to === undefined ? now : parseBound(input.to, 'to');
  const from = input.from === undefined ? new Date(to.getTime() - 30 * DAY_MS) : parseBound(input.from, 'from');
  if (from.getTime() >= to.getTime()) {
    throw new GovernanceError('WARDEN_ADMIN_INVALID', `the period is empty: from ${from.toISOString()} is not before to ${to.toISOString()}; give a start earlier than the end`);
  }
  return { from, to };
}

function parseBound(text: string, which: 'from' | 'to'): Date {
  const day = DATE_ONLY.exec(text);
  if (day !== null) {
    const start = new Date(`${text}T00:00:00.000Z`);
    if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== text) throw badBound(text, which);
    // The end of a period given as a day is the end of that day.
    return which === 'to' ? new Date(start.getTime() + DAY_MS) : start;
  }
  const time = new Date(text);
  if (!DATE_TIME.test(text) || Number.isNaN(time.getTime())) throw badBound(text, which);
  return time;
}

function badBound(text: string, which: 'from' | 'to'): GovernanceError {
  return new GovernanceError('WARDEN_ADMIN_INVALID', `${which} "${text.slice(0, 40)}" is not an ISO 8601 date or time with a zone; write e.g. 2026-03-01 or 2026-03-01T09:30:00Z`);
}

let version: string | undefined;

/** This Warden's version, from the package's package.json. */
export function wardenVersion(): string {
  if (version !== undefined) return version;
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const parsed = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'warden' && typeof parsed.version === 'string') return (version = parsed.version);
    } catch {
      // Not here: look one folder up.
    }
    const parent = path.dirname(directory);
    if (parent === directory) return (version = 'unknown');
    directory = parent;
  }
}

/** Whole days from `from` to `to`, rounded down (negative when `to` is earlier). */
export function daysBetween(from: Date, to: Date): number {
  return Math.floor((to.getTime() - from.getTime()) / DAY_MS);
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

/** `count / total`, or null when there is nothing to divide by (never a misleading 0). */
export function ratio(count: number, total: number): number | null {
  return total === 0 ? null : count / total;
}

/** Whether `time` lies in the period. */
export function inPeriod(time: Date, period: ReportPeriod): boolean {
  return time.getTime() >= period.from.getTime() && time.getTime() < period.to.getTime();
}
