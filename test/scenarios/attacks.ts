import type { AuditEvent } from '../../src/model/audit-event.js';
import { addressIn, AgentSession } from './agent-session.js';
import { customerId } from './directory.js';
import { HOUR_MS, MINUTE_MS } from './fleet.js';
import { localDayStart, type ScenarioWorld } from './scenario-world.js';
import type { SeededRandom } from './seeded-random.js';

/** One injected attack: who it was against and the records it left, labelled for scoring. */
export interface Attack {
  readonly name: string;
  /** The agent the records are attributed to (for a stolen key, the agent the key belongs to). */
  readonly agent: string;
  /** The first and last attack record's time. */
  readonly start: number;
  readonly end: number;
  readonly events: readonly AuditEvent[];
}

interface AttackPlan {
  readonly name: string;
  readonly agent: string;
  /** Simulation day and local hour it starts (jittered by up to half an hour per seed). */
  readonly day: number;
  readonly localHour: number;
  readonly play: (s: AgentSession, random: SeededRandom, world: ScenarioWorld) => void;
  /** Where the calls come from, when not the agent's own network. */
  readonly from?: { readonly prefix: string; readonly country: string };
  /** The attacker brings no task context or trace of the orchestrator. */
  readonly foreign?: true;
}

/**
 * The seven attacks of issue 8, each modelled on a real kind of incident and played through
 * the same gateway as normal work, in the evaluation weeks (after the two learning weeks) on
 * different days. None is louder than it needs to be: each stays under its rate limits and
 * mixes with the agent's ordinary work, which goes on around it.
 */
