import type { DocumentedApi, DocumentedOperation } from './documented-operation.js';
import { dataClassesOfShape, sensitivityOf } from './field-name-classes.js';
import type { Observation } from './observation.js';
import { OperationMatcher } from './operation-matcher.js';
import { PathTemplater, type EndpointStats } from './path-templater.js';

/**
 * - `documented`: in a spec (or the catalog) and current.
 * - `shadow`: answered 2xx/3xx, in no spec.
 * - `zombie`: traffic to a deprecated operation, one past its sunset, or one a newer version removed.
 * - `orphan`: documented, and no traffic in the last `orphanDays` of the window.
 * - `unknown`: in no spec and never answered 2xx/3xx — probes and typos, not an API.
 */
export type Classification = 'documented' | 'shadow' | 'zombie' | 'orphan' | 'unknown';

export interface InventoryEndpoint {
  readonly host: string | undefined;
  readonly method: string;
  readonly template: string;
  readonly classification: Classification;
  /** The documented API and operation, for documented, zombie and orphan endpoints; the API alone for a shadow endpoint the gateway learned under it. */
  readonly api: string | undefined;
  readonly operationId: string | undefined;
  readonly hits: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly firstSeen: string | undefined;
  readonly lastSeen: string | undefined;
  /** Why it is a zombie, and whether it still serves (a 2xx seen) or is only probed (4xx, 410). */
  readonly zombie: { readonly reason: 'deprecated' | 'sunset' | 'removed'; readonly state: 'serving' | 'probed'; readonly detail: string } | undefined;
  readonly dataClasses: readonly string[];
  readonly sensitivity: 'restricted' | 'confidential' | undefined;
}

export interface InventoryApi {
  readonly name: string;
  readonly owner: string | undefined;
  readonly source: 'openapi' | 'catalog' | 'traffic';
  readonly counts: Readonly<Record<Classification, number>>;
  readonly dataClasses: readonly string[];
  readonly sensitivity: 'restricted' | 'confidential' | undefined;
}

export interface UnregisteredClient {
  readonly client: string;
  readonly firstSeen: string | undefined;
  readonly lastSeen: string | undefined;
  readonly calls: number;
  /** `METHOD template` of the endpoints it touched (at most 50). */
  readonly endpoints: readonly string[];
}

export interface Inventory {
  readonly calls: number;
  readonly window: { readonly from: string | undefined; readonly to: string | undefined };
  readonly endpoints: readonly InventoryEndpoint[];
  readonly apis: readonly InventoryApi[];
  readonly unregisteredClients: readonly UnregisteredClient[];
  /** Share of observed endpoints (unknown ones aside) that are documented and owned. */
  readonly completeness: { readonly observed: number; readonly documentedAndOwned: number; readonly ratio: number | null };
}

export interface InventoryOptions {
  readonly documented: readonly DocumentedApi[];
  /** An operation without traffic for this many days before the window's end is an orphan. */
  readonly orphanDays?: number;
  /**
   * Whether a client identity belongs to a registered agent. Without it, clients the gateway
   * refused as unregistered are the only ones listed.
   */
  readonly isRegistered?: (client: string) => boolean;
}

const DAY_MS = 86_400_000;
/** The gateway's own endpoints (docs/gateway.md, self-service). */
const WARDEN_PREFIX = '/.warden/';
const CLIENT_SAMPLES = 50;
const MAX_CLIENTS = 10_000;

interface ClientSeen {
  calls: number;
  firstSeen: number | undefined;
  lastSeen: number | undefined;
  readonly samples: Map<string, { readonly group: string; readonly method: string; readonly path: string }>;
}

/**
 * Builds the API inventory from observed calls: each call is matched to a documented
 * operation, or else templated with the other undocumented calls to its host.
 */
export class InventoryBuilder {
  readonly #documented: readonly DocumentedApi[];
  readonly #matcher: OperationMatcher;
  readonly #orphanDays: number;
  readonly #isRegistered: ((client: string) => boolean) | undefined;
  readonly #byOperation = new Map<DocumentedOperation, { readonly stats: EndpointStats; readonly host: string | undefined }>();
  /**
   * Undocumented calls, templated per group: the API the gateway learned them under
   * (`api.undeclared`) or whose catalog base path holds them, or else the host.
   */
  readonly #templaters = new Map<string, { readonly templater: PathTemplater; readonly host: string | undefined; readonly api: string | undefined }>();
  readonly #clients = new Map<string, ClientSeen>();
  #calls = 0;
  #from: number | undefined;
  #to: number | undefined;

