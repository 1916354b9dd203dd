/** What discovery found that a person should decide on. */
export type FindingKind = 'shadow' | 'zombie' | 'orphan' | 'unregistered-client' | 'scan';
export const FINDING_KINDS: readonly FindingKind[] = ['shadow', 'zombie', 'orphan', 'unregistered-client', 'scan'];
/** `open` until someone adopts it into the catalog, ignores it with a reason, or (zombies) sets a decommission date. */
export type FindingStatus = 'open' | 'adopted' | 'ignored' | 'decommission';
export const FINDING_STATUSES: readonly FindingStatus[] = ['open', 'adopted', 'ignored', 'decommission'];

export interface Finding {
  /** `fnd_` + a digest of kind and subject: the same thing found again is the same finding. */
  readonly id: string;
  readonly kind: FindingKind;
  /** What was found: `GET api.example.com /users/{userId}`, a client id, a scanned URL. */
  readonly subject: string;
  /** The latest inventory entry for it. */
  readonly details: Readonly<Record<string, unknown>>;
  readonly status: FindingStatus;
  readonly reason: string | undefined;
  /** YYYY-MM-DD a zombie is to be switched off. */
  readonly decommissionOn: string | undefined;
  readonly decidedBy: string | undefined;
  readonly decidedAt: string | undefined;
  readonly firstReported: string;
  readonly lastReported: string;
}

export interface ReportedFinding {
  readonly id: string;
  readonly kind: FindingKind;
  readonly subject: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface FindingDecision {
  readonly status: FindingStatus;
  readonly reason?: string;
  readonly decommissionOn?: string;
  readonly by: string;
  readonly at: Date;
}

/** One import of traffic and the inventory completeness it measured. */
export interface DiscoveryRun {
  readonly at: string;
  /** `import`, `audit` or `audit+import`. */
  readonly source: string;
  readonly calls: number;
  readonly observedEndpoints: number;
  readonly documentedOwned: number;
}

/** Findings and review decisions of discovery, and the completeness each run measured. */
export interface DiscoveryStore {
  /** Adds new findings and refreshes known ones; a decision already taken is kept. */
  reportFindings(findings: readonly ReportedFinding[], at: Date): Promise<{ readonly added: number; readonly updated: number }>;
  /** Findings sorted by kind then subject, optionally of some statuses and kinds only. */
  listFindings(filter?: { readonly status?: readonly FindingStatus[]; readonly kind?: readonly FindingKind[] }): Promise<Finding[]>;
  getFinding(id: string): Promise<Finding | undefined>;
  /** Records a review decision; undefined when no finding has the id. */
  decideFinding(id: string, decision: FindingDecision): Promise<Finding | undefined>;
  recordDiscoveryRun(run: DiscoveryRun): Promise<void>;
  /** The most recent run, if any. */
  latestDiscoveryRun(): Promise<DiscoveryRun | undefined>;
}
