import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentManifest, ApiManifest, DataPolicyManifest, Grant, ManifestSet, OperationDeclaration, RoleManifest } from '../model/manifests/index.js';
import { compile } from './compile.js';
import { dataPoliciesFor, dataRefusal, regionCovers } from './data-policy.js';
import { decide, type DecisionRequest } from './decide.js';
import { loadManifests } from './load/load-manifests.js';
import { formatProblem } from './load/problem.js';
import type { CompiledOperation, Snapshot } from './snapshot.js';

// ---------------------------------------------------------------------------------------
// Manifests built in code, with every default the loader would fill in.

function operation(id: string, method: OperationDeclaration['method'], path: string, extra: Partial<OperationDeclaration> = {}): OperationDeclaration {
  return { id, method, path, parameters: [], deprecated: false, ...extra };
}

function api(name: string, basePath: string, operations: OperationDeclaration[], extra: Partial<ApiManifest['spec']> = {}): ApiManifest {
  return {
    apiVersion: 'warden.dev/v1',
    kind: 'Api',
    metadata: { name },
    spec: { owner: `${name}-team@example.com`, upstream: { url: `https://${name}.internal.example` }, basePath, mode: 'enforce', lifecycle: { status: 'active' }, sensitivity: 'internal', criticality: 'medium', dataClasses: [], operations, ...extra },
  };
}

function role(name: string, grants: Partial<Grant>[]): RoleManifest {
  return { apiVersion: 'warden.dev/v1', kind: 'Role', metadata: { name }, spec: { grants: grants.map((grant) => ({ stepUp: false, ...grant }) as Grant), forbid: [] } };
}

function agent(name: string, roles: string[], extra: Partial<AgentManifest['spec']> = {}): AgentManifest {
  return { apiVersion: 'warden.dev/v1', kind: 'Agent', metadata: { name }, spec: { owner: 'owner@example.com', purpose: 'Exercises data policies in unit tests', roles, state: 'active', credentials: [], ...extra } };
}

function dataPolicy(name: string, spec: DataPolicyManifest['spec']): DataPolicyManifest {
  return { apiVersion: 'warden.dev/v1', kind: 'DataPolicy', metadata: { name }, spec };
}

/**
 * The catalog: an EU CRM holding pii (and invoices that are financial), an internal knowledge
 * base with no data region, and a restricted US ledger.
 */
const APIS: ApiManifest[] = [
  api('crm', '/crm', [
    operation('getCustomer', 'GET', '/customers/{customerId}', { summary: 'Customer profile', parameters: [{ name: 'customerId', in: 'path', type: 'string', required: true }] }),
    operation('listInvoices', 'GET', '/invoices', { summary: 'Invoices', dataClasses: ['financial'] }),
  ], { sensitivity: 'confidential', dataClasses: ['pii'], dataRegion: 'eu-west-1' }),
  api('kb', '/kb', [operation('search', 'GET', '/search', { summary: 'Knowledge base search' })]),
  api('ledger', '/ledger', [operation('listEntries', 'GET', '/entries', { summary: 'Ledger entries' })], { sensitivity: 'restricted', dataClasses: ['financial'], dataRegion: 'us-east-1' }),
];

const READ_ALL = role('read-all', [
  { id: 'crm-all', api: 'crm', operations: ['*'] },
  { id: 'kb-all', api: 'kb', operations: ['*'] },
  { id: 'ledger-all', api: 'ledger', operations: ['*'] },
]);

function set(agents: AgentManifest[], dataPolicies: DataPolicyManifest[] = [], roles: RoleManifest[] = [READ_ALL]): ManifestSet {
  return { apis: APIS, roles, agents, dataPolicies };
}

function operationOf(snapshot: Snapshot, apiName: string, id: string): CompiledOperation {
  const found = snapshot.operations.find((candidate) => candidate.api.name === apiName && candidate.id === id);
  if (found === undefined) throw new Error(`no operation ${apiName}.${id}`);
  return found;
}

const TIME = Date.parse('2026-11-23T10:00:00Z');
const call = (agentName: string, target: string, purpose?: string): DecisionRequest => ({
  agent: agentName,
  method: 'GET',
  path: target,
  time: TIME,
  ...(purpose === undefined ? {} : { context: { purpose } }),
});

