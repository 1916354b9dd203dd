import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { AuditLog } from '../../src/controlplane/audit/audit-log.js';
import { applyManifests } from '../../src/controlplane/manifests/apply-manifests.js';
import type { AgentState, AgentManifest } from '../../src/model/manifests/index.js';
import { openSqliteStore, sqliteFileIn } from '../../src/controlplane/store/sqlite-store.js';
import type { Store } from '../../src/controlplane/store/store.js';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { loadManifests } from '../../src/policy/load/load-manifests.js';

/**
 * A small organisation with known answers for every report (test/reports-cli.test.ts and
 * src/controlplane/reports/*.test.ts assert them exactly):
 *
 * - 4 APIs, 8 operations: crm (4 ops, active), billing (2 ops, deprecated), legacy-fax (2 ops,
 *   retired, owned by gone@example.com who left), hr (no operation). Grants cover 5 operations
 *   (crm getCustomer, searchCustomers, updateCustomer; billing getInvoice, refund) on 2 APIs.
 * - 5 agents: support-bot (proposed, reviewed, approved, tested, activated in June), billing-bot
 *   (in review), template-bot (pre-approved template), legacy-bot (active by manifest since
 *   January, owner left, review overdue), rejected-bot (rejected; its owner and purpose are
 *   hostile markup and a spreadsheet formula).
 * - 8 API keys: one each expired, expiring in 4 days, never rotated, revoked, rotated; 3 fine.
 * - 200 audit records in the period with 8 violations (7 blocked, 1 in monitor mode), plus one
 *   record just before and one exactly at the end of the period (both outside it).
 */

export const NOW = new Date('2025-06-30T12:00:00.000Z');
export const PERIOD = { from: new Date('2025-06-01T00:00:00.000Z'), to: NOW };

export const HOSTILE_OWNER = '<script>alert(1)</script>@evil.example';
export const HOSTILE_PURPOSE = '=HYPERLINK("http://evil.example","click") <img src=x onerror=alert(2)>';

const MANIFESTS: Readonly<Record<string, string>> = {
  'apis.yaml': `apiVersion: warden.dev/v1
kind: Api
metadata: { name: crm }
spec:
  owner: crm-team@example.com
  upstream: { url: "http://127.0.0.1:9" }
  basePath: /crm
  sensitivity: confidential
  dataClasses: [pii]
  operations:
    - { id: getCustomer, method: GET, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
    - { id: searchCustomers, method: GET, path: "/customers" }
    - { id: updateCustomer, method: PATCH, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
    - { id: deleteCustomer, method: DELETE, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: billing }
spec:
  owner: billing-team@example.com
  upstream: { url: "http://127.0.0.1:9" }
  basePath: /billing
  sensitivity: restricted
  lifecycle: { status: deprecated, deprecatedSince: "2025-01-01", replacement: payments }
  operations:
    - { id: getInvoice, method: GET, path: "/invoices/{invoiceId}", parameters: [{ name: invoiceId, in: path }] }
    - { id: refund, method: POST, path: "/refunds" }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: legacy-fax }
spec:
  owner: gone@example.com
  upstream: { url: "http://127.0.0.1:9" }
  basePath: /fax
  lifecycle: { status: retired }
  operations:
    - { id: sendFax, method: POST, path: "/faxes" }
    - { id: listFaxes, method: GET, path: "/faxes" }
---
apiVersion: warden.dev/v1
kind: Api
metadata: { name: hr }
spec:
  owner: hr-team@example.com
  upstream: { url: "http://127.0.0.1:9" }
  basePath: /hr
`,
  'roles.yaml': `apiVersion: warden.dev/v1
kind: Role
metadata: { name: support-reader }
spec:
  grants:
    - { id: crm-read, api: crm, operations: [getCustomer, searchCustomers] }
    - { id: invoices-read, api: billing, operations: [getInvoice] }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: support-writer }
spec:
  grants:
    - { id: crm-update, api: crm, operations: [updateCustomer] }
  forbid:
    - { api: crm, operations: [deleteCustomer], reason: the CRM team deletes customers }
---
apiVersion: warden.dev/v1
kind: Role
metadata: { name: billing-admin }
spec:
  grants:
    - { id: refunds, api: billing, operations: ["POST /refunds"] }
`,
  'templates.yaml': `apiVersion: warden.dev/v1
kind: AgentTemplate
metadata: { name: support-bot }
spec:
  roles: [support-reader, support-writer]
  preApproved: true
`,
  'agents.yaml': `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: legacy-bot }
spec:
  owner: gone@example.com
  purpose: Answers invoice questions from the old fax queue
  roles: [support-reader]
  state: active
  credentials:
    - { type: apiKey, id: key_legacy1 }
`,
};