  /** Catalog APIs by base path, longest first (`/` left out: it would claim every host's traffic). */
  readonly #basePaths: readonly { readonly prefix: string; readonly api: string }[];

  constructor(options: InventoryOptions) {
    this.#documented = options.documented;
    this.#basePaths = options.documented
      .filter((api) => api.basePath !== undefined && api.basePath !== '/')
      .map((api) => ({ prefix: api.basePath!.replace(/\/$/, ''), api: api.name }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
    this.#matcher = new OperationMatcher(options.documented.flatMap((api) => api.operations));
    this.#orphanDays = options.orphanDays ?? 30;
    this.#isRegistered = options.isRegistered;
  }

  /** Adds one call; `unregistered` marks a credential the gateway refused as bound to no agent. */
  add(call: Observation, unregistered = false): void {
    // Warden's own endpoints (access requests, approvals) are not an API of the inventory.
    if (call.path.startsWith(WARDEN_PREFIX)) return;
    this.#calls++;
    const time = call.time;
    if (time !== undefined) {
      if (this.#from === undefined || time < this.#from) this.#from = time;
      if (this.#to === undefined || time > this.#to) this.#to = time;
    }
    const operation = this.#matcher.match(call.method, call.path);
    if (operation !== undefined) {
      let seen = this.#byOperation.get(operation);
      if (seen === undefined) {
        seen = { stats: { hits: 0, statuses: new Map(), firstSeen: undefined, lastSeen: undefined, shapes: new Set(), dataClasses: new Set() }, host: call.host };
        this.#byOperation.set(operation, seen);
      }
      count(seen.stats, call);
    } else {
      const api = call.api ?? this.#apiByBasePath(call.path);
      const group = groupOf(api, call.host);
      let entry = this.#templaters.get(group);
      if (entry === undefined) this.#templaters.set(group, (entry = { templater: new PathTemplater(), host: api === undefined ? call.host : undefined, api }));
      entry.templater.observe(call.method, call.path, call.status, time, call.responseShape, call.dataClasses);
    }
    const client = call.client;
    if (client !== undefined && call.agent === undefined && (unregistered || (this.#isRegistered !== undefined && !this.#isRegistered(client)))) {
      this.#noteClient(client, call, time);
    }
  }

  /** The catalog API whose base path holds `path` on a segment boundary, as the gateway routes. */
  #apiByBasePath(path: string): string | undefined {
    for (const { prefix, api } of this.#basePaths) if (path === prefix || path.startsWith(`${prefix}/`)) return api;
    return undefined;
  }

  #noteClient(client: string, call: Observation, time: number | undefined): void {
    let seen = this.#clients.get(client);
    if (seen === undefined) {
      if (this.#clients.size >= MAX_CLIENTS) return;
      this.#clients.set(client, (seen = { calls: 0, firstSeen: undefined, lastSeen: undefined, samples: new Map() }));
    }
    seen.calls++;
    if (time !== undefined) {
      if (seen.firstSeen === undefined || time < seen.firstSeen) seen.firstSeen = time;
      if (seen.lastSeen === undefined || time > seen.lastSeen) seen.lastSeen = time;
    }
    const group = groupOf(call.api ?? this.#apiByBasePath(call.path), call.host);
    const key = `${call.method} ${group} ${call.path}`;
    if (seen.samples.size < CLIENT_SAMPLES && !seen.samples.has(key)) seen.samples.set(key, { group, method: call.method, path: call.path });
  }

  /** The inventory of everything added so far. */
  build(): Inventory {
    const endpoints: InventoryEndpoint[] = [];
    const end = this.#to ?? Date.now();
    const orphanBefore = end - this.#orphanDays * DAY_MS;
    for (const api of this.#documented) {
      for (const operation of api.operations) {
        const seen = this.#byOperation.get(operation);
        if (seen === undefined) {
          if (operation.removedIn === undefined) endpoints.push(documentedEndpoint(operation, undefined, undefined, 'orphan', undefined, operation.dataClasses));
          continue;
        }
        const dataClasses = new Set([...operation.dataClasses, ...seen.stats.dataClasses]);
        for (const shape of seen.stats.shapes) for (const dataClass of dataClassesOfShape(shape)) dataClasses.add(dataClass);
        const zombie = zombieOf(operation, seen.stats);
        const stale = seen.stats.lastSeen !== undefined && seen.stats.lastSeen < orphanBefore;
        const classification: Classification = zombie !== undefined ? 'zombie' : stale ? 'orphan' : 'documented';
        endpoints.push(documentedEndpoint(operation, seen.host, seen.stats, classification, zombie, [...dataClasses]));
      }
    }
    for (const { templater, host, api } of this.#templaters.values()) {
      for (const endpoint of templater.endpoints()) {
        const dataClasses = new Set<string>(endpoint.stats.dataClasses);
        for (const shape of endpoint.stats.shapes) for (const dataClass of dataClassesOfShape(shape)) dataClasses.add(dataClass);
        const answered = [...endpoint.stats.statuses.keys()].some((status) => status >= 200 && status < 400);
        endpoints.push({
          host,
          method: endpoint.method,
          template: endpoint.template,
          classification: answered ? 'shadow' : 'unknown',
          api,
          operationId: undefined,
          ...statsFields(endpoint.stats),
          zombie: undefined,
          dataClasses: [...dataClasses].sort(),
          sensitivity: sensitivityOf(dataClasses),
        });
      }
    }
    return {
      calls: this.#calls,
      window: { from: iso(this.#from), to: iso(this.#to) },
      endpoints,
      apis: this.#apis(endpoints),
      unregisteredClients: this.#unregistered(),
      completeness: this.#completeness(endpoints),
    };
  }

  #apis(endpoints: readonly InventoryEndpoint[]): InventoryApi[] {
    const apis: InventoryApi[] = [];
    const byApi = new Map<string, InventoryEndpoint[]>();
    const byHost = new Map<string, InventoryEndpoint[]>();
    for (const endpoint of endpoints) {
      const map = endpoint.api !== undefined ? byApi : byHost;
      const key = endpoint.api ?? endpoint.host ?? '(no host)';
      const list = map.get(key);
      if (list === undefined) map.set(key, [endpoint]);
      else list.push(endpoint);
    }
    for (const api of this.#documented) {
      apis.push(summary(api.name, api.owner, api.source, byApi.get(api.name) ?? []));
      byApi.delete(api.name);
    }
    // APIs the gateway's records name but no document describes (an audit log read without its catalog).
    for (const [name, list] of byApi) apis.push(summary(name, undefined, 'traffic', list));
    // Traffic no document covers: one API per host, with no owner until someone adopts it.
    for (const [host, list] of byHost) if (list.some((endpoint) => endpoint.classification === 'shadow')) apis.push(summary(host, undefined, 'traffic', list));
    return apis;
  }

  #unregistered(): UnregisteredClient[] {
    const clients: UnregisteredClient[] = [];
    for (const [client, seen] of this.#clients) {
      const endpoints = new Set<string>();
      for (const sample of seen.samples.values()) endpoints.add(`${sample.method} ${this.#templateOf(sample.group, sample.method, sample.path)}`);
      clients.push({ client, firstSeen: iso(seen.firstSeen), lastSeen: iso(seen.lastSeen), calls: seen.calls, endpoints: [...endpoints].sort() });
    }
    return clients.sort((a, b) => b.calls - a.calls || (a.client < b.client ? -1 : 1));
  }

  #templateOf(group: string, method: string, path: string): string {
    const operation = this.#matcher.match(method, path);
    if (operation !== undefined) return operation.template;
    return this.#templaters.get(group)?.templater.templateOf(path) ?? path;
  }

  #completeness(endpoints: readonly InventoryEndpoint[]): Inventory['completeness'] {
    const owners = new Map(this.#documented.map((api) => [api.name, api.owner]));
    let observed = 0;
    let good = 0;
    for (const endpoint of endpoints) {
      if (endpoint.hits === 0 || endpoint.classification === 'unknown') continue;
      observed++;
      // A shadow endpoint of an owned API is owned, not documented.
      if (endpoint.classification !== 'shadow' && endpoint.api !== undefined && owners.get(endpoint.api) !== undefined) good++;
    }
    return { observed, documentedAndOwned: good, ratio: observed === 0 ? null : good / observed };
  }
}

/** Which templater an undocumented call goes to: its API (learned under it, or under its base path), or else its host. */
function groupOf(api: string | undefined, host: string | undefined): string {
  return api !== undefined ? `api ${api}` : `host ${host ?? ''}`;
}

function count(stats: EndpointStats, call: Observation): void {
  stats.hits++;
  stats.statuses.set(call.status, (stats.statuses.get(call.status) ?? 0) + 1);
  const time = call.time;
  if (time !== undefined) {
    if (stats.firstSeen === undefined || time < stats.firstSeen) stats.firstSeen = time;
    if (stats.lastSeen === undefined || time > stats.lastSeen) stats.lastSeen = time;
  }
  if (call.responseShape !== undefined && stats.shapes.size < 4) stats.shapes.add(call.responseShape);
  if (call.dataClasses !== undefined) for (const dataClass of call.dataClasses) stats.dataClasses.add(dataClass);
}

/** Why traffic to an operation is zombie traffic, if it is. */
function zombieOf(operation: DocumentedOperation, stats: EndpointStats): InventoryEndpoint['zombie'] {
  let reason: 'deprecated' | 'sunset' | 'removed' | undefined;
  let detail = '';
  if (operation.removedIn !== undefined) {
    reason = 'removed';
    detail = `in version ${operation.version}, removed by ${operation.removedIn}`;
  } else if (operation.sunset !== undefined && stats.lastSeen !== undefined && stats.lastSeen >= Date.parse(`${operation.sunset}T00:00:00Z`)) {
    reason = 'sunset';
    detail = `called after its sunset on ${operation.sunset}`;
  } else if (operation.deprecated) {
    reason = 'deprecated';
    detail = operation.sunset !== undefined ? `deprecated, sunset on ${operation.sunset}` : 'deprecated';
  }
  if (reason === undefined) return undefined;
  let serving = false;
  for (const status of stats.statuses.keys()) if (status >= 200 && status < 300) serving = true;
  return { reason, state: serving ? 'serving' : 'probed', detail };
}

function documentedEndpoint(operation: DocumentedOperation, host: string | undefined, stats: EndpointStats | undefined, classification: Classification, zombie: InventoryEndpoint['zombie'], dataClasses: readonly string[]): InventoryEndpoint {
  return {
    host,
    method: operation.method,
    template: operation.template,
    classification,
    api: operation.api,
    operationId: operation.operationId,
    ...(stats === undefined ? { hits: 0, statuses: {}, firstSeen: undefined, lastSeen: undefined } : statsFields(stats)),
    zombie,
    dataClasses: [...dataClasses].sort(),
    sensitivity: sensitivityOf(dataClasses),
  };
}

function statsFields(stats: EndpointStats): Pick<InventoryEndpoint, 'hits' | 'statuses' | 'firstSeen' | 'lastSeen'> {
  const statuses: Record<string, number> = {};
  for (const [status, hits] of [...stats.statuses].sort((a, b) => a[0] - b[0])) statuses[String(status)] = hits;
  return { hits: stats.hits, statuses, firstSeen: iso(stats.firstSeen), lastSeen: iso(stats.lastSeen) };
}

function summary(name: string, owner: string | undefined, source: InventoryApi['source'], endpoints: readonly InventoryEndpoint[]): InventoryApi {
  const counts: Record<Classification, number> = { documented: 0, shadow: 0, zombie: 0, orphan: 0, unknown: 0 };
  const dataClasses = new Set<string>();
  for (const endpoint of endpoints) {
    counts[endpoint.classification]++;
    if (endpoint.hits > 0) for (const dataClass of endpoint.dataClasses) dataClasses.add(dataClass);
  }
  return { name, owner, source, counts, dataClasses: [...dataClasses].sort(), sensitivity: sensitivityOf(dataClasses) };
}

function iso(time: number | undefined): string | undefined {
  return time === undefined ? undefined : new Date(time).toISOString();
}
