/**
 * The demo upstreams that `npm start` puts behind the gateway, on real sockets (ports 0).
 * Every operation of every example API (except the retired fax) has a case below, written by hand
 * from examples/apis; a coverage test reads the manifests and fails when one is missing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_UPSTREAM_PORTS, startDemoUpstreams, type DemoApi, type DemoUpstreamOptions, type DemoUpstreams } from '../examples/upstreams/demo-upstreams.js';
import { createSeedData } from '../examples/upstreams/seed-data.js';

const APIS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'apis');
const FREE_PORTS: Record<DemoApi, number> = { crm: 0, hr: 0, finance: 0, payments: 0, 'it-ops': 0, 'legacy-warehouse': 0 };

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

async function call(upstreams: DemoUpstreams, api: DemoApi, method: string, target: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const hasBody = options.body !== undefined;
  const response = await fetch(`${upstreams.urls[api]}${target}`, {
    method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: hasBody ? (typeof options.body === 'string' ? options.body : JSON.stringify(options.body)) : undefined,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** Starts fresh upstreams before each test (writes never leak between tests) and closes them after. */
function useUpstreams(options: DemoUpstreamOptions = {}): () => DemoUpstreams {
  let upstreams: DemoUpstreams | undefined;
  beforeEach(async () => {
    upstreams = await startDemoUpstreams({ ports: FREE_PORTS, ...options });
  });
  afterEach(async () => {
    await upstreams?.close();
    upstreams = undefined;
  });
  return () => {
    if (!upstreams) throw new Error('upstreams are not started');
    return upstreams;
  };
}

// ---------------------------------------------------------------------------------------------
// One case per operation of examples/apis

interface OperationCase {
  readonly api: DemoApi;
  readonly operation: string;
  readonly method: string;
  /** The full path template, basePath included, as the gateway forwards it. */
  readonly template: string;
  readonly target: string;
  readonly body?: Record<string, unknown>;
  readonly status: number;
  readonly expected: Record<string, unknown>;
}

