import type { CompiledAgent, GrantObligations } from '../../../policy/snapshot.js';

/**
 * What the limit filter would otherwise rebuild on every call, built once and reused:
 * - the limiter keys `agent|bucket`: a reused string keeps its hash, so the limiter's map
 *   lookups do not hash a freshly concatenated string each time;
 * - a grant's `RateLimit-Policy` header, which is the same for every call the grant's limits
 *   cover in full.
 * Both are keyed by snapshot objects (the compiled agent, the grant's obligations), which
 * each new snapshot replaces: a policy change starts afresh and the old entries go with it.
 */
export class LimitCache {
  readonly #keys = new WeakMap<CompiledAgent, Map<string, string>>();
  readonly #policies = new WeakMap<GrantObligations, string>();

  key(agent: CompiledAgent, bucket: string): string {
    let keys = this.#keys.get(agent);
    if (keys === undefined) {
      keys = new Map();
      this.#keys.set(agent, keys);
    }
    let key = keys.get(bucket);
    if (key === undefined) {
      key = `${agent.name}|${bucket}`;
      keys.set(bucket, key);
    }
    return key;
  }

  /** The policy header of a call counted against every limit of `obligations` and nothing else. */
  policy(obligations: GrantObligations, build: () => string): string {
    let policy = this.#policies.get(obligations);
    if (policy === undefined) {
      policy = build();
      this.#policies.set(obligations, policy);
    }
    return policy;
  }
}
