/**
 * One observed HTTP call, whatever it was read from: the gateway's own audit log, a plain
 * traffic JSONL file, a HAR capture, an nginx or Envoy access log. Discovery (path
 * templating, inventory classification, unregistered clients) works on these only.
 *
 * Nothing secret is kept: a client is an identity (key id, token subject, certificate
 * fingerprint, or a one-way fingerprint of a raw credential), never the credential itself.
 */
export interface Observation {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The request path without query or fragment, as sent (percent-escapes left as they are). */
  readonly path: string;
  /** Names of the query parameters, when the source had a query; values are never kept. */
  readonly queryNames?: readonly string[];
  /** Response status; 0 when the source does not say or the client went away. */
  readonly status: number;
  /** Epoch milliseconds of the request, when the source says. */
  readonly time?: number;
  /** Host (authority) the call went to, lower-case, without a default port. */
  readonly host?: string;
  /** Who made the call: a credential or client identity, never a secret. */
  readonly client?: string;
  /** The registered agent, when the source knows it (the gateway's audit log). */
  readonly agent?: string;
  /** The registered API and operation, when the source knows them (the gateway's audit log). */
  readonly api?: string;
  readonly operation?: string;
  /**
   * A fingerprint of the JSON response's structure (sorted top-level keys, or `[…]` of the
   * first element's keys), when the source holds response bodies (HAR). Used to tell a
   * parameter from literal siblings.
   */
  readonly responseShape?: string;
  /** Data classes seen in the response (from the audit log, or field-name heuristics). */
  readonly dataClasses?: readonly string[];
}
