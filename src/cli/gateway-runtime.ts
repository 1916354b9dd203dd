import path from 'node:path';
import { AuditWriter } from '../controlplane/audit/audit-writer.js';
import type { LoadedGatewayConfig } from '../controlplane/config/gateway-config-file.js';
import { applyManifests } from '../controlplane/manifests/apply-manifests.js';
import { policyInForce } from '../controlplane/manifests/policy-in-force.js';
import { openSqliteStore, sqliteFileIn } from '../controlplane/store/sqlite-store.js';
import type { Store } from '../controlplane/store/store.js';
import { UpstreamCredentials } from '../dataplane/filters/forward/upstream-credentials.js';
import { Gateway, type GatewayAddresses } from '../dataplane/gateway.js';
import { gatewayState } from '../dataplane/gateway-state.js';
import { compile } from '../policy/compile.js';
import type { UpstreamAuth } from '../policy/snapshot.js';
import { loadValidFolder } from './load-snapshot.js';

/** A running all-in-one Warden: gateway, store and audit writer, wired together. */
export interface GatewayRuntime {
  readonly gateway: Gateway;
  readonly addresses: GatewayAddresses;
  readonly store: Store;
  /** Problems worth a warning at start (unresolvable upstream credentials, no policy yet). */
  readonly warnings: readonly string[];
  /** Drains the gateway, flushes the audit log, closes the store. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  readonly loaded: LoadedGatewayConfig;
  readonly dataDirectory: string;
  /** A manifest folder to apply before serving (else the config's `manifests`, else the policy in force). */
  readonly manifests?: string;
  readonly appliedBy: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Runs once the store is open, before the gateway starts (the demo issues its keys here). */
  readonly prepare?: (store: Store) => Promise<void>;
}

/** Starts the all-in-one process of DESIGN.md §2 (`warden start`). */
export async function startGatewayRuntime(options: RuntimeOptions): Promise<GatewayRuntime> {
  const { config, baseDirectory } = options.loaded;
  const warnings: string[] = [];
  const folder = options.manifests ?? (config.manifests === undefined ? undefined : path.resolve(baseDirectory, config.manifests));
  const loaded = folder === undefined ? undefined : await loadValidFolder(folder);
  const store = await openSqliteStore(sqliteFileIn(options.dataDirectory));
  try {
    if (loaded !== undefined) await applyManifests(store, loaded.loaded.set, { appliedBy: options.appliedBy, message: `warden start: ${folder}` });
    await options.prepare?.(store);
    const inForce = await policyInForce(store);
    const snapshot = inForce === undefined ? undefined : compile(inForce.set);
    if (snapshot === undefined) warnings.push('no policy has been applied yet: the gateway answers 503 until `warden apply` puts one in force (then restart)');
    const credentials = new UpstreamCredentials(options.env ?? process.env);
    if (snapshot !== undefined) {
      const auths = [...snapshot.apis.values()].flatMap((api) => (api.upstreamAuth === undefined ? [] : [{ api: api.name, auth: api.upstreamAuth }]));
      for (const { api, auth } of auths) {
        for (const problem of credentials.problems([auth as UpstreamAuth])) warnings.push(`API ${api}: ${problem}; its calls will fail with 502 until it is set`);
      }
    }
    const writer = await AuditWriter.open(store, {
      flushIntervalMs: config.audit.flushIntervalMs,
      ...(config.audit.jsonl !== undefined ? { jsonlFile: path.resolve(baseDirectory, config.audit.jsonl) } : {}),
      onError: (error) => process.emitWarning(`warden: audit: ${error.message}`),
    });
    const gateway = new Gateway({
      config,
      baseDirectory,
      sink: writer,
      credentials,
      ...(snapshot !== undefined ? { state: gatewayState(snapshot, await store.listApiKeys()) } : {}),
    });
    const addresses = await gateway.listen();
    return {
      gateway,
      addresses,
      store,
      warnings,
      async close() {
        try {
          await gateway.close();
          await writer.close();
        } finally {
          await store.close();
        }
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
