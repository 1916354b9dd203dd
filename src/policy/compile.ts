import { defaultEffect, manifestKey, type AgentManifest, type ApiManifest, type Forbid, type Grant, type ManifestSet, type RoleManifest } from '../model/manifests/index.js';
import { CompileError } from './compile-error.js';
import { contentWords } from './alternatives.js';
import { compileContainments, type Containment } from './containment.js';
import { contentHash } from './content-hash.js';
import { dataPoliciesFor } from './data-policy.js';
import { compileRequestRules, compileResponseRules, parseRowRule } from './data-rules.js';
import { formatRuleRef, type Decision } from './decision.js';
import type { Condition } from './evaluation.js';
import { compileParamConstraint } from './param-constraint.js';
import { joinPath } from './path-template.js';
import { OperationRouter } from './router.js';
import { QUOTA_WINDOWS, type CompiledQuota } from './quota.js';
import { compileRate, type CompiledRate, type RateSpec } from './rate-limit.js';
import { selectOperations } from './operation-selector.js';
import { PRIORITY_RANK, jwtSubjectKey, type AccessTable, type ScopedLimit, type CompiledAgent, type CompiledApi, type CompiledForbid, type CompiledGrant, type CompiledOperation, type CredentialBindings, type RoleTable, type RouteMatch, type RuleRef, type Snapshot } from './snapshot.js';
import { compileTimeWindows, describeTimeWindows } from './time-window.js';

export { CompileError };

/**
 * Compiles a validated manifest set into an immutable snapshot: routes into a radix tree,
 * grants into per-operation decision tables, conditions into closures. Nothing is
 * interpreted per request. The version is the hash of the policy content alone, so the same
 * manifests in any order and from any files compile to the same version. Containments in force
 * at `now` are part of that content: they change what the gateway decides, so a call's audit
 * record names a version that says the agent was contained.
 */
