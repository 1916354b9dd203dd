import { MAX_CONTAINMENT_MS, defaultEffect, type AgentManifest, type ApiManifest, type Forbid, type Grant, type HttpMethod, type ManifestSet, type OperationDeclaration, type PlaybookManifest, type DataPolicyManifest, type RoleManifest } from '../../model/manifests/index.js';
import { parseDuration } from '../duration.js';
import { compileParamConstraint } from '../param-constraint.js';
import { joinPath, parsePathTemplate } from '../path-template.js';
import { compileRate } from '../rate-limit.js';
import { invalidResponseField, parseRowRule } from '../data-rules.js';
import { OperationRouter } from '../router.js';
import { selectOperations } from '../operation-selector.js';
import { isKnownTimezone } from '../time-window.js';
import { suggestion } from './suggest.js';

/** Reports a problem at a field of a manifest; the loader turns it into file:line. */
export type Report = (manifest: { kind: string; metadata: { name: string } }, segments: (string | number)[], message: string, fix: string) => void;

/**
 * Checks what one schema cannot: references between manifests, uniqueness, routes that
 * collide, and values that must parse (templates, rates, patterns, time zones).
 */
export function checkCrossReferences(set: ManifestSet, report: Report, invalid: ReadonlySet<string> = new Set()): void {
  const apis = new Map(set.apis.map((api) => [api.metadata.name, api]));
  const roles = new Set(set.roles.map((role) => role.metadata.name));
  checkRoutes(set.apis, report);
  checkLearning(set.apis, report);
  for (const api of set.apis) checkApi(api, report);
  for (const role of set.roles) checkRole(role, apis, report, invalid);
  checkAgents(set.agents, roles, report, invalid);
  for (const template of set.templates ?? []) checkRoleNames(template, template.spec.roles, roles, report, invalid);
  const known = { Agent: new Set(set.agents.map((agent) => agent.metadata.name)), Role: roles, Api: new Set(apis.keys()) };
  for (const playbook of set.playbooks ?? []) checkPlaybook(playbook, known, report, invalid);
  for (const policy of set.dataPolicies ?? []) checkDataPolicy(policy, known.Api, report, invalid);
}

/** Each role named once and defined (or at least present, if it failed validation). */
function checkRoleNames(manifest: { kind: string; metadata: { name: string } }, names: readonly string[], roles: ReadonlySet<string>, report: Report, invalid: ReadonlySet<string>): void {
  names.forEach((role, index) => {
    if (!roles.has(role) && !invalid.has(`Role/${role}`)) report(manifest, ['spec', 'roles', index], `role "${role}" is not defined`, suggestion(role, [...roles], 'role'));
    if (names.indexOf(role) !== index) report(manifest, ['spec', 'roles', index], `role "${role}" is listed twice`, 'remove the duplicate');
  });
}

