/** What the active scanner recognised at a probed location. */
export type FindingKind = 'openapi' | 'graphql' | 'mcp';

/** One operation of a discovered OpenAPI document. */
export interface DiscoveredOperation {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The path template as the document writes it (`/pets/{id}`), without the server's base path. */
  readonly path: string;
  readonly operationId?: string;
  readonly deprecated: boolean;
}

/** A self-described API found on a scanned host: a candidate for the catalog, not yet trusted. */
export interface Finding {
  readonly kind: FindingKind;
  /** The first location that answered with this API. */
  readonly url: string;
  /** Other locations that answered with the same document (JSON and YAML forms count as one). */
  readonly alsoAt: string[];
  /** OpenAPI `info.title`; MCP `serverInfo.name`. */
  readonly title?: string;
  /** OpenAPI `info.version`; MCP `serverInfo.version`. */
  readonly version?: string;
  /** OpenAPI `openapi`/`swagger` field; MCP negotiated protocol version. */
  readonly specVersion?: string;
  /**
   * OpenAPI only: where the API is served, absolute when the document allows it (OpenAPI 3
   * `servers[].url` resolved against the document's URL; Swagger 2 `schemes`, `host`,
   * `basePath` with the document's own scheme and host as defaults).
   */
  readonly servers?: string[];
  readonly operations?: DiscoveredOperation[];
  /** GraphQL only: how many fields the query and mutation root types have. */
  readonly graphql?: { readonly queries: number; readonly mutations: number };
  /** MCP only: the names of the tools the server lists. */
  readonly tools?: string[];
  /** OpenAPI only: the parsed document, so the caller can import it as a spec. */
  readonly document?: unknown;
}

/** A probe that was not sent or whose answer could not be used, and why. */
export interface SkippedProbe {
  readonly url: string;
  readonly reason: string;
}

/** What the scan found for one target. */
export interface HostReport {
  /** The target exactly as given. */
  readonly target: string;
  /** True when the host answered at least one request with an HTTP response. */
  readonly reachable: boolean;
  /** Why probing this host stopped early (connection refused, repeated timeouts, …). */
  readonly error?: string;
  /** Requests sent for this target, redirects and MCP handshake steps included. */
  readonly requests: number;
  readonly findings: Finding[];
  readonly skipped: SkippedProbe[];
}

export interface ScanReport {
  readonly hosts: HostReport[];
}

/** One step of a scan, for a CLI to show progress. */
export interface ScanProgress {
  readonly target: string;
  readonly url: string;
  /** The HTTP status of a request that got an answer. */
  readonly status?: number;
  /** A one-line summary when a location turned out to be an API (`openapi "Pets" 1.0.0, 3 operations`). */
  readonly finding?: string;
  /** Why a probe was not sent or its answer not used. */
  readonly skipped?: string;
}

export interface ScanOptions {
  /** Requests per host, redirects included; default 40. Probes beyond it are reported as skipped. */
  readonly maxRequestsPerHost?: number;
  /** Pause between two requests to the same host, in milliseconds; default 100. */
  readonly delayMs?: number;
  /** Hosts scanned at the same time; default 4. Requests to one host are always one at a time. */
  readonly hostConcurrency?: number;
  /** Per-request limit covering connect, headers and body, in milliseconds; default 5000. */
  readonly timeoutMs?: number;
  /** Largest response body read, in bytes; default 5 MiB. Larger answers are cut off and reported. */
  readonly maxBodyBytes?: number;
  /**
   * Extra request headers the operator supplies (e.g. `Authorization`), sent to every scanned
   * host. Their values never appear in the report or in error messages.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Version shown in the User-Agent; default: this Warden's version. */
  readonly version?: string;
  readonly onProgress?: (event: ScanProgress) => void;
  /** Aborting stops every request in flight; `scanHosts` then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}
