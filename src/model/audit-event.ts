/**
 * AuditEvent v1 (DESIGN.md §5): one record per request — allow, deny, would-deny and error
 * alike — aligned with OCSF API Activity (class 6003). It never holds a secret (credentials
 * appear by id and kind only) and never unmasked PII (query values are not recorded; path
 * segments and context claims the PII recognizers flag are recorded as `***`; answers and
 * bodies are not recorded at all, only the names of fields that were masked).
 */
export interface AuditEvent {
  readonly v: 1;
  /** Unique, time-ordered id of the record. */
  readonly id: string;
  /** ISO 8601 time the request arrived. */
  readonly time: string;
  readonly requestId: string;
  readonly traceId: string | undefined;
  /** Which gateway process answered. */
  readonly node: string;
  readonly agent: AuditAgent | undefined;
  readonly credential: AuditCredential | undefined;
  readonly src: { readonly ip: string; readonly country: string | undefined };
  readonly http: AuditHttp;
  readonly api: AuditApi | undefined;
  readonly decision: AuditDecision;
  /** The tightest rate limit or quota the call counted against, if any. */
  readonly limits: AuditLimits | undefined;
  readonly data: AuditData | undefined;
  /** The verified task-context claims the call was bound to (customer, ticket, purpose, …). */
  readonly context: Readonly<Record<string, string>> | undefined;
  /** The human approval (step-up) the call was held for, or let through with. */
  readonly approval?: AuditApproval;
  /** Chain fields, set by the audit writer when the record is appended. */
  readonly seq?: number;
  readonly prevHash?: string;
  readonly hash?: string;
}

/** What data protection did to the call: the answer's records and masked fields, PII found, rows withheld. */
export interface AuditData {
  /** Records the answer returned (after rows were withheld). */
  readonly records: number | undefined;
  /** Paths of the fields masked in the answer, relative to each record (names, never values). */
  readonly maskedFields: readonly string[];
  /** PII classes the recognizers found in the answer, masked or let through (email, payment_card, …). */
  readonly piiClasses?: readonly string[];
  /** List records left out because they were not the task's (the grant's rows). */
  readonly withheld?: number;
  /** PII found in the request body, and the fields masked before it was forwarded. */
  readonly request?: { readonly piiClasses: readonly string[]; readonly maskedFields: readonly string[] };
}

export interface AuditAgent {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly owner: string;
}

export interface AuditCredential {
  /** `key_…` for API keys, `issuer#subject` for tokens, fingerprint or SPIFFE id for certificates. */
  readonly id: string;
  readonly kind: 'apiKey' | 'jwt' | 'mtls';
}

export interface AuditHttp {
  readonly method: string;
  /** The path as the client sent it, without the query (truncated to 2 KiB). */
  readonly rawPath: string;
  /** The canonical path that was authorised and forwarded, if the request got that far. */
  readonly canonicalPath: string | undefined;
  /** Names of the query parameters sent; values are left out because they may carry PII. */
  readonly queryParams: readonly string[];
  /** Status the client received; 0 when the client went away first. */
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Milliseconds from request to the end of the response. */
  readonly durationMs: number;
  /** Milliseconds spent waiting for the upstream's response headers, if it was called. */
  readonly upstreamMs: number | undefined;
}

export interface AuditApi {
  readonly name: string;
  /** The operation id; `''` for an undeclared call. */
  readonly operation: string;
  /** The operation's full path template; `''` for an undeclared call. */
  readonly template: string;
  readonly sensitivity: string;
  readonly dataClasses: readonly string[];
  /**
   * A path no operation declares, under the basePath of an API with `discovery: learn`: the
   * raw material of API discovery (`warden discover`). Operation and template are empty.
   */
  readonly undeclared?: true;
}

export interface AuditDecision {
  readonly outcome: 'allow' | 'deny' | 'would-deny' | 'error';
  /** `GRANTED` or an error code of docs/errors.md. */
  readonly reason: string;
  /** The grant that allowed or the forbid that denied, e.g. `customer-service/grants/read-task-customer`. */
  readonly rule: string | undefined;
  readonly policyVersion: string | undefined;
  /** True when monitor mode let a would-deny call pass. */
  readonly monitored: boolean;
}

export interface AuditLimits {
  /** Which limit: the rule it belongs to, e.g. `customer-service/grants/read-task-customer` or `…/quotas[0]`. */
  readonly bucket: string;
  /** Units left after this call (0 when it was refused). */
  readonly remaining: number;
  /** True when the shared limiter (Redis) was unreachable and this gateway's local limiter decided. */
  readonly fallback?: true;
}

export interface AuditApproval {
  readonly id: string;
  /** Who approved; set on the one call an approval let through. */
  readonly approvedBy?: string;
}
