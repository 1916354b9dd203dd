import { CallRecorder } from './call-recorder.js';
import { Directory } from './directory.js';
import { APIS, DAY_MS, HOUR_MS, MINUTE_MS, operationsOfRole, SCENARIO_START, type AgentProfile } from './fleet.js';
import { SeededRandom } from './seeded-random.js';

/** A role granted to an agent part-way through, as the runner hands it to the engine. */
export interface GrantChange {
  readonly at: number;
  readonly agent: string;
  /** `api.operation` of everything the new role grants. */
  readonly operations: readonly string[];
}

/** An upstream having a bad time: a share of the calls to it fail for a while. */
interface Outage {
  readonly api: string;
  readonly from: number;
  readonly to: number;
  readonly failureRate: number;
}

/**
 * Everything one scenario run shares: the simulated span, the fleet, what the APIs hold, the
 * gateway's decisions (one recorder, so rate limits count normal and attack calls together)
 * and the upstream outages every agent runs into alike.
 */
export class ScenarioWorld {
  readonly seed: number;
  readonly start = SCENARIO_START;
  readonly end: number;
  readonly days: number;
  readonly agents: readonly AgentProfile[];
  readonly directory: Directory;
  readonly recorder: CallRecorder;
  readonly grantChanges: readonly GrantChange[];
  /** Days a product incident floods support with tickets (about one every three weeks). */
  readonly surgeDays: ReadonlySet<number>;
  readonly #outages: readonly Outage[];

  constructor(options: { readonly seed: number; readonly weeks: number; readonly agents: readonly AgentProfile[] }) {
    this.seed = options.seed;
    this.days = options.weeks * 7;
    this.end = this.start + this.days * DAY_MS;
    this.agents = options.agents;
    this.directory = new Directory(options.seed);
    this.grantChanges = options.agents.flatMap((agent) => (agent.laterRoles ?? []).map((later) => ({
      at: localDayStart(agent, later.day) + later.localHour * HOUR_MS,
      agent: agent.name,
      operations: operationsOfRole(later.role),
    })));
    const firstChange = Math.min(...this.grantChanges.map((change) => change.at));
    // The policy version moves when the roles change, as a real apply would.
    this.recorder = new CallRecorder(new SeededRandom(options.seed).fork('recorder'), (at) => (at >= firstChange ? 'pv-0042' : 'pv-0041'));
    this.#outages = planOutages(new SeededRandom(options.seed).fork('outages'), this.start, this.end);
    const surges = new SeededRandom(options.seed).fork('surges');
    this.surgeDays = new Set(Array.from({ length: surges.poisson(this.days / 21) }, () => 7 * surges.int(0, options.weeks - 1) + surges.int(0, 4)));
  }

  /** The share of calls to `api` that fail at `at`: 0 unless its upstream is in an outage. */
  outageFailureRate(api: string, at: number): number {
    for (const outage of this.#outages) if (outage.api === api && at >= outage.from && at < outage.to) return outage.failureRate;
    return 0;
  }
}

/** The agent's roles at `at`: its own plus those granted since. */
export function rolesAt(agent: AgentProfile, at: number): readonly string[] {
  const later = agent.laterRoles;
  if (later === undefined) return agent.roles;
  const granted = later.filter((role) => localDayStart(agent, role.day) + role.localHour * HOUR_MS <= at).map((role) => role.role);
  return granted.length === 0 ? agent.roles : [...agent.roles, ...granted];
}

/** Midnight of simulation day `day` in the agent's time zone, as epoch ms. */
export function localDayStart(agent: AgentProfile, day: number): number {
  return SCENARIO_START + day * DAY_MS - agent.utcOffsetHours * HOUR_MS;
}

/** About one outage per API every two weeks, 10–45 minutes long, failing a third to most of the calls. */
function planOutages(random: SeededRandom, start: number, end: number): Outage[] {
  const outages: Outage[] = [];
  for (const api of APIS) {
    const count = random.poisson((end - start) / (14 * DAY_MS));
    for (let i = 0; i < count; i++) {
      const from = random.uniform(start, end);
      outages.push({ api: api.name, from, to: from + random.uniform(10, 45) * MINUTE_MS, failureRate: random.uniform(0.3, 0.8) });
    }
  }
  return outages;
}