//
// Immutability: records are frozen; arrays the request path iterates are typed readonly but
// not frozen, because V8 (Node 20) iterates frozen arrays several times slower.
export function compile(set: ManifestSet, options: { now?: Date; containments?: readonly Containment[] } = {}): Snapshot {
  const now = options.now ?? new Date();
  const apis = sortByName(set.apis);
  const dataPolicies = sortByName(set.dataPolicies ?? []);
  const roles = sortByName(set.roles);
  const agents = sortByName(set.agents);
  // A containment of an agent the policy no longer has restricts no one.
  const known = new Set(agents.map((agent) => agent.metadata.name));
  const inForce = (options.containments ?? []).filter((containment) => containment.until > now.getTime() && known.has(containment.agent));
  const containments = compileContainments(inForce, now.getTime());
  // Operation order inside an Api carries no meaning, so it does not change the version.
  const version = contentHash({
    apis: apis.map((api) => ({ ...api, spec: { ...api.spec, operations: [...api.spec.operations].sort((a, b) => compareText(a.id, b.id)) } })),
    roles,
    agents,
    // Templates and playbooks decide no call, but a change to them is a change of policy worth recording;
    // data policies are listed only when there are some, so versions of policies without any stay as they were.
    ...(set.templates !== undefined && set.templates.length > 0 ? { templates: sortByName(set.templates) } : {}),
    ...(set.playbooks !== undefined && set.playbooks.length > 0 ? { playbooks: sortByName(set.playbooks) } : {}),
    ...(set.dataPolicies !== undefined && set.dataPolicies.length > 0 ? { dataPolicies: sortByName(set.dataPolicies) } : {}),
    ...(inForce.length > 0 ? { containments: inForce.map(({ id, agent, kind, rate, until }) => ({ id, agent, kind, rate, until })).sort((a, b) => compareText(a.id, b.id)) } : {}),
  });

  const compiledApis = new Map<string, CompiledApi>();
  const operations: Mutable<CompiledOperation>[] = [];
  const operationsByApi = new Map<string, CompiledOperation[]>();
  for (const api of apis) {
    const compiledApi = compileApi(api);
    compiledApis.set(api.metadata.name, compiledApi);
    const own: CompiledOperation[] = [];
    for (const declaration of [...api.spec.operations].sort((a, b) => compareText(a.id, b.id))) {
      const fullPath = joinPath(api.spec.basePath, declaration.path);
      // Frozen once the roles are compiled: `inspectsBody` depends on them.
      const operation: Mutable<CompiledOperation> = {
        index: operations.length,
        api: compiledApi,
        id: declaration.id,
        method: declaration.method,
        path: declaration.path,
        fullPath,
        segments: fullPath.split('/').filter(Boolean),
        effect: declaration.effect ?? defaultEffect(declaration.method),
        dataClasses: [...(declaration.dataClasses ?? api.spec.dataClasses)],
        parameters: Object.freeze(declaration.parameters.map((parameter) => Object.freeze({ ...parameter }))),
        deprecated: declaration.deprecated,
        summary: declaration.summary,
        words: contentWords(declaration.summary, fullPath.split('/').filter(Boolean)),
        inspectsBody: false,
        dataPolicies: [],
      };
      operation.dataPolicies = dataPoliciesFor(dataPolicies, operation, api.spec.dataRegion);
      operations.push(operation);
      own.push(operation);
    }
    operationsByApi.set(api.metadata.name, own);
  }

  const route = buildRouter(operations);
  const roleTables = new Map<string, RoleTable>();
  const constrained = new Map<number, Set<string>>();
  const readsBody = new Set<number>();
  for (const role of roles) roleTables.set(role.metadata.name, compileRole(role, operationsByApi, version, constrained, readsBody));
  for (const operation of operations) {
    const pathParams = new Set(operation.segments.flatMap((segment) => [...segment.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!)));
    // A step-up approval is bound to the body and shows its fields to the approver, and PII
    // rules look at the body's fields: such bodies are read.
    operation.inspectsBody = readsBody.has(operation.index) || [...(constrained.get(operation.index) ?? [])].some((name) => !pathParams.has(name));
    Object.freeze(operation);
  }

  const tablesByRoleSet = new Map<string, AccessTable>();
  const compiledAgents = new Map<string, CompiledAgent>();
  for (const agent of agents) {
    const roleNames = [...new Set(agent.spec.roles)].sort(compareText);
    const key = roleNames.join('\u0000');
    let access = tablesByRoleSet.get(key);
    if (!access) {
      access = accessTable(roleNames.map((name) => roleTableOf(roleTables, name, agent)), roleNames.map((name) => roles.find((role) => role.metadata.name === name)!), compiledApis);
      tablesByRoleSet.set(key, access);
    }
    compiledAgents.set(agent.metadata.name, Object.freeze({
      name: agent.metadata.name,
      owner: agent.spec.owner,
      purpose: agent.spec.purpose,
      state: agent.spec.state,
      roles: roleNames,
      regions: agent.spec.regions ? new Set(agent.spec.regions) : null,
      purposes: agent.spec.purposes ? new Set(agent.spec.purposes) : null,
      deploymentRegion: agent.spec.deploymentRegion,
      access,
      // Always set, so every compiled agent has one shape on the hot path.
      containment: containments.get(agent.metadata.name),
    }));
  }

  return Object.freeze({
    version,
    compiledAt: now.toISOString(),
    agents: compiledAgents,
    roles: roleTables,
    apis: compiledApis,
    operations,
    credentials: compileBindings(agents),
    route,
    learningApi: learningApiFinder(compiledApis),
  });
}

