import { DEPARTMENTS, monthlyGross, roundMoney, type Invoice, type LedgerTransaction, type SeedData } from './seed-data.js';
import { created, createRouter, dateParam, fail, limitParam, now, ok, requiredString, type RequestHandler } from './upstream-http.js';

const REPORT_KINDS = ['monthly', 'quarterly', 'variance', 'annual'];

interface Report {
  readonly id: string;
  readonly kind: string;
  readonly from: string;
  readonly to: string;
  readonly status: 'ready';
  readonly createdAt: string;
  readonly currency: 'EUR';
  readonly transactions: number;
  readonly income: number;
  readonly expenses: number;
  readonly net: number;
  readonly byAccount: Readonly<Record<string, number>>;
}

/** Finance of examples/apis/finance.yaml under /finance: ledger, reports, invoices, payroll totals. */
export function createFinanceUpstream(seed: SeedData): RequestHandler {
  const transactions = new Map(seed.transactions.map((transaction) => [transaction.id, transaction]));
  const invoices = new Map(seed.invoices.map((invoice) => [invoice.id, invoice]));
  // One report exists from the start, so getReport can be tried without creating one first.
  const first = buildReport(seed.transactions, 'RPT-1001', 'quarterly', '2026-01-01', '2026-03-31', '2026-04-02T08:00:00Z');
  const reports = new Map([[first.id, first]]);

  return createRouter([
    {
      method: 'GET',
      path: '/finance/transactions',
      handle: ({ query }) => {
        const { from, to } = dateRange(query.get('from'), query.get('to'));
        const account = query.get('account');
        const limit = limitParam(query, 1000, 1000);
        const matches = seed.transactions.filter(({ date, account: booked }) => date >= from && (to === undefined || date <= to) && (account === null || booked === account));
        return ok({ from, to: to ?? null, account, count: matches.length, total: sum(matches), transactions: matches.slice(0, limit) });
      },
    },
    {
      method: 'GET',
      path: '/finance/transactions/{transactionId}',
      handle: ({ param }) => ok(transactions.get(param('transactionId')) ?? fail(404, `no transaction ${param('transactionId')}`)),
    },
    {
      method: 'POST',
      path: '/finance/reports',
      handle: ({ body }) => {
        const kind = requiredString(body, 'kind');
        if (!REPORT_KINDS.includes(kind)) fail(400, `unknown report kind "${kind}"; known: ${REPORT_KINDS.join(', ')}`);
        const { from, to } = dateRange(body?.from, body?.to);
        if (to === undefined) fail(400, '"to" is required (a date, YYYY-MM-DD)');
        const report = buildReport(seed.transactions, `RPT-${1001 + reports.size}`, kind, from, to, now());
        reports.set(report.id, report);
        return created(report);
      },
    },
    {
      method: 'GET',
      path: '/finance/reports/{reportId}',
      handle: ({ param }) => ok(reports.get(param('reportId')) ?? fail(404, `no report ${param('reportId')}`)),
    },
    {
      method: 'POST',
      path: '/finance/invoices/{invoiceId}/approve',
      handle: ({ param }) => {
        const invoice = invoices.get(param('invoiceId')) ?? fail(404, `no invoice ${param('invoiceId')}`);
        if (invoice.status === 'approved') fail(409, `invoice ${invoice.id} was already approved at ${invoice.approvedAt ?? 'an earlier time'}`);
        const approved: Invoice = { ...invoice, status: 'approved', approvedAt: now() };
        invoices.set(approved.id, approved);
        return ok(approved);
      },
    },
    {
      method: 'GET',
      path: '/finance/payroll/summary',
      handle: () => {
        const departments = DEPARTMENTS.map((department) => {
          const staff = seed.employees.filter((employee) => employee.department === department && employee.salary !== null);
          const monthly = roundMoney(staff.reduce((total, employee) => total + monthlyGross(employee), 0));
          return { department, headcount: staff.length, monthlyGross: monthly };
        });
        return ok({ currency: 'EUR', departments, monthlyGross: roundMoney(departments.reduce((total, { monthlyGross: each }) => total + each, 0)) });
      },
    },
  ]);
}

/** Validates `from` (required) and `to` (optional, not before `from`) of a query or a body; null or undefined is absent. */
function dateRange(fromValue: unknown, toValue: unknown): { from: string; to: string | undefined } {
  const from = dateParam(fromValue, 'from', true);
  const to = dateParam(toValue, 'to', false);
  if (to !== undefined && to < from) fail(400, `"to" (${to}) is before "from" (${from})`);
  return { from, to };
}

function buildReport(ledger: readonly LedgerTransaction[], id: string, kind: string, from: string, to: string, createdAt: string): Report {
  const rows = ledger.filter(({ date }) => date >= from && date <= to);
  const byAccount: Record<string, number> = {};
  for (const { account, amount } of rows) byAccount[account] = roundMoney((byAccount[account] ?? 0) + amount);
  const income = sum(rows.filter(({ amount }) => amount > 0));
  const expenses = sum(rows.filter(({ amount }) => amount < 0));
  return { id, kind, from, to, status: 'ready', createdAt, currency: 'EUR', transactions: rows.length, income, expenses, net: roundMoney(income + expenses), byAccount };
}

function sum(rows: readonly LedgerTransaction[]): number {
  return roundMoney(rows.reduce((total, { amount }) => total + amount, 0));
}
