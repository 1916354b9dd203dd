import type { AuditEvent } from '../../src/model/audit-event.js';
import { addressIn, AgentSession } from './agent-session.js';
import { AGENTS, DAY_MS, HOUR_MS, MINUTE_MS, SCENARIO_START, type AgentProfile, type TaskKind } from './fleet.js';
import { localDayStart, rolesAt, ScenarioWorld, type GrantChange } from './scenario-world.js';
import { SeededRandom } from './seeded-random.js';

export interface FleetTrafficOptions {
  readonly seed: number;
  readonly weeks: number;
  /** The fleet; the scenario fleet by default (see `fleetOfSize` for a larger one). */
  readonly agents?: readonly AgentProfile[];
}

export interface FleetTraffic {
  readonly world: ScenarioWorld;
  /** Every record, time-ordered. */
  readonly events: AuditEvent[];
  readonly grantChanges: readonly GrantChange[];
}

/**
 * Weeks of ordinary work by the fleet, as the gateway would have recorded it: shifts in each
 * agent's time zone with a morning ramp and a lunch dip, quiet weekends with the odd session,
 * nightly jobs at fixed hours, month-end peaks in finance, a grant part-way through, and the
 * noise of real logs (outages and retries, 404s, rate-limited bursts, rare denied attempts).
 */
export function generateFleetTraffic(options: FleetTrafficOptions): FleetTraffic {
  const world = new ScenarioWorld({ seed: options.seed, weeks: options.weeks, agents: options.agents ?? AGENTS });
  const events: AuditEvent[] = [];
  for (const agent of world.agents) generateAgentTraffic(world, agent, new SeededRandom(options.seed).fork(`normal:${agent.name}`), events);
  return { world, events: timeOrdered(events.filter((event) => inSpan(world, event))), grantChanges: world.grantChanges };
}