const at = (text: string) => new Date(text);

/** An API-proposed agent's definition, as the admin API stores it. */
function definition(name: string, owner: string, purpose: string, roles: string[]): AgentManifest {
  return { apiVersion: 'warden.dev/v1', kind: 'Agent', metadata: { name }, spec: { owner, purpose, roles, state: 'proposed', credentials: [] } };
}

type Step = readonly [action: string, to: AgentState, actor: string, time: string];

async function proposeAgent(store: Store, name: string, manifest: AgentManifest, template: string | undefined, steps: readonly Step[]): Promise<void> {
  const [, , proposer, proposedAt] = steps[0]!;
  const governance = store.governance;
  await governance.createAgent(
    { name, source: 'api', definition: manifest, state: 'proposed', stateSince: at(proposedAt), template, createdAt: at(proposedAt), createdBy: proposer },
    { to: 'proposed', action: 'propose', actor: proposer, reason: manifest.spec.purpose, at: at(proposedAt) },
  );
  let state: AgentState = 'proposed';
  for (const [action, to, actor, time] of steps.slice(1)) {
    if (!(await governance.transitionAgent(name, state, { to, action, actor, reason: `${action} in the report dataset`, at: at(time) }))) throw new Error(`${name}: ${action} from ${state} failed`);
    state = to;
  }
}

interface KeySpec {
  readonly id: string;
  readonly agent?: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt?: string;
  readonly replacedBy?: string;
}

const KEYS: readonly KeySpec[] = [
  { id: 'key_sbnew01', agent: 'support-bot', createdAt: '2025-06-22T08:30:00Z', expiresAt: '2025-09-20T08:30:00Z' },
  { id: 'key_sbold01', agent: 'support-bot', createdAt: '2025-03-01T00:00:00Z', expiresAt: '2025-05-30T00:00:00Z', revokedAt: '2025-06-22T08:30:00Z' },
  { id: 'key_sbexp01', agent: 'support-bot', createdAt: '2025-04-05T12:00:00Z', expiresAt: '2025-07-04T12:00:00Z' },
  // Bound by legacy-bot's manifest, not issued for it through the admin API: no `agent`.
  { id: 'key_legacy1', createdAt: '2025-01-10T10:00:00Z', expiresAt: '2026-01-10T10:00:00Z' },
  { id: 'key_legacy2', agent: 'legacy-bot', createdAt: '2024-12-01T00:00:00Z', expiresAt: '2025-06-01T00:00:00Z' },
  { id: 'key_tb0001', agent: 'template-bot', createdAt: '2025-06-15T10:00:00Z', expiresAt: '2025-07-01T12:00:00Z', replacedBy: 'key_tb0002' },
  { id: 'key_tb0002', agent: 'template-bot', createdAt: '2025-06-28T12:00:00Z', expiresAt: '2025-09-26T12:00:00Z' },
  { id: 'key_orphan1', createdAt: '2025-06-01T00:00:00Z', expiresAt: '2025-08-30T00:00:00Z' },
];

interface Caller {
  readonly name: string;
  readonly owner: string;
  readonly roles: readonly string[];
}

const SUPPORT_BOT: Caller = { name: 'support-bot', owner: 'alice@example.com', roles: ['support-reader', 'support-writer'] };
const LEGACY_BOT: Caller = { name: 'legacy-bot', owner: 'gone@example.com', roles: ['support-reader'] };
const BILLING_BOT: Caller = { name: 'billing-bot', owner: 'bob@example.com', roles: ['billing-admin'] };

const STATUS: Readonly<Record<string, number>> = {
  GRANTED: 200,
  WARDEN_AUTHZ_FORBIDDEN: 403,
  WARDEN_AUTHZ_NOT_GRANTED: 403,
  WARDEN_AUTHZ_PARAM_VIOLATION: 403,
  WARDEN_AGENT_NOT_ACTIVE: 403,
  WARDEN_RATE_LIMITED: 429,
  WARDEN_API_RETIRED: 410,
  WARDEN_AUTHN_INVALID: 401,
  WARDEN_UPSTREAM_TIMEOUT: 504,
};

let counter = 0;

