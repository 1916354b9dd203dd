import type { DetectionCatalog } from '../../src/controlplane/detection/detection-catalog.js';

/**
 * The organisation the detection scenarios run in: its API catalog, the roles that grant it
 * and a fleet of agents with the habits real ones have (shifts in their own time zone, a few
 * egress networks, nightly jobs, the customers they serve). Data only; behaviour lives in
 * normal-traffic.ts and attacks.ts.
 */

export type Sensitivity = 'public' | 'internal' | 'confidential' | 'restricted';

export interface OperationSpec {
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the API's base path, with `{param}` placeholders. */
  readonly path: string;
  readonly effect: 'read' | 'write';
  readonly deprecated?: true;
  /** When the operation returns data of fewer classes than its API. */
  readonly dataClasses?: readonly string[];
}

export interface ApiSpec {
  readonly name: string;
  readonly basePath: string;
  readonly sensitivity: Sensitivity;
  readonly status: 'active' | 'deprecated' | 'retired';
  readonly sunsetAt?: string;
  /** `monitor`: policy violations are recorded as would-deny and the call still goes through. */
  readonly mode: 'enforce' | 'monitor';
  readonly dataClasses: readonly string[];
  /** Typical response size of one record, for bytesOut. */
  readonly bytesPerRecord: number;
  readonly operations: readonly OperationSpec[];
}

