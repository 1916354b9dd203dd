import type { ApiKeyRecord } from '../../model/api-key.js';
import type { ManifestSet } from '../../model/manifests/index.js';
import { compile } from '../../policy/compile.js';
import type { Snapshot } from '../../policy/snapshot.js';
import { policyInForce } from '../manifests/policy-in-force.js';
import type { Store } from '../store/store.js';
import { containmentsOf } from './containments.js';
import { effectivePolicy } from './effective-policy.js';

/** What goes down to the data plane: the compiled policy and the keys it checks credentials against. */
export interface PublishedPolicy {
  readonly snapshot: Snapshot;
  readonly keys: readonly ApiKeyRecord[];
  /** The applied manifest version the snapshot is built on. */
  readonly appliedVersion: number;
  readonly warnings: readonly string[];
  /** Milliseconds from the start of the build to the hand-off. */
  readonly buildMs: number;
}

export interface PublisherOptions {
  /** Hands the policy to the data plane (in one process: `gateway.update(...)`). */
  readonly onPublish: (policy: PublishedPolicy) => void;
  readonly onWarning?: (warning: string) => void;
  readonly now?: () => Date;
}

/**
 * Builds the effective policy (applied manifests + runtime state, containments included) and
 * hands it down (DESIGN.md §1: snapshots go down). Every change of governance state calls `publish()` and waits for it,
 * so a suspension is in force when the call that made it returns. Builds run one at a time;
 * calls that arrive during a build share the single build that follows it.
 */
export class PolicyPublisher {
  readonly #store: Store;
  readonly #options: PublisherOptions;
  #running: Promise<PublishedPolicy | undefined> = Promise.resolve(undefined);
  #next: Promise<PublishedPolicy | undefined> | undefined;
  #manifests: { readonly id: number; readonly set: ManifestSet } | undefined;
  #last: PublishedPolicy | undefined;
  #retry: NodeJS.Timeout | undefined;
  #follow: NodeJS.Timeout | undefined;

  constructor(store: Store, options: PublisherOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** The applied manifests the last build used (for what the snapshot does not keep, such as templates). */
  get manifests(): ManifestSet | undefined {
    return this.#manifests?.set;
  }

  /** The policy last handed down. */
  get current(): PublishedPolicy | undefined {
    return this.#last;
  }

  /** Rebuilds and hands down the policy; resolves once the data plane has it (undefined before any apply). */
  publish(): Promise<PublishedPolicy | undefined> {
    this.#next ??= this.#running.then(
      () => this.#startNext(),
      () => this.#startNext(),
    );
    return this.#next;
  }

  /**
   * Publishes whenever a new manifest version is applied (`warden apply` from another process
   * writes only the store), checking every `everyMs`.
   */
  follow(everyMs: number): void {
    this.#follow ??= setInterval(() => {
      void this.#store.currentPolicyVersion().then(
        (current) => (current !== undefined && current.id !== this.#last?.appliedVersion ? this.publish() : undefined),
        () => undefined,
      ).catch(() => undefined);
    }, everyMs);
    this.#follow.unref();
  }

  /** Stops following applies and retrying. */
  stop(): void {
    clearInterval(this.#follow);
    clearTimeout(this.#retry);
    this.#follow = undefined;
    this.#retry = undefined;
  }

  #startNext(): Promise<PublishedPolicy | undefined> {
    this.#next = undefined;
    this.#running = this.#build().then(
      (published) => {
        clearTimeout(this.#retry);
        this.#retry = undefined;
        return published;
      },
      (error: unknown) => {
        // A change is stored but not in force: keep trying until it is (every second).
        this.#retry ??= setTimeout(() => {
          this.#retry = undefined;
          void this.publish().catch(() => undefined);
        }, 1000);
        this.#retry.unref();
        this.#options.onWarning?.(`the policy could not be built, retrying every second: ${(error as Error).message}`);
        throw error;
      },
    );
    return this.#running;
  }

  async #build(): Promise<PublishedPolicy | undefined> {
    const started = performance.now();
    const manifests = await this.#manifestsInForce();
    if (manifests === undefined) return undefined;
    await this.#recordManifestAgents(manifests.set, manifests.appliedBy);
    const governance = this.#store.governance;
    const now = this.#options.now?.() ?? new Date();
    const [agents, keys, bindings, rules, contained] = await Promise.all([
      governance.listAgents(),
      this.#store.listApiKeys(),
      governance.listBindings(),
      governance.listRules(),
      this.#store.detection.listContainments(now),
    ]);
    const effective = effectivePolicy(manifests.set, { agents, keys, bindings, rules });
    const warnings = [...effective.warnings];
    // Time-boxed throttles and step-ups go down in the snapshot: the data plane never asks the store.
    const snapshot = compile(effective.set, { now, containments: containmentsOf(contained, warnings) });
    const published: PublishedPolicy = { snapshot, keys, appliedVersion: manifests.id, warnings, buildMs: performance.now() - started };
    // Each build repeats the standing warnings; only new ones are worth a line in the log.
    const told = new Set(this.#last?.warnings);
    for (const warning of warnings) if (!told.has(warning)) this.#options.onWarning?.(warning);
    this.#options.onPublish(published);
    this.#last = published;
    return published;
  }

  /** The applied manifests, read again only when a new version was applied. */
  async #manifestsInForce(): Promise<{ readonly id: number; readonly set: ManifestSet; readonly appliedBy: string } | undefined> {
    const current = await this.#store.currentPolicyVersion();
    if (current === undefined) return undefined;
    if (this.#manifests?.id !== current.id) {
      const inForce = await policyInForce(this.#store);
      if (inForce === undefined) return undefined;
      this.#manifests = { id: inForce.record.id, set: inForce.set };
    }
    return { ...this.#manifests!, appliedBy: current.appliedBy };
  }

  /** Gives every manifest agent seen for the first time its lifecycle record, in the manifest's state. */
  async #recordManifestAgents(set: ManifestSet, appliedBy: string): Promise<void> {
    const governance = this.#store.governance;
    const known = new Set((await governance.listAgents()).map((record) => record.name));
    const now = this.#options.now?.() ?? new Date();
    for (const agent of set.agents) {
      if (known.has(agent.metadata.name)) continue;
      await governance.createAgent(
        { name: agent.metadata.name, source: 'manifest', definition: undefined, state: agent.spec.state, stateSince: now, template: undefined, createdAt: now, createdBy: appliedBy },
        { to: agent.spec.state, action: 'create', actor: appliedBy, reason: 'first applied in a manifest', at: now },
      );
    }
  }
}
