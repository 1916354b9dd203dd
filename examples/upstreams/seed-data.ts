// Deterministic fake data behind the demo upstreams. Every call of createSeedData() returns the
// same records (fresh objects), so walkthroughs, docs and tests can name ids and amounts. All
// people, numbers and addresses are invented; phone numbers come from the ranges regulators
// reserve for fiction, e-mail domains are example.* and the US tax ids are the advertising range.

export type Currency = 'EUR' | 'GBP' | 'USD';

export interface Address {
  readonly street: string;
  readonly postalCode: string;
  readonly city: string;
  readonly country: string;
}

export interface Customer {
  readonly id: string;
  readonly name: string;
  readonly company: string | null;
  readonly email: string;
  readonly phone: string;
  readonly dateOfBirth: string;
  readonly taxId: string;
  readonly address: Address;
  readonly country: string;
  readonly tier: 'standard' | 'silver' | 'gold' | 'business';
  readonly customerSince: string;
}

export interface OrderItem {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

export type OrderStatus = 'processing' | 'shipped' | 'delivered' | 'cancelled' | 'returned';

export interface Order {
  readonly id: string;
  readonly customerId: string;
  readonly date: string;
  readonly status: OrderStatus;
  readonly currency: Currency;
  readonly items: readonly OrderItem[];
  readonly total: number;
}

export interface TicketNote {
  readonly id: string;
  readonly author: string;
  readonly text: string;
  readonly createdAt: string;
}

export interface Ticket {
  readonly id: string;
  readonly customerId: string;
  readonly orderId: string;
  readonly subject: string;
  readonly status: 'open' | 'pending' | 'solved';
  readonly priority: 'low' | 'normal' | 'high';
  readonly createdAt: string;
  readonly notes: readonly TicketNote[];
}

export interface EquipmentAssignment {
  readonly id: string;
  readonly item: string;
  readonly serialNumber: string;
  readonly assignedAt: string;
}

/** An employee record; personal details and salary are null until HR has them for a new hire. */
export interface Employee {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly personalEmail: string | null;
  readonly phone: string | null;
  readonly dateOfBirth: string | null;
  readonly nationalId: string | null;
  readonly homeAddress: Address | null;
  readonly iban: string | null;
  readonly department: string;
  readonly title: string;
  readonly manager: string | null;
  readonly startDate: string;
  readonly salary: { readonly annual: number; readonly currency: 'EUR' } | null;
  readonly equipment: readonly EquipmentAssignment[];
}

export interface OnboardingTask {
  readonly id: string;
  readonly title: string;
  readonly done: boolean;
  readonly completedAt: string | null;
}

export interface OnboardingChecklist {
  readonly employeeId: string;
  readonly tasks: readonly OnboardingTask[];
}

export interface LedgerTransaction {
  readonly id: string;
  readonly date: string;
  readonly account: string;
  readonly counterparty: string;
  readonly description: string;
  /** Positive for money in, negative for money out. */
  readonly amount: number;
  readonly currency: 'EUR';
}

export interface Invoice {
  readonly id: string;
  readonly vendor: string;
  readonly amount: number;
  readonly currency: 'EUR';
  readonly dueDate: string;
  readonly status: 'pending' | 'approved';
  readonly approvedAt: string | null;
}

export interface Refund {
  readonly id: string;
  readonly orderId: string;
  readonly amount: number;
  readonly currency: Currency;
  readonly status: 'pending' | 'succeeded' | 'failed';
  readonly createdAt: string;
}

export interface Instance {
  readonly id: string;
  readonly name: string;
  readonly size: string;
  readonly region: string;
  readonly state: 'running' | 'stopped' | 'pending';
  readonly privateIp: string;
  readonly launchedAt: string;
  readonly lastRestartAt: string | null;
}

export interface SeedData {
  readonly customers: readonly Customer[];
  readonly orders: readonly Order[];
  readonly tickets: readonly Ticket[];
  readonly employees: readonly Employee[];
  readonly checklists: readonly OnboardingChecklist[];
  readonly transactions: readonly LedgerTransaction[];
  readonly invoices: readonly Invoice[];
  readonly refunds: readonly Refund[];
  readonly instances: readonly Instance[];
}

/** The day the data set was taken: orders, tickets and ledger run from 2026-01-01 up to it. */
export const DATA_AS_OF = '2026-11-20';

export const INSTANCE_SIZES: readonly string[] = ['small', 'medium', 'large', 'xlarge'];
export const INSTANCE_REGIONS: readonly string[] = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2'];

/** Onboarding steps every hire goes through, in the order they are usually done. */
export const ONBOARDING_TASKS: readonly (readonly [id: string, title: string])[] = [
  ['accounts', 'Create accounts (e-mail, single sign-on, chat)'],
  ['laptop', 'Hand over a laptop'],
  ['badge', 'Issue an office badge'],
  ['payroll-setup', 'Register with payroll'],
  ['security-training', 'Complete the security awareness training'],
  ['buddy', 'Meet the onboarding buddy'],
];

/** Builds the whole data set; same output on every call. */
export function createSeedData(): SeedData {
  const customers = createCustomers(new Random('customers'));
  const orders = createOrders(new Random('orders'), customers);
  const staff = createEmployees(new Random('employees'));
  const employees = staff.map(({ employee }) => employee);
  return {
    customers,
    orders,
    tickets: createTickets(new Random('tickets'), customers, orders),
    employees,
    checklists: staff.map(({ checklist }) => checklist),
    transactions: createLedger(new Random('ledger'), employees),
    invoices: createInvoices(new Random('invoices')),
    refunds: createRefunds(new Random('refunds'), orders),
    instances: createInstances(new Random('instances')),
  };
}

/** Monthly gross pay (zero while no salary is on record), what payroll runs and ledger salary entries are made of. */
export function monthlyGross(employee: Employee): number {
  return employee.salary ? roundMoney(employee.salary.annual / 12) : 0;
}

/** The id of a department's head, who manages everyone else in it; undefined for an unknown department. */
export function headOf(department: string): string | undefined {
  const index = LEADERS.findIndex(([, name]) => name === department);
  return index < 0 ? undefined : `E-${index + 1}`;
}

export function roundMoney(amount: number): number {
  return Math.round(amount * 100) / 100;
}

// ---------------------------------------------------------------------------------------------
// A tiny seeded PRNG (mulberry32). Each kind of record draws from its own stream, seeded by name,
// so adding a field to one kind never reshuffles the ids and amounts of the others.

class Random {
  private state: number;