function checkApi(api: ApiManifest, report: Report): void {
  const spec = api.spec;
  let url: URL | undefined;
  try {
    url = new URL(spec.upstream.url);
  } catch {
    report(api, ['spec', 'upstream', 'url'], `"${spec.upstream.url}" is not a URL`, 'write e.g. https://crm.internal.example:8443');
  }
  if (url && (url.username || url.password)) {
    report(api, ['spec', 'upstream', 'url'], 'the upstream URL contains credentials', 'remove them from the URL and reference the secret in spec.upstream.auth.secret');
  }
  if (url && (url.search || url.hash)) report(api, ['spec', 'upstream', 'url'], 'the upstream URL has a query or fragment', 'give only scheme, host, port and an optional path prefix');
  if (spec.upstream.staging !== undefined) {
    let staging: URL | undefined;
    try {
      staging = new URL(spec.upstream.staging);
    } catch {
      report(api, ['spec', 'upstream', 'staging'], `"${spec.upstream.staging}" is not a URL`, 'write e.g. https://crm.staging.example:8443');
    }
    if (staging && (staging.username || staging.password || staging.search || staging.hash)) {
      report(api, ['spec', 'upstream', 'staging'], 'the staging URL may only hold scheme, host, port and a path prefix', 'remove credentials, query or fragment');
    }
  }
  if (spec.upstream.auth?.type === 'header' && !spec.upstream.auth.header) {
    report(api, ['spec', 'upstream', 'auth'], 'auth type "header" needs the header name', 'add header: X-Api-Key (or the header the upstream expects)');
  }
  if (spec.protection !== undefined && spec.protection.maxLatencyMs === undefined && spec.protection.maxErrorRate === undefined) {
    report(api, ['spec', 'protection'], 'protection needs a threshold to act on', 'set maxLatencyMs, maxErrorRate or both');
  }
  if (spec.basePath !== '/' && spec.basePath.endsWith('/')) report(api, ['spec', 'basePath'], 'basePath must not end with "/"', `write ${spec.basePath.replace(/\/+$/, '')}`);
  // The gateway answers /.warden/… itself (access requests): no API may claim it.
  if (spec.basePath === '/.warden' || spec.basePath.startsWith('/.warden/')) report(api, ['spec', 'basePath'], 'paths under /.warden are reserved for the gateway', 'choose another basePath');
  const basePath = parsePathTemplate(spec.basePath);
  if ('error' in basePath || basePath.params.length > 0) report(api, ['spec', 'basePath'], `basePath "${spec.basePath}" is not a plain path`, 'use literal segments only, e.g. /crm');
  for (const field of ['sunset', 'deprecatedSince'] as const) {
    const date = spec.lifecycle[field];
    if (date !== undefined && !isCalendarDate(date)) report(api, ['spec', 'lifecycle', field], `"${date}" is not a calendar date`, 'write YYYY-MM-DD');
  }
  const seenIds = new Map<string, number>();
  spec.operations.forEach((operation, index) => {
    const at = ['spec', 'operations', index];
    const previous = seenIds.get(operation.id);
    if (previous !== undefined) report(api, [...at, 'id'], `operation id "${operation.id}" is declared twice (also operations[${previous}])`, 'give each operation of an API its own id');
    seenIds.set(operation.id, index);
    checkOperationParameters(api, operation, at, report);
  });
}

function checkOperationParameters(api: ApiManifest, operation: OperationDeclaration, at: (string | number)[], report: Report): void {
  const template = parsePathTemplate(operation.path);
  if ('error' in template) {
    report(api, [...at, 'path'], `path "${operation.path}" ${template.error}`, 'write a template like /customers/{id}');
    return;
  }
  const seen = new Set<string>();
  operation.parameters.forEach((parameter, index) => {
    const key = `${parameter.in}:${parameter.name}`;
    if (seen.has(key)) report(api, [...at, 'parameters', index, 'name'], `parameter ${parameter.name} (in ${parameter.in}) is declared twice`, 'remove the duplicate');
    seen.add(key);
    if (parameter.in === 'path' && !template.params.includes(parameter.name)) {
      report(api, [...at, 'parameters', index, 'name'], `path parameter ${parameter.name} is not in the path ${operation.path}`, `add {${parameter.name}} to the path, or set in: query`);
    }
  });
  if (operation.effect === 'read' && defaultEffect(operation.method) === 'write' && operation.method !== 'POST') {
    report(api, [...at, 'effect'], `${operation.method} changes state and cannot be declared effect: read`, 'remove effect, or set it to write');
  }
}

/** Every operation of every API goes into one router, exactly as the compiler will build it. */
function checkRoutes(apis: readonly ApiManifest[], report: Report): void {
  const router = new OperationRouter<{ method: HttpMethod; fullPath: string; api: ApiManifest; index: number }>();
  for (const api of apis) {
    api.spec.operations.forEach((operation, index) => {
      if ('error' in parsePathTemplate(operation.path)) return;
      const problem = router.add({ method: operation.method, fullPath: joinPath(api.spec.basePath, operation.path), api, index });
      if (!problem) return;
      const other = problem.conflictsWith ? ` (operation ${problem.conflictsWith.api.spec.operations[problem.conflictsWith.index]?.id} of api ${problem.conflictsWith.api.metadata.name})` : '';
      report(api, ['spec', 'operations', index, 'path'], `${problem.error}${other}`, 'give every operation its own method and path; two APIs need distinct base paths');
    });
  }
}

/** An undeclared path is learned by exactly one API: two learning on one base path would split its calls arbitrarily. */
function checkLearning(apis: readonly ApiManifest[], report: Report): void {
  const learners = new Map<string, string>();
  for (const api of apis) {
    if (api.spec.discovery !== 'learn') continue;
    const other = learners.get(api.spec.basePath);
    if (other === undefined) learners.set(api.spec.basePath, api.metadata.name);
    else report(api, ['spec', 'discovery'], `api ${other} already learns the undeclared paths under ${api.spec.basePath}`, `set discovery: learn on only one of ${other} and ${api.metadata.name}`);
  }
}

