import type { Inventory, InventoryEndpoint } from './inventory.js';

const PARAMETER = /\{([^}]+)\}/g;

/**
 * The observed endpoints as an OpenAPI 3.1 document a team can review and adopt: every
 * endpoint that had traffic (orphans and unknown probes aside), its observed statuses as
 * responses, its path parameters as strings, zombies marked deprecated, and what discovery
 * knows under `x-warden-*` extensions.
 */
export function inventoryOpenApi(inventory: Inventory, title = 'Discovered API inventory'): Record<string, unknown> {
  // The same template on several hosts is one operation of the document: nothing is dropped.
  const groups = new Map<string, InventoryEndpoint[]>();
  for (const endpoint of inventory.endpoints) {
    if (endpoint.hits === 0 || endpoint.classification === 'unknown') continue;
    const key = `${endpoint.template} ${endpoint.method}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [endpoint]);
    else group.push(endpoint);
  }
  const paths: Record<string, Record<string, unknown>> = {};
  const hosts = new Set<string>();
  const usedIds = new Set<string>();
  for (const key of [...groups.keys()].sort()) {
    const group = groups.get(key)!;
    const first = group[0]!;
    for (const endpoint of group) if (endpoint.host !== undefined) hosts.add(endpoint.host);
    const item = (paths[first.template] ??= {});
    item[first.method.toLowerCase()] = operationOf(group, usedIds);
  }
  return {
    openapi: '3.1.0',
    info: {
      title,
      version: inventory.window.to?.slice(0, 10) ?? '0',
      description: `Inferred by warden discover from ${inventory.calls} observed calls${inventory.window.from ? ` between ${inventory.window.from} and ${inventory.window.to}` : ''}. Review each operation before adopting it: names of path parameters are guessed.`,
    },
    ...(hosts.size > 0 ? { servers: [...hosts].sort().map((host) => ({ url: `https://${host}` })) } : {}),
    paths,
  };
}

function operationOf(group: readonly InventoryEndpoint[], usedIds: Set<string>): Record<string, unknown> {
  const first = group[0]!;
  const parameters = [...first.template.matchAll(PARAMETER)].map((match) => ({ name: match[1]!, in: 'path', required: true, schema: { type: 'string' } }));
  const statuses = new Map<string, number>();
  const dataClasses = new Set<string>();
  const hosts = new Set<string>();
  let hits = 0;
  let firstSeen: string | undefined;
  let lastSeen: string | undefined;
  for (const endpoint of group) {
    hits += endpoint.hits;
    for (const [status, count] of Object.entries(endpoint.statuses)) statuses.set(status, (statuses.get(status) ?? 0) + count);
    for (const dataClass of endpoint.dataClasses) dataClasses.add(dataClass);
    if (endpoint.host !== undefined) hosts.add(endpoint.host);
    if (endpoint.firstSeen !== undefined && (firstSeen === undefined || endpoint.firstSeen < firstSeen)) firstSeen = endpoint.firstSeen;
    if (endpoint.lastSeen !== undefined && (lastSeen === undefined || endpoint.lastSeen > lastSeen)) lastSeen = endpoint.lastSeen;
  }
  const responses: Record<string, { description: string }> = {};
  for (const [status, count] of statuses) responses[status === '0' ? 'default' : status] = { description: `observed ${count} time${count === 1 ? '' : 's'}` };
  if (Object.keys(responses).length === 0) responses['default'] = { description: 'no response observed' };
  const zombie = group.find((endpoint) => endpoint.zombie !== undefined)?.zombie;
  return {
    operationId: uniqueId(first, usedIds),
    ...(zombie !== undefined ? { deprecated: true } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    responses,
    'x-warden-classification': zombie !== undefined ? 'zombie' : first.classification,
    'x-warden-hits': hits,
    ...(hosts.size > 0 ? { 'x-warden-hosts': [...hosts].sort() } : {}),
    ...(firstSeen !== undefined ? { 'x-warden-first-seen': firstSeen, 'x-warden-last-seen': lastSeen } : {}),
    ...(dataClasses.size > 0 ? { 'x-warden-data-classes': [...dataClasses].sort() } : {}),
    ...(zombie !== undefined ? { 'x-warden-zombie': zombie } : {}),
  };
}

/**
 * The documented operationId, or `get_customers_customerId_orders` derived from method and
 * template; unique within the document (an id two versions share gets a suffix).
 */
function uniqueId(endpoint: InventoryEndpoint, used: Set<string>): string {
  const words = endpoint.template.split('/').filter((part) => part !== '').map((part) => part.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+/g, '_'));
  const base = endpoint.operationId ?? [endpoint.method.toLowerCase(), ...words].join('_').replace(/_+/g, '_').replace(/_$/, '');
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
  used.add(id);
  return id;
}

