import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { scanAudit } from '../../controlplane/audit/audit-query.js';
import { defaultGatewayConfig, loadGatewayConfig } from '../../controlplane/config/gateway-config-file.js';
import { discoverFromTraffic, type DiscoveryResult } from '../../controlplane/discovery/discover-traffic.js';
import { findingsOf } from '../../controlplane/discovery/discovery-findings.js';
import type { InventoryEndpoint } from '../../controlplane/discovery/inventory.js';
import { inventoryOpenApi } from '../../controlplane/discovery/inventory-openapi.js';
import { registeredClients } from '../../controlplane/discovery/registered-clients.js';
import { SpecProblem } from '../../controlplane/discovery/openapi-documents.js';
import type { TrafficFormat } from '../../controlplane/discovery/importers/import-traffic.js';
import { policyInForce } from '../../controlplane/manifests/policy-in-force.js';
import { openSqliteStore, sqliteFileIn } from '../../controlplane/store/sqlite-store.js';
import type { ApiManifest } from '../../model/manifests/index.js';
import { table } from '../admin-format.js';
import { openAudit } from '../open-audit.js';
import { UsageError, counted, printJson, printLines, progressPrinter } from '../output.js';

export interface ImportOptions {
  readonly format: TrafficFormat | 'auto';
  readonly spec?: string[];
  readonly audit?: boolean;
  readonly from?: string;
  readonly orphanDays: number;
  readonly json?: boolean;
  readonly openapi?: string;
  readonly record: boolean;
  readonly data: string;
  readonly config?: string;
}

