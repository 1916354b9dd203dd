import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests, type LoadResult } from './load-manifests.js';
import { formatProblem, type ManifestProblem } from './problem.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');

let dir: string;
let scratch: string;

beforeEach(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'warden-load-'));
  dir = path.join(scratch, 'manifests');
  await cp(EXAMPLES, dir, { recursive: true });
});

afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Replaces `from` (which must occur exactly once) with `to` in a file of the copied folder. */
async function edit(file: string, from: string, to: string): Promise<void> {
  const full = path.join(dir, file);
  const text = await readFile(full, 'utf8');
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`"${from}" occurs ${parts.length - 1} times in ${file}, expected once`);
  await writeFile(full, parts.join(to));
}

async function write(file: string, text: string): Promise<void> {
  await writeFile(path.join(dir, file), text);
}

/** The 1-based line of the only line of `file` that contains `needle`. */
async function lineOf(file: string, needle: string): Promise<number> {
  const lines = (await readFile(path.join(dir, file), 'utf8')).split('\n');
  const hits = lines.flatMap((line, index) => (line.includes(needle) ? [index + 1] : []));
  if (hits.length !== 1) throw new Error(`"${needle}" is on ${hits.length} lines of ${file}, expected one`);
  return hits[0]!;
}

const load = (): Promise<LoadResult> => loadManifests(dir);

function describeAll(problems: readonly ManifestProblem[]): string {
  return problems.map(formatProblem).join('\n') || '(no problems)';
}

/** The folder has exactly one problem; returns it. */
function onlyProblem(result: LoadResult): ManifestProblem {
  expect(result.problems, describeAll(result.problems)).toHaveLength(1);
  return result.problems[0]!;
}

/** The one problem at `field` of `file`. */
function problemAt(result: LoadResult, file: string, field: string): ManifestProblem {
  const found = result.problems.filter((problem) => problem.file.endsWith(file) && problem.field === field);
  expect(found, `expected one problem at ${file} ${field}, got:\n${describeAll(result.problems)}`).toHaveLength(1);
  return found[0]!;
}

function expectProblem(problem: ManifestProblem, expected: { file: string; line: number; field: string; message: RegExp | string; fix: RegExp | string }): void {
  const shown = formatProblem(problem);
  expect(problem.file.replaceAll(path.sep, '/').endsWith(expected.file), shown).toBe(true);
  expect(problem.line, shown).toBe(expected.line);
  expect(problem.column, shown).toBeGreaterThanOrEqual(1);
  expect(problem.field, shown).toBe(expected.field);
  if (typeof expected.message === 'string') expect(problem.message, shown).toContain(expected.message);
  else expect(problem.message, shown).toMatch(expected.message);
  if (typeof expected.fix === 'string') expect(problem.fix, shown).toContain(expected.fix);
  else expect(problem.fix, shown).toMatch(expected.fix);
}

describe('loadManifests: the example folder', () => {
  it('loads with zero problems and the right counts', async () => {
    const result = await load();
    expect(result.problems, describeAll(result.problems)).toEqual([]);
    expect(result.set.apis.map((api) => api.metadata.name).sort()).toEqual(['crm', 'finance', 'hr', 'it-ops', 'legacy-fax', 'legacy-warehouse', 'payments']);
    expect(result.set.roles).toHaveLength(5);
    expect(result.set.agents).toHaveLength(8);
    expect(result.set.templates?.map((template) => [template.metadata.name, template.spec.preApproved])).toEqual([['standard-support-bot', true], ['support-supervisor-bot', false]]);
    expect(result.set.playbooks?.map((playbook) => playbook.metadata.name)).toEqual(['default-response']);
    expect(result.set.dataPolicies?.map((policy) => policy.metadata.name)).toEqual(['no-training-on-personal-data']);
    expect(result.files).toHaveLength(17);
    expect(result.files.some((file) => file.endsWith('crm.openapi.yaml'))).toBe(true);
  });

  it('imports the crm operations from the OpenAPI document', async () => {
    const result = await load();
    const crm = result.set.apis.find((api) => api.metadata.name === 'crm')!;
    expect(crm.spec.operations.map((operation) => operation.id).sort()).toEqual(
      ['addTicketNote', 'deleteCustomer', 'getCustomer', 'getTicket', 'listCustomerOrders', 'searchCustomers', 'updateCustomerContact'].sort(),
    );
    const getCustomer = crm.spec.operations.find((operation) => operation.id === 'getCustomer')!;
    expect(getCustomer).toMatchObject({ method: 'GET', path: '/customers/{customerId}' });
    // A path-level parameter is inherited by the operation and is always required.
    expect(getCustomer.parameters).toEqual([expect.objectContaining({ name: 'customerId', in: 'path', required: true })]);
    const update = crm.spec.operations.find((operation) => operation.id === 'updateCustomerContact')!;
    expect(update.parameters.filter((parameter) => parameter.in === 'body').map((parameter) => parameter.name)).toEqual(['email', 'phone']);
  });

  it('applies schema defaults and remembers where each manifest was defined', async () => {
    const result = await load();
    const fax = result.set.apis.find((api) => api.metadata.name === 'legacy-fax')!;
    expect(fax.spec.sensitivity).toBe('internal');
    expect(fax.spec.criticality).toBe('medium');
    const returns = result.set.agents.find((agent) => agent.metadata.name === 'returns-bot')!;
    expect(returns.spec.credentials).toEqual([]);
    const crm = result.set.sources?.get('Api/crm');
    expect(crm?.file.endsWith('apis/crm.yaml')).toBe(true);
    expect(crm?.line).toBe(3);
    // Lines of later documents are absolute in the file.
    expect(result.set.sources?.get('Agent/finance-analyst')?.line).toBe(15);
    expect(result.set.sources?.get('Agent/legacy-reporter')?.line).toBe(85);
  });

  it('reports a folder that does not exist', async () => {
    const result = await loadManifests(path.join(scratch, 'missing'));
    const problem = onlyProblem(result);
    expect(problem.message).toContain('no such file or folder');
    expect(problem.fix).toContain('folder');
  });
});

