import type { Customer, SeedData, Ticket } from './seed-data.js';
import { created, createRouter, fail, limitParam, now, ok, optionalString, requiredString, type RequestHandler } from './upstream-http.js';

/** The CRM of examples/apis/crm.openapi.yaml under /crm: customers, their orders, support tickets. */
export function createCrmUpstream(seed: SeedData): RequestHandler {
  const customers = new Map(seed.customers.map((customer) => [customer.id, customer]));
  const tickets = new Map(seed.tickets.map((ticket) => [ticket.id, ticket]));
  let noteCount = seed.tickets.reduce((sum, { notes }) => sum + notes.length, 0);

  const customer = (id: string): Customer => customers.get(id) ?? fail(404, `no customer ${id}`);
  const ticket = (id: string): Ticket => tickets.get(id) ?? fail(404, `no ticket ${id}`);

  return createRouter([
    {
      method: 'GET',
      path: '/crm/customers',
      handle: ({ query }) => {
        const q = query.get('q')?.trim().toLowerCase();
        if (!q) fail(400, 'query parameter "q" is required (part of a name or e-mail address)');
        const limit = limitParam(query, 20, 100);
        const matches = [...customers.values()].filter(({ name, email }) => name.toLowerCase().includes(q) || email.toLowerCase().includes(q));
        return ok({ total: matches.length, customers: matches.slice(0, limit) });
      },
    },
    {
      method: 'GET',
      path: '/crm/customers/{customerId}',
      handle: ({ param }) => ok(customer(param('customerId'))),
    },
    {
      method: 'PATCH',
      path: '/crm/customers/{customerId}',
      handle: ({ param, body }) => {
        const current = customer(param('customerId'));
        const unknown = Object.keys(body ?? {}).filter((key) => key !== 'email' && key !== 'phone');
        if (unknown.length > 0) fail(400, `only "email" and "phone" can be changed, not ${unknown.map((key) => `"${key}"`).join(', ')}`);
        const email = optionalString(body, 'email');
        const phone = optionalString(body, 'phone');
        if (email === undefined && phone === undefined) fail(400, 'send "email", "phone" or both');
        if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) fail(400, `"${email}" is not an e-mail address`);
        if (phone !== undefined && !/^\+?[\d ()-]{6,20}$/.test(phone)) fail(400, `"${phone}" is not a phone number`);
        const updated: Customer = { ...current, email: email ?? current.email, phone: phone ?? current.phone };
        customers.set(updated.id, updated);
        return ok(updated);
      },
    },
    {
      method: 'DELETE',
      path: '/crm/customers/{customerId}',
      handle: ({ param }) => {
        const { id } = customer(param('customerId'));
        customers.delete(id);
        return ok({ id, deleted: true, deletedAt: now() });
      },
    },
    {
      method: 'GET',
      path: '/crm/customers/{customerId}/orders',
      handle: ({ param, query }) => {
        const { id } = customer(param('customerId'));
        const status = query.get('status');
        const orders = seed.orders.filter((order) => order.customerId === id && (status === null || order.status === status));
        return ok({ customerId: id, orders });
      },
    },
    {
      method: 'GET',
      path: '/crm/tickets/{ticketId}',
      handle: ({ param }) => ok(ticket(param('ticketId'))),
    },
    {
      method: 'POST',
      path: '/crm/tickets/{ticketId}/notes',
      handle: ({ param, body }) => {
        const current = ticket(param('ticketId'));
        const text = requiredString(body, 'text');
        if (text.length > 10_000) fail(400, 'a note holds at most 10,000 characters');
        const note = { id: `N-${++noteCount}`, author: 'agent', text, createdAt: now() };
        tickets.set(current.id, { ...current, notes: [...current.notes, note] });
        return created({ ticketId: current.id, ...note });
      },
    },
  ]);
}