export const APIS: readonly ApiSpec[] = [
  {
    name: 'crm', basePath: '/crm', sensitivity: 'confidential', status: 'active', mode: 'enforce', dataClasses: ['pii'], bytesPerRecord: 1_700,
    operations: [
      { id: 'getCustomer', method: 'GET', path: '/customers/{customerId}', effect: 'read' },
      { id: 'searchCustomers', method: 'GET', path: '/customers/search', effect: 'read' },
      { id: 'listCustomers', method: 'GET', path: '/customers', effect: 'read' },
      { id: 'listCustomerContacts', method: 'GET', path: '/customers/{customerId}/contacts', effect: 'read' },
      { id: 'updateCustomer', method: 'PATCH', path: '/customers/{customerId}', effect: 'write' },
    ],
  },
  {
    name: 'tickets', basePath: '/support', sensitivity: 'internal', status: 'active', mode: 'enforce', dataClasses: ['customer-content'], bytesPerRecord: 3_200,
    operations: [
      { id: 'getTicket', method: 'GET', path: '/tickets/{ticketId}', effect: 'read' },
      { id: 'listTickets', method: 'GET', path: '/tickets', effect: 'read' },
      { id: 'addComment', method: 'POST', path: '/tickets/{ticketId}/comments', effect: 'write' },
      { id: 'updateTicket', method: 'PATCH', path: '/tickets/{ticketId}', effect: 'write' },
      { id: 'deleteTicket', method: 'DELETE', path: '/tickets/{ticketId}', effect: 'write' },
    ],
  },
  {
    name: 'kb', basePath: '/kb', sensitivity: 'public', status: 'active', mode: 'enforce', dataClasses: [], bytesPerRecord: 2_400,
    operations: [
      { id: 'searchArticles', method: 'GET', path: '/articles/search', effect: 'read' },
      { id: 'getArticle', method: 'GET', path: '/articles/{articleId}', effect: 'read' },
    ],
  },
  {
    name: 'billing', basePath: '/billing', sensitivity: 'confidential', status: 'active', mode: 'enforce', dataClasses: ['financial', 'pii'], bytesPerRecord: 1_100,
    operations: [
      { id: 'getInvoice', method: 'GET', path: '/invoices/{invoiceId}', effect: 'read' },
      { id: 'listCustomerInvoices', method: 'GET', path: '/customers/{customerId}/invoices', effect: 'read' },
      { id: 'getSubscription', method: 'GET', path: '/customers/{customerId}/subscription', effect: 'read' },
      { id: 'issueRefund', method: 'POST', path: '/refunds', effect: 'write' },
    ],
  },
  {
    name: 'finance', basePath: '/finance', sensitivity: 'restricted', status: 'active', mode: 'enforce', dataClasses: ['financial', 'ledger'], bytesPerRecord: 600,
    operations: [
      { id: 'listLedgerEntries', method: 'GET', path: '/ledger/entries', effect: 'read' },
      { id: 'getLedgerSummary', method: 'GET', path: '/ledger/summary', effect: 'read' },
      { id: 'listInvoices', method: 'GET', path: '/invoices', effect: 'read', dataClasses: ['financial'] },
      { id: 'getInvoice', method: 'GET', path: '/invoices/{invoiceId}', effect: 'read', dataClasses: ['financial'] },
      { id: 'postJournalEntry', method: 'POST', path: '/ledger/entries', effect: 'write' },
    ],
  },
  {
    name: 'hr', basePath: '/hr', sensitivity: 'restricted', status: 'active', mode: 'enforce', dataClasses: ['employee', 'pii'], bytesPerRecord: 2_000,
    operations: [
      { id: 'getEmployee', method: 'GET', path: '/employees/{employeeId}', effect: 'read' },
      { id: 'listEmployees', method: 'GET', path: '/employees', effect: 'read' },
      { id: 'searchEmployees', method: 'GET', path: '/employees/search', effect: 'read' },
      { id: 'getSalary', method: 'GET', path: '/employees/{employeeId}/salary', effect: 'read', dataClasses: ['salary', 'pii'] },
      { id: 'listSalaries', method: 'GET', path: '/salaries', effect: 'read', dataClasses: ['salary', 'pii'] },
      { id: 'createEmployee', method: 'POST', path: '/employees', effect: 'write' },
      { id: 'updateEmployee', method: 'PATCH', path: '/employees/{employeeId}', effect: 'write' },
    ],
  },
  {
    name: 'warehouse', basePath: '/warehouse/v2', sensitivity: 'internal', status: 'active', mode: 'enforce', dataClasses: ['analytics'], bytesPerRecord: 220,
    operations: [
      { id: 'runQuery', method: 'POST', path: '/queries', effect: 'read' },
      { id: 'getQueryResult', method: 'GET', path: '/queries/{queryId}/results', effect: 'read' },
      { id: 'listTables', method: 'GET', path: '/tables', effect: 'read' },
      { id: 'getTable', method: 'GET', path: '/tables/{table}', effect: 'read' },
      // The v1 SQL endpoint kept inside v2 while the dashboards migrate: known, scheduled to go.
      { id: 'runSql', method: 'POST', path: '/sql', effect: 'read', deprecated: true },
    ],
  },
  {
    // The zombie: sunset last autumn but still up, onboarded in monitor mode and never
    // switched to enforce, so calls to it are recorded as would-deny and still served.
    name: 'warehouse-legacy', basePath: '/warehouse/v1', sensitivity: 'internal', status: 'deprecated', sunsetAt: '2025-10-31T00:00:00.000Z', mode: 'monitor',
    dataClasses: ['analytics', 'pii'], bytesPerRecord: 300,
    operations: [
      { id: 'exportTable', method: 'GET', path: '/export/{table}', effect: 'read', deprecated: true },
      { id: 'query', method: 'POST', path: '/query', effect: 'read', deprecated: true },
    ],
  },
  {
    name: 'compute', basePath: '/compute', sensitivity: 'internal', status: 'active', mode: 'enforce', dataClasses: [], bytesPerRecord: 900,
    operations: [
      { id: 'listInstances', method: 'GET', path: '/instances', effect: 'read' },
      { id: 'getInstance', method: 'GET', path: '/instances/{instanceId}', effect: 'read' },
      { id: 'restartInstance', method: 'POST', path: '/instances/{instanceId}/restart', effect: 'write' },
      { id: 'createInstance', method: 'POST', path: '/instances', effect: 'write' },
      { id: 'deleteInstance', method: 'DELETE', path: '/instances/{instanceId}', effect: 'write' },
    ],
  },
  {
    name: 'email', basePath: '/email', sensitivity: 'internal', status: 'active', mode: 'enforce', dataClasses: ['pii'], bytesPerRecord: 400,
    operations: [
      { id: 'sendEmail', method: 'POST', path: '/messages', effect: 'write' },
      { id: 'listTemplates', method: 'GET', path: '/templates', effect: 'read' },
    ],
  },
];

export interface GrantSpec {
  readonly id: string;
  readonly api: string;
  readonly operations: readonly string[];
  /** The grant only covers calls whose path customer is the task context's customer. */
  readonly boundTo?: 'customer';
  /** Calls per minute, if the grant is rate limited. */
  readonly perMinute?: number;
}

