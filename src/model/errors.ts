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
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Looks up a code's definition; throws on an unknown code because that is a programming error. */
export function errorDefinition(code: ErrorCode): ErrorDefinition {
  const definition: ErrorDefinition | undefined = ERROR_CODES[code];
  if (!definition) throw new Error(`unknown Warden error code ${String(code)}`);
  return definition;
}