describe('loadManifests: YAML mistakes', () => {
  it('reports a syntax error at its line', async () => {
    await edit('apis/hr.yaml', '  basePath: /hr\n', '  basePath: /hr: x\n');
    const result = await load();
    const inFile = result.problems.filter((problem) => problem.file.endsWith('apis/hr.yaml'));
    expect(inFile, describeAll(result.problems)).toHaveLength(1);
    expectProblem(inFile[0]!, { file: 'apis/hr.yaml', line: 11, field: '', message: /^YAML: .*compact mappings/, fix: 'YAML syntax' });
    expect(inFile[0]!.column).toBe(13);
  });

  it('refuses a repeated key instead of letting the last one win', async () => {
    await edit('apis/payments.yaml', '  basePath: /payments\n', '  basePath: /payments\n  sensitivity: public\n');
    const result = await load();
    const inFile = result.problems.filter((problem) => problem.file.endsWith('apis/payments.yaml'));
    expect(inFile, describeAll(result.problems)).toHaveLength(1);
    // The second `sensitivity` (the original one, after the inserted line) is the repeat.
    expect(await lineOf('apis/payments.yaml', 'sensitivity: restricted')).toBe(13);
    expectProblem(inFile[0]!, { file: 'apis/payments.yaml', line: 13, field: '', message: /Map keys must be unique/, fix: 'repeated key' });
    expect(inFile[0]!.column).toBe(3);
    expect(result.set.apis.map((api) => api.metadata.name)).not.toContain('payments');
  });

  it('gives an absolute line for a syntax error in the third document of a file', async () => {
    await edit('agents/agents.yaml', '  purpose: Onboards new employees from signed offer to first day\n', '  purpose: "Onboards new employees from signed offer to first day\n');
    const result = await load();
    expect(result.problems.length, describeAll(result.problems)).toBeGreaterThanOrEqual(1);
    for (const problem of result.problems) {
      expect(problem.file.endsWith('agents/agents.yaml'), formatProblem(problem)).toBe(true);
      expect(problem.message).toMatch(/^YAML: /);
    }
    // The unterminated quote is on line 33, in the third document; nothing before it is blamed.
    expect(await lineOf('agents/agents.yaml', 'purpose: "Onboards')).toBe(33);
    expect(result.problems[0]!.line, describeAll(result.problems)).toBe(33);
    // The other agents of the file still load.
    expect(result.set.agents.map((agent) => agent.metadata.name)).toContain('support-bot');
    expect(result.set.agents.map((agent) => agent.metadata.name)).toContain('legacy-reporter');
  });
});

describe('loadManifests: envelope mistakes', () => {
  it('reports a missing apiVersion', async () => {
    await edit('apis/finance.yaml', 'apiVersion: warden.dev/v1\n', '');
    const problem = problemAt(await load(), 'apis/finance.yaml', 'apiVersion');
    expectProblem(problem, { file: 'apis/finance.yaml', line: 1, field: 'apiVersion', message: 'missing apiVersion', fix: 'apiVersion: warden.dev/v1' });
  });

  it('reports an unsupported apiVersion', async () => {
    await edit('apis/finance.yaml', 'apiVersion: warden.dev/v1\n', 'apiVersion: warden.dev/v2\n');
    const problem = problemAt(await load(), 'apis/finance.yaml', 'apiVersion');
    expectProblem(problem, { file: 'apis/finance.yaml', line: 1, field: 'apiVersion', message: '"warden.dev/v2" is not supported', fix: 'set apiVersion: warden.dev/v1' });
  });

  it('suggests the closest kind for an unknown kind', async () => {
    await edit('apis/it-ops.yaml', 'kind: Api\n', 'kind: Apii\n');
    await write('roles/extra.yaml', 'apiVersion: warden.dev/v1\nkind: Rol\nmetadata:\n  name: extra\nspec: {}\n');
    const result = await load();
    expectProblem(problemAt(result, 'roles/extra.yaml', 'kind'), { file: 'roles/extra.yaml', line: 2, field: 'kind', message: 'kind "Rol" is not known', fix: 'did you mean "Role"?' });
    expectProblem(problemAt(result, 'apis/it-ops.yaml', 'kind'), { file: 'apis/it-ops.yaml', line: 2, field: 'kind', message: 'kind "Apii" is not known', fix: 'did you mean "Api"?' });
  });

  it('reports a document that is not a mapping', async () => {
    await write('roles/list.yaml', '- apiVersion: warden.dev/v1\n- kind: Role\n');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/list.yaml', line: 1, field: '', message: 'must be a mapping', fix: 'apiVersion: warden.dev/v1' });
  });
});