export const ROLES: Readonly<Record<string, readonly GrantSpec[]>> = {
  support: [
    { id: 'crm-task-customer', api: 'crm', operations: ['getCustomer', 'listCustomerContacts'], boundTo: 'customer', perMinute: 60 },
    { id: 'crm-search', api: 'crm', operations: ['searchCustomers'], perMinute: 30 },
    { id: 'tickets', api: 'tickets', operations: ['getTicket', 'listTickets', 'addComment', 'updateTicket'], perMinute: 40 },
    { id: 'kb', api: 'kb', operations: ['searchArticles', 'getArticle'] },
    { id: 'billing-task-customer', api: 'billing', operations: ['listCustomerInvoices', 'getSubscription'], boundTo: 'customer', perMinute: 60 },
    { id: 'billing-invoice', api: 'billing', operations: ['getInvoice'], perMinute: 60 },
    { id: 'email', api: 'email', operations: ['sendEmail', 'listTemplates'], perMinute: 20 },
    // Over-broad: `GET /**` on finance was meant for invoice look-ups during the billing
    // migration and never narrowed. Normal support work does not touch finance at all.
    { id: 'finance-read', api: 'finance', operations: ['listLedgerEntries', 'getLedgerSummary', 'listInvoices', 'getInvoice'] },
  ],
  analyst: [
    { id: 'warehouse', api: 'warehouse', operations: ['runQuery', 'getQueryResult', 'listTables', 'getTable', 'runSql'], perMinute: 60 },
    { id: 'crm-analytics', api: 'crm', operations: ['searchCustomers', 'listCustomers'], perMinute: 60 },
    { id: 'tickets-stats', api: 'tickets', operations: ['listTickets'] },
    // Left over from before the v2 migration; nobody removed it.
    { id: 'warehouse-v1', api: 'warehouse-legacy', operations: ['exportTable', 'query'] },
  ],
  'churn-analysis': [
    { id: 'billing-read', api: 'billing', operations: ['listCustomerInvoices', 'getSubscription', 'getInvoice'], perMinute: 60 },
  ],
  'hr-onboarding': [
    { id: 'hr-people', api: 'hr', operations: ['getEmployee', 'listEmployees', 'searchEmployees', 'createEmployee', 'updateEmployee'], perMinute: 60 },
    { id: 'tickets', api: 'tickets', operations: ['getTicket', 'listTickets', 'addComment', 'updateTicket'] },
    { id: 'email', api: 'email', operations: ['sendEmail', 'listTemplates'], perMinute: 20 },
    { id: 'kb', api: 'kb', operations: ['searchArticles', 'getArticle'] },
  ],
  'it-ops': [
    // Over-broad: the whole compute API, though the job is watching and restarting.
    { id: 'compute', api: 'compute', operations: ['listInstances', 'getInstance', 'restartInstance', 'createInstance', 'deleteInstance'], perMinute: 120 },
    { id: 'tickets', api: 'tickets', operations: ['getTicket', 'listTickets', 'addComment', 'updateTicket'] },
    { id: 'kb', api: 'kb', operations: ['searchArticles', 'getArticle'] },
  ],
  'finance-reporting': [
    { id: 'finance', api: 'finance', operations: ['listLedgerEntries', 'getLedgerSummary', 'listInvoices', 'getInvoice', 'postJournalEntry'], perMinute: 120 },
    { id: 'billing-read', api: 'billing', operations: ['listCustomerInvoices', 'getInvoice'], perMinute: 60 },
    { id: 'warehouse', api: 'warehouse', operations: ['runQuery', 'getQueryResult'] },
    { id: 'email', api: 'email', operations: ['sendEmail', 'listTemplates'] },
  ],
  sales: [
    { id: 'crm-accounts', api: 'crm', operations: ['getCustomer', 'searchCustomers', 'listCustomers', 'listCustomerContacts', 'updateCustomer'], perMinute: 60 },
    { id: 'billing-subscription', api: 'billing', operations: ['getSubscription'] },
    { id: 'email', api: 'email', operations: ['sendEmail', 'listTemplates'], perMinute: 20 },
    { id: 'kb', api: 'kb', operations: ['searchArticles', 'getArticle'] },
  ],
};

/** A network the agent's calls come from: the first three octets of a /24, and where it is. */
export interface Network {
  readonly prefix: string;
  readonly country: string;
}

/** A kind of work the agent does, drawn in proportion to `weight` whenever a task arrives. */
export interface WorkMix {
  readonly task: TaskKind;
  readonly weight: number;
  /** The last simulation day (from day 0) of the habit: a migration ends it. */
  readonly untilDay?: number;
  /** Work that starts once the agent holds this role (granted part-way through). */
  readonly needsRole?: string;
}