/** One audit record as the gateway writes it. */
export function auditEvent(time: string, caller: Caller | undefined, call: readonly [api: string, operation: string] | undefined, outcome: AuditEvent['decision']['outcome'], reason: string): AuditEvent {
  counter += 1;
  const id = `evt_${String(counter).padStart(6, '0')}`;
  return {
    v: 1,
    id,
    time,
    requestId: `req_${id}`,
    traceId: undefined,
    node: 'test-node',
    agent: caller === undefined ? undefined : { id: caller.name, name: caller.name, roles: caller.roles, owner: caller.owner },
    credential: caller === undefined ? undefined : { id: 'key_sbnew01', kind: 'apiKey' },
    src: { ip: '127.0.0.1', country: undefined },
    http: { method: 'GET', rawPath: call === undefined ? '/nowhere' : `/${call[0]}/${call[1]}`, canonicalPath: undefined, queryParams: [], status: outcome === 'would-deny' ? 200 : (STATUS[reason] ?? 500), bytesIn: 0, bytesOut: 0, durationMs: 1, upstreamMs: undefined },
    api: call === undefined ? undefined : { name: call[0], operation: call[1], template: `/${call[1]}`, sensitivity: 'internal', dataClasses: [] },
    decision: { outcome, reason, rule: undefined, policyVersion: undefined, monitored: outcome === 'would-deny' },
    limits: undefined,
    data: undefined,
    context: undefined,
  };
}

/** The audit records: `count` of each kind, spread over the period a minute apart. */
function auditRecords(): AuditEvent[] {
  const kinds: [number, Caller | undefined, readonly [string, string] | undefined, AuditEvent['decision']['outcome'], string][] = [
    [120, SUPPORT_BOT, ['crm', 'getCustomer'], 'allow', 'GRANTED'],
    [3, SUPPORT_BOT, ['crm', 'deleteCustomer'], 'deny', 'WARDEN_AUTHZ_FORBIDDEN'],
    [2, SUPPORT_BOT, ['crm', 'updateCustomer'], 'deny', 'WARDEN_AUTHZ_PARAM_VIOLATION'],
    [5, SUPPORT_BOT, ['crm', 'getCustomer'], 'deny', 'WARDEN_RATE_LIMITED'],
    [40, LEGACY_BOT, ['billing', 'getInvoice'], 'allow', 'GRANTED'],
    [1, LEGACY_BOT, ['billing', 'refund'], 'deny', 'WARDEN_AUTHZ_NOT_GRANTED'],
    [2, LEGACY_BOT, ['legacy-fax', 'sendFax'], 'deny', 'WARDEN_API_RETIRED'],
    [1, BILLING_BOT, ['billing', 'refund'], 'deny', 'WARDEN_AGENT_NOT_ACTIVE'],
    [1, SUPPORT_BOT, ['crm', 'deleteCustomer'], 'would-deny', 'WARDEN_AUTHZ_FORBIDDEN'],
    [10, undefined, undefined, 'deny', 'WARDEN_AUTHN_INVALID'],
    [5, SUPPORT_BOT, ['crm', 'getCustomer'], 'error', 'WARDEN_UPSTREAM_TIMEOUT'],
    [10, SUPPORT_BOT, ['crm', 'searchCustomers'], 'allow', 'GRANTED'],
  ];
  const events: AuditEvent[] = [auditEvent('2025-05-31T23:59:59.999Z', SUPPORT_BOT, ['crm', 'deleteCustomer'], 'deny', 'WARDEN_AUTHZ_FORBIDDEN')];
  let minute = 0;
  for (const [count, caller, call, outcome, reason] of kinds) {
    for (let index = 0; index < count; index++) {
      events.push(auditEvent(new Date(PERIOD.from.getTime() + 3 * 3_600_000 + minute * 60_000).toISOString(), caller, call, outcome, reason));
      minute += 1;
    }
  }
  events.push(auditEvent(NOW.toISOString(), SUPPORT_BOT, ['crm', 'deleteCustomer'], 'deny', 'WARDEN_AUTHZ_FORBIDDEN'));
  return events;
}