/** Records sorted by time (ISO 8601 strings of one length sort as their instants do). */
export function timeOrdered(events: AuditEvent[]): AuditEvent[] {
  return events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

function inSpan(world: ScenarioWorld, event: AuditEvent): boolean {
  const at = Date.parse(event.time);
  return at >= world.start && at < world.end;
}

function generateAgentTraffic(world: ScenarioWorld, agent: AgentProfile, random: SeededRandom, out: AuditEvent[]): void {
  // One day either side, so night jobs and shifts that cross UTC midnight are whole.
  for (let day = -1; day <= world.days; day++) {
    const midnight = localDayStart(agent, day);
    const weekday = isoWeekday(day);
    // The network of the day: mostly the first, now and then the other (office vs VPN, a second NAT).
    const network = agent.networks.length > 1 && random.chance(0.3) ? agent.networks[1]! : agent.networks[0]!;
    const dayLoad = random.lognormal(1, 0.18) * (weekday === 1 ? 1.1 : weekday === 5 ? 0.85 : 1) * monthEndLoad(agent, day) * surgeLoad(world, agent, day);
    const habits = agent.work.filter((mix) => mix.untilDay === undefined || day <= mix.untilDay);
    const runTasks = (from: number, to: number, load: number) => {
      for (const at of arrivals(random, midnight, from, to, agent.tasksPerHour * load)) {
        const roles = rolesAt(agent, at);
        const work = habits.filter((mix) => mix.needsRole === undefined || roles.includes(mix.needsRole));
        const session = new AgentSession({ world, agent, random, out, at, src: addressIn(network, random) });
        runTask(random.weighted(work, (mix) => mix.weight).task, session, random, world, day);
      }
    };
    if (agent.shift.days.includes(weekday)) {
      const jitter = random.normal() * 0.2;
      if (agent.shiftOpening !== undefined) {
        const at = midnight + (agent.shift.start + jitter) * HOUR_MS + random.uniform(2, 10) * MINUTE_MS;
        runTask(agent.shiftOpening, new AgentSession({ world, agent, random, out, at, src: addressIn(network, random) }), random, world, day);
      }
      runTasks(agent.shift.start + jitter, agent.shift.end + jitter, dayLoad);
    }
    if (agent.extraShift?.day === weekday) runTasks(agent.extraShift.start, agent.extraShift.end, agent.extraShift.load * dayLoad);
    // Someone runs the agent on a weekend now and then: a short session around midday.
    if (weekday >= 6 && agent.extraShift?.day !== weekday && random.chance(agent.weekendChance)) {
      const from = random.uniform(10, 15);
      runTasks(from, from + random.uniform(0.5, 2), 0.5);
    }
    for (const job of agent.jobs ?? []) runJob(job.job, new AgentSession({ world, agent, random, out, at: midnight + job.atLocalHour * HOUR_MS + random.uniform(0, 90_000), src: addressIn(agent.networks[0]!, random) }), random, world, day);
  }
}

/** 1 = Monday … 7 = Sunday; day 0 is a Monday. */
function isoWeekday(day: number): number {
  return (((day % 7) + 7) % 7) + 1;
}

/** Finance works two to three times as hard on the last two and first two working days of a month. */
function monthEndLoad(agent: AgentProfile, day: number): number {
  return agent.roles.includes('finance-reporting') && isMonthEnd(day) ? 2.6 : 1;
}

/** The last two or the first two working days of a month. */
/** A product incident brings support nearly twice the tickets for a day. */
function surgeLoad(world: ScenarioWorld, agent: AgentProfile, day: number): number {
  return agent.roles.includes('support') && world.surgeDays.has(day) ? 1.8 : 1;
}

function isMonthEnd(day: number): boolean {
  if (isoWeekday(day) >= 6) return false;
  const monthOf = (other: number) => new Date(SCENARIO_START + other * DAY_MS).getUTCMonth();
  const month = monthOf(day);
  const workingDaysInMonth = (step: number) => {
    let count = 0;
    for (let other = day + step; monthOf(other) === month; other += step) if (isoWeekday(other) <= 5) count++;
    return count;
  };
  return workingDaysInMonth(1) < 2 || workingDaysInMonth(-1) < 2;
}

/**
 * Task arrival times in [from, to) local hours: a Poisson process whose rate follows the
 * working day (ramp-up in the first hour, a lunch dip at 12–13, tailing off in the last hour).
 */
function arrivals(random: SeededRandom, midnight: number, from: number, to: number, perHour: number): number[] {
  const times: number[] = [];
  const peak = perHour * 1.15;
  let hour = from;
  for (;;) {
    hour += random.exponential(1 / peak);
    if (hour >= to) return times;
    if (random.next() * peak < perHour * rhythm(hour, from, to)) times.push(midnight + hour * HOUR_MS);
  }
}

function rhythm(hour: number, from: number, to: number): number {
  let load = 1;
  if (hour - from < 1) load *= 0.45 + 0.55 * (hour - from);
  if (to - hour < 1) load *= 0.5 + 0.5 * (to - hour);
  // Short sessions (a Saturday morning, a weekend look-in) have no lunch break.
  if (hour >= 12 && hour < 13 && to - from > 5) load *= 0.55;
  if ((hour >= 10 && hour < 12) || (hour >= 14 && hour < 16)) load *= 1.15;
  return load;
}

function runTask(task: TaskKind, s: AgentSession, random: SeededRandom, world: ScenarioWorld, day: number): void {
  const directory = world.directory;
  switch (task) {
    case 'support-ticket': {
      const customer = directory.customer(s.agent.customerRegions, random);
      const ticket = directory.ticket(day, random);
      s.setContext({ customer, ticket });
      if (s.call('tickets.getTicket', { params: { ticketId: ticket } }) === undefined) return;
      s.think(6);
      if (s.call('crm.getCustomer', { params: { customerId: customer } }) === undefined) return;
      // The customer mentions a second account in the ticket; the grant is bound to the task's.
      if (random.chance(0.008)) {
        s.think(5);
        s.call('crm.getCustomer', { params: { customerId: directory.customer(s.agent.customerRegions, random) } });
      }
      if (random.chance(0.04)) {
        s.think(4);
        s.call('crm.searchCustomers', { query: ['email'], records: random.int(0, 4) });
      }
      if (random.chance(0.25)) {
        s.think(4);
        s.call('crm.listCustomerContacts', { params: { customerId: customer }, records: random.int(1, 6) });
      }
      if (random.chance(0.35)) {
        s.think(5);
        s.call('billing.listCustomerInvoices', { params: { customerId: customer }, query: ['limit'], records: random.int(1, 24) });
        if (random.chance(0.5)) {
          s.think(4);
          s.call('billing.getInvoice', { params: { invoiceId: directory.invoice(random) } });
        }
      }
      if (random.chance(0.25)) {
        s.think(4);
        s.call('billing.getSubscription', { params: { customerId: customer } });
      }
      for (let i = random.int(1, 3); i > 0; i--) {
        s.think(5);
        if (s.call('kb.searchArticles', { query: ['q', 'limit'], records: random.int(0, 10) }) === undefined) return;
      }
      if (random.chance(0.4)) {
        s.think(3);
        s.call('kb.getArticle', { params: { articleId: directory.article(random) } });
      }
      s.think(12);
      if (s.call('tickets.addComment', { params: { ticketId: ticket } }) === undefined) return;
      if (random.chance(0.3)) {
        if (random.chance(0.5)) s.call('email.listTemplates', { records: random.int(8, 14) });
        s.think(6);
        s.call('email.sendEmail', { bytesIn: random.int(1_200, 6_000) });
      }
      // A duplicate ticket the agent tries to delete: support may not, and the model rarely tries.
      if (random.chance(0.002)) s.call('tickets.deleteTicket', { params: { ticketId: directory.ticket(day, random) } });
      if (random.chance(0.8)) {
        s.think(3);
        s.call('tickets.updateTicket', { params: { ticketId: ticket } });
      }
      return;
    }
    case 'support-queue':
      s.call('tickets.listTickets', { query: ['status', 'assignee', 'limit'], records: random.int(12, 50) });
      return;
    case 'support-triage': {
      // The overnight queue, read in one go: fast enough to run into the per-minute limit some days.
      const tickets = s.call('tickets.listTickets', { query: ['status', 'limit'], records: random.int(20, 60) })?.data?.records ?? 0;
      for (let i = 0; i < tickets; i++) {
        s.think(1.1, 0.4);
        s.call('tickets.getTicket', { params: { ticketId: directory.ticket(day - random.int(0, 1), random) } });
        if (random.chance(0.3)) s.call('tickets.updateTicket', { params: { ticketId: directory.ticket(day, random) } });
      }
      return;
    }
    case 'analyst-query': {
      if (random.chance(0.2)) {
        s.call('warehouse.listTables', { records: random.int(40, 60) });
        s.think(15);
      }
      if (random.chance(0.5)) {
        s.call('warehouse.getTable', { params: { table: directory.table(random) } });
        s.think(30);
      }
      for (let q = random.int(1, 3); q > 0; q--) {
        if (s.call('warehouse.runQuery', { bytesIn: random.int(400, 4_000) }) === undefined) return;
        s.think(8);
        const queryId = `q_${random.hex(12)}`;
        for (let page = random.int(1, 3); page > 0; page--) {
          s.call('warehouse.getQueryResult', { params: { queryId }, query: ['page'], records: Math.min(50_000, Math.round(random.lognormal(1_500, 1.3))) });
          s.think(4);
        }
        s.think(60, 0.8);
      }
      if (random.chance(0.1)) s.call('tickets.listTickets', { query: ['createdAfter', 'limit'], records: random.int(50, 200) });
      return;
    }
    case 'analyst-legacy-sql':
      for (let q = random.int(1, 3); q > 0; q--) {
        s.call('warehouse.runSql', { bytesIn: random.int(300, 2_500), records: Math.round(random.lognormal(800, 1)) });
        s.think(40, 0.8);
      }
      return;
    case 'analyst-cohort': {
      for (let i = random.int(1, 2); i > 0; i--) {
        s.call('crm.searchCustomers', { query: ['country', 'plan', 'limit'], records: random.int(5, 40) });
        s.think(20);
      }
      const pages = random.int(1, 3);
      for (let page = 1; page <= pages; page++) {
        s.call('crm.listCustomers', { query: ['segment', 'page', 'pageSize'], records: page < pages ? 100 : random.int(10, 100) });
        s.think(6);
      }
      return;
    }
    case 'churn-analysis': {
      s.call('warehouse.runQuery', { bytesIn: random.int(400, 3_000) });
      s.think(10);
      s.call('warehouse.getQueryResult', { params: { queryId: `q_${random.hex(12)}` }, records: random.int(200, 3_000) });
      for (let i = random.int(6, 18); i > 0; i--) {
        const customer = directory.customer(['eu', 'us', 'apac'], random);
        s.think(5);
        s.call('billing.getSubscription', { params: { customerId: customer } });
        if (random.chance(0.7)) {
          s.think(3);
          s.call('billing.listCustomerInvoices', { params: { customerId: customer }, query: ['since'], records: random.int(6, 24) });
        }
      }
      return;
    }
    case 'hr-onboarding': {
      const ticket = directory.ticket(day, random);
      s.setContext({ ticket });
      s.call('tickets.getTicket', { params: { ticketId: ticket } });
      s.think(8);
      s.call('hr.searchEmployees', { query: ['name', 'email'], records: random.int(0, 2) });
      s.think(10);
      s.call('hr.createEmployee', { bytesIn: random.int(800, 2_400) });
      const employeeId = `emp_${random.int(10_000, 99_999)}`;
      for (let i = random.int(1, 2); i > 0; i--) {
        s.think(8);
        s.call('hr.updateEmployee', { params: { employeeId } });
      }
      // Asked to put the salary in the offer letter: not this agent's to read, and it learns.
      if (random.chance(0.01)) s.call('hr.getSalary', { params: { employeeId } });
      s.think(10);
      s.call('tickets.addComment', { params: { ticketId: ticket } });
      s.call('email.sendEmail', { bytesIn: random.int(1_500, 5_000) });
      s.call('tickets.updateTicket', { params: { ticketId: ticket } });
      return;
    }
    case 'hr-lookup': {
      for (let i = random.int(1, 2); i > 0; i--) {
        s.call('hr.getEmployee', { params: { employeeId: directory.employee(random) } });
        s.think(6);
      }
      if (random.chance(0.3)) s.call('hr.searchEmployees', { query: ['department'], records: random.int(3, 30) });
      if (random.chance(0.2)) s.call('hr.listEmployees', { query: ['department', 'page'], records: random.int(20, 80) });
      return;
    }
    case 'it-incident': {
      const ticket = directory.ticket(day, random);
      s.setContext({ ticket });
      s.call('tickets.getTicket', { params: { ticketId: ticket } });
      s.think(10);
      if (random.chance(0.3)) s.call('compute.listInstances', { query: ['state'], records: random.int(44, 48) });
      const instanceId = directory.instance(random);
      for (let i = random.int(1, 3); i > 0; i--) {
        s.think(6);
        if (s.call('compute.getInstance', { params: { instanceId } }) === undefined) return;
      }
      if (random.chance(0.3)) s.call('kb.searchArticles', { query: ['q'], records: random.int(1, 8) });
      if (random.chance(0.35)) {
        s.think(20);
        s.call('compute.restartInstance', { params: { instanceId } });
        s.think(90);
        s.call('compute.getInstance', { params: { instanceId } });
      }
      s.think(15);
      s.call('tickets.addComment', { params: { ticketId: ticket } });
      s.call('tickets.updateTicket', { params: { ticketId: ticket } });
      return;
    }
    case 'finance-query': {
      s.call('finance.listInvoices', { query: ['status', 'dueBefore', 'page'], records: Math.round(random.lognormal(120, 0.8)) });
      for (let i = random.int(0, 3); i > 0; i--) {
        s.think(5);
        s.call('finance.getInvoice', { params: { invoiceId: directory.invoice(random) } });
      }
      if (random.chance(0.3)) {
        s.think(6);
        s.call('billing.listCustomerInvoices', { params: { customerId: directory.customer(s.agent.customerRegions, random) }, records: random.int(3, 30) });
      }
      if (random.chance(0.3)) s.call('finance.getLedgerSummary', { query: ['period'] });
      if (random.chance(0.2)) {
        s.call('warehouse.runQuery', { bytesIn: random.int(500, 3_000) });
        s.think(10);
        s.call('warehouse.getQueryResult', { params: { queryId: `q_${random.hex(12)}` }, records: random.int(100, 5_000) });
      }
      if (random.chance(0.1)) s.call('email.sendEmail', { bytesIn: random.int(20_000, 400_000) });
      return;
    }
    case 'finance-journal':
      s.call('finance.listLedgerEntries', { query: ['account', 'from', 'to'], records: random.int(50, 200) });
      for (let i = random.int(1, 3); i > 0; i--) {
        s.think(20);
        s.call('finance.postJournalEntry', { bytesIn: random.int(600, 3_000) });
      }
      return;
    case 'sales-account': {
      const customer = directory.customer(s.agent.customerRegions, random);
      s.call('crm.searchCustomers', { query: ['name', 'limit'], records: random.int(1, 10) });
      s.think(6);
      // A stale link from an old opportunity: the account was merged away.
      s.call('crm.getCustomer', { params: { customerId: customer }, ...(random.chance(0.01) ? { status: 404 } : {}) });
      for (let i = random.int(0, 2); i > 0; i--) {
        s.think(8);
        s.call('crm.getCustomer', { params: { customerId: directory.customer(s.agent.customerRegions, random) } });
      }
      if (random.chance(0.5)) s.call('crm.listCustomerContacts', { params: { customerId: customer }, records: random.int(1, 8) });
      if (random.chance(0.35)) {
        s.think(15);
        s.call('crm.updateCustomer', { params: { customerId: customer } });
      }
      if (random.chance(0.25)) s.call('billing.getSubscription', { params: { customerId: customer } });
      if (random.chance(0.3)) {
        s.call('email.listTemplates', { records: random.int(8, 14) });
        s.think(20);
        s.call('email.sendEmail', { bytesIn: random.int(1_500, 8_000) });
      }
      return;
    }
    case 'sales-leads': {
      const pages = random.int(1, 3);
      for (let page = 1; page <= pages; page++) {
        s.call('crm.listCustomers', { query: ['segment', 'page', 'pageSize', 'sort'], records: page < pages ? 50 : random.int(5, 50) });
        s.think(10);
      }
      return;
    }
  }
}

function runJob(job: NonNullable<AgentProfile['jobs']>[number]['job'], s: AgentSession, random: SeededRandom, world: ScenarioWorld, day: number): void {
  switch (job) {
    case 'ledger-sync': {
      const pages = random.int(12, 25) * (isMonthEnd(day) ? 2 : 1);
      for (let page = 1; page <= pages; page++) {
        if (s.call('finance.listLedgerEntries', { query: ['from', 'to', 'page', 'pageSize'], records: page < pages ? 500 : random.int(20, 500) }) === undefined) return;
        s.think(2, 0.3);
      }
      s.call('finance.getLedgerSummary', { query: ['period'] });
      return;
    }
    case 'hr-directory-sync':
      for (let page = 1; page <= 12; page++) {
        s.call('hr.listEmployees', { query: ['page', 'pageSize', 'updatedSince'], records: page < 12 ? 200 : random.int(1, 200) });
        s.think(1.5, 0.3);
      }
      return;
    case 'compute-inventory':
      s.call('compute.listInstances', { records: random.int(44, 48) });
      for (const instanceId of world.directory.instances) {
        s.think(0.8, 0.3);
        s.call('compute.getInstance', { params: { instanceId } });
      }
      return;
    case 'health-poll': {
      // Every five minutes, around the clock, from this job's start to the next day's.
      const end = s.at + DAY_MS;
      while (s.at < end) {
        s.call('compute.listInstances', { query: ['state'], records: random.int(44, 48) });
        s.at += 5 * MINUTE_MS + random.uniform(-5_000, 5_000);
      }
      return;
    }
  }
}