export type TaskKind =
  | 'support-ticket'
  | 'support-queue'
  | 'support-triage'
  | 'analyst-query'
  | 'analyst-legacy-sql'
  | 'analyst-cohort'
  | 'churn-analysis'
  | 'hr-onboarding'
  | 'hr-lookup'
  | 'it-incident'
  | 'finance-query'
  | 'finance-journal'
  | 'sales-account'
  | 'sales-leads';

/** A job that runs at a fixed local time every day, whether anyone works or not. */
export interface ScheduledJob {
  readonly job: 'ledger-sync' | 'hr-directory-sync' | 'compute-inventory' | 'health-poll';
  /** Local hour (fractional) it starts; health polls run all day from here on. */
  readonly atLocalHour: number;
}

export interface AgentProfile {
  readonly name: string;
  readonly roles: readonly string[];
  readonly owner: string;
  readonly credential: string;
  readonly networks: readonly Network[];
  /** The gateway node close to the agent. */
  readonly node: string;
  /** Fixed offset from UTC (no daylight saving in the simulated January–February). */
  readonly utcOffsetHours: number;
  /** Local working hours on working days. */
  readonly shift: { readonly start: number; readonly end: number; readonly days: readonly number[] };
  /** A lighter extra shift (e.g. Saturday morning cover). */
  readonly extraShift?: { readonly day: number; readonly start: number; readonly end: number; readonly load: number };
  /** Tasks per hour at the busiest time of a normal day. */
  readonly tasksPerHour: number;
  readonly work: readonly WorkMix[];
  /** What the agent does first thing in its shift, every working day. */
  readonly shiftOpening?: TaskKind;
  readonly jobs?: readonly ScheduledJob[];
  /** The customer regions the agent serves. */
  readonly customerRegions: readonly CustomerRegion[];
  /** The chance, per weekend day, that someone runs the agent for a short while anyway. */
  readonly weekendChance: number;
  /** Roles granted part-way through the simulation. */
  readonly laterRoles?: readonly { readonly role: string; readonly day: number; readonly localHour: number }[];
}

export type CustomerRegion = 'eu' | 'us' | 'apac';

const DE: readonly Network[] = [{ prefix: '35.198.64', country: 'DE' }, { prefix: '34.89.150', country: 'DE' }];
const NL: readonly Network[] = [{ prefix: '34.90.12', country: 'NL' }];
const GB: readonly Network[] = [{ prefix: '35.189.80', country: 'GB' }, { prefix: '34.105.9', country: 'GB' }];
const US_EAST: readonly Network[] = [{ prefix: '52.23.18', country: 'US' }, { prefix: '3.214.77', country: 'US' }];
const US_CENTRAL: readonly Network[] = [{ prefix: '18.188.40', country: 'US' }];
const SG: readonly Network[] = [{ prefix: '13.229.40', country: 'SG' }];
const WEEKDAYS = [1, 2, 3, 4, 5];

const SUPPORT_WORK: readonly WorkMix[] = [{ task: 'support-ticket', weight: 10 }, { task: 'support-queue', weight: 1 }];
const SUPPORT = { roles: ['support'], work: SUPPORT_WORK, shiftOpening: 'support-triage' } as const;
const SALES_WORK: readonly WorkMix[] = [{ task: 'sales-account', weight: 6 }, { task: 'sales-leads', weight: 1 }];