const OPERATIONS: readonly OperationCase[] = [
  // crm (operations from crm.openapi.yaml)
  { api: 'crm', operation: 'searchCustomers', method: 'GET', template: '/crm/customers', target: '/crm/customers?q=martin', status: 200, expected: { total: 2, customers: [{ id: 'C-1001' }, { id: 'C-2001' }] } },
  {
    api: 'crm', operation: 'getCustomer', method: 'GET', template: '/crm/customers/{customerId}', target: '/crm/customers/C-1001', status: 200,
    expected: { id: 'C-1001', name: 'Ethan Martin', email: 'ethan.martin@example.org', phone: '+49 30 23125576', dateOfBirth: '2002-10-22', taxId: '64599045549', country: 'DE', address: { city: 'Hamburg', country: 'DE' } },
  },
  { api: 'crm', operation: 'updateCustomerContact', method: 'PATCH', template: '/crm/customers/{customerId}', target: '/crm/customers/C-1001', body: { email: 'ethan.m@example.org' }, status: 200, expected: { id: 'C-1001', email: 'ethan.m@example.org', phone: '+49 30 23125576' } },
  { api: 'crm', operation: 'deleteCustomer', method: 'DELETE', template: '/crm/customers/{customerId}', target: '/crm/customers/C-1020', status: 200, expected: { id: 'C-1020', deleted: true } },
  { api: 'crm', operation: 'listCustomerOrders', method: 'GET', template: '/crm/customers/{customerId}/orders', target: '/crm/customers/C-1001/orders?status=cancelled', status: 200, expected: { customerId: 'C-1001', orders: [{ id: 'O-5052', total: 856.9 }, { id: 'O-5060', total: 2055 }] } },
  { api: 'crm', operation: 'getTicket', method: 'GET', template: '/crm/tickets/{ticketId}', target: '/crm/tickets/T-77', status: 200, expected: { id: 'T-77', customerId: 'C-1001', orderId: 'O-5061', status: 'open' } },
  { api: 'crm', operation: 'addTicketNote', method: 'POST', template: '/crm/tickets/{ticketId}/notes', target: '/crm/tickets/T-77/notes', body: { text: 'Offered a refund of 25 EUR.' }, status: 201, expected: { ticketId: 'T-77', text: 'Offered a refund of 25 EUR.' } },
  // hr
  { api: 'hr', operation: 'getEmployee', method: 'GET', template: '/hr/employees/{employeeId}', target: '/hr/employees/E-7', status: 200, expected: { id: 'E-7', name: 'Aisha Patel', department: 'people', title: 'Head of People', manager: 'E-1', salary: { annual: 121_000, currency: 'EUR' } } },
  { api: 'hr', operation: 'createEmployee', method: 'POST', template: '/hr/employees', target: '/hr/employees', body: { name: 'Lena Vogel', startDate: '2026-12-07', department: 'engineering' }, status: 201, expected: { id: 'E-31', name: 'Lena Vogel', email: 'lena.vogel31@acme.example', department: 'engineering', manager: 'E-2', startDate: '2026-12-07', salary: null } },
  { api: 'hr', operation: 'assignEquipment', method: 'POST', template: '/hr/employees/{employeeId}/equipment', target: '/hr/employees/E-29/equipment', body: { item: 'badge' }, status: 201, expected: { employeeId: 'E-29', item: 'badge' } },
  { api: 'hr', operation: 'getOnboardingChecklist', method: 'GET', template: '/hr/onboarding/{employeeId}/checklist', target: '/hr/onboarding/E-29/checklist', status: 200, expected: { employeeId: 'E-29', done: 2, total: 6 } },
  { api: 'hr', operation: 'completeOnboardingTask', method: 'POST', template: '/hr/onboarding/{employeeId}/tasks/{taskId}/complete', target: '/hr/onboarding/E-29/tasks/badge/complete', status: 200, expected: { employeeId: 'E-29', task: { id: 'badge', done: true } } },
  { api: 'hr', operation: 'listPayroll', method: 'GET', template: '/hr/payroll', target: '/hr/payroll?month=2026-10', status: 200, expected: { month: '2026-10', currency: 'EUR', headcount: 28, total: 204_533.33 } },
  // finance
  { api: 'finance', operation: 'listTransactions', method: 'GET', template: '/finance/transactions', target: '/finance/transactions?from=2026-01-01&to=2026-03-31', status: 200, expected: { from: '2026-01-01', to: '2026-03-31', count: 93 } },
  { api: 'finance', operation: 'getTransaction', method: 'GET', template: '/finance/transactions/{transactionId}', target: '/finance/transactions/TX-10001', status: 200, expected: { id: 'TX-10001', date: '2026-01-01', account: 'rent', amount: -8500, currency: 'EUR' } },
  { api: 'finance', operation: 'createReport', method: 'POST', template: '/finance/reports', target: '/finance/reports', body: { kind: 'quarterly', from: '2026-04-01', to: '2026-06-30' }, status: 201, expected: { id: 'RPT-1002', kind: 'quarterly', status: 'ready', from: '2026-04-01', to: '2026-06-30' } },
  { api: 'finance', operation: 'getReport', method: 'GET', template: '/finance/reports/{reportId}', target: '/finance/reports/RPT-1001', status: 200, expected: { id: 'RPT-1001', kind: 'quarterly', from: '2026-01-01', to: '2026-03-31', transactions: 93 } },
  { api: 'finance', operation: 'approveInvoice', method: 'POST', template: '/finance/invoices/{invoiceId}/approve', target: '/finance/invoices/INV-101/approve', status: 200, expected: { id: 'INV-101', status: 'approved' } },
  { api: 'finance', operation: 'getPayrollSummary', method: 'GET', template: '/finance/payroll/summary', target: '/finance/payroll/summary', status: 200, expected: { currency: 'EUR', departments: expect.arrayContaining([{ department: 'executive', headcount: 1, monthlyGross: 17_500 }]) } },
  // payments
  { api: 'payments', operation: 'createRefund', method: 'POST', template: '/payments/refunds', target: '/payments/refunds', body: { orderId: 'O-5061', amount: 25, currency: 'EUR' }, status: 201, expected: { id: 'R-907', orderId: 'O-5061', amount: 25, currency: 'EUR', status: 'pending' } },
  { api: 'payments', operation: 'getRefund', method: 'GET', template: '/payments/refunds/{refundId}', target: '/payments/refunds/R-901', status: 200, expected: { id: 'R-901', orderId: 'O-5051', amount: 207.38, currency: 'EUR', status: 'succeeded' } },
  { api: 'payments', operation: 'createPayout', method: 'POST', template: '/payments/payouts', target: '/payments/payouts', body: { amount: 1200, account: 'DE89370400440532013000' }, status: 201, expected: { id: 'PO-1', amount: 1200, currency: 'EUR', status: 'scheduled' } },
  // it-ops
  { api: 'it-ops', operation: 'listInstances', method: 'GET', template: '/itops/compute/instances', target: '/itops/compute/instances', status: 200, expected: { count: 12 } },
  { api: 'it-ops', operation: 'getInstance', method: 'GET', template: '/itops/compute/instances/{instanceId}', target: '/itops/compute/instances/i-0d0480d1', status: 200, expected: { id: 'i-0d0480d1', name: 'web-1', region: 'eu-west-1', state: 'running' } },
  { api: 'it-ops', operation: 'provisionInstance', method: 'POST', template: '/itops/compute/instances', target: '/itops/compute/instances', body: { size: 'small', region: 'eu-west-1' }, status: 201, expected: { id: 'i-10000001', size: 'small', region: 'eu-west-1', state: 'pending' } },
  { api: 'it-ops', operation: 'restartInstance', method: 'POST', template: '/itops/compute/instances/{instanceId}/restart', target: '/itops/compute/instances/i-03525238/restart', status: 200, expected: { id: 'i-03525238', name: 'batch-1', state: 'running' } },
  { api: 'it-ops', operation: 'deleteInstance', method: 'DELETE', template: '/itops/compute/instances/{instanceId}', target: '/itops/compute/instances/i-0d53b68c', status: 200, expected: { id: 'i-0d53b68c', name: 'ml-train-1', state: 'terminated' } },
  // legacy-warehouse
  { api: 'legacy-warehouse', operation: 'queryOrders', method: 'GET', template: '/warehouse/orders', target: '/warehouse/orders?since=2026-11-01', status: 200, expected: { since: '2026-11-01', count: 20 } },
  { api: 'legacy-warehouse', operation: 'exportAll', method: 'GET', template: '/warehouse/export', target: '/warehouse/export', status: 200, expected: { asOf: '2026-11-20' } },
];