describe('loadManifests: schema mistakes', () => {
  it('suggests the closest field for an unknown field', async () => {
    await edit('apis/it-ops.yaml', '  owner: platform-team@example.com\n', '  ownr: platform-team@example.com\n');
    const result = await load();
    const problem = problemAt(result, 'apis/it-ops.yaml', 'spec.ownr');
    expectProblem(problem, { file: 'apis/it-ops.yaml', line: 7, field: 'spec.ownr', message: 'unknown field "ownr"', fix: 'did you mean "owner"?' });
    expect(problem.fix).toContain('allowed here:');
    expect(problem.column).toBe(3);
    // Every problem of the broken manifest is in its own file.
    for (const other of result.problems) expect(other.file.endsWith('apis/it-ops.yaml'), formatProblem(other)).toBe(true);
  });

  it('reports a missing required field at the object that lacks it', async () => {
    await edit('agents/agents.yaml', '  purpose: Answers customer support tickets in the EU and US help desks\n', '');
    // One missing field is one problem (not also "must be a string, got nothing").
    const problem = problemAt(await load(), 'agents/agents.yaml', 'spec.purpose');
    expectProblem(problem, { file: 'agents/agents.yaml', line: 6, field: 'spec.purpose', message: 'missing required field "purpose"', fix: 'what the agent is for' });
  });

  it('lists the choices for a bad enum value', async () => {
    await edit('apis/payments.yaml', '  sensitivity: restricted\n', '  sensitivity: secret\n');
    const result = await load();
    const problem = problemAt(result, 'apis/payments.yaml', 'spec.sensitivity');
    expectProblem(problem, { file: 'apis/payments.yaml', line: 12, field: 'spec.sensitivity', message: '"secret" is not one of public, internal, confidential, restricted', fix: /public, internal, confidential, restricted/ });
    expect(problem.column).toBe(16);
  });

  it('suggests the closest enum value for a near miss', async () => {
    await edit('apis/payments.yaml', '  criticality: critical\n', '  criticality: critcal\n');
    const problem = problemAt(await load(), 'apis/payments.yaml', 'spec.criticality');
    expectProblem(problem, { file: 'apis/payments.yaml', line: 13, field: 'spec.criticality', message: 'is not one of low, medium, high, critical', fix: 'did you mean "critical"?' });
  });

  it('reports a value of the wrong type', async () => {
    await edit('roles/it-operations.yaml', '      stepUp: true\n', '      stepUp: "yes"\n');
    const problem = problemAt(await load(), 'roles/it-operations.yaml', 'spec.grants[2].stepUp');
    expectProblem(problem, { file: 'roles/it-operations.yaml', line: 24, field: 'spec.grants[2].stepUp', message: 'must be true or false, got "yes"', fix: 'true or false' });
  });

  it.each([
    ['sunset', 'sunset: "2027-03-31"', 'sunset: "2027-02-30"'],
    ['deprecatedSince', 'deprecatedSince: "2026-09-01"', 'deprecatedSince: "2026-13-01"'],
  ])('reports a lifecycle %s that is no calendar date', async (field, from, to) => {
    await edit('apis/legacy-warehouse.yaml', from, to);
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'apis/legacy-warehouse.yaml', line: await lineOf('apis/legacy-warehouse.yaml', to), field: `spec.lifecycle.${field}`, message: 'is not a calendar date', fix: 'YYYY-MM-DD' });
  });

  it('reports a template role that is not defined, with the closest role', async () => {
    await edit('templates/agent-templates.yaml', 'roles: [customer-service]\n  preApproved: true', 'roles: [customer-servce]\n  preApproved: true');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'templates/agent-templates.yaml', line: await lineOf('templates/agent-templates.yaml', 'customer-servce'), field: 'spec.roles[0]', message: 'role "customer-servce" is not defined', fix: 'customer-service' });
  });

  it('reserves /.warden for the gateway\'s own endpoints', async () => {
    await edit('apis/crm.yaml', 'basePath: /crm', 'basePath: /.warden/crm');
    const problem = problemAt(await load(), 'apis/crm.yaml', 'spec.basePath');
    expect(problem.message).toContain('reserved for the gateway');
  });

  it('reports two APIs that learn the undeclared paths of one base path', async () => {
    await edit('apis/crm.yaml', 'basePath: /crm', 'basePath: /crm\n  discovery: learn');
    await edit('apis/hr.yaml', 'basePath: /hr', 'basePath: /crm\n  discovery: learn');
    const problem = problemAt(await load(), 'apis/hr.yaml', 'spec.discovery');
    expect(problem.message).toContain('api crm already learns the undeclared paths under /crm');
    expect(problem.fix).toContain('only one of crm and hr');
  });

  it('reports a scalar where a list is expected', async () => {
    await edit('agents/agents.yaml', '  roles: [hr-onboarding]\n', '  roles: hr-onboarding\n');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'agents/agents.yaml', line: 34, field: 'spec.roles', message: 'must be a list, got "hr-onboarding"', fix: 'a list' });
  });

  it('reports a field that does not match its pattern with what is expected', async () => {
    await edit('agents/agents.yaml', '  owner: jonas.berg@example.com\n', '  owner: jonas\n');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'agents/agents.yaml', line: 45, field: 'spec.owner', message: '"jonas" is not valid', fix: 'e-mail address' });
  });

  it('gives an absolute line for a schema error in the third document of a file', async () => {
    await write(
      'agents/more.yaml',
      [
        '# three agents in one file',
        'apiVersion: warden.dev/v1',
        'kind: Agent',
        'metadata: { name: first-bot }',
        'spec: { owner: a@example.com, purpose: The first of three test agents, roles: [customer-service] }',
        '---',
        'apiVersion: warden.dev/v1',
        'kind: Agent',
        'metadata: { name: second-bot }',
        'spec: { owner: a@example.com, purpose: The second of three test agents, roles: [customer-service] }',
        '---',
        'apiVersion: warden.dev/v1',
        'kind: Agent',
        'metadata:',
        '  name: third-bot',
        'spec:',
        '  owner: a@example.com',
        '  purpose: The third of three test agents',
        '  roles: [customer-service]',
        '  state: activ',
        '',
      ].join('\n'),
    );
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'agents/more.yaml', line: 20, field: 'spec.state', message: '"activ" is not one of proposed', fix: 'did you mean "active"?' });
    expect(problem.column).toBe(10);
  });

  it('reports a tagged binding without its required field', async () => {
    await edit('agents/agents.yaml', '    - { type: apiKey, id: key_itopsagent01 }\n', '    - { type: apiKey }\n');
    const result = await load();
    const problem = result.problems.find((candidate) => candidate.message.startsWith('missing required field'));
    expect(problem, describeAll(result.problems)).toBeDefined();
    for (const other of result.problems) expect(other.file.endsWith('agents/agents.yaml'), formatProblem(other)).toBe(true);
    expectProblem(problem!, { file: 'agents/agents.yaml', line: 50, field: 'spec.credentials[0].id', message: 'missing required field "id"', fix: 'key_' });
  });

  it('names the allowed binding types for an unknown one', async () => {
    await edit('agents/agents.yaml', '    - { type: apiKey, id: key_itopsagent01 }\n', '    - { type: apikey, id: key_itopsagent01 }\n');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'agents/agents.yaml', line: 50, field: 'spec.credentials[0]', message: 'type "apikey" is not one of apiKey, jwt, mtls', fix: 'did you mean "apiKey"?' });
  });
});

