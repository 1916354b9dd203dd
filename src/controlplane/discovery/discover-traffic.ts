import type { ApiManifest } from '../../model/manifests/index.js';
import { catalogDocuments } from './catalog-documents.js';
import type { DocumentedApi } from './documented-operation.js';
import { importTrafficFile, parseTrafficLine, type ImportSummary, type TrafficFormat } from './importers/import-traffic.js';
import { InventoryBuilder, type Inventory } from './inventory.js';
import { readOpenApiDocuments } from './openapi-documents.js';

export interface DiscoveryInput {
  readonly files: readonly string[];
  readonly format: TrafficFormat | 'auto';
  /** OpenAPI 3.x / Swagger 2.0 documents; several versions of one API share its `info.title`. */
  readonly specs: readonly string[];
  /** The catalog's `Api` manifests: documentation with owners. */
  readonly catalog: readonly ApiManifest[];
  /** Client identities of registered agents; without it only clients the gateway refused count as unregistered. */
  readonly registered?: ReadonlySet<string>;
  readonly orphanDays?: number;
  /** Stored audit records (JSON lines) of the gateway's own traffic. */
  readonly auditLines?: Iterable<string>;
  readonly onProgress?: (file: string, bytesRead: number, totalBytes: number) => void;
  readonly signal?: AbortSignal;
}

export interface DiscoveryResult {
  readonly inventory: Inventory;
  readonly imports: readonly ImportSummary[];
  readonly documented: readonly DocumentedApi[];
  /** Calls read from the gateway's audit log. */
  readonly auditCalls: number;
}

/** Reads traffic files (and the gateway's audit log), matches it against the documentation, and builds the inventory. */
export async function discoverFromTraffic(input: DiscoveryInput): Promise<DiscoveryResult> {
  const documented = [...catalogDocuments(input.catalog), ...(await readOpenApiDocuments(input.specs))];
  const registered = input.registered;
  const builder = new InventoryBuilder({
    documented,
    ...(input.orphanDays !== undefined ? { orphanDays: input.orphanDays } : {}),
    ...(registered !== undefined ? { isRegistered: (client: string) => registered.has(client) } : {}),
  });
  let auditCalls = 0;
  if (input.auditLines !== undefined) {
    for (const line of input.auditLines) {
      const parsed = parseTrafficLine('audit', line);
      if (parsed === undefined || 'problem' in parsed) continue;
      builder.add(parsed.observation, parsed.unregistered === true);
      auditCalls++;
    }
  }
  const imports: ImportSummary[] = [];
  for (const file of input.files) {
    imports.push(
      await importTrafficFile(file, {
        format: input.format,
        onCall: (call) => builder.add(call.observation, call.unregistered === true),
        ...(input.onProgress !== undefined ? { onProgress: (bytes: number, total: number) => input.onProgress!(file, bytes, total) } : {}),
        ...(input.signal !== undefined ? { signal: input.signal } : {}),
      }),
    );
  }
  return { inventory: builder.build(), imports, documented, auditCalls };
}