/** `warden discover import`: reads traffic, prints the inventory, records findings in the store when there is one. */
export async function runImport(files: readonly string[], options: ImportOptions): Promise<void> {
  if (files.length === 0 && options.audit !== true) throw new UsageError('give traffic files to import, or --audit for the gateway\'s own audit log', 'warden discover import access.log --spec openapi.yaml');
  for (const file of files) if (!existsSync(file)) throw new UsageError(`no file ${file}`, 'check the path of the traffic file');
  for (const file of options.spec ?? []) if (!existsSync(file)) throw new UsageError(`no OpenAPI document ${file}`, 'check the path given to --spec');
  if (options.openapi !== undefined && !existsSync(path.dirname(path.resolve(options.openapi)))) {
    throw new UsageError(`cannot write ${options.openapi}: the folder ${path.dirname(options.openapi)} does not exist`, 'create the folder first, or give another --openapi FILE');
  }
  if (options.from !== undefined && options.audit !== true) throw new UsageError('--from picks records of the gateway\'s audit log: give it with --audit', 'warden discover import --audit --from 2026-11-01');
  const from = options.from === undefined ? undefined : Date.parse(options.from);
  if (from !== undefined && Number.isNaN(from)) throw new UsageError(`--from "${options.from}" is not a time`, 'write an ISO 8601 day or time, e.g. --from 2026-11-01');
  const storeFile = sqliteFileIn(options.data);
  const hasStore = existsSync(storeFile);
  if (options.audit === true && !hasStore) throw new UsageError(`--audit reads the gateway's audit log, but ${options.data} holds no Warden data (no ${storeFile})`, 'give the data folder of `warden start` with --data DIR');
  const progress = options.json === true ? undefined : progressPrinter();
  const started = performance.now();
  let result: DiscoveryResult;
  let recorded: { added: number; updated: number } | undefined;
  let catalog: readonly ApiManifest[] = [];
  try {
    if (!hasStore) {
      result = await discoverFromTraffic({ files, format: options.format, specs: options.spec ?? [], catalog, orphanDays: options.orphanDays, registered: new Set(), ...(progress !== undefined ? { onProgress: progress } : {}) });
    } else {
      const store = await openSqliteStore(storeFile);
      try {
        const policy = await policyInForce(store);
        catalog = policy?.set.apis ?? [];
        const registered = await registeredClients(store, policy?.set.agents ?? []);
        let auditLines: Iterable<string> | undefined;
        if (options.audit === true) {
          const loaded = options.config === undefined ? { config: defaultGatewayConfig() } : await loadGatewayConfig(options.config);
          const audit = openAudit(store, loaded.config.audit, path.resolve(options.data), process.env, { sign: false });
          auditLines = (function* () {
            for (const match of scanAudit(audit.log, from === undefined ? {} : { from: new Date(from) })) yield match.json;
          })();
        }
        result = await discoverFromTraffic({ files, format: options.format, specs: options.spec ?? [], catalog, orphanDays: options.orphanDays, registered, ...(auditLines !== undefined ? { auditLines } : {}), ...(progress !== undefined ? { onProgress: progress } : {}) });
        if (options.record) {
          const now = new Date();
          recorded = await store.discovery.reportFindings(findingsOf(result.inventory), now);
          const completeness = result.inventory.completeness;
          await store.discovery.recordDiscoveryRun({ at: now.toISOString(), source: options.audit === true ? (files.length > 0 ? 'audit+import' : 'audit') : 'import', calls: result.inventory.calls, observedEndpoints: completeness.observed, documentedOwned: completeness.documentedAndOwned });
        }
      } finally {
        await store.close();
      }
    }
  } catch (error) {
    if (error instanceof SpecProblem) throw new UsageError(error.message, error.fix);
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  if (options.openapi !== undefined) await writeFile(options.openapi, `${JSON.stringify(inventoryOpenApi(result.inventory), null, 2)}\n`);
  const inventory = result.inventory;
  if (options.json === true) {
    return printJson({
      calls: inventory.calls,
      window: inventory.window,
      imports: result.imports,
      ...(options.audit === true ? { auditCalls: result.auditCalls } : {}),
      endpoints: inventory.endpoints.map(endpointJson),
      apis: inventory.apis,
      unregisteredClients: inventory.unregisteredClients,
      completeness: inventory.completeness,
      ...(recorded !== undefined ? { findings: recorded } : {}),
    });
  }
  const lines: string[] = [];
  for (const summary of result.imports) {
    lines.push(`${summary.file}: ${summary.format}, ${counted(summary.calls, 'call')}${summary.skipped > 0 ? `, ${summary.skipped} lines skipped` : ''}`);
    for (const problem of summary.problems.slice(0, 5)) lines.push(`  line ${problem.line}: ${problem.message}`);
  }
  if (options.audit === true) lines.push(`audit log: ${counted(result.auditCalls, 'call')}`);
  const rate = seconds > 0 ? Math.round(inventory.calls / seconds) : inventory.calls;
  lines.push(`${counted(inventory.calls, 'call')} in ${seconds.toFixed(1)} s (${rate.toLocaleString('en-US')}/s); documentation: ${result.documented.length === 0 ? 'none (every endpoint is undocumented; pass --spec)' : result.documented.map((api) => `${api.name} (${api.versions.join(', ')})`).join(', ')}`);
  if (!hasStore) lines.push(`no Warden data in ${options.data}: every client counts as unregistered and nothing is recorded (--data DIR)`);
  lines.push('');
  const shown = inventory.endpoints.filter((endpoint) => endpoint.classification !== 'unknown');
  lines.push(...(shown.length === 0 ? ['no endpoint observed'] : table(['CLASS', 'METHOD', 'ENDPOINT', 'HITS', 'STATUSES', 'OPERATION'], shown.map((endpoint) => [
    endpoint.zombie === undefined ? endpoint.classification : `zombie (${endpoint.zombie.reason}, ${endpoint.zombie.state})`,
    endpoint.method,
    `${endpoint.host ?? ''}${endpoint.template}`,
    String(endpoint.hits),
    Object.entries(endpoint.statuses).map(([status, hits]) => `${status}×${hits}`).join(' ') || '-',
    endpoint.api === undefined ? '-' : endpoint.operationId === undefined ? `${endpoint.api} (undeclared)` : `${endpoint.api}.${endpoint.operationId}`,
  ]))));
  const unknown = inventory.endpoints.filter((endpoint) => endpoint.classification === 'unknown');
  if (unknown.length > 0) lines.push('', `${counted(unknown.length, 'undocumented path')} never answered 2xx/3xx (probes or typos; in --json as "unknown")`);
  const counts = countBy(inventory.endpoints);
  lines.push('', `documented ${counts.documented}, shadow ${counts.shadow}, zombie ${counts.zombie}, orphan ${counts.orphan}; inventory completeness ${inventory.completeness.ratio === null ? 'n/a' : `${(inventory.completeness.ratio * 100).toFixed(1)} %`} (${inventory.completeness.documentedAndOwned} of ${inventory.completeness.observed} observed endpoints documented and owned)`);
  for (const api of inventory.apis) if (api.owner === undefined && api.counts.shadow + api.counts.documented + api.counts.zombie > 0) lines.push(`  ${api.name}: no owner${api.sensitivity !== undefined ? `, looks ${api.sensitivity} (${api.dataClasses.join(', ')})` : ''}`);
  if (inventory.unregisteredClients.length > 0) {
    lines.push('', `unregistered clients (${inventory.unregisteredClients.length}):`);
    lines.push(...table(['CLIENT', 'CALLS', 'FIRST SEEN', 'LAST SEEN', 'ENDPOINTS'], inventory.unregisteredClients.slice(0, 20).map((client) => [client.client, String(client.calls), client.firstSeen ?? '-', client.lastSeen ?? '-', client.endpoints.slice(0, 3).join(', ') + (client.endpoints.length > 3 ? ', …' : '')])));
  }
  if (recorded !== undefined) lines.push('', `findings: ${recorded.added} new, ${recorded.updated} seen again; review them with warden discover findings`);
  if (options.openapi !== undefined) lines.push(`inferred OpenAPI document written to ${options.openapi}`);
  printLines(lines);
}

function endpointJson(endpoint: InventoryEndpoint): Record<string, unknown> {
  return {
    method: endpoint.method,
    template: endpoint.template,
    hits: endpoint.hits,
    statuses: endpoint.statuses,
    classification: endpoint.classification,
    ...(endpoint.operationId !== undefined ? { operationId: endpoint.operationId } : {}),
    ...(endpoint.api !== undefined ? { api: endpoint.api } : {}),
    ...(endpoint.host !== undefined ? { host: endpoint.host } : {}),
    ...(endpoint.zombie !== undefined ? { zombie: endpoint.zombie } : {}),
    ...(endpoint.firstSeen !== undefined ? { firstSeen: endpoint.firstSeen, lastSeen: endpoint.lastSeen } : {}),
    dataClasses: endpoint.dataClasses,
    ...(endpoint.sensitivity !== undefined ? { sensitivity: endpoint.sensitivity } : {}),
  };
}

function countBy(endpoints: readonly InventoryEndpoint[]): Record<InventoryEndpoint['classification'], number> {
  const counts = { documented: 0, shadow: 0, zombie: 0, orphan: 0, unknown: 0 };
  for (const endpoint of endpoints) counts[endpoint.classification]++;
  return counts;
}

/** Progress on stderr at most once a second: large logs take a while. */