/** Credential → agent maps; the loader has already refused a credential bound to two agents. */
function compileBindings(agents: readonly AgentManifest[]): CredentialBindings {
  const apiKeys = new Map<string, string>();
  const jwtSubjects = new Map<string, string>();
  const certificates = new Map<string, string>();
  for (const agent of agents) {
    const name = agent.metadata.name;
    for (const credential of agent.spec.credentials) {
      if (credential.type === 'apiKey') bindOnce(apiKeys, credential.id, name);
      else if (credential.type === 'jwt') bindOnce(jwtSubjects, jwtSubjectKey(credential.issuer, credential.subject), name);
      else {
        if (credential.fingerprint) bindOnce(certificates, credential.fingerprint, name);
        if (credential.spiffeId) bindOnce(certificates, credential.spiffeId, name);
      }
    }
  }
  return Object.freeze({ apiKeys, jwtSubjects, certificates });
}

function bindOnce(map: Map<string, string>, credential: string, agent: string): void {
  const owner = map.get(credential);
  if (owner !== undefined && owner !== agent) throw new CompileError(`credential ${credential} is bound to agents ${owner} and ${agent}`);
  map.set(credential, agent);
}

function compileApi(api: ApiManifest): CompiledApi {
  const { sunset, deprecatedSince } = api.spec.lifecycle;
  const protection = api.spec.protection;
  return Object.freeze({
    name: api.metadata.name,
    owner: api.spec.owner,
    status: api.spec.lifecycle.status,
    sunset,
    sunsetAt: sunset === undefined ? undefined : Date.parse(`${sunset}T00:00:00Z`),
    deprecatedAt: deprecatedSince === undefined ? undefined : Date.parse(`${deprecatedSince}T00:00:00Z`),
    replacement: api.spec.lifecycle.replacement,
    sensitivity: api.spec.sensitivity,
    criticality: api.spec.criticality,
    basePath: api.spec.basePath,
    dataClasses: Object.freeze([...api.spec.dataClasses]),
    dataRegion: api.spec.dataRegion,
    mode: api.spec.mode,
    learn: api.spec.discovery === 'learn',
    upstream: new URL(api.spec.upstream.url).origin,
    upstreamPath: new URL(api.spec.upstream.url).pathname.replace(/\/+$/, ''),
    staging: api.spec.upstream.staging === undefined ? undefined : Object.freeze({ origin: new URL(api.spec.upstream.staging).origin, path: new URL(api.spec.upstream.staging).pathname.replace(/\/+$/, '') }),
    upstreamAuth: api.spec.upstream.auth === undefined ? undefined : Object.freeze({ type: api.spec.upstream.auth.type, header: api.spec.upstream.auth.header, secret: api.spec.upstream.auth.secret }),
    protection: protection === undefined
      ? undefined
      : Object.freeze({ maxLatencyMs: protection.maxLatencyMs, maxErrorRate: protection.maxErrorRate, windowMs: protection.windowSeconds * 1000, minRequests: protection.minRequests }),
  });
}

/** One radix tree over every operation of every API. */
function buildRouter(operations: readonly CompiledOperation[]): (method: string, path: string) => RouteMatch | undefined {
  const router = new OperationRouter<CompiledOperation>();
  for (const operation of operations) {
    const problem = router.add(operation);
    if (problem) throw new CompileError(`${operation.api.name}.${operation.id}: ${problem.error}`);
  }
  return (method, path) => router.find(method, path);
}

/**
 * Longest-prefix lookup over the learning APIs' base paths. A short list, longest base path
 * first, scanned only on a route miss; validation refuses two learning APIs on one base path.
 */
function learningApiFinder(apis: ReadonlyMap<string, CompiledApi>): (path: string) => CompiledApi | undefined {
  const learning = [...apis.values()].filter((api) => api.learn).sort((a, b) => b.basePath.length - a.basePath.length || compareText(a.basePath, b.basePath));
  for (let i = 1; i < learning.length; i++) {
    if (learning[i]!.basePath === learning[i - 1]!.basePath) throw new CompileError(`apis ${learning[i - 1]!.name} and ${learning[i]!.name} both learn under ${learning[i]!.basePath}`);
  }
  // `/` as the empty prefix, so that every path continues it at a segment boundary.
  const prefixes = learning.map((api) => (api.basePath === '/' ? '' : api.basePath));
  return (path) => {
    for (let i = 0; i < prefixes.length; i++) {
      const prefix = prefixes[i]!;
      if (path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === SLASH)) return learning[i];
    }
    return undefined;
  };
}