/**
 * `invalid` holds manifests that exist but failed validation: they already have their own
 * problem, and calling them "not defined" would send the author looking in the wrong place.
 */
function checkRole(role: RoleManifest, apis: ReadonlyMap<string, ApiManifest>, report: Report, invalid: ReadonlySet<string>): void {
  const ids = new Set<string>();
  const rules: [kind: 'grants' | 'forbid', rule: Grant | Forbid, index: number][] = [
    ...role.spec.grants.map((grant, index) => ['grants', grant, index] as ['grants', Grant, number]),
    ...role.spec.forbid.map((forbid, index) => ['forbid', forbid, index] as ['forbid', Forbid, number]),
  ];
  for (const [kind, rule, index] of rules) {
    const at: (string | number)[] = ['spec', kind, index];
    if (rule.id !== undefined) {
      if (ids.has(rule.id)) report(role, [...at, 'id'], `rule id "${rule.id}" is used twice in this role`, 'give each grant and forbid of a role its own id');
      ids.add(rule.id);
    }
    const api = apis.get(rule.api);
    if (!api) {
      if (invalid.has(`Api/${rule.api}`)) continue;
      report(role, [...at, 'api'], `api "${rule.api}" is not defined`, suggestion(rule.api, [...apis.keys()], 'api'));
      continue;
    }
    const operationIds = api.spec.operations.map((operation) => operation.id);
    const selected = new Set<OperationDeclaration>();
    rule.operations.forEach((selector, selectorIndex) => {
      const selection = selectOperations(selector, api.spec.operations);
      if ('error' in selection) {
        const fix = selection.fix || (selector.includes(' ') ? `check the glob against the paths of api ${api.metadata.name}` : suggestion(selector, operationIds, 'operation'));
        const where = selector.includes(' ') ? 'in' : 'by';
        report(role, [...at, 'operations', selectorIndex], `${selection.error} ${where} api ${api.metadata.name}`, fix);
      } else {
        for (const operation of selection.matched) selected.add(operation);
      }
    });
    checkParams(role, rule.api, rule.params, [...selected], [...at, 'params'], report);
    if (kind === 'grants') checkGrantExtras(role, rule as Grant, [...selected], at, report);
  }
  checkRoleLimits(role, apis, report, invalid);
}

/** A role's API-wide limits: over exactly one API or one sensitivity class, with a rate that parses. */
function checkRoleLimits(role: RoleManifest, apis: ReadonlyMap<string, ApiManifest>, report: Report, invalid: ReadonlySet<string>): void {
  const ids = new Set<string>();
  role.spec.limits?.forEach((limit, index) => {
    const at = ['spec', 'limits', index];
    if (limit.id !== undefined) {
      if (ids.has(limit.id)) report(role, [...at, 'id'], `limit id "${limit.id}" is used twice in this role`, 'give each limit of a role its own id');
      ids.add(limit.id);
    }
    if ((limit.api === undefined) === (limit.sensitivity === undefined)) {
      report(role, at, 'a limit applies to exactly one of api or sensitivity', 'write api: NAME (all its operations) or sensitivity: confidential (every API of that class)');
    } else if (limit.api !== undefined && !apis.has(limit.api) && !invalid.has(`Api/${limit.api}`)) {
      report(role, [...at, 'api'], `api "${limit.api}" is not defined`, suggestion(limit.api, [...apis.keys()], 'api'));
    }
    const rate = compileRate(limit);
    if ('error' in rate) report(role, [...at, 'rate'], rate.error, 'write e.g. 100/s, 5/min, 1000/hour or "10/s burst 20"');
  });
}

/** Parameter conditions (`params` of a rule, `where` of a quota) name declared parameters and compile. */
function checkParams(role: RoleManifest, api: string, params: Grant['params'], selected: OperationDeclaration[], at: (string | number)[], report: Report): void {
  if (!params || selected.length === 0) return;
  const declared = selected.flatMap((operation) => operation.parameters);
  for (const [name, constraint] of Object.entries(params)) {
    const parameter = declared.find((candidate) => candidate.name === name);
    const fieldAt = [...at, name];
    if (!parameter) {
      const names = [...new Set(declared.map((candidate) => candidate.name))];
      report(role, fieldAt, `no selected operation of api ${api} declares a parameter "${name}"`, names.length > 0 ? suggestion(name, names, 'parameter') : `declare it under the operation's parameters in api ${api}`);
      continue;
    }
    if (constraint.rangeEnd !== undefined && !declared.some((candidate) => candidate.name === constraint.rangeEnd)) {
      report(role, [...fieldAt, 'rangeEnd'], `rangeEnd names "${constraint.rangeEnd}", which no selected operation declares`, suggestion(constraint.rangeEnd, [...new Set(declared.map((candidate) => candidate.name))], 'parameter'));
    }
    const compiled = compileParamConstraint(name, constraint, parameter.type);
    if ('error' in compiled) report(role, fieldAt, compiled.error, compiled.fix);
  }
}

