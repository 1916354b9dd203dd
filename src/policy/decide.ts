import type { ErrorCode } from '../model/errors.js';
import { dataHint, findAlternatives } from './alternatives.js';
import { dataRefusal } from './data-policy.js';
import { formatRuleRef, type Alternative, type Decision } from './decision.js';
import type { ConditionFailure, EvaluationInput } from './evaluation.js';
import { isCanonicalPath } from './path-template.js';
import type { CompiledAgent, CompiledGrant, CompiledOperation, RouteMatch, Snapshot } from './snapshot.js';

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

const NO_ALTERNATIVES: readonly Alternative[] = Object.freeze([]);
const NO_WARNINGS: readonly string[] = Object.freeze([]);

/**
 * Decides one call: default deny, any applicable forbid wins, otherwise the first grant (in
 * sorted role order) whose conditions all hold allows. Order of manifests never matters.
 * Conditions that cannot be evaluated (missing, repeated or malformed parameters) never
 * satisfy a grant and always trigger a forbid: the engine fails closed.
 *
 * This is the gateway's hot path: no closures, no spreads, fixed object shapes. A caller that
 * already routed the canonical path passes the match (`routed`) so it is not looked up twice.
 */
export function decide(snapshot: Snapshot, request: DecisionRequest, routed?: RouteMatch): Decision {
  const agent = snapshot.agents.get(request.agent);
  if (agent === undefined) return deny(snapshot, 'WARDEN_AGENT_UNKNOWN', `no registered agent is named "${request.agent}"`);
  // An agent in acceptance testing is decided like an active one; the gateway sends it to staging upstreams only.
  if (agent.state !== 'active' && agent.state !== 'testing') return deny(snapshot, 'WARDEN_AGENT_NOT_ACTIVE', `agent ${agent.name} is ${agent.state}; only active agents may call APIs`);
  if (agent.regions !== null && (request.region === undefined || !agent.regions.has(request.region))) {
    const where = request.region === undefined ? '' : `, not ${request.region}`;
    return deny(snapshot, 'WARDEN_AGENT_REGION_NOT_ALLOWED', `agent ${agent.name} may call only in ${[...agent.regions].join(', ')}${where}`);
  }
  const time = request.time ?? Date.now();
  const match = routed ?? (isCanonicalPath(request.path) ? snapshot.route(request.method, request.path) : undefined);
  if (match === undefined) {
    const alternatives = findAlternatives(snapshot, agent, { method: request.method, path: request.path }, time);
    return deny(snapshot, 'WARDEN_ROUTE_NOT_FOUND', `no declared operation matches ${request.method} ${request.path}`, undefined, undefined, alternatives);
  }
  const operation = match.operation;
  const api = operation.api;
  if (api.status === 'retired' || (api.sunsetAt !== undefined && time >= api.sunsetAt)) {
    const why = api.status === 'retired' ? 'is retired' : `reached its sunset on ${api.sunset}`;
    const replacement = api.replacement ? `; use ${api.replacement}` : '';
    return deny(snapshot, 'WARDEN_API_RETIRED', `API ${api.name} ${why}${replacement}`, operation.api.name, operation.id, findAlternatives(snapshot, agent, { operation }, time));
  }
  const refusal = operation.dataPolicies.length === 0 && agent.purposes === null ? undefined : dataRefusal(agent, operation, request.context?.purpose);
  if (refusal !== undefined) return denyWithAlternatives(snapshot, agent, operation, request, time, refusal.code, refusal.message);
  // Every role's forbids first: a forbid wins over any grant, and is the more useful answer
  // even where nothing grants the operation.
  const roles = agent.access.roles;
  const index = operation.index;
  let input: EvaluationInput | undefined;
  for (let r = 0; r < roles.length; r++) {
    const forbids = roles[r]!.forbids.get(index);
    if (forbids === undefined) continue;
    for (let i = 0; i < forbids.length; i++) {
      const forbid = forbids[i]!;
      input ??= evaluationInput(request, match, time);
      if (forbidApplies(forbid.conditions, input)) {
        const reason = forbid.reason ? `: ${forbid.reason}` : '';
        const decision = denyWithAlternatives(snapshot, agent, operation, request, time, 'WARDEN_AUTHZ_FORBIDDEN', `${api.name}.${operation.id} is forbidden by ${formatRuleRef(forbid.ref)}${reason}`);
        decision.matched = forbid.ref;
        return decision;
      }
    }
  }

  let granted = false;
  let firstFailure: ConditionFailure | undefined;
  let failedGrant: CompiledGrant | undefined;
  for (let r = 0; r < roles.length; r++) {
    const grants = roles[r]!.grants.get(index);
    if (grants === undefined) continue;
    for (let i = 0; i < grants.length; i++) {
      granted = true;
      const grant = grants[i]!;
      const conditions = grant.conditions;
      if (conditions.length === 0) return grant.allow;
      input ??= evaluationInput(request, match, time);
      const failure = firstFailingCondition(conditions, input);
      if (failure === undefined) return grant.allow;
      if (firstFailure === undefined) {
        firstFailure = failure;
        failedGrant = grant;
      }
    }
  }
  if (!granted) {
    return denyWithAlternatives(snapshot, agent, operation, request, time, 'WARDEN_AUTHZ_NOT_GRANTED', `no role of agent ${agent.name} grants ${api.name}.${operation.id}`);
  }
  const decision = deny(snapshot, firstFailure!.code, firstFailure!.message, api.name, operation.id, NO_ALTERNATIVES);
  decision.failed = {
    code: firstFailure!.code,
    condition: firstFailure!.condition,
    param: firstFailure!.param,
    message: firstFailure!.message,
    indeterminate: firstFailure!.indeterminate,
    rule: failedGrant!.ref,
  };
  return decision;
}