describe('loadManifests: references between manifests', () => {
  it('suggests the closest api for a role naming an unknown api', async () => {
    await edit('roles/refund-supervisor.yaml', '    - id: larger-refunds\n      api: payments\n', '    - id: larger-refunds\n      api: paymets\n');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/refund-supervisor.yaml', line: 9, field: 'spec.grants[0].api', message: 'api "paymets" is not defined', fix: 'did you mean "payments"?' });
  });

  it('suggests the closest operation id for an unknown operation', async () => {
    await edit('roles/customer-service.yaml', 'operations: [getCustomer, listCustomerOrders]', 'operations: [getCustomr, listCustomerOrders]');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/customer-service.yaml', line: 13, field: 'spec.grants[0].operations[0]', message: 'operation "getCustomr" is not declared by api crm', fix: 'did you mean "getCustomer"?' });
    expect(problem.column).toBe(20);
  });

  it('reports a method+path glob that matches nothing', async () => {
    await edit('roles/financial-analyst.yaml', '"GET /transactions/*"', '"GET /transaction/*"');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/financial-analyst.yaml', line: 20, field: 'spec.grants[1].operations[0]', message: '"GET /transaction/*" matches no operation in api finance', fix: 'api finance' });
  });

  it('reports a glob with a word that is not an HTTP method', async () => {
    await edit('roles/financial-analyst.yaml', '"GET /transactions/*"', '"FETCH /transactions/*"');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/financial-analyst.yaml', line: 20, field: 'spec.grants[1].operations[0]', message: '"FETCH" is not an HTTP method', fix: 'GET' });
  });

  it('reports a param constraint on an undeclared parameter', async () => {
    await edit('roles/customer-service.yaml', '        currency: { enum: [EUR, USD, GBP] }\n', '        currncy: { enum: [EUR, USD, GBP] }\n');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/customer-service.yaml', line: 37, field: 'spec.grants[3].params.currncy', message: 'no selected operation of api payments declares a parameter "currncy"', fix: 'did you mean "currency"?' });
  });

  it('reports min greater than max', async () => {
    await edit('roles/customer-service.yaml', 'amount: { min: 0.01, max: 100 }', 'amount: { min: 500, max: 100 }');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/customer-service.yaml', line: 36, field: 'spec.grants[3].params.amount', message: 'min 500 is greater than max 100', fix: 'swap' });
  });

  it('reports an invalid regular expression', async () => {
    await edit('roles/hr-onboarding.yaml', 'pattern: "20[2-9][0-9]-[01][0-9]-[0-3][0-9]"', 'pattern: "20[2-9"');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/hr-onboarding.yaml', line: 14, field: 'spec.grants[0].params.startDate', message: 'pattern is not a valid regular expression', fix: 'expression' });
  });

  it('reports rate limit text that is not a rate', async () => {
    await edit('roles/it-operations.yaml', 'rateLimit: 100/s', 'rateLimit: 100 per second');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/it-operations.yaml', line: 12, field: 'spec.grants[0].rateLimit', message: '"100 per second" is not a rate', fix: '100/s' });
  });

  it('reports a rate limit with an unknown unit', async () => {
    await edit('roles/it-operations.yaml', 'rateLimit: 100/s', 'rateLimit: 100/week');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/it-operations.yaml', line: 12, field: 'spec.grants[0].rateLimit', message: 'unknown unit "week"', fix: '/hour' });
  });

  it('reports a rate limit with a failure mode whose rate is not a rate, at its rate', async () => {
    await edit('roles/it-operations.yaml', 'rateLimit: 100/s', 'rateLimit: { rate: 100 a second, failureMode: closed }');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/it-operations.yaml', line: 12, field: 'spec.grants[0].rateLimit.rate', message: '"100 a second" is not a rate', fix: '100/s' });
  });

  it('accepts a rate limit that fails closed', async () => {
    await edit('roles/it-operations.yaml', 'rateLimit: 100/s', 'rateLimit: { rate: 100/s, failureMode: closed }');
    const result = await load();
    expect(result.problems, describeAll(result.problems)).toEqual([]);
  });

  it('reports a quota condition on an undeclared parameter, with the closest one', async () => {
    await edit('roles/refund-supervisor.yaml', 'where: { amount: { min: 100.01 } }', 'where: { amout: { min: 100.01 } }');
    const problem = onlyProblem(await load());
    const line = await lineOf('roles/refund-supervisor.yaml', 'amout');
    expectProblem(problem, { file: 'roles/refund-supervisor.yaml', line, field: 'spec.grants[0].quotas[0].where.amout', message: 'declares a parameter "amout"', fix: 'did you mean "amount"?' });
  });

  it('reports a quota summing a parameter that is not a number', async () => {
    await edit('roles/customer-service.yaml', 'sum: amount }', 'sum: currency }');
    const problem = onlyProblem(await load());
    const line = await lineOf('roles/customer-service.yaml', 'sum: currency');
    expectProblem(problem, { file: 'roles/customer-service.yaml', line, field: 'spec.grants[3].quotas[0].sum', message: 'parameter "currency" is not declared as a number', fix: 'type: number' });
  });

  it('reports a quota that both sums and counts records', async () => {
    await edit('roles/customer-service.yaml', 'sum: amount }', 'sum: amount, count: records }');
    const problem = onlyProblem(await load());
    expect(problem.field).toBe('spec.grants[3].quotas[0].count');
    expect(problem.message).toContain('counts records or sums a parameter, not both');
  });

  it('reports a role limit over both an API and a sensitivity, and one over an unknown API', async () => {
    await edit('roles/it-operations.yaml', '{ id: restricted-apis, sensitivity: restricted, rate: 30/min }', '{ id: restricted-apis, api: payments, sensitivity: restricted, rate: 30/min }\n    - { api: paymnts, rate: 30/min }');
    const result = await load();
    expect(problemAt(result, 'roles/it-operations.yaml', 'spec.limits[0]').message).toContain('exactly one of api or sensitivity');
    const unknown = problemAt(result, 'roles/it-operations.yaml', 'spec.limits[1].api');
    expect([unknown.message, unknown.fix]).toEqual(['api "paymnts" is not defined', 'did you mean "payments"?']);
  });

  it('reports adaptive protection without a threshold', async () => {
    await edit('apis/payments.yaml', 'protection: { maxLatencyMs: 2000, maxErrorRate: 0.5 }', 'protection: { windowSeconds: 30 }');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'apis/payments.yaml', line: await lineOf('apis/payments.yaml', 'protection:'), field: 'spec.protection', message: 'needs a threshold', fix: 'maxLatencyMs' });
  });

  it('reports an unknown time zone', async () => {
    await edit('roles/hr-onboarding.yaml', 'timezone: Europe/Berlin', 'timezone: Europe/Berln');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/hr-onboarding.yaml', line: 16, field: 'spec.grants[0].timeWindows[0].timezone', message: '"Europe/Berln" is not a known time zone', fix: 'Europe/Berlin' });
  });

  it('reports a misspelt context reference in equals', async () => {
    await edit('roles/customer-service.yaml', '      operations: [getCustomer, listCustomerOrders]\n      params:\n        customerId: { equals: "${context.customer}" }', '      operations: [getCustomer, listCustomerOrders]\n      params:\n        customerId: { equals: "${ctx.customer}" }');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'roles/customer-service.yaml', line: 15, field: 'spec.grants[0].params.customerId', message: '"${ctx.customer}" is not a context reference', fix: '${context.customer}' });
  });

  it('suggests the closest role for an agent naming an unknown role', async () => {
    await edit('agents/agents.yaml', 'roles: [customer-service, refund-supervisor]', 'roles: [customer-service, refund-supervisr]');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'agents/agents.yaml', line: 59, field: 'spec.roles[1]', message: 'role "refund-supervisr" is not defined', fix: 'did you mean "refund-supervisor"?' });
  });

  it('refuses the same credential bound to two agents', async () => {
    await edit('agents/agents.yaml', '    - { type: apiKey, id: key_itopsagent01 }\n', '    - { type: apiKey, id: key_supportbot01 }\n');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'agents/agents.yaml', line: 50, field: 'spec.credentials[0]', message: 'already bound to agent support-bot', fix: 'exactly one agent' });
  });

  it('refuses the same JWT subject bound to two agents', async () => {
    await edit('agents/agents.yaml', '    - { type: apiKey, id: key_supervisor01 }\n', '    - { type: jwt, issuer: "https://login.example.com/", subject: finance-analyst-svc }\n');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'agents/agents.yaml', line: 62, field: 'spec.credentials[0]', message: 'already bound to agent finance-analyst', fix: 'separate one' });
  });

  it('refuses an mtls binding with neither fingerprint nor SPIFFE id', async () => {
    await edit('agents/agents.yaml', '    - { type: mtls, spiffeId: "spiffe://example.com/agents/onboarding-assistant" }\n', '    - { type: mtls }\n');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'agents/agents.yaml', line: 38, field: 'spec.credentials[0]', message: 'needs a certificate fingerprint or a SPIFFE id', fix: 'spiffeId: spiffe://' });
  });

  it('refuses an mtls fingerprint that is not sha256 hex', async () => {
    await edit('agents/agents.yaml', '    - { type: mtls, spiffeId: "spiffe://example.com/agents/onboarding-assistant" }\n', '    - { type: mtls, fingerprint: "md5:abcd" }\n');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'agents/agents.yaml', line: 38, field: 'spec.credentials[0].fingerprint', message: '"md5:abcd" is not valid', fix: 'sha256' });
  });

  it('names the first definition of a duplicate manifest name', async () => {
    await cp(path.join(dir, 'apis/finance.yaml'), path.join(dir, 'apis/zz-finance-copy.yaml'));
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'apis/zz-finance-copy.yaml', line: 4, field: 'metadata.name', message: 'Api/finance is defined twice', fix: 'rename' });
    expect(problem.message).toMatch(/first in \S*apis\/finance\.yaml:4\)/);
  });

  it('allows the same name for manifests of different kinds', async () => {
    await write('roles/crm.yaml', 'apiVersion: warden.dev/v1\nkind: Role\nmetadata: { name: crm }\nspec:\n  grants:\n    - { api: crm, operations: [getTicket] }\n');
    const result = await load();
    expect(result.problems, describeAll(result.problems)).toEqual([]);
  });

  it('reports two APIs whose routes collide', async () => {
    await write(
      'apis/crm2.yaml',
      ['apiVersion: warden.dev/v1', 'kind: Api', 'metadata:', '  name: crm2', 'spec:', '  owner: someone@example.com', '  upstream: { url: "http://127.0.0.1:9999" }', '  basePath: /crm', '  operations:', '    - id: readCustomer', '      method: GET', '      path: /customers/{id}', ''].join('\n'),
    );
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'apis/crm2.yaml', line: 12, field: 'spec.operations[0].path', message: 'GET /crm/customers/{id} is the same route as GET /crm/customers/{customerId}', fix: 'distinct base paths' });
    expect(problem.message).toContain('operation getCustomer of api crm');
  });

  it('refuses an upstream URL with credentials in it, without echoing the password', async () => {
    await edit('apis/it-ops.yaml', 'url: http://127.0.0.1:9105', 'url: http://admin:hunter2@127.0.0.1:9105');
    const problem = onlyProblem(await load());
    expectProblem(problem, { file: 'apis/it-ops.yaml', line: 9, field: 'spec.upstream.url', message: 'contains credentials', fix: 'spec.upstream.auth.secret' });
    expect(formatProblem(problem)).not.toContain('hunter2');
  });

  it('does not blame references to an API that is defined but invalid', async () => {
    await edit('apis/payments.yaml', '  sensitivity: restricted\n', '  sensitivity: secret\n');
    const result = await load();
    // payments is in the folder; saying it "is not defined" (and suggesting other APIs) misleads.
    const misleading = result.problems.filter((problem) => /"payments" is not defined/.test(problem.message));
    expect(misleading, describeAll(result.problems)).toEqual([]);
  });

  it('does not blame agents for a role that is defined but invalid', async () => {
    await edit('roles/refund-supervisor.yaml', 'kind: Role\n', 'kind: Rol\n');
    const result = await load();
    const misleading = result.problems.filter((problem) => /"refund-supervisor" is not defined/.test(problem.message));
    expect(misleading, describeAll(result.problems)).toEqual([]);
  });
});

