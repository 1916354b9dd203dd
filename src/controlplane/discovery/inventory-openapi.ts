import type { Inventory, InventoryEndpoint } from './inventory.js';

const PARAMETER = /\{([^}]+)\}/g;

/**
 * The observed endpoints as an OpenAPI 3.1 document a team can review and adopt: every
 * endpoint that had traffic (orphans and unknown probes aside), its observed statuses as
 * responses, its path parameters as strings, zombies marked deprecated, and what discovery
 * knows under `x-warden-*` extensions.
 */
export function inventoryOpenApi(inventory: Inventory, title = 'Discovered API inventory'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const hosts = new Set<string>();
  const usedIds = new Set<string>();
  for (const endpoint of inventory.endpoints) {
    if (endpoint.hits === 0 || endpoint.classification === 'unknown') continue;
    if (endpoint.host !== undefined) hosts.add(endpoint.host);
    const item = (paths[endpoint.template] ??= {});
    item[endpoint.method.toLowerCase()] = operationOf(endpoint, usedIds);
  }
  const sorted: Record<string, Record<string, unknown>> = {};
  for (const key of Object.keys(paths).sort()) sorted[key] = paths[key]!;
  return {
    openapi: '3.1.0',
    info: {
      title,
      version: inventory.window.to?.slice(0, 10) ?? '0',
      description: `Inferred by warden discover from ${inventory.calls} observed calls${inventory.window.from ? ` between ${inventory.window.from} and ${inventory.window.to}` : ''}. Review each operation before adopting it: names of path parameters are guessed.`,
    },
    ...(hosts.size > 0 ? { servers: [...hosts].sort().map((host) => ({ url: `https://${host}` })) } : {}),
    paths: sorted,
  };
}

function operationOf(endpoint: InventoryEndpoint, usedIds: Set<string>): Record<string, unknown> {
  const parameters = [...endpoint.template.matchAll(PARAMETER)].map((match) => ({ name: match[1]!, in: 'path', required: true, schema: { type: 'string' } }));
  const responses: Record<string, { description: string }> = {};
  for (const [status, hits] of Object.entries(endpoint.statuses)) responses[status === '0' ? 'default' : status] = { description: `observed ${hits} time${hits === 1 ? '' : 's'}` };
  if (Object.keys(responses).length === 0) responses['default'] = { description: 'no response observed' };
  return {
    operationId: endpoint.operationId ?? uniqueId(endpoint, usedIds),
    ...(endpoint.zombie !== undefined ? { deprecated: true } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    responses,
    'x-warden-classification': endpoint.classification,
    'x-warden-hits': endpoint.hits,
    ...(endpoint.host !== undefined ? { 'x-warden-host': endpoint.host } : {}),
    ...(endpoint.firstSeen !== undefined ? { 'x-warden-first-seen': endpoint.firstSeen, 'x-warden-last-seen': endpoint.lastSeen } : {}),
    ...(endpoint.dataClasses.length > 0 ? { 'x-warden-data-classes': endpoint.dataClasses } : {}),
    ...(endpoint.zombie !== undefined ? { 'x-warden-zombie': endpoint.zombie } : {}),
  };
}

/** `get_customers_customerId_orders`: derived from method and template, unique within the document. */
function uniqueId(endpoint: InventoryEndpoint, used: Set<string>): string {
  const words = endpoint.template.split('/').filter((part) => part !== '').map((part) => part.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+/g, '_'));
  const base = [endpoint.method.toLowerCase(), ...words].join('_').replace(/_+/g, '_').replace(/_$/, '');
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
  used.add(id);
  return id;
}
