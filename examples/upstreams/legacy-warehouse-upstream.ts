import { DATA_AS_OF, type SeedData } from './seed-data.js';
import { createRouter, dateParam, fail, limitParam, ok, type RequestHandler } from './upstream-http.js';

/**
 * The deprecated data warehouse of examples/apis/legacy-warehouse.yaml under /warehouse. Like many
 * old warehouses it stores orders denormalised, with the customer's name and e-mail on every row,
 * and can dump everything at once: exactly the reads a gateway should narrow.
 */
export function createLegacyWarehouseUpstream(seed: SeedData): RequestHandler {
  const customers = new Map(seed.customers.map((customer) => [customer.id, customer]));
  const rows = seed.orders.map((order) => {
    const customer = customers.get(order.customerId);
    return {
      orderId: order.id,
      orderDate: order.date,
      status: order.status,
      total: order.total,
      currency: order.currency,
      customerId: order.customerId,
      customerName: customer?.name ?? null,
      customerEmail: customer?.email ?? null,
      customerCountry: customer?.country ?? null,
    };
  });

  return createRouter([
    {
      method: 'GET',
      path: '/warehouse/orders',
      handle: ({ query }) => {
        const since = dateParam(query.get('since'), 'since', true);
        const limit = limitParam(query, 500, 1000);
        const matches = rows.filter(({ orderDate }) => orderDate >= since);
        return ok({ since, count: matches.length, orders: matches.slice(0, limit) });
      },
    },
    // Not in the manifest: an old read nobody documented, which the discovery demo finds as a shadow endpoint.
    {
      method: 'GET',
      path: '/warehouse/tables/{table}',
      handle: ({ param }) => {
        const tables: Record<string, readonly unknown[]> = { customers: seed.customers, orders: seed.orders, refunds: seed.refunds, transactions: seed.transactions };
        const name = param('table');
        const table = Object.hasOwn(tables, name) ? tables[name] : undefined;
        if (table === undefined) fail(404, `no table ${name}; the tables are ${Object.keys(tables).join(', ')}`);
        return ok({ table: name, count: table.length, rows: table.slice(0, 5) });
      },
    },
    {
      method: 'GET',
      path: '/warehouse/export',
      handle: () =>
        ok({
          asOf: DATA_AS_OF,
          tables: { customers: seed.customers, orders: seed.orders, refunds: seed.refunds, transactions: seed.transactions },
        }),
    },
  ]);
}