describe('loadManifests: OpenAPI import', () => {
  it('refuses an OpenAPI path that leaves the folder', async () => {
    await writeFile(path.join(scratch, 'x.yaml'), 'openapi: 3.0.3\ninfo: { title: X, version: "1" }\npaths: {}\n');
    await edit('apis/crm.yaml', 'file: crm.openapi.yaml', 'file: ../../x.yaml');
    const result = await load();
    expectProblem(problemAt(result, 'apis/crm.yaml', 'spec.openapi.file'), { file: 'apis/crm.yaml', line: 20, field: 'spec.openapi.file', message: '"../../x.yaml" is outside the manifest folder', fix: 'inside the folder' });
  });

  it('refuses ../x.yaml when the folder loaded is the one holding the manifest', async () => {
    await writeFile(path.join(dir, 'x.yaml'), 'openapi: 3.0.3\ninfo: { title: X, version: "1" }\npaths: {}\n');
    await edit('apis/crm.yaml', 'file: crm.openapi.yaml', 'file: ../x.yaml');
    const result = await loadManifests(path.join(dir, 'apis'));
    const problem = onlyProblem(result);
    expectProblem(problem, { file: 'apis/crm.yaml', line: 20, field: 'spec.openapi.file', message: '"../x.yaml" is outside the manifest folder', fix: 'inside the folder' });
  });

  it('reports an OpenAPI file that does not exist', async () => {
    await edit('apis/crm.yaml', 'file: crm.openapi.yaml', 'file: ../x.yaml');
    const result = await load();
    // apis/../x.yaml is inside the loaded folder: it is simply missing.
    expectProblem(problemAt(result, 'apis/crm.yaml', 'spec.openapi.file'), { file: 'apis/crm.yaml', line: 20, field: 'spec.openapi.file', message: 'cannot read OpenAPI document', fix: 'check the path' });
  });

  it('refuses an absolute OpenAPI path outside the folder', async () => {
    await edit('apis/crm.yaml', 'file: crm.openapi.yaml', 'file: /etc/hostname');
    const result = await load();
    expectProblem(problemAt(result, 'apis/crm.yaml', 'spec.openapi.file'), { file: 'apis/crm.yaml', line: 20, field: 'spec.openapi.file', message: 'outside the manifest folder', fix: 'inside the folder' });
  });

  it('refuses an OpenAPI file that is a symlink to a document outside the folder', async () => {
    const outside = path.join(scratch, 'outside.openapi.yaml');
    await cp(path.join(dir, 'apis/crm.openapi.yaml'), outside);
    await rm(path.join(dir, 'apis/crm.openapi.yaml'));
    await symlink(outside, path.join(dir, 'apis/crm.openapi.yaml'));
    const result = await load();
    expectProblem(problemAt(result, 'apis/crm.yaml', 'spec.openapi.file'), { file: 'apis/crm.yaml', line: 20, field: 'spec.openapi.file', message: 'outside the manifest folder', fix: 'inside the folder' });
  });

  it('refuses a Swagger 2.0 document with a clear message', async () => {
    await write(
      'apis/crm.openapi.yaml',
      [
        'swagger: "2.0"',
        'info: { title: CRM, version: "2.4.0" }',
        'paths:',
        '  /customers/{customerId}:',
        '    get:',
        '      operationId: getCustomer',
        '      parameters:',
        '        - { name: customerId, in: path, required: true, type: string }',
        '      responses:',
        '        "200": { description: OK }',
        '',
      ].join('\n'),
    );
    const result = await load();
    const problem = problemAt(result, 'apis/crm.yaml', 'spec.openapi.file');
    expectProblem(problem, { file: 'apis/crm.yaml', line: 20, field: 'spec.openapi.file', message: 'Swagger 2.0', fix: 'convert the document to OpenAPI 3' });
    expect(problem.message).toContain('OpenAPI 3');
  });

  it('reports an OpenAPI document that does not validate', async () => {
    await edit('apis/crm.openapi.yaml', 'openapi: 3.0.3\n', 'openapi: 3.0.3\nbogus: true\n');
    const result = await load();
    expectProblem(problemAt(result, 'apis/crm.yaml', 'spec.openapi.file'), { file: 'apis/crm.yaml', line: 20, field: 'spec.openapi.file', message: 'OpenAPI document is invalid', fix: 'OpenAPI 3' });
  });

  it('lets operations declared in the manifest win over imported ones by id', async () => {
    await edit(
      'apis/crm.yaml',
      '  openapi:\n',
      '  operations:\n    - { id: getTicket, method: GET, path: "/tickets/{ticketId}", summary: declared here, parameters: [{ name: ticketId, in: path, required: true }] }\n  openapi:\n',
    );
    const result = await load();
    expect(result.problems, describeAll(result.problems)).toEqual([]);
    const crm = result.set.apis.find((api) => api.metadata.name === 'crm')!;
    const tickets = crm.spec.operations.filter((operation) => operation.id === 'getTicket');
    expect(tickets).toHaveLength(1);
    expect(tickets[0]!.summary).toBe('declared here');
    expect(crm.spec.operations).toHaveLength(7);
  });
});