/** Writes the dataset into a fresh store under `dataDirectory` (as `warden start --data DIR` would hold it). */
export async function writeReportDataset(dataDirectory: string): Promise<void> {
  const manifestDir = path.join(dataDirectory, '..', `${path.basename(dataDirectory)}-manifests`);
  await mkdir(manifestDir, { recursive: true });
  for (const [file, text] of Object.entries(MANIFESTS)) await writeFile(path.join(manifestDir, file), text);
  const loaded = await loadManifests(manifestDir);
  if (loaded.problems.length > 0) throw new Error(`report dataset manifests: ${JSON.stringify(loaded.problems)}`);

  const file = sqliteFileIn(dataDirectory);
  const store = await openSqliteStore(file);
  try {
    await applyManifests(store, loaded.set, { appliedBy: 'ci@example.com', now: at('2025-01-10T10:00:00Z') });
    const governance = store.governance;
    await governance.createAgent(
      { name: 'legacy-bot', source: 'manifest', definition: undefined, state: 'active', stateSince: at('2025-01-10T10:00:00Z'), template: undefined, createdAt: at('2025-01-10T10:00:00Z'), createdBy: 'ci@example.com' },
      { to: 'active', action: 'create', actor: 'ci@example.com', reason: 'first applied in a manifest', at: at('2025-01-10T10:00:00Z') },
    );
    await proposeAgent(store, 'support-bot', definition('support-bot', 'alice@example.com', 'Answers customer questions for the support team', ['support-reader', 'support-writer']), undefined, [
      ['propose', 'proposed', 'alice@example.com', '2025-06-02T09:00:00Z'],
      ['approve', 'in_review', 'sam@example.com', '2025-06-03T10:00:00Z'],
      ['approve', 'approved', 'ada@example.com', '2025-06-04T11:00:00Z'],
      ['test', 'testing', 'alice@example.com', '2025-06-05T09:00:00Z'],
      ['activate', 'active', 'alice@example.com', '2025-06-06T12:00:00Z'],
    ]);
    await proposeAgent(store, 'billing-bot', definition('billing-bot', 'bob@example.com', 'Issues refunds for the billing team', ['billing-admin']), undefined, [
      ['propose', 'proposed', 'bob@example.com', '2025-06-10T09:00:00Z'],
      ['approve', 'in_review', 'sam@example.com', '2025-06-11T09:00:00Z'],
    ]);
    await proposeAgent(store, 'template-bot', definition('template-bot', 'alice@example.com', 'The standard support bot for the night shift', ['support-reader', 'support-writer']), 'support-bot', [
      ['propose', 'proposed', 'alice@example.com', '2025-06-15T10:00:00Z'],
      ['approve', 'approved', 'template:support-bot', '2025-06-15T10:00:00Z'],
    ]);
    await proposeAgent(store, 'rejected-bot', definition('rejected-bot', HOSTILE_OWNER, HOSTILE_PURPOSE, ['support-reader']), undefined, [
      ['propose', 'proposed', 'bob@example.com', '2025-06-12T09:00:00Z'],
      ['reject', 'decommissioned', 'sam@example.com', '2025-06-13T09:00:00Z'],
    ]);

    await governance.setOwner({ email: 'gone@example.com', active: false, leftAt: at('2025-03-31T00:00:00Z'), updatedBy: 'hr@example.com' });
    await governance.addReviewDecision({ agent: 'legacy-bot', item: 'idle', decision: 'confirm', actor: 'sam@example.com', reason: 'still answers the fax queue', at: at('2025-02-01T09:00:00Z') });
    await governance.addReviewDecision({ agent: 'support-bot', item: 'grant:support-reader/grants/crm-read', decision: 'confirm', actor: 'sam@example.com', reason: 'needed daily', at: at('2025-06-20T15:00:00Z') });
    await governance.addReviewDecision({ agent: 'support-bot', item: 'credential:key_sbold01', decision: 'revoke', actor: 'ada@example.com', reason: 'replaced by key_sbnew01', at: at('2025-06-22T08:30:00Z') });

    for (const key of KEYS) {
      await store.putApiKey({
        id: key.id,
        digest: randomBytes(32).toString('hex'),
        createdAt: at(key.createdAt),
        expiresAt: at(key.expiresAt),
        revokedAt: key.revokedAt === undefined ? undefined : at(key.revokedAt),
        ...(key.agent !== undefined ? { agent: key.agent, createdBy: 'alice@example.com' } : {}),
        ...(key.replacedBy !== undefined ? { replacedBy: key.replacedBy } : {}),
      });
    }

    const shared = (store as { readonly sqlite?: Sqlite.Database }).sqlite;
    const own = shared === undefined ? new Sqlite(file) : undefined;
    try {
      AuditLog.open(shared ?? own!).append(auditRecords());
    } finally {
      own?.close();
    }
  } finally {
    await store.close();
  }
}