const SLASH = 0x2f;

function roleTableOf(tables: ReadonlyMap<string, RoleTable>, name: string, agent: AgentManifest): RoleTable {
  const table = tables.get(name);
  if (!table) throw new CompileError(`agent ${agent.metadata.name} names unknown role ${name}`);
  return table;
}

/** `constrained` collects, per operation, the parameter names any rule looks at; `readsBody`, the operations a step-up grant or PII rules of a request body cover. */
function compileRole(role: RoleManifest, operationsByApi: ReadonlyMap<string, CompiledOperation[]>, version: string, constrained: Map<number, Set<string>>, readsBody: Set<number>): RoleTable {
  const grants = new Map<number, CompiledGrant[]>();
  const forbids = new Map<number, CompiledForbid[]>();
  const listIn = <T>(map: Map<number, T[]>, index: number): T[] => {
    let list = map.get(index);
    if (!list) map.set(index, (list = []));
    return list;
  };
  const noteParams = (params: Grant['params'], selected: readonly CompiledOperation[], also: readonly string[] = []): void => {
    const names = [...also, ...Object.entries(params ?? {}).flatMap(([name, constraint]) => (constraint.rangeEnd === undefined ? [name] : [name, constraint.rangeEnd]))];
    for (const operation of selected) {
      let set = constrained.get(operation.index);
      if (!set) constrained.set(operation.index, (set = new Set()));
      for (const name of names) set.add(name);
    }
  };
  role.spec.grants.forEach((grant, index) => {
    const ref = ruleRef(role, 'grant', index, grant.id);
    const selected = selectAll(grant, operationsByApi, ref);
    const conditions = grantConditions(grant, selected, ref);
    noteParams(grant.params, selected);
    if (grant.stepUp) for (const operation of selected) readsBody.add(operation.index);
    const bucket = formatRuleRef(ref);
    const quotas = (grant.quotas ?? []).map((quota, quotaIndex) => {
      noteParams(quota.where, selected, quota.sum === undefined ? [] : [quota.sum]);
      return compileQuota(quota, `${bucket}/quotas${quota.id === undefined ? `[${quotaIndex}]` : `/${quota.id}`}`, selected, ref);
    });
    const obligations = Object.freeze({
      stepUp: grant.stepUp,
      bucket,
      rateLimit: grant.rateLimit === undefined ? undefined : rateOf(grant.rateLimit, `${bucket} rateLimit`),
      quotas: Object.freeze(quotas),
      countsRecords: quotas.some((quota) => quota.count === 'records'),
      response: compileResponseRules(grant.response, grant.rows),
      request: compileRequestRules(grant.request),
    });
    if (grant.request !== undefined) for (const operation of selected) readsBody.add(operation.index);
    for (const operation of selected) {
      const allow: Decision = Object.freeze({
        allowed: true,
        reason: 'GRANTED',
        message: `allowed by ${formatRuleRef(ref)}${grant.stepUp ? ' after human approval (step-up)' : ''}`,
        api: operation.api.name,
        operation: operation.id,
        matched: ref,
        failed: undefined,
        obligations,
        warnings: Object.freeze(deprecationWarnings(operation)),
        alternatives: Object.freeze([]),
        hint: undefined,
        policyVersion: version,
      });
      listIn(grants, operation.index).push(Object.freeze({ ref, conditions, allow }));
    }
  });
  role.spec.forbid.forEach((forbid, index) => {
    const ref = ruleRef(role, 'forbid', index, forbid.id);
    const selected = selectAll(forbid, operationsByApi, ref);
    const conditions = paramConditions(forbid.params, selected, ref);
    noteParams(forbid.params, selected);
    for (const operation of selected) listIn(forbids, operation.index).push(Object.freeze({ ref, conditions, reason: forbid.reason }));
  });
  return Object.freeze({ role: role.metadata.name, grants, forbids });
}

