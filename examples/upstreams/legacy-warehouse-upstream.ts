import { DATA_AS_OF, type SeedData } from './seed-data.js';
import { createRouter, dateParam, limitParam, ok, type RequestHandler } from './upstream-http.js';

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
