import { roundMoney, type Refund, type SeedData } from './seed-data.js';
import { created, createRouter, fail, now, ok, optionalString, requiredAmount, requiredString, type RequestHandler } from './upstream-http.js';

const CURRENCIES = ['EUR', 'USD', 'GBP'];

/** Payments of examples/apis/payments.yaml under /payments: refunds against orders, payouts. */
export function createPaymentsUpstream(seed: SeedData): RequestHandler {
  const orders = new Map(seed.orders.map((order) => [order.id, order]));
  const refunds = new Map(seed.refunds.map((refund) => [refund.id, refund]));
  let payoutCount = 0;

  return createRouter([
    {
      method: 'POST',
      path: '/payments/refunds',
      handle: ({ body }) => {
        const orderId = requiredString(body, 'orderId');
        const amount = requiredAmount(body, 'amount');
        const currency = requiredString(body, 'currency');
        // 422: the request is well-formed but the order does not allow it.
        const order = orders.get(orderId) ?? fail(422, `no order ${orderId}`);
        if (currency !== order.currency) fail(422, `order ${orderId} was paid in ${order.currency}, not ${currency}`);
        if (order.status === 'cancelled') fail(422, `order ${orderId} was cancelled and never charged`);
        // Failed refunds paid nothing back, so they do not reduce what is left to refund.
        const refunded = [...refunds.values()].filter((refund) => refund.orderId === orderId && refund.status !== 'failed').reduce((sum, refund) => sum + refund.amount, 0);
        const refundable = roundMoney(order.total - refunded);
        if (amount > refundable) fail(422, `at most ${refundable.toFixed(2)} ${order.currency} of order ${orderId} can still be refunded`);
        const refund: Refund = { id: `R-${901 + refunds.size}`, orderId, amount, currency: order.currency, status: 'pending', createdAt: now() };
        refunds.set(refund.id, refund);
        return created(refund);
      },
    },
    {
      method: 'GET',
      path: '/payments/refunds/{refundId}',
      handle: ({ param }) => ok(refunds.get(param('refundId')) ?? fail(404, `no refund ${param('refundId')}`)),
    },
    {
      method: 'POST',
      path: '/payments/payouts',
      handle: ({ body }) => {
        const amount = requiredAmount(body, 'amount');
        const account = requiredString(body, 'account');
        const currency = optionalString(body, 'currency') ?? 'EUR';
        if (!CURRENCIES.includes(currency)) fail(400, `unsupported currency "${currency}"; supported: ${CURRENCIES.join(', ')}`);
        return created({ id: `PO-${++payoutCount}`, amount, currency, account, status: 'scheduled', createdAt: now() });
      },
    },
  ]);
}
