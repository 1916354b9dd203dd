/**
 * The one registry of Warden error codes (DESIGN.md §6).
 *
 * Codes are stable API: agents and SIEM rules match on them. A code is never renamed,
 * never reused for another meaning and never removed; a retired code stays here with
 * `retired: true`. `docs/errors.md` mirrors this table and a test keeps the two in sync.
 */
export interface ErrorDefinition {
  /** HTTP status the data plane answers with. */
  readonly status: number;
  /** One line: what happened, from the caller's point of view. */
  readonly meaning: string;
  /** One line: what the caller can do about it. */
  readonly next: string;
  readonly retired?: true;
}

export const ERROR_CODES = {
  WARDEN_AGENT_UNKNOWN: {
    status: 403,
    meaning: 'The identity is not a registered agent.',
    next: 'Register the agent with an `Agent` manifest and apply it.',
  },
  WARDEN_AGENT_NOT_ACTIVE: {
    status: 403,
    meaning: 'The agent exists but its lifecycle state does not allow calls (only `active` agents may call).',
    next: 'Ask the agent owner or security team to finish review or lift the suspension.',
  },
  WARDEN_AGENT_REGION_NOT_ALLOWED: {
    status: 403,
    meaning: 'The agent may not call from or into this region.',
    next: 'Call through a gateway in one of the agent\'s allowed regions.',
  },
  WARDEN_ROUTE_NOT_FOUND: {
    status: 404,
    meaning: 'No declared API operation matches the method and path.',
    next: 'Use one of the operations listed in `alternatives`, or declare the operation in its `Api` manifest.',
  },
  WARDEN_API_RETIRED: {
    status: 410,
    meaning: 'The API is retired or past its sunset date.',
    next: 'Move to the replacement API named by the API owner.',
  },
  WARDEN_AUTHZ_NOT_GRANTED: {
    status: 403,
    meaning: 'No grant of the agent\'s roles covers this operation.',
    next: 'Use an operation listed in `alternatives`, or ask the agent\'s owner to extend its role.',
  },
  WARDEN_AUTHZ_FORBIDDEN: {
    status: 403,
    meaning: 'A forbid rule of the agent\'s roles denies this operation; forbids win over grants.',
    next: 'Use an operation listed in `alternatives`; the forbid is deliberate policy.',
  },
  WARDEN_AUTHZ_PARAM_VIOLATION: {
    status: 403,
    meaning: 'A parameter value is outside what the grant allows.',
    next: 'Change the parameter to a value the grant allows (see `detail`).',
  },
  WARDEN_AUTHZ_PARAM_MISSING: {
    status: 403,
    meaning: 'The grant constrains a parameter the request does not send.',
    next: 'Send the parameter explicitly with an allowed value.',
  },
  WARDEN_AUTHZ_PARAM_AMBIGUOUS: {
    status: 400,
    meaning: 'A constrained parameter appears more than once or in more than one place.',
    next: 'Send each parameter exactly once.',
  },
  WARDEN_AUTHZ_CONTEXT_MISSING: {
    status: 403,
    meaning: 'The grant is bound to a task context claim the request does not carry.',
    next: 'Send a `Warden-Context` token from your orchestrator with the required claim.',
  },
  WARDEN_AUTHZ_CONTEXT_MISMATCH: {
    status: 403,
    meaning: 'A parameter does not match the task context the agent is working on.',
    next: 'Only act on the customer, ticket or resource of the current task.',
  },
  WARDEN_AUTHZ_GRANT_EXPIRED: {
    status: 403,
    meaning: 'The grant that covered this operation was time-boxed and has ended.',
    next: 'Request access again if the task still needs it.',
  },
  WARDEN_AUTHZ_OUTSIDE_TIME_WINDOW: {
    status: 403,
    meaning: 'The grant allows this operation only at other times.',
    next: 'Retry inside the grant\'s time window (see `detail`).',
  },
  WARDEN_AUTHZ_REGION_NOT_ALLOWED: {
    status: 403,
    meaning: 'The grant allows this operation only in other regions.',
    next: 'Call through a gateway in one of the grant\'s regions.',
  },
  WARDEN_AUTHN_MISSING: {
    status: 401,
    meaning: 'The request carries no credential (no `Authorization: Bearer` token and no client certificate).',
    next: 'Send the agent\'s Warden API key or access token as `Authorization: Bearer …`.',
  },
  WARDEN_AUTHN_INVALID: {
    status: 401,
    meaning: 'The credential is unknown, malformed, or its signature, issuer, audience or algorithm is not accepted.',
    next: 'Use a current credential issued for this agent; a new key comes from the agent\'s owner.',
  },
  WARDEN_AUTHN_EXPIRED: {
    status: 401,
    meaning: 'The credential has expired, was revoked or is not yet valid.',
    next: 'Ask the agent\'s owner to rotate the credential, or get a fresh token from the issuer.',
  },
  WARDEN_AUTHN_UNREGISTERED: {
    status: 403,
    meaning: 'The credential is valid but bound to no registered agent; the call is recorded as an unregistered client.',
    next: 'Register the agent with an `Agent` manifest that binds this credential, and apply it.',
  },
  WARDEN_AUTHN_AMBIGUOUS: {
    status: 401,
    meaning: 'The request presents credentials of different agents (or several Authorization headers).',
    next: 'Send exactly one credential per request.',
  },
  WARDEN_CONTEXT_INVALID: {
    status: 401,
    meaning: 'The `Warden-Context` task token is malformed, expired, not signed by a trusted orchestrator or issued for another agent.',
    next: 'Have the orchestrator issue a fresh context token for this agent and task.',
  },
  WARDEN_REQUEST_NOT_CANONICAL: {
    status: 400,
    meaning: 'The request target is ambiguous (dot segments, encoded `/` `\\` `.` `%`, `//`, `;`, NUL, invalid UTF-8, absolute form, trailing slash).',
    next: 'Send the plain path of a declared operation, percent-encoding only data.',
  },
  WARDEN_REQUEST_DUPLICATE_PARAM: {
    status: 400,
    meaning: 'A query, form or JSON parameter is sent more than once (also in different letter case), or in both the query and the body.',
    next: 'Send each parameter once, in one place.',
  },
  WARDEN_REQUEST_METHOD_OVERRIDE: {
    status: 400,
    meaning: 'The request tries to override its method (`X-HTTP-Method-Override` and similar headers, or `_method`).',
    next: 'Send the request with the real HTTP method.',
  },
  WARDEN_REQUEST_HEADER_REJECTED: {
    status: 400,
    meaning: 'A header is not acceptable, e.g. `Connection` names a header the gateway must forward or strip itself.',
    next: 'Remove the header; the gateway sets forwarding and identity headers itself.',
  },
  WARDEN_REQUEST_MALFORMED: {
    status: 400,
    meaning: 'The request is not valid HTTP/1.1: a bad method, request line or header, or headers larger than the gateway reads.',
    next: 'Send a well-formed HTTP/1.1 request; keep all headers together under 16 KiB.',
  },
  WARDEN_REQUEST_BODY_MALFORMED: {
    status: 400,
    meaning: 'The body cannot be inspected: invalid JSON or form encoding, nesting too deep, or an unsupported content type or encoding for an operation whose parameters are checked.',
    next: 'Send an uncompressed `application/json` or `application/x-www-form-urlencoded` body.',
  },
  WARDEN_REQUEST_TOO_LARGE: {
    status: 413,
    meaning: 'The body of an operation whose parameters are checked is larger than the gateway inspects.',
    next: 'Send a smaller body, or ask the operator to raise `gateway.limits.maxBodyBytes`.',
  },
  WARDEN_STEP_UP_REQUIRED: {
    status: 403,
    meaning: 'The grant requires a human\'s approval for this call, and this gateway takes no approval requests.',
    next: 'Call through a gateway that runs with the control plane, or ask the agent\'s owner.',
  },
  WARDEN_STEP_UP_PENDING: {
    status: 202,
    meaning: 'The call needs a human\'s approval; it was not forwarded and an approval request is waiting (its id and poll URL are in `approval`).',
    next: 'Poll `approval.poll`; once approved, send the same call again (with `Warden-Approval: <id>`); add `Prefer: wait=N` to wait for the decision.',
  },
  WARDEN_STEP_UP_DENIED: {
    status: 403,
    meaning: 'A human denied the approval this call needed.',
    next: 'Do not retry the call; the reason is in `detail`. Ask the approver if the task still needs it.',
  },
  WARDEN_STEP_UP_EXPIRED: {
    status: 403,
    meaning: 'The approval was not decided in time, or was approved but not used in time.',
    next: 'Send the call again to ask for a new approval.',
  },
  WARDEN_STEP_UP_MISMATCH: {
    status: 403,
    meaning: 'The approval named in `Warden-Approval` was given for a different call (operation or parameters changed since).',
    next: 'Send exactly the call that was approved, or send the new call without `Warden-Approval` to ask for its own approval.',
  },
  WARDEN_STEP_UP_USED: {
    status: 409,
    meaning: 'The approval was already used: each approval lets exactly one call through.',
    next: 'Send the call again without `Warden-Approval` to ask for a new approval.',
  },
  WARDEN_STEP_UP_TOO_MANY: {
    status: 429,
    meaning: 'The agent has as many calls waiting for approval as `stepUp.maxPendingPerAgent` allows; this one was not put before a person.',
    next: 'Wait until the waiting calls are decided or expire (poll them at `/.warden/approvals/{id}`), then send the call again.',
  },
  WARDEN_STEP_UP_INVALID: {
    status: 403,
    meaning: 'The `Warden-Approval` header names no approval of this agent.',
    next: 'Use the approval id the gateway gave this agent, or leave the header out to ask for one.',
  },
  WARDEN_RATE_LIMITED: {
    status: 429,
    meaning: 'The agent called this operation faster than its rate limit allows.',
    next: 'Wait for the seconds in `Retry-After`, then slow down to the rate in `RateLimit-Policy`.',
  },
  WARDEN_QUOTA_EXCEEDED: {
    status: 429,
    meaning: 'The agent used up a business quota of this operation for the current hour or day.',
    next: 'Wait until the quota resets (`Retry-After`), or ask the agent\'s owner for a larger quota.',
  },
  WARDEN_RATE_LIMIT_UNAVAILABLE: {
    status: 503,
    meaning: 'The shared rate limiter is unreachable and this limit is configured to fail closed.',
    next: 'Retry shortly; the operator must restore the limiter (Redis).',
  },
  WARDEN_UPSTREAM_OVERLOADED: {
    status: 503,
    meaning: 'The upstream API is slow or failing, and calls of lower-priority agents are shed to protect it.',
    next: 'Retry after `Retry-After` seconds; higher-priority work goes first until the API recovers.',
  },
  WARDEN_UPSTREAM_UNAVAILABLE: {
    status: 502,
    meaning: 'The upstream service refused the connection, failed, or its credential is not available to the gateway.',
    next: 'Retry later; if it persists, tell the API owner.',
  },
  WARDEN_UPSTREAM_TIMEOUT: {
    status: 504,
    meaning: 'The upstream service did not connect, answer or finish its body in time.',
    next: 'Retry later with a smaller request; if it persists, tell the API owner.',
  },
  WARDEN_RESPONSE_NOT_FILTERABLE: {
    status: 502,
    meaning: 'The grant filters response fields, but the upstream answered with something that cannot be filtered (not JSON, an unknown encoding, or larger than the gateway filters).',
    next: 'Tell the API owner; the response was withheld rather than passed unfiltered.',
  },
  WARDEN_DATA_PURPOSE_NOT_ALLOWED: {
    status: 403,
    meaning: 'The call declares no purpose, or one that the agent, the grant or a data policy does not allow for this data.',
    next: 'Declare an allowed purpose in the `purpose` claim of the Warden-Context token; the detail lists them.',
  },
  WARDEN_DATA_REGION_NOT_ALLOWED: {
    status: 403,
    meaning: 'A data policy keeps this API\'s data in its region, and the agent is deployed elsewhere.',
    next: 'Run the task from an agent deployed in a region the detail names.',
  },
  WARDEN_DATA_ROW_NOT_BOUND: {
    status: 403,
    meaning: 'The answer holds a record of another customer (or other bound resource) than the task\'s context, so it was withheld.',
    next: 'Ask only for records of the current task; the attempt is recorded for security review.',
  },
  WARDEN_DATA_PII_DENIED: {
    status: 403,
    meaning: 'The message carries a class of personal data or secret that the grant does not let through.',
    next: 'Ask for fewer fields, or ask the API owner for a grant that masks this data instead.',
  },
  WARDEN_AUDIT_UNAVAILABLE: {
    status: 503,
    meaning: 'The gateway runs with `audit: strict` and could not make the audit record durable, so the call was not completed.',
    next: 'Retry later; the operator must restore the audit store.',
  },
  WARDEN_GATEWAY_NOT_READY: {
    status: 503,
    meaning: 'The gateway has no policy snapshot yet, or is shutting down.',
    next: 'Retry shortly, against another gateway instance if there is one.',
  },
  WARDEN_CLIENT_CLOSED: {
    status: 499,
    meaning: 'The client closed the connection before the answer was complete; recorded, never sent.',
    next: 'Nothing for the agent; a client that often gives up early may need a longer timeout.',
  },
  WARDEN_ACCESS_REQUEST_INVALID: {
    status: 400,
    meaning: 'The access request names no declared operation, gives no reason, or asks for access the agent already has.',
    next: "Name an `api` and `operation` from the denial's alternatives or the catalog, and say why the task needs it.",
  },
  WARDEN_ADMIN_UNAUTHENTICATED: {
    status: 401,
    meaning: 'The admin request carries no valid admin token or OIDC token.',
    next: 'Send `Authorization: Bearer <admin token>`; `warden start` writes the first one to `.warden/admin-token`.',
  },
  WARDEN_ADMIN_FORBIDDEN: {
    status: 403,
    meaning: "The caller's roles do not allow this action on this target (owners act on their own agents, auditors only read).",
    next: 'Ask someone with the role named in `detail`.',
  },
  WARDEN_ADMIN_NOT_FOUND: {
    status: 404,
    meaning: 'The agent, key, token or request named does not exist.',
    next: 'Check the name with the matching `list` command.',
  },
  WARDEN_ADMIN_INVALID: {
    status: 400,
    meaning: 'The admin request is malformed or names roles, APIs, operations or templates the policy does not define.',
    next: 'Fix the field named in `detail`.',
  },
  WARDEN_ADMIN_CONFLICT: {
    status: 409,
    meaning: 'The target already exists, or changed while the request was made.',
    next: 'Read the target again and retry if the action still makes sense.',
  },
  WARDEN_LIFECYCLE_ILLEGAL_TRANSITION: {
    status: 409,
    meaning: "The lifecycle action does not apply to the agent's current state.",
    next: 'Use one of the actions listed in `legal`.',
  },
  WARDEN_ADMIN_INTERNAL: {
    status: 500,
    meaning: 'The control plane failed unexpectedly; the change may not have been made.',
    next: 'Look at the agent or key again; report the `requestId` to the operator.',
  },
  WARDEN_GATEWAY_INTERNAL: {
    status: 500,
    meaning: 'The gateway failed unexpectedly; the call was not forwarded or its response was cut off.',
    next: 'Retry; report the `requestId` to the operator.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Looks up a code's definition; throws on an unknown code because that is a programming error. */
export function errorDefinition(code: ErrorCode): ErrorDefinition {
  const definition: ErrorDefinition | undefined = ERROR_CODES[code];
  if (!definition) throw new Error(`unknown Warden error code ${String(code)}`);
  return definition;
}