// ---------------------------------------------------------------------------------------

describe('regionCovers', () => {
  it('covers the region itself and its sub-regions', () => {
    expect(regionCovers('eu', 'eu')).toBe(true);
    expect(regionCovers('eu', 'eu-west-1')).toBe(true);
    expect(regionCovers('eu-west', 'eu-west-1')).toBe(true);
    expect(regionCovers('eu-west-1', 'eu-west-1')).toBe(true);
  });

  it('does not cover a sibling, a wider region or a region that only starts with the same letters', () => {
    expect(regionCovers('eu-west', 'eu-central-1')).toBe(false);
    expect(regionCovers('eu-west-1', 'eu')).toBe(false);
    expect(regionCovers('eu-west-1', 'eu-west-10')).toBe(false);
    expect(regionCovers('us', 'us1')).toBe(false);
    expect(regionCovers('us', 'eu-west-1')).toBe(false);
  });
});

describe('dataPoliciesFor', () => {
  const snapshot = compile(set([agent('bot', ['read-all'])]));
  const getCustomer = operationOf(snapshot, 'crm', 'getCustomer');
  const listInvoices = operationOf(snapshot, 'crm', 'listInvoices');
  const search = operationOf(snapshot, 'kb', 'search');
  const listEntries = operationOf(snapshot, 'ledger', 'listEntries');
  const covered = (policy: DataPolicyManifest) => ({
    getCustomer: dataPoliciesFor([policy], getCustomer, 'eu-west-1').length,
    listInvoices: dataPoliciesFor([policy], listInvoices, 'eu-west-1').length,
    search: dataPoliciesFor([policy], search, undefined).length,
    listEntries: dataPoliciesFor([policy], listEntries, 'us-east-1').length,
  });
  const purposes = { allow: ['support'] };

  it('covers every operation when appliesTo is left out', () => {
    expect(covered(dataPolicy('all', { purposes }))).toEqual({ getCustomer: 1, listInvoices: 1, search: 1, listEntries: 1 });
    expect(covered(dataPolicy('all', { appliesTo: {}, purposes }))).toEqual({ getCustomer: 1, listInvoices: 1, search: 1, listEntries: 1 });
  });

  it('scopes by API, by the operation\'s own data classes and by sensitivity, and every selector given must hold', () => {
    expect(covered(dataPolicy('p', { appliesTo: { apis: ['crm'] }, purposes }))).toEqual({ getCustomer: 1, listInvoices: 1, search: 0, listEntries: 0 });
    // listInvoices declares its own classes (financial), which replace the API's pii.
    expect(covered(dataPolicy('p', { appliesTo: { dataClasses: ['financial'] }, purposes }))).toEqual({ getCustomer: 0, listInvoices: 1, search: 0, listEntries: 1 });
    expect(covered(dataPolicy('p', { appliesTo: { dataClasses: ['pii', 'health'] }, purposes }))).toEqual({ getCustomer: 1, listInvoices: 0, search: 0, listEntries: 0 });
    expect(covered(dataPolicy('p', { appliesTo: { sensitivities: ['restricted', 'public'] }, purposes }))).toEqual({ getCustomer: 0, listInvoices: 0, search: 0, listEntries: 1 });
    expect(covered(dataPolicy('p', { appliesTo: { apis: ['crm'], dataClasses: ['financial'] }, purposes }))).toEqual({ getCustomer: 0, listInvoices: 1, search: 0, listEntries: 0 });
    expect(covered(dataPolicy('p', { appliesTo: { apis: ['crm', 'ledger'], sensitivities: ['confidential'] }, purposes }))).toEqual({ getCustomer: 1, listInvoices: 1, search: 0, listEntries: 0 });
  });

  it('compiles the allowed and denied purposes, and no residency where no rule covers the data region', () => {
    const [compiled] = dataPoliciesFor([dataPolicy('purposes', { purposes: { allow: ['support', 'billing'], deny: ['training'] } })], getCustomer, 'eu-west-1');
    expect(compiled).toEqual({ name: 'purposes', allowPurposes: new Set(['support', 'billing']), denyPurposes: new Set(['training']), agentRegions: undefined, dataRegion: undefined });
  });

  it('applies residency only where a rule\'s data regions cover the API\'s data region', () => {
    const residency = dataPolicy('eu-residency', { residency: [{ dataRegions: ['eu'], agentRegions: ['eu', 'ch'] }] });
    expect(dataPoliciesFor([residency], getCustomer, 'eu-west-1')).toEqual([{ name: 'eu-residency', allowPurposes: undefined, denyPurposes: undefined, agentRegions: ['eu', 'ch'], dataRegion: 'eu-west-1' }]);
    // A residency-only policy says nothing about data elsewhere, or data of no declared region.
    expect(dataPoliciesFor([residency], listEntries, 'us-east-1')).toEqual([]);
    expect(dataPoliciesFor([residency], search, undefined)).toEqual([]);
    expect(dataPoliciesFor([dataPolicy('west-only', { residency: [{ dataRegions: ['eu-west-1'], agentRegions: ['eu'] }] })], getCustomer, 'eu-central-1')).toEqual([]);
  });

  it('keeps a policy\'s purposes where its residency does not apply', () => {
    const both = dataPolicy('eu-support', { purposes, residency: [{ dataRegions: ['eu'], agentRegions: ['eu'] }] });
    expect(dataPoliciesFor([both], listEntries, 'us-east-1')).toEqual([{ name: 'eu-support', allowPurposes: new Set(['support']), denyPurposes: undefined, agentRegions: undefined, dataRegion: undefined }]);
  });

  it('is what compile() attaches to each operation, from the API\'s data region', () => {
    const residency = dataPolicy('eu-residency', { residency: [{ dataRegions: ['eu'], agentRegions: ['eu'] }] });
    const compiled = compile(set([agent('bot', ['read-all'])], [residency]));
    expect(operationOf(compiled, 'crm', 'getCustomer').dataPolicies).toEqual([{ name: 'eu-residency', allowPurposes: undefined, denyPurposes: undefined, agentRegions: ['eu'], dataRegion: 'eu-west-1' }]);
    expect(operationOf(compiled, 'kb', 'search').dataPolicies).toEqual([]);
    expect(operationOf(compiled, 'ledger', 'listEntries').dataPolicies).toEqual([]);
  });
});

