import { ERROR_CODES, type ErrorCode } from '../model/errors.js';
import { findAlternatives } from './alternatives.js';
import { formatRuleRef, type Decision } from './decision.js';
import type { ConditionFailure, EvaluationInput } from './evaluation.js';
import { isCanonicalPath } from './path-template.js';
import type { CompiledGrant, RuleRef, Snapshot } from './snapshot.js';

/** What the policy engine needs to know about one call. The agent is already authenticated. */
export interface DecisionRequest {
  readonly agent: string;
  readonly method: string;
  /** Canonical path without query (see `isCanonicalPath`). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  /** Top-level fields of a JSON or form body, when a grant constrains body parameters. */
  readonly body?: Readonly<Record<string, unknown>>;
  /** Verified task-context claims (customer, ticket, purpose, …). */
  readonly context?: Readonly<Record<string, string>>;
  /** Epoch milliseconds; defaults to now. */
  readonly time?: number;
  readonly region?: string;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Decides one call: default deny, any applicable forbid wins, otherwise the first grant (in
 * sorted role order) whose conditions all hold allows. Order of manifests never matters.
 * Conditions that cannot be evaluated (missing, repeated or malformed parameters) never
 * satisfy a grant and always trigger a forbid: the engine fails closed.
 */
export function decide(snapshot: Snapshot, request: DecisionRequest): Decision {
  const time = request.time ?? Date.now();
  const agent = snapshot.agents.get(request.agent);
  if (!agent) return deny(snapshot, 'WARDEN_AGENT_UNKNOWN', `no registered agent is named "${request.agent}"`);
  if (agent.state !== 'active') return deny(snapshot, 'WARDEN_AGENT_NOT_ACTIVE', `agent ${agent.name} is ${agent.state}; only active agents may call APIs`);
  if (agent.regions !== null && (request.region === undefined || !agent.regions.has(request.region))) {
    return deny(snapshot, 'WARDEN_AGENT_REGION_NOT_ALLOWED', `agent ${agent.name} may call only in ${[...agent.regions].join(', ')}${request.region ? `, not ${request.region}` : ''}`);
  }
  const match = isCanonicalPath(request.path) ? snapshot.route(request.method, request.path) : undefined;
  if (!match) {
    const alternatives = findAlternatives(snapshot, agent, { method: request.method, path: request.path }, time);
    return deny(snapshot, 'WARDEN_ROUTE_NOT_FOUND', `no declared operation matches ${request.method} ${request.path}`, { alternatives });
  }
  const operation = match.operation;
  const api = operation.api;
  const where = { api: api.name, operation: operation.id };
  if (api.status === 'retired' || (api.sunsetAt !== undefined && time >= api.sunsetAt)) {
    const why = api.status === 'retired' ? 'is retired' : `reached its sunset on ${api.sunset}`;
    const replacement = api.replacement ? `; use ${api.replacement}` : '';
    return deny(snapshot, 'WARDEN_API_RETIRED', `API ${api.name} ${why}${replacement}`, { ...where, alternatives: findAlternatives(snapshot, agent, { operation }, time) });
  }

  let input: EvaluationInput | undefined;
  const evaluationInput = (): EvaluationInput =>
    (input ??= { pathParams: match.params ?? NO_PARAMS, query: request.query, body: request.body, context: request.context, time, region: request.region });

  const forbids = agent.access.forbids.get(operation.index);
  if (forbids) {
    for (const forbid of forbids) {
      if (forbid.conditions.every((condition) => appliesToForbid(condition(evaluationInput())))) {
        const reason = forbid.reason ? `: ${forbid.reason}` : '';
        return deny(snapshot, 'WARDEN_AUTHZ_FORBIDDEN', `${api.name}.${operation.id} is forbidden by ${formatRuleRef(forbid.ref)}${reason}`, {
          ...where,
          matched: forbid.ref,
          alternatives: findAlternatives(snapshot, agent, { operation }, time),
        });
      }
    }
  }

  const grants = agent.access.grants.get(operation.index);
  if (!grants) {
    return deny(snapshot, 'WARDEN_AUTHZ_NOT_GRANTED', `no role of agent ${agent.name} grants ${api.name}.${operation.id}`, {
      ...where,
      alternatives: findAlternatives(snapshot, agent, { operation }, time),
    });
  }
  let firstFailure: { failure: ConditionFailure; grant: CompiledGrant } | undefined;
  for (const grant of grants) {
    const failure = firstFailingCondition(grant, evaluationInput);
    if (!failure) return grant.allow;
    firstFailure ??= { failure, grant };
  }
  const { failure, grant } = firstFailure!;
  return deny(snapshot, failure.code, failure.message, { ...where, failed: { ...failure, rule: grant.ref } });
}

function firstFailingCondition(grant: CompiledGrant, input: () => EvaluationInput): ConditionFailure | undefined {
  for (const condition of grant.conditions) {
    const failure = condition(input());
    if (failure) return failure;
  }
  return undefined;
}

/** A forbid condition applies when it holds or cannot be evaluated. */
function appliesToForbid(failure: ConditionFailure | undefined): boolean {
  return failure === undefined || failure.indeterminate;
}

interface DenyDetails {
  api?: string;
  operation?: string;
  matched?: RuleRef;
  failed?: Decision['failed'];
  alternatives?: Decision['alternatives'];
}

function deny(snapshot: Snapshot, reason: ErrorCode, message: string, details: DenyDetails = {}): Decision {
  return {
    allowed: false,
    reason,
    message,
    api: details.api,
    operation: details.operation,
    matched: details.matched,
    failed: details.failed,
    obligations: undefined,
    warnings: [],
    alternatives: details.alternatives ?? [],
    policyVersion: snapshot.version,
  };
}

/** The HTTP status the data plane answers a decision with. */
export function decisionStatus(decision: Decision): number {
  return decision.allowed ? 200 : ERROR_CODES[decision.reason as ErrorCode].status;
}