export const AGENTS: readonly AgentProfile[] = [
  {
    name: 'support-eu-1', ...SUPPORT, owner: 'cx-platform@example.com', credential: 'key_7f3a91c0d2e4', networks: DE, node: 'gw-eu-1',
    utcOffsetHours: 1, shift: { start: 8, end: 17, days: WEEKDAYS }, tasksPerHour: 11, customerRegions: ['eu'], weekendChance: 0.02,
  },
  {
    name: 'support-eu-2', ...SUPPORT, owner: 'cx-platform@example.com', credential: 'key_0b8e44a17c59', networks: DE, node: 'gw-eu-1',
    utcOffsetHours: 1, shift: { start: 10, end: 19, days: WEEKDAYS }, extraShift: { day: 6, start: 9, end: 13, load: 0.4 },
    tasksPerHour: 10, customerRegions: ['eu'], weekendChance: 0,
  },
  {
    name: 'support-us-1', ...SUPPORT, owner: 'cx-americas@example.com', credential: 'key_c4d2f8e61a03', networks: US_EAST, node: 'gw-us-1',
    utcOffsetHours: -5, shift: { start: 8, end: 17, days: WEEKDAYS }, tasksPerHour: 12, customerRegions: ['us'], weekendChance: 0.02,
  },
  {
    name: 'support-apac-1', ...SUPPORT, owner: 'cx-apac@example.com', credential: 'key_5e19b7a3f0c8', networks: SG, node: 'gw-ap-1',
    utcOffsetHours: 8, shift: { start: 9, end: 18, days: WEEKDAYS }, tasksPerHour: 8, customerRegions: ['apac'], weekendChance: 0.02,
  },
  {
    name: 'analyst-1', roles: ['analyst'], owner: 'data-science@example.com', credential: 'key_a90c3e5d7b21', networks: DE, node: 'gw-eu-1',
    utcOffsetHours: 1, shift: { start: 9, end: 18, days: WEEKDAYS }, tasksPerHour: 3,
    work: [
      { task: 'analyst-query', weight: 6 },
      // The dashboards still on the deprecated v1 SQL endpoint until the migration in week 3.
      { task: 'analyst-legacy-sql', weight: 2, untilDay: 17 },
      { task: 'analyst-cohort', weight: 1 },
      { task: 'churn-analysis', weight: 4, needsRole: 'churn-analysis' },
    ],
    customerRegions: ['eu', 'us', 'apac'], weekendChance: 0.04,
    // The churn project: billing data (confidential) granted on Tuesday of week 4.
    laterRoles: [{ role: 'churn-analysis', day: 22, localHour: 10.5 }],
  },
  {
    name: 'analyst-2', roles: ['analyst'], owner: 'bi-team@example.com', credential: 'key_3b6f0d9e2c74', networks: NL, node: 'gw-eu-1',
    utcOffsetHours: 1, shift: { start: 8, end: 17, days: WEEKDAYS }, tasksPerHour: 4,
    work: [{ task: 'analyst-query', weight: 8 }, { task: 'analyst-cohort', weight: 1 }], customerRegions: ['eu', 'us', 'apac'], weekendChance: 0.04,
  },
  {
    name: 'analyst-3', roles: ['analyst'], owner: 'growth@example.com', credential: 'key_e2a7c51f98d0',
    // Office egress and the VPN concentrator.
    networks: [{ prefix: '35.198.64', country: 'DE' }, { prefix: '185.46.212', country: 'DE' }], node: 'gw-eu-1',
    utcOffsetHours: 1, shift: { start: 9, end: 18, days: WEEKDAYS }, tasksPerHour: 3,
    work: [{ task: 'analyst-query', weight: 4 }, { task: 'analyst-cohort', weight: 2 }], customerRegions: ['eu', 'us', 'apac'], weekendChance: 0.04,
  },
  {
    name: 'hr-onboarding', roles: ['hr-onboarding'], owner: 'people-ops@example.com', credential: 'key_91d4e0b6a3f7', networks: DE, node: 'gw-eu-1',
    utcOffsetHours: 1, shift: { start: 7, end: 16, days: WEEKDAYS }, tasksPerHour: 2.5,
    work: [{ task: 'hr-onboarding', weight: 2 }, { task: 'hr-lookup', weight: 5 }], jobs: [{ job: 'hr-directory-sync', atLocalHour: 6 }],
    customerRegions: [], weekendChance: 0,
  },
  {
    name: 'it-ops-1', roles: ['it-ops'], owner: 'sre@example.com', credential: 'key_6c0e8f2b5d19', networks: DE, node: 'gw-eu-1',
    utcOffsetHours: 1, shift: { start: 7, end: 19, days: WEEKDAYS }, tasksPerHour: 1.5,
    work: [{ task: 'it-incident', weight: 1 }], jobs: [{ job: 'health-poll', atLocalHour: 0 }], customerRegions: [], weekendChance: 0.1,
  },
  {
    name: 'it-ops-2', roles: ['it-ops'], owner: 'sre@example.com', credential: 'key_d85b2a7e4c60', networks: US_EAST, node: 'gw-us-1',
    utcOffsetHours: -5, shift: { start: 8, end: 18, days: WEEKDAYS }, tasksPerHour: 1.2,
    work: [{ task: 'it-incident', weight: 1 }], jobs: [{ job: 'compute-inventory', atLocalHour: 1 }], customerRegions: [], weekendChance: 0.1,
  },
  {
    name: 'finance-reporting', roles: ['finance-reporting'], owner: 'finance-systems@example.com', credential: 'key_2f9a6d3c8e15', networks: GB, node: 'gw-eu-1',
    utcOffsetHours: 0, shift: { start: 8, end: 18, days: WEEKDAYS }, tasksPerHour: 3,
    work: [{ task: 'finance-query', weight: 8 }, { task: 'finance-journal', weight: 1 }], jobs: [{ job: 'ledger-sync', atLocalHour: 2 }],
    customerRegions: ['eu', 'us', 'apac'], weekendChance: 0,
  },
  {
    name: 'sales-1', roles: ['sales'], owner: 'revops@example.com', credential: 'key_8a1c5e0f7b34', networks: GB, node: 'gw-eu-1',
    utcOffsetHours: 0, shift: { start: 9, end: 17.5, days: WEEKDAYS }, tasksPerHour: 4, work: SALES_WORK, customerRegions: ['eu'], weekendChance: 0.02,
  },
  {
    name: 'sales-2', roles: ['sales'], owner: 'revops@example.com', credential: 'key_4e7d9b2a0c86', networks: GB, node: 'gw-eu-1',
    utcOffsetHours: 0, shift: { start: 9, end: 17.5, days: WEEKDAYS }, tasksPerHour: 4, work: SALES_WORK, customerRegions: ['eu', 'apac'], weekendChance: 0.02,
  },
  {
    name: 'sales-3', roles: ['sales'], owner: 'revops-americas@example.com', credential: 'key_b03f6c8d1e52', networks: US_CENTRAL, node: 'gw-us-1',
    utcOffsetHours: -6, shift: { start: 8.5, end: 17, days: WEEKDAYS }, tasksPerHour: 4, work: SALES_WORK, customerRegions: ['us'], weekendChance: 0.02,
  },
];

