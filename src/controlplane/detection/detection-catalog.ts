import type { Snapshot } from '../../policy/snapshot.js';

/** What detection needs to know about one API of the catalog. */
export interface CatalogApi {
  readonly sensitivity: string;
  readonly status: 'active' | 'deprecated' | 'retired';
  /** Epoch ms of the sunset day's start (UTC), if any. */
  readonly sunsetAt: number | undefined;
  readonly dataClasses: readonly string[];
}

/** What detection needs to know about one operation of the catalog. */
export interface CatalogOperation {
  readonly deprecated: boolean;
  readonly effect: 'read' | 'write';
  readonly dataClasses: readonly string[];
}

/**
 * The catalog as detection sees it: sensitivity and lifecycle of APIs and operations, and
 * which APIs each role's grants cover. Optional: without it detectors rely on what each
 * audit record carries.
 */
export interface DetectionCatalog {
  readonly apis: ReadonlyMap<string, CatalogApi>;
  /** Keyed `api.operation`. */
  readonly operations: ReadonlyMap<string, CatalogOperation>;
  /** Role name → names of the APIs its grants cover. */
  readonly roleApis: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Builds the detection catalog from a compiled policy snapshot. */
export function catalogFromSnapshot(snapshot: Snapshot): DetectionCatalog {
  const apis = new Map<string, CatalogApi>();
  for (const api of snapshot.apis.values()) {
    apis.set(api.name, { sensitivity: api.sensitivity, status: api.status, sunsetAt: api.sunsetAt, dataClasses: api.dataClasses });
  }
  const operations = new Map<string, CatalogOperation>();
  for (const operation of snapshot.operations) {
    operations.set(`${operation.api.name}.${operation.id}`, { deprecated: operation.deprecated, effect: operation.effect, dataClasses: operation.dataClasses });
  }
  const roleApis = new Map<string, ReadonlySet<string>>();
  for (const [name, table] of snapshot.roles) {
    const covered = new Set<string>();
    for (const index of table.grants.keys()) {
      const operation = snapshot.operations[index];
      if (operation !== undefined) covered.add(operation.api.name);
    }
    roleApis.set(name, covered);
  }
  return { apis, operations, roleApis };
}
