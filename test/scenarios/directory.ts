import type { CustomerRegion } from './fleet.js';
import { SeededRandom } from './seeded-random.js';

const FIRST_CUSTOMER = 100_000;
const LAST_CUSTOMER = 199_999;
const TABLES = ['orders', 'order_items', 'customers', 'subscriptions', 'payments', 'sessions', 'tickets_daily', 'churn_features', 'marketing_touches', 'product_events'];

/**
 * What the simulated APIs hold: customers (with gaps where accounts were merged or deleted,
 * so walking ids hits 404s), employees, compute instances and warehouse tables. Ids look like
 * the real thing, and which customer an agent works on is random but skewed the way support
 * load is: a few accounts come back again and again.
 */
export class Directory {
  readonly #customers: Readonly<Record<CustomerRegion, readonly string[]>>;
  readonly #existing: ReadonlySet<number>;
  readonly employees: readonly string[];
  readonly instances: readonly string[];
  readonly tables: readonly string[] = TABLES;

  constructor(seed: number) {
    const random = new SeededRandom(seed).fork('directory');
    const byRegion: Record<CustomerRegion, string[]> = { eu: [], us: [], apac: [] };
    const existing = new Set<number>();
    for (let n = FIRST_CUSTOMER; n <= LAST_CUSTOMER; n++) {
      if (!random.chance(0.62)) continue;
      existing.add(n);
      const draw = random.next();
      byRegion[draw < 0.45 ? 'eu' : draw < 0.85 ? 'us' : 'apac'].push(customerId(n));
    }
    // Shuffled so that the popular accounts (the front of each list) are not neighbours by id.
    for (const ids of Object.values(byRegion)) shuffle(ids, random);
    this.#customers = byRegion;
    this.#existing = existing;
    this.employees = Array.from({ length: 2_400 }, () => `emp_${random.int(10_000, 99_999)}`);
    this.instances = Array.from({ length: 48 }, () => `i-0${random.hex(16)}`);
  }

  /** A customer of one of `regions`, skewed towards the accounts that write in most. */
  customer(regions: readonly CustomerRegion[], random: SeededRandom): string {
    const ids = this.#customers[random.pick<CustomerRegion>(regions.length > 0 ? regions : ['eu', 'us', 'apac'])];
    return ids[Math.floor(ids.length * random.next() ** 2.2)]!;
  }

  /** Whether customer number `n` exists (walking ids skips the gaps with a 404). */
  customerExists(n: number): boolean {
    return this.#existing.has(n);
  }

  /** Total customers, for how many pages a full export takes. */
  get customerCount(): number {
    return this.#existing.size;
  }

  employee(random: SeededRandom): string {
    return random.pick(this.employees);
  }

  instance(random: SeededRandom): string {
    return random.pick(this.instances);
  }

  table(random: SeededRandom): string {
    return random.pick(this.tables);
  }

  /** A ticket opened around `day`: thousands a day across the company, so an agent's tickets are far apart. */
  ticket(day: number, random: SeededRandom): string {
    return `TCK-${418_000 + day * 2_600 + random.int(-6_000, 2_600)}`;
  }

  invoice(random: SeededRandom): string {
    return `INV-2025-${random.int(100_000, 999_999)}`;
  }

  article(random: SeededRandom): string {
    return `kb-${random.int(1_000, 4_800)}`;
  }
}

export function customerId(n: number): string {
  return `cus_${n}`;
}

function shuffle<T>(items: T[], random: SeededRandom): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