function evaluationInput(request: DecisionRequest, match: RouteMatch, time: number): EvaluationInput {
  return { pathParams: match.params, query: request.query, body: request.body, context: request.context, time, region: request.region };
}

function firstFailingCondition(conditions: CompiledGrant['conditions'], input: EvaluationInput): ConditionFailure | undefined {
  for (let i = 0; i < conditions.length; i++) {
    const failure = conditions[i]!(input);
    if (failure !== undefined) return failure;
  }
  return undefined;
}

/** A forbid applies when each of its conditions holds or cannot be evaluated. */
function forbidApplies(conditions: CompiledGrant['conditions'], input: EvaluationInput): boolean {
  for (let i = 0; i < conditions.length; i++) {
    const failure = conditions[i]!(input);
    if (failure !== undefined && !failure.indeterminate) return false;
  }
  return true;
}

/** A denial of a known operation, with what the agent may use instead and, for data, what similar data it can have. */
function denyWithAlternatives(snapshot: Snapshot, agent: CompiledAgent, operation: CompiledOperation, request: DecisionRequest, time: number, reason: ErrorCode, message: string): MutableDecision {
  // Only what the same purpose and region may read is worth naming.
  const purpose = request.context?.purpose;
  const alternatives = findAlternatives(snapshot, agent, { operation }, time, (candidate) => dataRefusal(agent, candidate, purpose) === undefined);
  return deny(snapshot, reason, message, operation.api.name, operation.id, alternatives, dataHint(operation, alternatives));
}

type MutableDecision = { -readonly [K in keyof Decision]: Decision[K] };

function deny(snapshot: Snapshot, reason: ErrorCode, message: string, api?: string, operation?: string, alternatives: readonly Alternative[] = NO_ALTERNATIVES, hint?: string): MutableDecision {
  return {
    allowed: false,
    reason,
    message,
    api,
    operation,
    matched: undefined,
    failed: undefined,
    obligations: undefined,
    warnings: NO_WARNINGS,
    alternatives,
    hint,
    policyVersion: snapshot.version,
  };
}