  constructor(stream: string) {
    // FNV-1a of the stream name gives each stream its own 32-bit seed.
    let hash = 0x811c9dc5;
    for (const char of stream) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
    this.state = hash >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error('cannot pick from an empty list');
    return item;
  }

  /** `count` distinct items, in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    const chosen: T[] = [];
    while (chosen.length < count && pool.length > 0) chosen.push(...pool.splice(this.int(0, pool.length - 1), 1));
    return chosen;
  }

  digits(count: number): string {
    return Array.from({ length: count }, () => String(this.int(0, 9))).join('');
  }

  hex(count: number): string {
    return Array.from({ length: count }, () => this.int(0, 15).toString(16)).join('');
  }

  date(fromYear: number, toYear: number): string {
    const from = Date.UTC(fromYear, 0, 1);
    const days = Math.floor((Date.UTC(toYear + 1, 0, 1) - from) / DAY_MS) - 1;
    return isoDay(from + this.int(0, days) * DAY_MS);
  }

  time(date: string): string {
    return `${date}T${pad(this.int(7, 19))}:${pad(this.int(0, 59))}:00Z`;
  }
}

const DAY_MS = 86_400_000;

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

function addDays(date: string, days: number): string {
  return isoDay(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS);
}

/** The earlier of a date and DATA_AS_OF, so nothing seeded lies in the future of the data set. */
function notAfterAsOf(date: string): string {
  return date < DATA_AS_OF ? date : DATA_AS_OF;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

// ---------------------------------------------------------------------------------------------
// Customers, orders and tickets (CRM, payments, warehouse)

const FIRST_NAMES = [
  'Anna', 'Jonas', 'Léa', 'Mateo', 'Priya', 'Oliver', 'Sofia', 'Lukas', 'Amara', 'Noah', 'Zoë', 'Emil',
  'Hannah', 'Yusuf', 'Chloé', 'Ethan', 'Mia', 'Tobias', 'Aisha', 'Liam', 'Jörg', 'Grace', 'Camille', 'Ravi',
] as const;
const LAST_NAMES = [
  'Schmidt', 'Dubois', 'Okafor', 'Müller', 'Fernández', 'Johnson', 'Nguyen', 'Becker', 'Rossi', 'Kowalski',
  'Martin', 'Hughes', 'Lefèvre', 'Yilmaz', 'Andersson', 'Wright', 'Fischer', 'Moreau', 'Patel', 'Brown',
] as const;
const COMPANIES = ['Northwind Traders', 'Globex Retail', 'Initech Supplies', 'Umbrella Logistics', 'Hooli Office'] as const;

interface CountryProfile {
  readonly code: string;
  readonly currency: Currency;
  readonly cities: readonly (readonly [city: string, postalCode: string])[];
  readonly streets: readonly string[];
  readonly phone: (random: Random) => string;
  readonly taxId: (random: Random) => string;
}

const COUNTRIES: readonly CountryProfile[] = [
  {
    code: 'DE',
    currency: 'EUR',
    cities: [['Berlin', '10115'], ['Hamburg', '20095'], ['München', '80331']],
    streets: ['Lindenallee', 'Bergstraße', 'Am Markt'],
    // 030 23125 000–999 is reserved by the Bundesnetzagentur for films and books.
    phone: (random) => `+49 30 23125${random.digits(3)}`,
    taxId: (random) => `${random.int(1, 9)}${random.digits(10)}`,
  },
  {
    code: 'GB',
    currency: 'GBP',
    cities: [['London', 'SW1A 2AA'], ['Manchester', 'M1 1AE'], ['Leeds', 'LS1 4AP']],
    streets: ['Harbour Road', 'Station Lane', 'Church Street'],
    // Ofcom's drama range; QQ-prefixed National Insurance numbers are never issued.
    phone: (random) => `+44 20 7946 0${random.digits(3)}`,
    taxId: (random) => `QQ${random.digits(6)}C`,
  },
  {
    code: 'US',
    currency: 'USD',
    cities: [['Springfield', '62701'], ['Austin', '78701'], ['Portland', '97201']],
    streets: ['Maple Street', 'Oak Avenue', 'Elm Drive'],
    // 555-0100–0199 is fictional; 987-65-4320–4329 is the SSA's advertising range.
    phone: (random) => `+1 202 555 01${random.digits(2)}`,
    taxId: (random) => `987-65-432${random.digits(1)}`,
  },
  {
    code: 'FR',
    currency: 'EUR',
    cities: [['Paris', '75001'], ['Lyon', '69001'], ['Bordeaux', '33000']],
    streets: ['Rue des Lilas', 'Avenue Victor Hugo', 'Place du Marché'],
    // 01 99 00 xx xx is reserved by ARCEP for fiction.
    phone: (random) => `+33 1 99 00 ${random.digits(2)} ${random.digits(2)}`,
    taxId: (random) => `${random.int(0, 3)}${random.digits(12)}`,
  },
];

/** C-1001..C-1020 are consumers, C-2001..C-2003 business accounts. */
const CUSTOMER_NUMBERS = [...Array.from({ length: 20 }, (_, index) => 1001 + index), 2001, 2002, 2003];

function createCustomers(random: Random): Customer[] {
  const usedEmails = new Set<string>();
  return CUSTOMER_NUMBERS.map((number, index) => {
    // Countries rotate so C-1001 is German (EUR) and every country has customers.
    const country = COUNTRIES[index % COUNTRIES.length] as CountryProfile;
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const company = number >= 2000 ? random.pick(COMPANIES) : null;
    const domain = company ? `${asciiSlug(company).replace(/\./g, '-')}.example` : random.pick(['example.com', 'example.net', 'example.org']);
    let email = `${asciiSlug(first)}.${asciiSlug(last)}@${domain}`;
    if (usedEmails.has(email)) email = email.replace('@', `${number % 100}@`);
    usedEmails.add(email);
    const [city, postalCode] = random.pick(country.cities);
    return {
      id: `C-${number}`,
      name: `${first} ${last}`,
      company,
      email,
      phone: country.phone(random),
      dateOfBirth: random.date(1950, 2004),
      taxId: country.taxId(random),
      address: { street: `${random.pick(country.streets)} ${random.int(1, 180)}`, postalCode, city, country: country.code },
      country: country.code,
      tier: company ? 'business' : random.pick(['standard', 'standard', 'silver', 'gold'] as const),
      customerSince: random.date(2018, 2025),
    };
  });
}

const PRODUCTS: readonly (readonly [sku: string, name: string, price: number])[] = [
  ['SKU-101', 'USB-C charger 65 W', 29.9],
  ['SKU-102', 'Noise-cancelling headphones', 249],
  ['SKU-103', 'Mechanical keyboard', 129],
  ['SKU-104', '27-inch monitor', 329],
  ['SKU-105', 'Ergonomic office chair', 459],
  ['SKU-106', 'Standing desk', 699],
  ['SKU-107', 'Laptop sleeve', 24.9],
  ['SKU-108', '4K webcam', 149],
  ['SKU-109', 'Wireless mouse', 39.9],
  ['SKU-110', 'Espresso machine', 549],
];

const SETTLED_STATUSES: readonly OrderStatus[] = ['delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'cancelled', 'returned'];

/** Two to five orders per customer in 2026 up to DATA_AS_OF, numbered O-5001… in date order. */
function createOrders(random: Random, customers: readonly Customer[]): Order[] {
  const yearDays = (Date.parse(`${DATA_AS_OF}T00:00:00Z`) - Date.UTC(2026, 0, 1)) / DAY_MS;
  const drafts = customers.flatMap((customer) => {
    const currency = countryOf(customer).currency;
    return Array.from({ length: random.int(2, 5) }, () => {
      const items = random.sample(PRODUCTS, random.int(1, 3)).map(([sku, name, unitPrice]) => ({ sku, name, quantity: random.int(1, 2), unitPrice }));
      const total = roundMoney(items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0));
      // Squaring skews dates towards DATA_AS_OF, so "since last week" queries have rows to show.
      const age = Math.floor(yearDays * random.next() ** 2);
      const status: OrderStatus = age < 3 ? 'processing' : age < 8 ? 'shipped' : random.pick(SETTLED_STATUSES);
      return { customerId: customer.id, date: addDays(DATA_AS_OF, -age), status, currency, items, total };
    });
  });
  drafts.sort((a, b) => a.date.localeCompare(b.date) || a.customerId.localeCompare(b.customerId));
  return drafts.map((draft, index) => ({ id: `O-${5001 + index}`, ...draft }));
}

function countryOf(customer: Customer): CountryProfile {
  return COUNTRIES.find(({ code }) => code === customer.country) as CountryProfile;
}

const TICKET_TOPICS: readonly (readonly [subject: string, message: (orderId: string) => string])[] = [
  ['Parcel arrived damaged', (id) => `The parcel for order ${id} arrived with a crushed box and the item is scratched.`],
  ['Item missing from delivery', (id) => `Order ${id} arrived but one of the items was not in the box.`],
  ['Charged twice', (id) => `My card was charged twice for order ${id}. Please refund the duplicate.`],
  ['Where is my order?', (id) => `Order ${id} has not arrived yet. Can you tell me where it is?`],
  ['Wrong item delivered', (id) => `I received a different product than the one I ordered in ${id}.`],
  ['Refund for a late delivery', (id) => `Order ${id} came two weeks late; I would like part of the price back.`],
];

/** The ticket the walkthroughs work on: C-1001's, and still open. */
const TOUR_TICKET = 77;

/** T-71..T-100, each about one of its customer's orders; customers rotate so that T-77 is C-1001's. */
function createTickets(random: Random, customers: readonly Customer[], orders: readonly Order[]): Ticket[] {
  let noteNumber = 0;
  return Array.from({ length: 30 }, (_, index) => {
    const number = 71 + index;
    const customer = customers[(((number - TOUR_TICKET) % customers.length) + customers.length) % customers.length] as Customer;
    const order = random.pick(orders.filter(({ customerId }) => customerId === customer.id));
    const [subject, message] = random.pick(TICKET_TOPICS);
    const createdAt = random.time(notAfterAsOf(addDays(order.date, random.int(1, 12))));
    const notes: TicketNote[] = [{ id: `N-${++noteNumber}`, author: customer.email, text: message(order.id), createdAt }];
    const status = random.pick(['open', 'open', 'pending', 'solved'] as const);
    if (random.next() < 0.5) {
      notes.push({ id: `N-${++noteNumber}`, author: 'support@shop.example', text: 'Thanks for reaching out, we are looking into it.', createdAt: random.time(notAfterAsOf(addDays(order.date, 13))) });
    }
    return {
      id: `T-${number}`,
      customerId: customer.id,
      orderId: order.id,
      subject,
      status: number === TOUR_TICKET ? 'open' : status,
      priority: random.pick(['low', 'normal', 'normal', 'high'] as const),
      createdAt,
      notes,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Employees and onboarding (HR, finance payroll)

/** The first seven employees, E-1..E-7, each heading one department. */
const LEADERS: readonly (readonly [title: string, department: string, annual: number])[] = [
  ['Chief Executive Officer', 'executive', 210_000],
  ['VP Engineering', 'engineering', 165_000],
  ['Head of Sales', 'sales', 142_000],
  ['Head of Support', 'support', 118_000],
  ['Chief Financial Officer', 'finance', 172_000],
  ['Head of Operations', 'operations', 126_000],
  ['Head of People', 'people', 121_000],
];

export const DEPARTMENTS: readonly string[] = LEADERS.map(([, department]) => department);

const TEAM_ROLES: Readonly<Record<string, readonly [titles: readonly string[], minSalary: number, maxSalary: number]>> = {
  engineering: [['Software Engineer', 'Senior Software Engineer', 'Site Reliability Engineer', 'Data Engineer'], 62_000, 98_000],
  sales: [['Account Executive', 'Sales Development Representative'], 48_000, 80_000],
  support: [['Support Specialist', 'Senior Support Specialist'], 40_000, 56_000],
  finance: [['Financial Analyst', 'Accountant'], 55_000, 85_000],
  operations: [['Operations Manager', 'Office Coordinator'], 45_000, 70_000],
  people: [['HR Business Partner', 'Recruiter'], 48_000, 72_000],
};
const TEAM_DEPARTMENTS = ['engineering', 'engineering', 'engineering', 'sales', 'sales', 'support', 'support', 'finance', 'operations', 'people'] as const;

/** E-28..E-30 are this autumn's hires, still onboarding (E-30 starts in December). */
const NEW_HIRE_STARTS: Readonly<Record<number, readonly [startDate: string, tasksDone: number]>> = {
  28: ['2026-10-01', 4],
  29: ['2026-11-16', 2],
  30: ['2026-12-01', 0],
};

const BERLIN_DISTRICTS: readonly (readonly [street: string, postalCode: string])[] = [
  ['Kastanienallee', '10435'],
  ['Oranienstraße', '10999'],
  ['Karl-Marx-Allee', '10243'],
  ['Schloßstraße', '12163'],
  ['Bergmannstraße', '10961'],
];

function createEmployees(random: Random): { employee: Employee; checklist: OnboardingChecklist }[] {
  let equipmentNumber = 0;
  return Array.from({ length: 30 }, (_, index) => {
    const number = index + 1;
    const leader = LEADERS[index];
    const department = leader ? leader[1] : random.pick(TEAM_DEPARTMENTS);
    const [titles, minSalary, maxSalary] = TEAM_ROLES[department] ?? [[], 0, 0];
    const title = leader ? leader[0] : random.pick(titles);
    const annual = leader ? leader[2] : Math.round(random.int(minSalary, maxSalary) / 100) * 100;
    const manager = number === 1 ? null : leader ? 'E-1' : (headOf(department) ?? 'E-1');
    const newHire = NEW_HIRE_STARTS[number];
    const startDate = newHire ? newHire[0] : leader ? random.date(2019, 2021) : random.date(2021, 2025);
    const tasksDone = newHire ? newHire[1] : ONBOARDING_TASKS.length;
    const tasks = ONBOARDING_TASKS.map(([id, taskTitle], step) => {
      const done = step < tasksDone;
      return { id, title: taskTitle, done, completedAt: done ? `${addDays(startDate, step - 2)}T09:00:00Z` : null };
    });
    // Equipment on record matches the ticked checklist items.
    const equipment = tasks
      .filter(({ id, done }) => done && (id === 'laptop' || id === 'badge'))
      .map(({ id, completedAt }) => ({ id: `EQ-${++equipmentNumber}`, item: id, serialNumber: `${id.slice(0, 2).toUpperCase()}-${random.digits(8)}`, assignedAt: completedAt ?? startDate }));
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const [street, postalCode] = random.pick(BERLIN_DISTRICTS);
    const employee: Employee = {
      id: `E-${number}`,
      name: `${first} ${last}`,
      email: `${asciiSlug(first)}.${asciiSlug(last)}${number}@acme.example`,
      personalEmail: `${asciiSlug(first)}${random.digits(2)}@example.net`,
      phone: `+49 30 23125${random.digits(3)}`,
      dateOfBirth: random.date(1966, 2002),
      nationalId: `${random.int(1, 9)}${random.digits(10)}`,
      homeAddress: { street: `${street} ${random.int(1, 120)}`, postalCode, city: 'Berlin', country: 'DE' },
      iban: germanIban(random.digits(8), random.digits(10)),
      department,
      title,
      manager,
      startDate,
      salary: { annual, currency: 'EUR' },
      equipment,
    };
    return { employee, checklist: { employeeId: employee.id, tasks } };
  });
}

/** A German IBAN with correct ISO 13616 check digits, so IBAN validators accept it. */
function germanIban(bankCode: string, account: string): string {
  const bban = `${bankCode}${account}`;
  // Move "DE00" to the end, letters to numbers (D=13, E=14), then 98 - (n mod 97).
  const numeric = `${bban}131400`;
  let remainder = 0;
  for (const digit of numeric) remainder = (remainder * 10 + Number(digit)) % 97;
  return `DE${pad(98 - remainder)}${bban}`;
}

// ---------------------------------------------------------------------------------------------
// Finance: ledger, invoices; payments: refunds

const SUPPLIERS = ['Contoso Components', 'Fabrikam Freight', 'Tailspin Packaging', 'Litware Cloud', 'Adatum Print'] as const;

const LEDGER_CATEGORIES: readonly (readonly [account: string, counterparties: readonly string[], min: number, max: number, description: string])[] = [
  ['revenue', COMPANIES, 800, 25_000, 'Customer payment'],
  ['revenue', COMPANIES, 800, 25_000, 'Customer payment'],
  ['cogs', SUPPLIERS, -9_000, -300, 'Goods purchased'],
  ['software', ['Litware Cloud', 'Proseware Analytics', 'Woodgrove Mail'], -2_400, -49, 'Subscription'],
  ['travel', ['Blue Yonder Airlines', 'Margie Travel', 'Rail Europe Demo'], -1_900, -80, 'Business travel'],
  ['marketing', ['Wingtip Media', 'Lucerne Publishing'], -12_000, -500, 'Campaign'],
];

/** Every day of 2026 up to DATA_AS_OF: rent on the 1st, payroll on the 25th, zero to two other bookings; TX-10001… in date order. */
function createLedger(random: Random, employees: readonly Employee[]): LedgerTransaction[] {
  const entries: Omit<LedgerTransaction, 'id'>[] = [];
  for (let time = Date.UTC(2026, 0, 1); time <= Date.parse(`${DATA_AS_OF}T00:00:00Z`); time += DAY_MS) {
    const date = isoDay(time);
    const dayOfMonth = new Date(time).getUTCDate();
    if (dayOfMonth === 1) {
      entries.push({ date, account: 'rent', counterparty: 'Spreeblick Immobilien GmbH', description: 'Office rent', amount: -8_500, currency: 'EUR' });
    }
    if (dayOfMonth === 25) {
      const payroll = employees.filter(({ startDate }) => startDate <= date).reduce((sum, employee) => sum + monthlyGross(employee), 0);
      entries.push({ date, account: 'payroll', counterparty: 'Employees', description: `Salaries ${date.slice(0, 7)}`, amount: -roundMoney(payroll), currency: 'EUR' });
    }
    for (let count = random.int(0, 2); count > 0; count--) {
      const [account, counterparties, min, max, description] = random.pick(LEDGER_CATEGORIES);
      entries.push({ date, account, counterparty: random.pick(counterparties), description, amount: random.int(min * 100, max * 100) / 100, currency: 'EUR' });
    }
  }
  return entries.map((entry, index) => ({ id: `TX-${10001 + index}`, ...entry }));
}

/** INV-101..INV-112, suppliers' invoices, most still waiting for approval. */
function createInvoices(random: Random): Invoice[] {
  return Array.from({ length: 12 }, (_, index) => {
    const dueDate = addDays(DATA_AS_OF, random.int(-5, 40));
    const approved = random.next() < 0.35;
    return {
      id: `INV-${101 + index}`,
      vendor: random.pick(SUPPLIERS),
      amount: random.int(25_000, 1_800_000) / 100,
      currency: 'EUR',
      dueDate,
      status: approved ? 'approved' : 'pending',
      approvedAt: approved ? random.time(notAfterAsOf(addDays(dueDate, -20))) : null,
    };
  });
}

/** R-901..R-906, earlier refunds on delivered or returned orders. */
function createRefunds(random: Random, orders: readonly Order[]): Refund[] {
  const refundable = orders.filter(({ status }) => status === 'delivered' || status === 'returned');
  return random.sample(refundable, 6).map((order, index) => ({
    id: `R-${901 + index}`,
    orderId: order.id,
    amount: order.status === 'returned' ? order.total : roundMoney(order.total * random.pick([0.1, 0.2, 0.5])),
    currency: order.currency,
    status: random.pick(['succeeded', 'succeeded', 'pending', 'failed'] as const),
    createdAt: random.time(notAfterAsOf(addDays(order.date, random.int(3, 20)))),
  }));
}

// ---------------------------------------------------------------------------------------------
// IT operations: the compute fleet

const INSTANCE_NAMES = ['web-1', 'web-2', 'web-3', 'api-1', 'api-2', 'worker-1', 'worker-2', 'batch-1', 'db-replica-1', 'cache-1', 'bastion-1', 'ml-train-1'] as const;

function createInstances(random: Random): Instance[] {
  return INSTANCE_NAMES.map((name) => {
    const region = random.pick(INSTANCE_REGIONS);
    return {
      id: `i-0${random.hex(7)}`,
      name,
      size: random.pick(INSTANCE_SIZES),
      region,
      state: random.next() < 0.15 ? 'stopped' : 'running',
      privateIp: `10.${INSTANCE_REGIONS.indexOf(region)}.${random.int(0, 255)}.${random.int(1, 254)}`,
      launchedAt: random.time(random.date(2024, 2025)),
      lastRestartAt: null,
    };
  });
}

/** Lower-case ASCII for e-mail addresses: "Léa Müller" → "lea.muller". */
export function asciiSlug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '.');
}