/** Monday 5 January 2026, 00:00 UTC: day 0 of every scenario. */
export const SCENARIO_START = Date.UTC(2026, 0, 5);
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

/** Where an operation lives, resolved once: the API, the operation and its full template. */
export interface ResolvedOperation {
  readonly api: ApiSpec;
  readonly operation: OperationSpec;
  readonly template: string;
}

const OPERATIONS = new Map<string, ResolvedOperation>();
for (const api of APIS) for (const operation of api.operations) OPERATIONS.set(`${api.name}.${operation.id}`, { api, operation, template: api.basePath + operation.path });

/** The operation named `api.operation`; throws on a typo so scenarios cannot drift from the catalog. */
export function operationOf(name: string): ResolvedOperation {
  const found = OPERATIONS.get(name);
  if (found === undefined) throw new Error(`no operation ${name} in the scenario catalog`);
  return found;
}

/** The grant of `roles` that covers `api.operation`, with the role it belongs to. */
export function grantFor(roles: readonly string[], name: string): { readonly role: string; readonly grant: GrantSpec } | undefined {
  const [api, operation] = name.split('.') as [string, string];
  for (const role of roles) {
    for (const grant of ROLES[role] ?? []) if (grant.api === api && grant.operations.includes(operation)) return { role, grant };
  }
  return undefined;
}

/** Every operation (`api.operation`) the role grants. */
export function operationsOfRole(role: string): string[] {
  return (ROLES[role] ?? []).flatMap((grant) => grant.operations.map((operation) => `${grant.api}.${operation}`));
}

/** The catalog as the detection engine gets it from a policy snapshot. */
export function detectionCatalog(): DetectionCatalog {
  return {
    apis: new Map(APIS.map((api) => [api.name, { sensitivity: api.sensitivity, status: api.status, sunsetAt: api.sunsetAt === undefined ? undefined : Date.parse(api.sunsetAt), dataClasses: api.dataClasses }])),
    operations: new Map(APIS.flatMap((api) => api.operations.map((operation) => [
      `${api.name}.${operation.id}`,
      { deprecated: operation.deprecated === true, effect: operation.effect, dataClasses: operation.dataClasses ?? api.dataClasses },
    ] as const))),
    roleApis: new Map(Object.entries(ROLES).map(([role, grants]) => [role, new Set(grants.map((grant) => grant.api))])),
  };
}

/**
 * A fleet of `count` agents for load: the scenario fleet, then copies of it (own names, keys
 * and owners, same habits) until there are enough.
 */
export function fleetOfSize(count: number): AgentProfile[] {
  return Array.from({ length: count }, (_, i) => {
    const base = AGENTS[i % AGENTS.length]!;
    const copy = Math.floor(i / AGENTS.length);
    if (copy === 0) return base;
    const suffix = copy.toString(36);
    return { ...base, name: `${base.name}-c${suffix}`, credential: `${base.credential.slice(0, 12)}${suffix.padStart(4, '0')}` };
  });
}