/** `api.operation METHOD /full/template` for every operation of every non-retired manifest. */
function manifestOperations(): string[] {
  const keys: string[] = [];
  for (const file of readdirSync(APIS_DIR).filter((name) => name.endsWith('.yaml'))) {
    const document = parse(readFileSync(path.join(APIS_DIR, file), 'utf8')) as ApiManifest | OpenApiDocument;
    if (!('kind' in document) || document.kind !== 'Api' || document.spec.lifecycle?.status === 'retired') continue;
    const { name } = document.metadata;
    const { basePath, operations, openapi } = document.spec;
    for (const operation of operations ?? []) keys.push(`${name}.${operation.id} ${operation.method} ${basePath}${operation.path}`);
    if (openapi) {
      const spec = parse(readFileSync(path.join(APIS_DIR, openapi.file), 'utf8')) as OpenApiDocument;
      for (const [template, item] of Object.entries(spec.paths)) {
        for (const [method, operation] of Object.entries(item)) {
          if (method !== 'parameters') keys.push(`${name}.${(operation as { operationId: string }).operationId} ${method.toUpperCase()} ${basePath}${template}`);
        }
      }
    }
  }
  return keys.sort();
}

interface ApiManifest {
  kind: string;
  metadata: { name: string };
  spec: {
    basePath: string;
    upstream: { url: string };
    lifecycle?: { status?: string };
    operations?: { id: string; method: string; path: string }[];
    openapi?: { file: string };
  };
}

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