describe('loadManifests: playbooks', () => {
  const FILE = 'playbooks/default-response.yaml';
  /** A playbook of one rule, written beside the examples. */
  const playbook = (rule: string) => write('playbooks/extra.yaml', `apiVersion: warden.dev/v1
kind: Playbook
metadata: { name: extra }
spec:
  rules:
${rule}`);

  it('fills the defaults of a rule\'s conditions and keeps a rule without conditions as it is', async () => {
    const result = await load();
    expect(result.problems, describeAll(result.problems)).toEqual([]);
    const rules = result.set.playbooks![0]!.spec.rules;
    expect(rules[0]).toEqual({ id: 'record-every-alert', actions: [{ action: 'alert' }] });
    expect(rules[2]!.when).toEqual({ detectors: ['bulk-read', 'enumeration'], minSeverity: 'high', apiSensitivity: ['confidential', 'restricted'] });
    expect(rules[2]!.actions).toEqual([{ action: 'throttle', rate: '10/minute', for: '1h' }, { action: 'require-step-up', for: '24h' }]);
    await playbook('    - when: { agents: [support-bot] }\n      actions: [{ action: quarantine }]\n');
    expect((await load()).set.playbooks!.find((found) => found.metadata.name === 'extra')!.spec.rules[0]!.when).toEqual({ agents: ['support-bot'], minSeverity: 'low' });
  });

  it('suggests the closest detector for an unknown one', async () => {
    await edit(FILE, 'detectors: [bulk-read, enumeration]', 'detectors: [bulk-reads, enumeration]');
    expectProblem(onlyProblem(await load()), { file: FILE, line: await lineOf(FILE, 'detectors: [bulk-reads'), field: 'spec.rules[2].when.detectors[0]', message: '"bulk-reads" is not one of burst,', fix: 'did you mean "bulk-read"?' });
  });

  it('names the actions for an unknown one, with the closest', async () => {
    await edit(FILE, '- action: suspend', '- action: suspnd');
    expectProblem(onlyProblem(await load()), { file: FILE, line: await lineOf(FILE, 'suspnd'), field: 'spec.rules[1].actions[0]', message: 'action "suspnd" is not one of alert, throttle, require-step-up, suspend, quarantine, revoke-credentials', fix: 'did you mean "suspend"?' });
  });

  it('asks a throttle for its rate and its duration', async () => {
    await edit(FILE, '          rate: 10/minute\n', '');
    expectProblem(onlyProblem(await load()), { file: FILE, line: await lineOf(FILE, '- action: throttle'), field: 'spec.rules[2].actions[0].rate', message: 'missing required field "rate"', fix: 'a rate such as 10/minute' });
  });

  it('refuses a field an action does not have (suspend lasts until a person reinstates)', async () => {
    await edit(FILE, '        - action: suspend\n', '        - action: suspend\n          for: 12h\n');
    expectProblem(onlyProblem(await load()), { file: FILE, line: await lineOf(FILE, 'for: 12h'), field: 'spec.rules[1].actions[0].for', message: 'unknown field "for"', fix: 'allowed here: action' });
  });

  it('reports a throttle rate that is not a rate', async () => {
    await edit(FILE, 'rate: 10/minute', 'rate: 10/fortnight');
    expectProblem(onlyProblem(await load()), { file: FILE, line: await lineOf(FILE, '10/fortnight'), field: 'spec.rules[2].actions[0].rate', message: 'unknown unit "fortnight"', fix: '10/minute' });
  });

  it('refuses a duration that is no duration, and one longer than a week', async () => {
    await edit(FILE, 'for: 1h', 'for: 1 hour');
    expectProblem(onlyProblem(await load()), { file: FILE, line: await lineOf(FILE, '1 hour'), field: 'spec.rules[2].actions[0].for', message: '"1 hour" is not valid', fix: '30m, 1h or 7d' });
    await edit(FILE, 'for: 1 hour', 'for: 8d');
    expectProblem(onlyProblem(await load()), { file: FILE, line: await lineOf(FILE, '8d'), field: 'spec.rules[2].actions[0].for', message: '8d is longer than a playbook may contain an agent (7d)', fix: 'use 7d or less' });
  });

  it('reports agents, roles and APIs that are not defined, with the closest', async () => {
    await playbook('    - when: { agents: [suport-bot], roles: [customer-servce], apis: [payment] }\n      actions: [{ action: suspend }]\n');
    const result = await load();
    expect(result.problems, describeAll(result.problems)).toHaveLength(3);
    const line = await lineOf('playbooks/extra.yaml', 'suport-bot');
    expectProblem(problemAt(result, 'playbooks/extra.yaml', 'spec.rules[0].when.agents[0]'), { file: 'playbooks/extra.yaml', line, field: 'spec.rules[0].when.agents[0]', message: 'agent "suport-bot" is not defined', fix: 'did you mean "support-bot"?' });
    expectProblem(problemAt(result, 'playbooks/extra.yaml', 'spec.rules[0].when.roles[0]'), { file: 'playbooks/extra.yaml', line, field: 'spec.rules[0].when.roles[0]', message: 'role "customer-servce" is not defined', fix: 'did you mean "customer-service"?' });
    expectProblem(problemAt(result, 'playbooks/extra.yaml', 'spec.rules[0].when.apis[0]'), { file: 'playbooks/extra.yaml', line, field: 'spec.rules[0].when.apis[0]', message: 'api "payment" is not defined', fix: 'did you mean "payments"?' });
  });

  it('reports an action listed twice in one rule, a name listed twice and a rule id used twice', async () => {
    await playbook([
      '    - id: one\n      when: { detectors: [burst, burst] }\n      actions: [{ action: alert }, { action: alert }]',
      '    - id: one\n      when: { agents: [support-bot, support-bot] }\n      actions: [{ action: suspend }]\n',
    ].join('\n'));
    const result = await load();
    expect(result.problems.map((problem) => `${problem.field}: ${problem.message}`).sort()).toEqual([
      'spec.rules[0].actions[1].action: action alert is listed twice in this rule',
      'spec.rules[0].when.detectors[1]: "burst" is listed twice',
      'spec.rules[1].id: rule id "one" is used twice in this playbook',
      'spec.rules[1].when.agents[1]: agent "support-bot" is listed twice',
    ]);
  });

  it('refuses a playbook without rules and a rule without actions', async () => {
    await playbook('    - when: { minSeverity: high }\n      actions: []\n');
    expectProblem(onlyProblem(await load()), { file: 'playbooks/extra.yaml', line: await lineOf('playbooks/extra.yaml', 'actions: []'), field: 'spec.rules[0].actions', message: 'must list at least one item', fix: 'action: suspend' });
    await write('playbooks/extra.yaml', 'apiVersion: warden.dev/v1\nkind: Playbook\nmetadata: { name: extra }\nspec:\n  rules: []\n');
    expectProblem(onlyProblem(await load()), { file: 'playbooks/extra.yaml', line: 5, field: 'spec.rules', message: 'must list at least one item', fix: 'rules: when an alert matches' });
  });

  it('suggests Playbook for a misspelt kind', async () => {
    await edit(FILE, 'kind: Playbook', 'kind: PlayBook');
    expectProblem(onlyProblem(await load()), { file: FILE, line: await lineOf(FILE, 'kind: PlayBook'), field: 'kind', message: 'kind "PlayBook" is not known', fix: 'did you mean "Playbook"?' });
  });
});

describe('formatProblem', () => {
  it('prints file:line:col field: message, then the fix', async () => {
    await edit('apis/payments.yaml', '  sensitivity: restricted\n', '  sensitivity: secret\n');
    const result = await load();
    const text = formatProblem(problemAt(result, 'apis/payments.yaml', 'spec.sensitivity'));
    const [first, second, ...rest] = text.split('\n');
    expect(rest).toEqual([]);
    expect(first).toMatch(/^\S*apis\/payments\.yaml:12:16 spec\.sensitivity: "secret" is not one of public, internal, confidential, restricted$/);
    expect(second).toMatch(/^\s+fix: use one of: public, internal, confidential, restricted$/);
  });

  it('leaves out the field for a problem of the whole document', () => {
    const text = formatProblem({ file: 'roles/x.yaml', line: 3, column: 1, field: '', message: 'YAML: bad', fix: 'fix the YAML syntax' });
    expect(text).toBe('roles/x.yaml:3:1 YAML: bad\n    fix: fix the YAML syntax');
  });
});
