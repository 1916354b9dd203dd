import type { ApiManifest, HttpMethod, Sensitivity } from '../../model/manifests/index.js';
import { HTTP_METHODS } from '../../model/manifests/index.js';
import { API_VERSION } from '../../model/manifests/common.js';
import { parsePathTemplate } from '../../policy/path-template.js';
import { sensitivityOf } from './field-name-classes.js';

/** An endpoint being adopted: what the inventory said about it. */
export interface AdoptedEndpoint {
  readonly method: string;
  readonly template: string;
  readonly dataClasses?: readonly string[];
}

export interface AdoptionOptions {
  /** Catalog name of the new API (lower-case letters, digits and hyphens). */
  readonly name: string;
  readonly owner: string;
  /** Where the gateway forwards its calls. */
  readonly upstream: string;
  /** Path prefix the API lives under; templates are declared relative to it. */
  readonly basePath?: string;
  readonly description?: string;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * An `Api` manifest that adopts discovered endpoints into the catalog. It starts in monitor
 * mode: no role grants the new operations yet, and enforcing at once would cut off the very
 * traffic that revealed them; the team grants, reviews the decisions recorded as would-deny,
 * then switches to enforce.
 */
export function adoptionManifest(endpoints: readonly AdoptedEndpoint[], options: AdoptionOptions): ApiManifest {
  if (!NAME.test(options.name)) throw new Error(`"${options.name}" is not a valid API name: use lower-case letters, digits and hyphens`);
  if (!/^https?:\/\//.test(options.upstream)) throw new Error(`the upstream "${options.upstream}" is not an http(s) URL`);
  const basePath = normalizeBase(options.basePath ?? '/');
  const dataClasses = new Set<string>();
  const used = new Set<string>();
  const operations: ApiManifest['spec']['operations'] = [];
  for (const endpoint of [...endpoints].sort((a, b) => (a.template === b.template ? (a.method < b.method ? -1 : 1) : a.template < b.template ? -1 : 1))) {
    const method = endpoint.method.toUpperCase();
    if (!(HTTP_METHODS as readonly string[]).includes(method)) throw new Error(`${endpoint.method} ${endpoint.template}: the catalog declares ${HTTP_METHODS.join(', ')} only`);
    if (basePath !== '/' && endpoint.template !== basePath && !endpoint.template.startsWith(`${basePath}/`)) {
      throw new Error(`${endpoint.method} ${endpoint.template} is not under the base path ${basePath}`);
    }
    const path = basePath === '/' ? endpoint.template : endpoint.template.slice(basePath.length) || '/';
    // What the gateway cannot route (`{object}:copy`) is refused here, not by `warden apply` later.
    const routable = parsePathTemplate(path);
    if ('error' in routable) throw new Error(`${method} ${endpoint.template}: the path ${routable.error}; declare this operation by hand, or leave it out`);
    for (const dataClass of endpoint.dataClasses ?? []) dataClasses.add(dataClass);
    operations.push({
      id: operationId(method, path, used),
      method: method as HttpMethod,
      path,
      parameters: [...path.matchAll(/\{([^}]+)\}/g)].map((match) => ({ name: match[1]!, in: 'path' as const, type: 'string' as const, required: true })),
      deprecated: false,
      ...(endpoint.dataClasses !== undefined && endpoint.dataClasses.length > 0 ? { dataClasses: [...endpoint.dataClasses].sort() } : {}),
    });
  }
  const sensitivity: Sensitivity = sensitivityOf(dataClasses) ?? 'internal';
  return {
    apiVersion: API_VERSION,
    kind: 'Api',
    metadata: { name: options.name, ...(options.description !== undefined ? { description: options.description } : {}) },
    spec: {
      owner: options.owner,
      description: options.description ?? `Adopted from discovery: ${operations.length} operation${operations.length === 1 ? '' : 's'} seen in traffic.`,
      upstream: { url: options.upstream },
      basePath,
      mode: 'monitor',
      lifecycle: { status: 'active' },
      sensitivity,
      criticality: 'medium',
      dataClasses: [...dataClasses].sort(),
      operations,
    },
  };
}

function normalizeBase(basePath: string): string {
  const withSlash = basePath.startsWith('/') ? basePath : `/${basePath}`;
  return withSlash.length > 1 && withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash;
}

/** `getCustomersCustomerIdOrders`-style ids are long; `get-customer-orders` reads better and stays unique. */
function operationId(method: string, path: string, used: Set<string>): string {
  const words = path.split('/').filter((part) => part !== '' && !part.startsWith('{')).map((part) => part.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, ''));
  const leaf = path.endsWith('}') ? 'item' : '';
  const base = [method.toLowerCase(), ...words, leaf].filter((part) => part !== '').join('-').slice(0, 120);
  let id = /^[A-Za-z]/.test(base) ? base : `op-${base}`;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}