function checkGrantExtras(role: RoleManifest, grant: Grant, selected: OperationDeclaration[], at: (string | number)[], report: Report): void {
  if (grant.rateLimit !== undefined) {
    const parsed = compileRate(grant.rateLimit);
    const field = typeof grant.rateLimit === 'string' ? ['rateLimit'] : ['rateLimit', 'rate'];
    if ('error' in parsed) report(role, [...at, ...field], parsed.error, 'write e.g. 100/s, 5/min, 1000/hour or "10/s burst 20"');
  }
  const quotaIds = new Set<string>();
  grant.quotas?.forEach((quota, index) => {
    const quotaAt = [...at, 'quotas', index];
    if (quota.id !== undefined) {
      if (quotaIds.has(quota.id)) report(role, [...quotaAt, 'id'], `quota id "${quota.id}" is used twice in this grant`, 'give each quota of a grant its own id');
      quotaIds.add(quota.id);
    }
    checkParams(role, grant.api, quota.where, selected, [...quotaAt, 'where'], report);
    if (quota.sum === undefined) return;
    if (quota.count === 'records') report(role, [...quotaAt, 'count'], 'a quota counts records or sums a parameter, not both', 'remove count: records, or remove sum');
    const numeric = selected.flatMap((operation) => operation.parameters).filter((parameter) => parameter.name === quota.sum);
    if (numeric.length === 0) report(role, [...quotaAt, 'sum'], `no selected operation of api ${grant.api} declares a parameter "${quota.sum}"`, 'name a declared numeric parameter, e.g. amount');
    else if (numeric.some((parameter) => parameter.type !== 'number' && parameter.type !== 'integer')) report(role, [...quotaAt, 'sum'], `parameter "${quota.sum}" is not declared as a number`, `declare it with type: number (or integer) in api ${grant.api}`);
  });
  grant.timeWindows?.forEach((window, index) => {
    if (!isKnownTimezone(window.timezone)) report(role, [...at, 'timeWindows', index, 'timezone'], `"${window.timezone}" is not a known time zone`, 'use an IANA zone such as Europe/Berlin or America/New_York');
    if (window.start === window.end) report(role, [...at, 'timeWindows', index, 'end'], 'the window is empty (start equals end)', 'set end after start; for the whole day use 00:00 to 24:00');
  });
  if (grant.expires !== undefined && Number.isNaN(Date.parse(grant.expires))) {
    report(role, [...at, 'expires'], `"${grant.expires}" is not a moment in time`, 'write e.g. 2026-12-31T18:00:00Z');
  }
  if (grant.response) {
    const invalid = invalidResponseField(grant.response);
    if (invalid) report(role, [...at, 'response', invalid.list, invalid.index], `"${invalid.path}" is not a field path`, 'write dotted field names such as customer.email or items[].ssn');
    if (grant.response.allow && grant.response.drop) {
      report(role, [...at, 'response', 'drop'], 'drop has no effect next to allow (allow already removes every other field)', 'keep allow and mask, remove drop');
    }
  }
  if (grant.rows) {
    const row = parseRowRule(grant.rows);
    if ('error' in row) report(role, [...at, 'rows', 'where'], row.error, 'write e.g. customerId == ${context.customer}');
  }
}