describe('every operation of every example API', () => {
  const upstreams = useUpstreams();

  it('has a case here, taken from the manifests', () => {
    const cases = OPERATIONS.map(({ api, operation, method, template }) => `${api}.${operation} ${method} ${template}`).sort();
    expect(cases).toEqual(manifestOperations());
    for (const { template, target } of OPERATIONS) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}(\\?.*)?$`);
      expect(target, `target of ${template}`).toMatch(pattern);
    }
  });

  it.each(OPERATIONS)('$api $operation: $method $target', async ({ api, method, target, body, status, expected }) => {
    const answer = await call(upstreams(), api, method, target, { body });
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('x-demo-upstream')).toBe(api);
    expect(answer.body).toMatchObject(expected);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the data', () => {
  const upstreams = useUpstreams();

  it('has the ids the examples, docs and README use', async () => {
    for (const target of ['/crm/customers/C-1001', '/crm/customers/C-2002', '/crm/tickets/T-77']) {
      expect((await call(upstreams(), 'crm', 'GET', target)).status, target).toBe(200);
    }
    expect((await call(upstreams(), 'hr', 'GET', '/hr/employees/E-7')).status).toBe(200);
  });

  it('is the same on every start and every call of createSeedData', async () => {
    expect(createSeedData()).toEqual(createSeedData());
    const second = await startDemoUpstreams({ ports: FREE_PORTS });
    try {
      const reads: [DemoApi, string][] = [
        ['crm', '/crm/customers?q=example&limit=100'],
        ['hr', '/hr/payroll?month=2026-06'],
        ['finance', '/finance/transactions?from=2026-01-01'],
        ['payments', '/payments/refunds/R-903'],
        ['it-ops', '/itops/compute/instances'],
        ['legacy-warehouse', '/warehouse/export'],
      ];
      for (const [api, target] of reads) {
        const [a, b] = [await call(upstreams(), api, 'GET', target), await call(second, api, 'GET', target)];
        expect(a.status, target).toBe(200);
        expect(b.body, target).toEqual(a.body);
      }
    } finally {
      await second.close();
    }
  });

  it('answers an undocumented warehouse read, the shadow endpoint the discovery demo finds', async () => {
    const answer = await call(upstreams(), 'legacy-warehouse', 'GET', '/warehouse/tables/refunds');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ table: 'refunds', count: createSeedData().refunds.length });
    expect((await call(upstreams(), 'legacy-warehouse', 'GET', '/warehouse/tables/constructor')).status).toBe(404);
  });

  it('dumps every warehouse table, with PII on the order rows', async () => {
    const exported = (await call(upstreams(), 'legacy-warehouse', 'GET', '/warehouse/export')).body as { tables: Record<string, unknown[]> };
    expect(Object.fromEntries(Object.entries(exported.tables).map(([table, rows]) => [table, rows.length]))).toEqual({ customers: 23, orders: 80, refunds: 6, transactions: 348 });
    const { orders } = (await call(upstreams(), 'legacy-warehouse', 'GET', '/warehouse/orders?since=2026-11-18&limit=2')).body as { orders: Record<string, unknown>[] };
    expect(orders).toHaveLength(2);
    expect(orders[0]).toMatchObject({ customerEmail: expect.stringContaining('@'), customerName: expect.any(String) });
  });

  it('keeps payroll and ledger consistent: the October salary run equals the HR payroll', async () => {
    const { transactions } = (await call(upstreams(), 'finance', 'GET', '/finance/transactions?from=2026-10-25&to=2026-10-25&account=payroll')).body as { transactions: { amount: number }[] };
    expect(transactions.map(({ amount }) => amount)).toEqual([-204_533.33]);
  });
});

describe('query parameters', () => {
  const upstreams = useUpstreams();

  it('filter and limit lists', async () => {
    expect((await call(upstreams(), 'crm', 'GET', '/crm/customers?q=example&limit=3')).body).toMatchObject({ total: 23, customers: [{}, {}, {}] });
    const ranged = (await call(upstreams(), 'finance', 'GET', '/finance/transactions?from=2026-02-01&to=2026-02-28&account=rent')).body as { transactions: { date: string; account: string }[] };
    expect(ranged.transactions).toEqual([expect.objectContaining({ date: '2026-02-01', account: 'rent' })]);
    const since = (await call(upstreams(), 'legacy-warehouse', 'GET', '/warehouse/orders?since=2026-11-10')).body as { orders: { orderDate: string }[] };
    expect(since.orders.length).toBeGreaterThan(0);
    expect(since.orders.every(({ orderDate }) => orderDate >= '2026-11-10')).toBe(true);
    expect((await call(upstreams(), 'it-ops', 'GET', '/itops/compute/instances?state=stopped')).body).toMatchObject({ count: 1, instances: [{ name: 'batch-1' }] });
  });

  it.each([
    ['crm', '/crm/customers', 'q'],
    ['crm', '/crm/customers?q=a&limit=0', 'limit'],
    ['hr', '/hr/payroll', 'month'],
    ['hr', '/hr/payroll?month=2026-13', 'month'],
    ['finance', '/finance/transactions', 'from'],
    ['finance', '/finance/transactions?from=2026-02-30', 'from'],
    ['finance', '/finance/transactions?from=2026-03-01&to=2026-02-01', 'before'],
    ['legacy-warehouse', '/warehouse/orders', 'since'],
  ] as const)('%s GET %s is a 400 naming "%s"', async (api, target, named) => {
    const answer = await call(upstreams(), api, 'GET', target);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status: 400, title: 'Bad Request', detail: expect.stringContaining(named) });
  });
});

describe('writes', () => {
  const upstreams = useUpstreams();

  it('are visible to later reads', async () => {
    const u = upstreams();
    await call(u, 'crm', 'PATCH', '/crm/customers/C-1002', { body: { phone: '+44 20 7946 0999' } });
    expect((await call(u, 'crm', 'GET', '/crm/customers/C-1002')).body).toMatchObject({ phone: '+44 20 7946 0999' });
    await call(u, 'crm', 'POST', '/crm/tickets/T-77/notes', { body: { text: 'called back' } });
    expect((await call(u, 'crm', 'GET', '/crm/tickets/T-77')).body).toMatchObject({ notes: [{}, {}, { text: 'called back' }] });
    await call(u, 'crm', 'DELETE', '/crm/customers/C-1020');
    expect((await call(u, 'crm', 'GET', '/crm/customers/C-1020')).status).toBe(404);
    await call(u, 'hr', 'POST', '/hr/employees', { body: { name: 'Lena Vogel', startDate: '2026-12-07', department: 'sales' } });
    expect((await call(u, 'hr', 'GET', '/hr/onboarding/E-31/checklist')).body).toMatchObject({ done: 0, total: 6 });
    const refund = (await call(u, 'payments', 'POST', '/payments/refunds', { body: { orderId: 'O-5061', amount: '49.90', currency: 'EUR' } })).body as { id: string };
    expect((await call(u, 'payments', 'GET', `/payments/refunds/${refund.id}`)).body).toMatchObject({ amount: 49.9 });
    await call(u, 'finance', 'POST', '/finance/reports', { body: { kind: 'monthly', from: '2026-10-01', to: '2026-10-31' } });
    expect((await call(u, 'finance', 'GET', '/finance/reports/RPT-1002')).body).toMatchObject({ kind: 'monthly', transactions: 39 });
    await call(u, 'it-ops', 'DELETE', '/itops/compute/instances/i-0d53b68c');
    expect((await call(u, 'it-ops', 'GET', '/itops/compute/instances')).body).toMatchObject({ count: 11 });
  });

  it('refuse what the upstream itself would refuse', async () => {
    const u = upstreams();
    const refusals: [DemoApi, string, string, unknown, number, string][] = [
      ['crm', 'PATCH', '/crm/customers/C-1001', { name: 'Mallory' }, 400, 'only "email" and "phone"'],
      ['crm', 'POST', '/crm/tickets/T-77/notes', {}, 400, '"text"'],
      ['hr', 'POST', '/hr/employees', { name: 'X', startDate: '2026-12-01', department: 'legal' }, 400, 'unknown department'],
      ['hr', 'POST', '/hr/employees/E-29/equipment', { item: 'yacht' }, 400, 'unknown item'],
      ['finance', 'POST', '/finance/reports', { kind: 'quarterly', from: '2026-01-01' }, 400, '"to"'],
      ['finance', 'POST', '/finance/invoices/INV-103/approve', undefined, 409, 'already approved'],
      ['payments', 'POST', '/payments/refunds', { orderId: 'O-5061', amount: 1465.01, currency: 'EUR' }, 422, 'at most 1465.00 EUR'],
      ['payments', 'POST', '/payments/refunds', { orderId: 'O-5061', amount: 10, currency: 'USD' }, 422, 'paid in EUR'],
      ['payments', 'POST', '/payments/refunds', { orderId: 'O-9999', amount: 10, currency: 'EUR' }, 422, 'no order O-9999'],
      ['payments', 'POST', '/payments/refunds', { orderId: 'O-5061', amount: '1e1', currency: 'EUR' }, 400, 'positive amount'],
      ['it-ops', 'POST', '/itops/compute/instances', { size: 'huge', region: 'eu-west-1' }, 400, 'unknown size'],
    ];
    for (const [api, method, target, body, status, detail] of refusals) {
      const answer = await call(u, api, method, target, { body });
      expect(answer.status, `${method} ${target}`).toBe(status);
      expect(answer.body, `${method} ${target}`).toMatchObject({ status, detail: expect.stringContaining(detail) });
    }
  });
});

describe('unknown ids and routes', () => {
  const upstreams = useUpstreams();

  it.each([
    ['crm', 'GET', '/crm/customers/C-9999', 'C-9999'],
    ['crm', 'GET', '/crm/customers/C-9999/orders', 'C-9999'],
    ['crm', 'GET', '/crm/tickets/T-1', 'T-1'],
    ['crm', 'POST', '/crm/tickets/T-1/notes', 'T-1'],
    ['hr', 'GET', '/hr/employees/E-99', 'E-99'],
    ['hr', 'GET', '/hr/onboarding/E-99/checklist', 'E-99'],
    ['hr', 'POST', '/hr/onboarding/E-29/tasks/skydiving/complete', 'skydiving'],
    ['finance', 'GET', '/finance/transactions/TX-1', 'TX-1'],
    ['finance', 'GET', '/finance/reports/RPT-9', 'RPT-9'],
    ['finance', 'POST', '/finance/invoices/INV-999/approve', 'INV-999'],
    ['payments', 'GET', '/payments/refunds/R-1', 'R-1'],
    ['it-ops', 'POST', '/itops/compute/instances/i-0nope/restart', 'i-0nope'],
    ['it-ops', 'DELETE', '/itops/compute/instances/i-0nope', 'i-0nope'],
    ['crm', 'GET', '/crm/leads', '/crm/leads'],
    ['crm', 'GET', '/customers/C-1001', '/customers/C-1001'],
  ] as const)('%s %s %s is a 404 naming it', async (api, method, target, named) => {
    const answer = await call(upstreams(), api, method, target, { body: method === 'POST' ? { text: 'x' } : undefined });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.headers.get('x-demo-upstream')).toBe(api);
    expect(answer.body).toMatchObject({ status: 404, title: 'Not Found', detail: expect.stringContaining(named) });
  });

  it('answers 405 with Allow for a known path and an unknown method', async () => {
    const answer = await call(upstreams(), 'crm', 'PUT', '/crm/customers/C-1001', { body: {} });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, PATCH, DELETE');
  });
});

describe('request bodies', () => {
  const upstreams = useUpstreams();

  it('must be JSON objects', async () => {
    expect((await call(upstreams(), 'crm', 'POST', '/crm/tickets/T-77/notes', { body: '{"text":' })).body).toMatchObject({ status: 400, detail: 'the request body is not valid JSON' });
    expect((await call(upstreams(), 'crm', 'POST', '/crm/tickets/T-77/notes', { body: '["text"]' })).body).toMatchObject({ status: 400, detail: 'the request body must be a JSON object' });
  });

  it('are limited to 1 MiB, refused with 413 as soon as the declared length is too large', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${upstreams().urls.crm}/crm/tickets/T-77/notes`);
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write('{"text":"');
    });
    expect(status).toBe(413);
  });

  it('just under 1 MiB are accepted', async () => {
    const text = 'x'.repeat(1024 * 1024 - 100);
    const answer = await call(upstreams(), 'crm', 'POST', '/crm/tickets/T-77/notes', { body: { text } });
    // Read and parsed: the 10,000-character note limit answers, not the body limit.
    expect(answer.body).toMatchObject({ status: 400, detail: expect.stringContaining('10,000') });
  });
});

