import { errorDefinition, type ErrorCode } from '../../model/errors.js';

/**
 * An expected refusal of a governance action: not allowed, not found, illegal in this state.
 * Carries a stable code of the registry (docs/errors.md); the admin API answers it as a
 * problem document, the CLI prints its detail. Anything else thrown is a bug.
 */
export class GovernanceError extends Error {
  override name = 'GovernanceError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    detail: string,
    /** Extra members of the problem document, e.g. the legal lifecycle actions. */
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
    this.status = errorDefinition(code).status;
  }
}