describe('dataRefusal', () => {
  const policies = [
    dataPolicy('eu-residency', { residency: [{ dataRegions: ['eu'], agentRegions: ['eu-west', 'ch'] }] }),
    dataPolicy('pii-for-support', { appliesTo: { dataClasses: ['pii'] }, purposes: { allow: ['support', 'billing'] } }),
    dataPolicy('no-training', { purposes: { deny: ['training'] } }),
  ];
  const snapshot = compile(set([
    agent('free', ['read-all']),
    agent('scoped', ['read-all'], { purposes: ['support', 'reporting'] }),
    agent('dublin', ['read-all'], { deploymentRegion: 'eu-west-1' }),
    agent('frankfurt', ['read-all'], { deploymentRegion: 'eu-central-1' }),
    agent('zurich', ['read-all'], { deploymentRegion: 'ch' }),
    agent('virginia', ['read-all'], { deploymentRegion: 'us-east-1' }),
    agent('europe', ['read-all'], { deploymentRegion: 'eu' }),
  ], policies));
  const who = (name: string) => snapshot.agents.get(name)!;
  const getCustomer = operationOf(snapshot, 'crm', 'getCustomer');
  const search = operationOf(snapshot, 'kb', 'search');
  const listEntries = operationOf(snapshot, 'ledger', 'listEntries');

  it('holds an agent with declared purposes to them, before any data policy', () => {
    expect(dataRefusal(who('scoped'), search, undefined)).toEqual({ code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', message: 'agent scoped must declare its purpose (support, reporting) in the purpose claim of its Warden-Context token' });
    expect(dataRefusal(who('scoped'), search, 'marketing')).toEqual({ code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', message: 'agent scoped may act only for support, reporting, not for marketing' });
    expect(dataRefusal(who('scoped'), search, 'reporting')).toBeUndefined();
    // Its own purposes come first: no-training would have said something else.
    expect(dataRefusal(who('scoped'), search, 'training')?.message).toBe('agent scoped may act only for support, reporting, not for training');
  });

  it('refuses an agent deployed outside the allowed regions, or nowhere declared, naming the policy and the regions', () => {
    expect(dataRefusal(who('virginia'), getCustomer, 'support')).toEqual({
      code: 'WARDEN_DATA_REGION_NOT_ALLOWED',
      message: 'crm.getCustomer reads data kept in eu-west-1, which data policy eu-residency lets only agents deployed in eu-west, ch read, not in us-east-1',
    });
    expect(dataRefusal(who('free'), getCustomer, 'support')).toEqual({
      code: 'WARDEN_DATA_REGION_NOT_ALLOWED',
      message: 'crm.getCustomer reads data kept in eu-west-1, which data policy eu-residency lets only agents deployed in eu-west, ch read; agent free declares no deploymentRegion',
    });
    // eu-central-1 is in the EU but not in eu-west; eu is wider than eu-west.
    expect(dataRefusal(who('frankfurt'), getCustomer, 'support')?.code).toBe('WARDEN_DATA_REGION_NOT_ALLOWED');
    expect(dataRefusal(who('europe'), getCustomer, 'support')?.code).toBe('WARDEN_DATA_REGION_NOT_ALLOWED');
  });

  it('lets agents deployed in an allowed region or its sub-regions read', () => {
    expect(dataRefusal(who('dublin'), getCustomer, 'support')).toBeUndefined();
    expect(dataRefusal(who('zurich'), getCustomer, 'billing')).toBeUndefined();
  });

  it('does not apply residency to data outside the rule\'s regions or of no declared region', () => {
    expect(dataRefusal(who('virginia'), listEntries, undefined)).toBeUndefined();
    expect(dataRefusal(who('free'), search, undefined)).toBeUndefined();
  });

  it('checks residency before purposes', () => {
    expect(dataRefusal(who('virginia'), getCustomer, 'training')?.code).toBe('WARDEN_DATA_REGION_NOT_ALLOWED');
  });

  it('refuses a purpose outside the allow list, or none, naming the policy and what it allows', () => {
    expect(dataRefusal(who('dublin'), getCustomer, undefined)).toEqual({
      code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED',
      message: 'data policy pii-for-support allows crm.getCustomer only for support, billing; the call declares no purpose (the purpose claim of the Warden-Context token)',
    });
    expect(dataRefusal(who('dublin'), getCustomer, 'marketing')).toEqual({ code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', message: 'data policy pii-for-support allows crm.getCustomer only for support, billing; not for marketing' });
  });

  it('refuses a denied purpose, and lets a call without a purpose pass a deny list', () => {
    expect(dataRefusal(who('free'), search, 'training')).toEqual({ code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', message: 'data policy no-training never allows kb.search for training' });
    expect(dataRefusal(who('free'), search, undefined)).toBeUndefined();
    expect(dataRefusal(who('free'), search, 'analytics')).toBeUndefined();
  });
});

describe('decide() with agent purposes, grant purposes and data policies', () => {
  const supportOnly = role('support-only', [{ id: 'support-customers', api: 'crm', operations: ['getCustomer'], purposes: ['support'] }]);
  const kbReader = role('kb-reader', [{ id: 'kb', api: 'kb', operations: ['search'] }]);
  const invoiceReader = role('invoice-reader', [{ id: 'invoices', api: 'crm', operations: ['listInvoices'] }]);
  const anyPurpose = role('any-purpose', [{ id: 'customers', api: 'crm', operations: ['getCustomer'] }]);

  it('refuses a call an agent with purposes makes without one, and allows a purpose it may declare', () => {
    const snapshot = compile(set([agent('scoped', ['read-all'], { purposes: ['support', 'reporting'], deploymentRegion: 'eu-west-1' })]));
    const refused = decide(snapshot, call('scoped', '/crm/customers/C-1'));
    expect(refused).toMatchObject({ allowed: false, reason: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', api: 'crm', operation: 'getCustomer', message: 'agent scoped must declare its purpose (support, reporting) in the purpose claim of its Warden-Context token' });
    // Without a purpose it can read nothing else either: the hint does not pretend otherwise.
    expect(refused.alternatives).toEqual([]);
    expect(refused.hint).toBe('no access to customer profile (pii); request access if the task needs it');
    expect(decide(snapshot, call('scoped', '/crm/customers/C-1', 'reporting'))).toMatchObject({ allowed: true, reason: 'GRANTED' });
    expect(decide(snapshot, call('scoped', '/crm/customers/C-1', 'marketing'))).toMatchObject({ allowed: false, reason: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', message: 'agent scoped may act only for support, reporting, not for marketing' });
  });

  it('fails a grant whose purposes the call does not declare with condition purpose, undetermined when none is declared', () => {
    const snapshot = compile(set([agent('agent', ['support-only'])], [], [supportOnly]));
    expect(decide(snapshot, call('agent', '/crm/customers/C-1', 'support'))).toMatchObject({ allowed: true, matched: { role: 'support-only', id: 'support-customers' } });
    expect(decide(snapshot, call('agent', '/crm/customers/C-1', 'marketing'))).toMatchObject({
      allowed: false,
      reason: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED',
      failed: { code: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', condition: 'purpose', indeterminate: false, message: 'this grant serves only support; not for marketing', rule: { role: 'support-only', id: 'support-customers' } },
    });
    expect(decide(snapshot, call('agent', '/crm/customers/C-1'))).toMatchObject({
      allowed: false,
      reason: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED',
      failed: { condition: 'purpose', indeterminate: true, message: 'this grant serves only support; the call declares none (the purpose claim of the Warden-Context token)' },
    });
  });

  it('limits only the grant with purposes: another grant of the operation still allows other purposes', () => {
    const snapshot = compile(set([agent('agent', ['any-purpose', 'support-only'])], [], [supportOnly, anyPurpose]));
    expect(decide(snapshot, call('agent', '/crm/customers/C-1', 'marketing'))).toMatchObject({ allowed: true, matched: { role: 'any-purpose' } });
  });

  it('refuses through a data policy what a grant allows: a data policy only ever refuses', () => {
    const agents = [agent('agent', ['any-purpose', 'kb-reader'], { deploymentRegion: 'eu-west-1' })];
    const roles = [anyPurpose, kbReader];
    const without = compile(set(agents, [], roles));
    expect(decide(without, call('agent', '/crm/customers/C-1'))).toMatchObject({ allowed: true });
    expect(decide(without, call('agent', '/crm/customers/C-1', 'training'))).toMatchObject({ allowed: true });

    const governed = compile(set(agents, [dataPolicy('pii-for-support', { appliesTo: { dataClasses: ['pii'] }, purposes: { allow: ['support'], deny: ['training'] } })], roles));
    expect(governed.version).not.toBe(without.version);
    expect(decide(governed, call('agent', '/crm/customers/C-1'))).toMatchObject({ allowed: false, reason: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', message: expect.stringMatching(/^data policy pii-for-support allows crm\.getCustomer only for support;/) });
    expect(decide(governed, call('agent', '/crm/customers/C-1', 'training'))).toMatchObject({ allowed: false, reason: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED', message: 'data policy pii-for-support never allows crm.getCustomer for training' });
    expect(decide(governed, call('agent', '/crm/customers/C-1', 'support'))).toMatchObject({ allowed: true, reason: 'GRANTED' });
    // Outside its scope the policy changes nothing.
    expect(decide(governed, call('agent', '/kb/search', 'training'))).toMatchObject({ allowed: true });
  });

  it('never turns a denial into an allow: an ungranted operation stays denied for an allowed purpose', () => {
    const snapshot = compile(set([agent('agent', ['kb-reader'], { deploymentRegion: 'eu-west-1' })], [dataPolicy('pii-for-support', { appliesTo: { apis: ['crm'] }, purposes: { allow: ['support'] } })], [kbReader]));
    expect(decide(snapshot, call('agent', '/crm/customers/C-1', 'support'))).toMatchObject({ allowed: false, reason: 'WARDEN_AUTHZ_NOT_GRANTED' });
  });

  it('refuses by residency, names the rule and the regions, and allows an agent deployed in a covered sub-region', () => {
    const residency = dataPolicy('eu-residency', { residency: [{ dataRegions: ['eu'], agentRegions: ['eu'] }] });
    const snapshot = compile(set([
      agent('virginia', ['read-all'], { deploymentRegion: 'us-east-1' }),
      agent('nowhere', ['read-all']),
      agent('frankfurt', ['read-all'], { deploymentRegion: 'eu-central-1' }),
    ], [residency]));
    expect(decide(snapshot, call('virginia', '/crm/customers/C-1'))).toMatchObject({
      allowed: false,
      reason: 'WARDEN_DATA_REGION_NOT_ALLOWED',
      message: 'crm.getCustomer reads data kept in eu-west-1, which data policy eu-residency lets only agents deployed in eu read, not in us-east-1',
      hint: expect.stringMatching(/^no access to customer profile \(pii\); /),
    });
    expect(decide(snapshot, call('nowhere', '/crm/customers/C-1'))).toMatchObject({ allowed: false, reason: 'WARDEN_DATA_REGION_NOT_ALLOWED', message: expect.stringContaining('agent nowhere declares no deploymentRegion') });
    expect(decide(snapshot, call('frankfurt', '/crm/customers/C-1'))).toMatchObject({ allowed: true });
    // The knowledge base keeps no data region, the ledger's is not in the EU.
    expect(decide(snapshot, call('virginia', '/kb/search'))).toMatchObject({ allowed: true });
    expect(decide(snapshot, call('nowhere', '/ledger/entries'))).toMatchObject({ allowed: true });
  });

  it('offers as alternatives to a data refusal only operations the same agent may read for the same purpose', () => {
    const residency = dataPolicy('eu-residency', { residency: [{ dataRegions: ['eu'], agentRegions: ['eu'] }] });
    const snapshot = compile(set([agent('virginia', ['read-all'], { deploymentRegion: 'us-east-1' })], [residency]));
    const refused = decide(snapshot, call('virginia', '/crm/customers/C-1'));
    // crm.listInvoices shares the API but also its data region: not offered.
    expect(refused.alternatives.map((alternative) => `${alternative.api}.${alternative.operation}`)).toEqual(['kb.search', 'ledger.listEntries']);
    expect(refused.hint).toBe('no access to customer profile (pii); knowledge base search and ledger entries are available');
    for (const alternative of refused.alternatives) expect(decide(snapshot, call('virginia', alternative.path))).toMatchObject({ allowed: true });
  });

  it('offers as alternatives to an ungranted operation nothing a data policy refuses the agent', () => {
    const residency = dataPolicy('eu-residency', { residency: [{ dataRegions: ['eu'], agentRegions: ['eu'] }] });
    const snapshot = compile(set([agent('virginia', ['invoice-reader'], { deploymentRegion: 'us-east-1' })], [residency], [invoiceReader]));
    // Its one grant is of EU data, which residency refuses it ...
    expect(decide(snapshot, call('virginia', '/crm/invoices'))).toMatchObject({ allowed: false, reason: 'WARDEN_DATA_REGION_NOT_ALLOWED' });
    // ... so the denial of the (US, ungoverned) ledger must not send it there.
    const ungranted = decide(snapshot, call('virginia', '/ledger/entries'));
    expect(ungranted).toMatchObject({ allowed: false, reason: 'WARDEN_AUTHZ_NOT_GRANTED' });
    expect(ungranted.alternatives.map((alternative) => `${alternative.api}.${alternative.operation}`)).not.toContain('crm.listInvoices');
    expect(ungranted.hint).toBe('no access to ledger entries (financial); request access if the task needs it');
  });

  it('gives the data hint to a denial of an operation with data classes and none to one without', () => {
    const snapshot = compile(set([agent('agent', ['invoice-reader', 'kb-reader'])], [], [invoiceReader, kbReader]));
    const denied = decide(snapshot, call('agent', '/crm/customers/C-1'));
    expect(denied).toMatchObject({ allowed: false, reason: 'WARDEN_AUTHZ_NOT_GRANTED' });
    expect(denied.hint).toBe('no access to customer profile (pii); invoices and knowledge base search are available');
    const noData = compile(set([agent('agent', ['invoice-reader'])], [], [invoiceReader]));
    expect(decide(noData, call('agent', '/kb/search')).hint).toBeUndefined();
  });
});

describe('loading DataPolicy manifests', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'warden-data-policy-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const CATALOG = `apiVersion: warden.dev/v1
kind: Api
metadata: { name: crm }
spec:
  owner: crm-team@example.com
  upstream: { url: "https://crm.internal.example" }
  basePath: /crm
  dataClasses: [pii]
  dataRegion: eu-west-1
  operations:
    - { id: getCustomer, method: GET, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path, required: true }] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: reader }
spec:
  grants:
    - { api: crm, operations: [getCustomer] }
---
apiVersion: warden.dev/v1
kind: Agent
metadata: { name: bot }
spec:
  owner: owner@example.com
  purpose: Reads customers for the loader tests
  roles: [reader]
  state: active
  deploymentRegion: eu-west-1
  purposes: [support]
`;

  function policy(name: string, spec: string): string {
    return `apiVersion: warden.dev/v1\nkind: DataPolicy\nmetadata: { name: ${name} }\nspec:\n${spec}`;
  }

  async function loadWith(policies: string) {
    await writeFile(path.join(dir, 'catalog.yaml'), CATALOG);
    await writeFile(path.join(dir, 'data-policies.yaml'), policies);
    return { result: await loadManifests(dir), lines: policies.split('\n') };
  }

  it('loads a valid data policy into the set, and compile applies it', async () => {
    const { result } = await loadWith(policy('eu-support', `  appliesTo: { apis: [crm], dataClasses: [pii] }
  purposes: { allow: [support], deny: [training] }
  residency:
    - { dataRegions: [eu], agentRegions: [eu] }
`));
    expect(result.problems.map(formatProblem)).toEqual([]);
    expect(result.set.dataPolicies?.map((manifest) => manifest.metadata.name)).toEqual(['eu-support']);
    const snapshot = compile(result.set);
    expect(decide(snapshot, call('bot', '/crm/customers/C-1', 'support'))).toMatchObject({ allowed: true });
    expect(decide(snapshot, call('bot', '/crm/customers/C-1', 'training'))).toMatchObject({ allowed: false, reason: 'WARDEN_DATA_PURPOSE_NOT_ALLOWED' });
  });

  it('reports a policy that restricts nothing, one that names an unknown api and one that allows and denies a purpose, each at its line', async () => {
    const text = [
      policy('says-nothing', '  description: only words\n  appliesTo: { apis: [crm] }\n'),
      policy('typo', '  appliesTo: { apis: [crn] }\n  purposes: { deny: [training] }\n'),
      policy('contradiction', '  purposes: { allow: [support, training], deny: [training] }\n'),
    ].join('---\n');
    const { result, lines } = await loadWith(text);
    const shown = result.problems.map(formatProblem).join('\n');
    expect(result.problems, shown).toHaveLength(3);
    const lineOf = (needle: string, from = 0) => lines.findIndex((line, index) => index >= from && line.includes(needle)) + 1;
    for (const problem of result.problems) expect(problem.file.endsWith('data-policies.yaml'), shown).toBe(true);

    const nothing = result.problems.find((problem) => problem.message.includes('restricts nothing'));
    expect(nothing, shown).toMatchObject({ field: 'spec', message: 'the data policy restricts nothing', fix: 'add purposes (allow or deny) or residency rules' });
    expect(nothing!.line).toBe(lineOf('spec:'));

    const unknown = result.problems.find((problem) => problem.field === 'spec.appliesTo.apis[0]');
    expect(unknown, shown).toMatchObject({ message: 'api "crn" is not defined', fix: 'did you mean "crm"?' });
    expect(unknown!.line).toBe(lineOf('apis: [crn]'));

    const both = result.problems.find((problem) => problem.field === 'spec.purposes.deny');
    expect(both, shown).toMatchObject({ message: 'training is both allowed and denied', fix: 'list each purpose in allow or in deny, not both' });
    expect(both!.line).toBe(lineOf('deny: [training] }', lineOf('contradiction')));
  });

  it('refuses a purpose or region that is not a tag at the schema', async () => {
    const { result } = await loadWith(policy('bad-tags', '  purposes: { allow: [Customer Support] }\n  residency:\n    - { dataRegions: [Europe], agentRegions: [eu] }\n'));
    const fields = result.problems.map((problem) => problem.field);
    expect(fields, result.problems.map(formatProblem).join('\n')).toEqual(expect.arrayContaining(['spec.purposes.allow[0]', 'spec.residency[0].dataRegions[0]']));
  });
});