function checkAgents(agents: readonly AgentManifest[], roles: ReadonlySet<string>, report: Report, invalid: ReadonlySet<string>): void {
  const owners = new Map<string, string>();
  for (const agent of agents) {
    checkRoleNames(agent, agent.spec.roles, roles, report, invalid);
    agent.spec.credentials.forEach((credential, index) => {
      let key: string;
      if (credential.type === 'apiKey') key = `apiKey ${credential.id}`;
      else if (credential.type === 'jwt') key = `jwt ${credential.issuer} ${credential.subject}`;
      else {
        if (!credential.fingerprint && !credential.spiffeId) {
          report(agent, ['spec', 'credentials', index], 'an mtls binding needs a certificate fingerprint or a SPIFFE id', 'add fingerprint: sha256:<hex> or spiffeId: spiffe://trust-domain/path');
          return;
        }
        key = `mtls ${credential.fingerprint ?? ''} ${credential.spiffeId ?? ''}`;
      }
      const owner = owners.get(key);
      if (owner !== undefined) report(agent, ['spec', 'credentials', index], `this credential is already bound to agent ${owner}`, 'a credential identifies exactly one agent; issue a separate one');
      else owners.set(key, agent.metadata.name);
    });
  }
}

/** A playbook's conditions name what exists, each once; its throttles and step-ups parse and end within a week. */
function checkPlaybook(playbook: PlaybookManifest, known: Readonly<Record<'Agent' | 'Role' | 'Api', ReadonlySet<string>>>, report: Report, invalid: ReadonlySet<string>): void {
  const ids = new Set<string>();
  const lists = [['agents', 'Agent', 'agent'], ['roles', 'Role', 'role'], ['apis', 'Api', 'api']] as const;
  playbook.spec.rules.forEach((rule, index) => {
    const at = ['spec', 'rules', index];
    if (rule.id !== undefined) {
      if (ids.has(rule.id)) report(playbook, [...at, 'id'], `rule id "${rule.id}" is used twice in this playbook`, 'give each rule of a playbook its own id');
      ids.add(rule.id);
    }
    for (const [field, kind, noun] of lists) {
      const names = rule.when?.[field] ?? [];
      names.forEach((name, position) => {
        const where = [...at, 'when', field, position];
        if (!known[kind].has(name) && !invalid.has(`${kind}/${name}`)) report(playbook, where, `${noun} "${name}" is not defined`, suggestion(name, [...known[kind]], noun));
        if (names.indexOf(name) !== position) report(playbook, where, `${noun} "${name}" is listed twice`, 'remove the duplicate');
      });
    }
    for (const field of ['detectors', 'apiSensitivity'] as const) {
      const values: readonly string[] = rule.when?.[field] ?? [];
      values.forEach((value, position) => {
        if (values.indexOf(value) !== position) report(playbook, [...at, 'when', field, position], `"${value}" is listed twice`, 'remove the duplicate');
      });
    }
    const seen = new Set<string>();
    rule.actions.forEach((action, position) => {
      const where = [...at, 'actions', position];
      if (seen.has(action.action)) report(playbook, [...where, 'action'], `action ${action.action} is listed twice in this rule`, 'keep one of them');
      seen.add(action.action);
      if (action.action === 'throttle') {
        const rate = compileRate(action.rate);
        if ('error' in rate) report(playbook, [...where, 'rate'], rate.error, 'write e.g. 10/minute, 100/hour or "10/minute burst 20"');
      }
      if (action.action === 'throttle' || action.action === 'require-step-up') {
        const ms = parseDuration(action.for);
        if (ms !== undefined && ms > MAX_CONTAINMENT_MS) report(playbook, [...where, 'for'], `${action.for} is longer than a playbook may contain an agent (7d)`, 'use 7d or less; a person can suspend the agent for longer');
      }
    });
  });
}

function isCalendarDate(text: string): boolean {
  const time = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(text);
}

/** A data policy names APIs that exist, and says something: purposes or residency. */
function checkDataPolicy(policy: DataPolicyManifest, apis: ReadonlySet<string>, report: Report, invalid: ReadonlySet<string>): void {
  policy.spec.appliesTo?.apis?.forEach((name, index) => {
    if (!apis.has(name) && !invalid.has(`Api/${name}`)) report(policy, ['spec', 'appliesTo', 'apis', index], `api "${name}" is not defined`, suggestion(name, [...apis], 'api'));
  });
  if (policy.spec.purposes === undefined && policy.spec.residency === undefined) {
    report(policy, ['spec'], 'the data policy restricts nothing', 'add purposes (allow or deny) or residency rules');
  }
  const both = policy.spec.purposes?.allow?.filter((purpose) => policy.spec.purposes?.deny?.includes(purpose)) ?? [];
  if (both.length > 0) report(policy, ['spec', 'purposes', 'deny'], `${both.join(', ')} is both allowed and denied`, 'list each purpose in allow or in deny, not both');
}