describe('upstream credentials', () => {
  const upstreams = useUpstreams({
    credentials: {
      crm: { header: 'Authorization', value: 'Bearer crm-demo-token' },
      hr: { header: 'x-api-key', value: 'hr-demo-key' },
    },
  });

  it.each([
    ['none', {}],
    ['a wrong value', { authorization: 'Bearer guessed' }],
    ['the right value in another header', { 'x-api-key': 'Bearer crm-demo-token' }],
    ['the value with a different scheme', { authorization: 'bearer crm-demo-token' }],
  ])('refuses %s with 401', async (_, headers: Record<string, string>) => {
    const answer = await call(upstreams(), 'crm', 'GET', '/crm/customers/C-1001', { headers });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'missing or wrong upstream credential' });
    expect(answer.headers.get('x-demo-upstream')).toBe('crm');
  });

  it('serves requests that carry exactly the configured header', async () => {
    expect((await call(upstreams(), 'crm', 'GET', '/crm/customers/C-1001', { headers: { authorization: 'Bearer crm-demo-token' } })).status).toBe(200);
    expect((await call(upstreams(), 'hr', 'GET', '/hr/employees/E-7', { headers: { 'X-Api-Key': 'hr-demo-key' } })).status).toBe(200);
    expect((await call(upstreams(), 'hr', 'GET', '/hr/employees/E-7', { headers: { 'x-api-key': 'HR-DEMO-KEY' } })).status).toBe(401);
  });

  it('checks the credential before anything else, even for unknown routes', async () => {
    expect((await call(upstreams(), 'hr', 'GET', '/hr/nothing')).status).toBe(401);
  });

  it('leaves APIs without a configured credential open', async () => {
    expect((await call(upstreams(), 'finance', 'GET', '/finance/transactions/TX-10001')).status).toBe(200);
  });
});

