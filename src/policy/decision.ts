import type { ErrorCode } from '../model/errors.js';
import type { ConditionFailure } from './evaluation.js';
import type { GrantObligations, RuleRef } from './snapshot.js';

/** An operation the agent may call instead, closest first. */
export interface Alternative {
  readonly api: string;
  readonly operation: string;
  readonly method: string;
  /** Full path template, base path included. */
  readonly path: string;
  readonly effect: 'read' | 'write';
  readonly summary?: string;
  /** Why it was suggested, e.g. `same API, shares pii`. */
  readonly why: string;
}

/** What `decide()` returns: the verdict, why, and what the caller must do with it. */
export interface Decision {
  readonly allowed: boolean;
  /** `GRANTED`, or the error code of the denial (docs/errors.md). */
  readonly reason: 'GRANTED' | ErrorCode;
  /** One sentence a human (or an agent) can act on. */
  readonly message: string;
  readonly api: string | undefined;
  readonly operation: string | undefined;
  /** The grant that allowed, or the forbid that denied. */
  readonly matched: RuleRef | undefined;
  /** The first condition that failed, for denials by condition. */
  readonly failed: (ConditionFailure & { readonly rule: RuleRef }) | undefined;
  /** What the gateway must enforce on an allowed call. */
  readonly obligations: GrantObligations | undefined;
  /** Non-blocking notes, e.g. a deprecated API with its sunset date. */
  readonly warnings: readonly string[];
  readonly alternatives: readonly Alternative[];
  /** For a denied operation that holds data: the accessible data that serves similar needs, as a sentence. */
  readonly hint: string | undefined;
  readonly policyVersion: string;
}

/** `crm-reader/grants[0]` or `crm-reader/grants/read-customers` when the rule has an id. */
export function formatRuleRef(ref: RuleRef): string {
  const list = ref.kind === 'grant' ? 'grants' : 'forbid';
  return ref.id ? `${ref.role}/${list}/${ref.id}` : `${ref.role}/${list}[${ref.index}]`;
}