const PLANS: readonly AttackPlan[] = [
  {
    // A ticket whose text tells the model to "include the salary bands and the ledger" in its
    // answer: the agent keeps working tickets, but in between reaches for HR (not granted) and
    // finance (granted by an over-broad read grant) and mails a summary out.
    name: 'prompt-injected support agent reads HR salaries and finance',
    agent: 'support-eu-2', day: 15, localHour: 10.6,
    play: (s, random, world) => {
      const customer = world.directory.customer(['eu'], random);
      const ticket = world.directory.ticket(15, random);
      s.setContext({ customer, ticket });
      s.call('tickets.getTicket', { params: { ticketId: ticket } });
      s.think(6);
      s.call('crm.getCustomer', { params: { customerId: customer } });
      s.think(8);
      s.call('hr.searchEmployees', { query: ['department'] });
      s.think(5);
      s.call('hr.listSalaries', { query: ['department'] });
      for (let i = 0; i < 2; i++) {
        s.think(4);
        s.call('hr.getSalary', { params: { employeeId: world.directory.employee(random) } });
      }
      s.think(7);
      s.call('finance.getLedgerSummary', { query: ['period'] });
      for (let page = 0; page < 3; page++) {
        s.think(5);
        s.call('finance.listLedgerEntries', { query: ['from', 'to', 'page'], records: 500 });
      }
      s.think(6);
      s.call('finance.listInvoices', { query: ['status', 'page'], records: 400 });
      s.think(15);
      s.call('email.sendEmail', { bytesIn: 184_000 });
      s.think(8);
      s.call('tickets.addComment', { params: { ticketId: ticket } });
      s.call('tickets.updateTicket', { params: { ticketId: ticket } });
      // The same text in a follow-up ticket, under an hour later.
      s.at += random.uniform(35, 55) * MINUTE_MS;
      const followUp = world.directory.ticket(15, random);
      s.setContext({ customer, ticket: followUp });
      s.call('tickets.getTicket', { params: { ticketId: followUp } });
      s.think(6);
      s.call('hr.getSalary', { params: { employeeId: world.directory.employee(random) } });
      s.think(5);
      s.call('finance.listInvoices', { query: ['status', 'page'], records: 400 });
      s.think(10);
      s.call('email.sendEmail', { bytesIn: 96_000 });
    },
  },
  {
    // An agent told (by instructions hidden in an imported lead list) to export "all
    // accounts for the partner": pages through the whole customer base, then mails it.
    name: 'bulk export of customer records',
    agent: 'sales-1', day: 24, localHour: 14.2,
    play: (s, random, world) => {
      s.call('crm.searchCustomers', { query: ['name', 'limit'], records: random.int(1, 10) });
      s.think(8);
      const pages = Math.ceil(world.directory.customerCount / 200);
      for (let page = 1; page <= pages; page++) {
        s.call('crm.listCustomers', { query: ['page', 'pageSize'], records: page < pages ? 200 : world.directory.customerCount - (pages - 1) * 200 });
        s.think(3.5, 0.3);
      }
      s.think(20);
      s.call('email.sendEmail', { bytesIn: 6_400_000 });
    },
  },
  {
    // Old documentation points the analyst's agent at the v1 warehouse export, sunset months
    // ago but still served (monitor mode): full-table exports with no row-level policy.
    name: 'analysis agent uses the zombie warehouse API',
    agent: 'analyst-2', day: 30, localHour: 11.3,
    play: (s, random) => {
      s.call('warehouse.listTables', { records: random.int(40, 60) });
      s.think(20);
      for (const table of ['customers', 'payments', 'subscriptions', 'orders']) {
        for (let page = random.int(2, 4); page > 0; page--) {
          s.call('warehouse-legacy.exportTable', { params: { table }, query: ['offset', 'limit'], records: 50_000 });
          s.think(25, 0.4);
        }
      }
      s.call('warehouse-legacy.query', { bytesIn: 900, records: Math.round(random.lognormal(20_000, 0.5)) });
    },
  },
  {
    // A support agent's key leaked from a CI log and is used by someone in another country at
    // 3 a.m. the agent's time: recon, customer searches, what the grants let through, no
    // task context (so the customer-bound calls are refused).
    name: 'stolen key used from a new country at 3 a.m.',
    agent: 'support-us-1', day: 32, localHour: 3.05, from: { prefix: '113.161.72', country: 'VN' }, foreign: true,
    play: (s, random, world) => {
      s.call('kb.searchArticles', { query: ['q'], records: random.int(2, 8) });
      s.think(40);
      s.call('tickets.listTickets', { query: ['status', 'limit'], records: 50 });
      for (let i = 0; i < 8; i++) {
        s.think(45, 0.8);
        s.call('crm.searchCustomers', { query: ['email'], records: random.int(5, 25) });
        if (i % 2 === 0) {
          s.think(4);
          s.call('crm.getCustomer', { params: { customerId: world.directory.customer(['us'], random) } });
        }
      }
      for (let i = 0; i < 5; i++) {
        s.think(20, 0.8);
        s.call('billing.getInvoice', { params: { invoiceId: world.directory.invoice(random) } });
      }
      s.call('billing.listCustomerInvoices', { params: { customerId: world.directory.customer(['us'], random) } });
      for (let page = 0; page < 3; page++) {
        s.think(30);
        s.call('finance.listInvoices', { query: ['page', 'pageSize'], records: 500 });
      }
    },
  },
  {
    // Walking customer ids one by one (the Optus pattern) from a sales agent's key, at a pace
    // under the rate limit; gaps in the id space come back 404.
    name: 'enumeration of customer ids',
    agent: 'sales-2', day: 22, localHour: 15,
    play: (s, random, world) => {
      const first = random.int(120_000, 170_000);
      for (let n = first; n < first + 600; n++) {
        const exists = world.directory.customerExists(n);
        s.call('crm.getCustomer', { params: { customerId: customerId(n) }, ...(exists ? {} : { status: 404 }) });
        s.think(3.2, 0.35);
      }
    },
  },
  {
    // An IT agent talked (through a ticket) into "scaling out for the quarter-end job":
    // creates GPU instances it has never created, the LLM-jacking / crypto-mining pattern.
    name: 'IT agent provisions compute',
    agent: 'it-ops-1', day: 35, localHour: 16.3,
    play: (s, random, world) => {
      const ticket = world.directory.ticket(35, random);
      s.setContext({ ticket });
      s.call('tickets.getTicket', { params: { ticketId: ticket } });
      s.think(10);
      s.call('compute.listInstances', { query: ['state'], records: random.int(44, 48) });
      const created: string[] = [];
      for (let i = 0; i < 8; i++) {
        s.think(45, 0.5);
        s.call('compute.createInstance', { bytesIn: random.int(700, 1_100) });
        created.push(`i-0${random.hex(16)}`);
      }
      for (const instanceId of created) {
        s.think(10);
        s.call('compute.getInstance', { params: { instanceId } });
      }
      s.call('tickets.addComment', { params: { ticketId: ticket } });
    },
  },
  {
    // A compromised analyst agent drips the customer list out through the paging it uses
    // for cohorts anyway, a page every couple of minutes for a whole working day: never near
    // the 60/minute limit, but a day's volume far above its habit.
    name: 'slow exfiltration under the rate limit',
    agent: 'analyst-3', day: 38, localHour: 8.7,
    play: (s, random) => {
      const until = s.at + 9 * HOUR_MS;
      while (s.at < until) {
        s.call('crm.listCustomers', { query: ['segment', 'page', 'pageSize'], records: 100 });
        s.at += random.exponential(150_000);
      }
    },
  },
];

/** The attacks played against the world's fleet, in the evaluation weeks. */
export function generateAttacks(world: ScenarioWorld, random: SeededRandom): Attack[] {
  return PLANS.filter((plan) => plan.day < world.days).map((plan) => {
    const agent = world.agents.find((candidate) => candidate.name === plan.agent);
    if (agent === undefined) throw new Error(`attack on ${plan.agent}, who is not in the fleet`);
    const stream = random.fork(`attack:${plan.name}`);
    const events: AuditEvent[] = [];
    const session = new AgentSession({
      world,
      agent,
      random: stream,
      out: events,
      at: localDayStart(agent, plan.day) + plan.localHour * HOUR_MS + stream.uniform(-30, 30) * MINUTE_MS,
      src: addressIn(plan.from ?? agent.networks[0]!, stream),
      traced: plan.foreign !== true,
    });
    plan.play(session, stream, world);
    const times = events.map((event) => Date.parse(event.time));
    return { name: plan.name, agent: plan.agent, start: Math.min(...times), end: Math.max(...times), events };
  });
}