describe('starting and stopping', () => {
  it('defaults to the ports of the manifests', () => {
    const manifestPorts = readdirSync(APIS_DIR)
      .filter((name) => name.endsWith('.yaml'))
      .map((file) => parse(readFileSync(path.join(APIS_DIR, file), 'utf8')) as Partial<ApiManifest>)
      .filter((document): document is ApiManifest => document.kind === 'Api' && document.spec?.lifecycle?.status !== 'retired')
      .map((document) => [document.metadata.name, Number(new URL(document.spec.upstream.url).port)]);
    expect(Object.fromEntries(manifestPorts)).toEqual(DEMO_UPSTREAM_PORTS);
  });

  it('explains a port conflict: which port, which API, what to do', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(startDemoUpstreams({ ports: { ...FREE_PORTS, payments: port } })).rejects.toThrow(
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use, so the demo payments upstream cannot start: stop the other process .* or pass other ports`),
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('closes every server and its keep-alive connections', async () => {
    const upstreams = await startDemoUpstreams({ ports: FREE_PORTS });
    expect(Object.keys(upstreams.urls).sort()).toEqual(['crm', 'finance', 'hr', 'it-ops', 'legacy-warehouse', 'payments']);
    expect((await call(upstreams, 'crm', 'GET', '/crm/tickets/T-77')).status).toBe(200);
    await upstreams.close();
    await expect(fetch(`${upstreams.urls.crm}/crm/tickets/T-77`)).rejects.toThrow();
  });
});