function selectAll(rule: Grant | Forbid, operationsByApi: ReadonlyMap<string, CompiledOperation[]>, ref: RuleRef): CompiledOperation[] {
  const operations = operationsByApi.get(rule.api);
  if (!operations) throw new CompileError(`${formatRuleRef(ref)} names unknown api ${rule.api}`);
  const selected = new Set<CompiledOperation>();
  for (const selector of rule.operations) {
    const selection = selectOperations(selector, operations);
    if ('error' in selection) throw new CompileError(`${formatRuleRef(ref)}: ${selection.error}`);
    for (const operation of selection.matched) selected.add(operation);
  }
  return [...selected];
}

/** Region, then time window, then parameters: the cheapest and broadest checks first. */
function grantConditions(grant: Grant, operations: readonly CompiledOperation[], ref: RuleRef): readonly Condition[] {
  const conditions: Condition[] = [];
  if (grant.regions) {
    const regions = new Set(grant.regions);
    const listed = grant.regions.join(', ');
    conditions.push((input) =>
      input.region !== undefined && regions.has(input.region)
        ? undefined
        : { code: 'WARDEN_AUTHZ_REGION_NOT_ALLOWED', condition: 'region', message: `this grant applies only in ${listed}${input.region ? `, not ${input.region}` : ''}`, indeterminate: input.region === undefined },
    );
  }
  if (grant.expires !== undefined) {
    const ends = Date.parse(grant.expires);
    conditions.push((input) =>
      input.time < ends ? undefined : { code: 'WARDEN_AUTHZ_GRANT_EXPIRED', condition: 'expiry', message: `this grant ended at ${grant.expires}`, indeterminate: false },
    );
  }
  if (grant.timeWindows) {
    const inWindow = compileTimeWindows(grant.timeWindows);
    const described = describeTimeWindows(grant.timeWindows);
    conditions.push((input) =>
      inWindow(input.time) ? undefined : { code: 'WARDEN_AUTHZ_OUTSIDE_TIME_WINDOW', condition: 'timeWindow', message: `this grant applies only ${described}`, indeterminate: false },
    );
  }
  if (grant.purposes) {
    const purposes = new Set(grant.purposes);
    const listed = grant.purposes.join(', ');
    conditions.push((input) => {
      const purpose = input.context?.purpose;
      if (purpose !== undefined && purposes.has(purpose)) return undefined;
      const declared = purpose === undefined ? 'the call declares none (the purpose claim of the Warden-Context token)' : `not for ${purpose}`;
      return { code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', condition: 'purpose', message: `this grant serves only ${listed}; ${declared}`, indeterminate: purpose === undefined };
    });
  }
  if (grant.rows) {
    const row = parseRowRule(grant.rows);
    if ('error' in row) throw new CompileError(`${formatRuleRef(ref)} rows: ${row.error}`);
    const claim = row.claim;
    conditions.push((input) =>
      input.context?.[claim] !== undefined
        ? undefined
        : { code: 'WARDEN_AUTHZ_CONTEXT_MISSING', condition: 'context', message: `this grant returns only records where ${row.text}, and the call carries no ${claim} claim`, indeterminate: true },
    );
  }
  conditions.push(...paramConditions(grant.params, operations, ref));
  return conditions;
}

function paramConditions(params: Grant['params'], operations: readonly CompiledOperation[], ref: RuleRef): Condition[] {
  const conditions: Condition[] = [];
  for (const name of Object.keys(params ?? {}).sort(compareText)) {
    const declaredType = operations.flatMap((operation) => operation.parameters).find((parameter) => parameter.name === name)?.type;
    const compiled = compileParamConstraint(name, params![name]!, declaredType);
    if ('error' in compiled) throw new CompileError(`${formatRuleRef(ref)} params.${name}: ${compiled.error}`);
    conditions.push(compiled.condition);
  }
  return conditions;
}

function rateOf(spec: RateSpec, where: string): CompiledRate {
  const compiled = compileRate(spec);
  if ('error' in compiled) throw new CompileError(`${where}: ${compiled.error}`);
  return compiled;
}

function compileQuota(quota: NonNullable<Grant['quotas']>[number], bucket: string, selected: readonly CompiledOperation[], ref: RuleRef): CompiledQuota {
  const count = quota.sum !== undefined ? 'sum' : quota.count;
  const unit = count === 'sum' ? `of ${quota.sum}` : count;
  return Object.freeze({
    bucket,
    text: `${quota.limit} ${unit} per ${quota.per}${quota.where === undefined ? '' : ` (where ${Object.keys(quota.where).sort(compareText).join(', ')} match)`}`,
    limit: quota.limit,
    windowMs: QUOTA_WINDOWS[quota.per],
    count,
    sum: quota.sum,
    where: Object.freeze(paramConditions(quota.where, selected, ref)),
    failClosed: quota.failureMode === 'closed',
  });
}

function deprecationWarnings(operation: CompiledOperation): string[] {
  const warnings: string[] = [];
  const api = operation.api;
  if (api.status === 'deprecated') {
    const sunset = api.sunset ? `; calls stop on ${api.sunset}` : '';
    const replacement = api.replacement ? `; move to ${api.replacement}` : '';
    warnings.push(`API ${api.name} is deprecated${sunset}${replacement}`);
  }
  if (operation.deprecated) warnings.push(`operation ${api.name}.${operation.id} is deprecated`);
  return warnings;
}

/**
 * The roles of one agent: the operations it may call once every role's forbids apply, its
 * priority (the highest of its roles) and its roles' API-wide limits by API.
 */
function accessTable(tables: readonly RoleTable[], manifests: readonly RoleManifest[], apis: ReadonlyMap<string, CompiledApi>): AccessTable {
  const granted = new Set<number>();
  const forbidden = new Set<number>();
  for (const table of tables) {
    for (const index of table.grants.keys()) granted.add(index);
    for (const [index, list] of table.forbids) if (list.some((forbid) => forbid.conditions.length === 0)) forbidden.add(index);
  }
  const callable = [...granted].filter((index) => !forbidden.has(index)).sort((a, b) => a - b);
  let priority: number = PRIORITY_RANK.normal;
  const apiLimits = new Map<string, ScopedLimit[]>();
  for (const role of manifests) {
    if (role.spec.priority !== undefined) priority = Math.min(priority, PRIORITY_RANK[role.spec.priority]);
    role.spec.limits?.forEach((limit, index) => {
      const bucket = `${role.metadata.name}/limits${limit.id === undefined ? `[${index}]` : `/${limit.id}`}`;
      const scoped: ScopedLimit = Object.freeze({ bucket, rate: rateOf(limit, bucket) });
      for (const api of apis.values()) {
        if (limit.api !== undefined ? api.name !== limit.api : api.sensitivity !== limit.sensitivity) continue;
        const list = apiLimits.get(api.name);
        if (list === undefined) apiLimits.set(api.name, [scoped]);
        else list.push(scoped);
      }
    });
  }
  return Object.freeze({ roles: tables, callable, priority, apiLimits });
}

function ruleRef(role: RoleManifest, kind: RuleRef['kind'], index: number, id: string | undefined): RuleRef {
  return Object.freeze(id === undefined ? { role: role.metadata.name, kind, index } : { role: role.metadata.name, kind, index, id });
}

function sortByName<T extends { kind: string; metadata: { name: string } }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compareText(manifestKey(a), manifestKey(b)));
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
