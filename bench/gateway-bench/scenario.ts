/** What the benchmark's processes agree on: the call under load and what each proxy announces. */

/** The benchmarked call: `GET` of one item in one region, allowed by Warden's grant. */
export const ALLOWED_PATH = '/inventory/items/42?region=eu';
/** The same call outside the grant's `region` enum: proves the condition is evaluated. */
export const DENIED_PATH = '/inventory/items/42?region=apac';

/** What a proxy process sends when it listens. */
export interface ProxyReady {
  readonly url: string;
  /** Warden only: the agent's API key (a secret of a throwaway store). */
  readonly apiKey?: string;
}

/** What the upstream process sends when it listens. */
export interface UpstreamReady {
  readonly url: string;
}
