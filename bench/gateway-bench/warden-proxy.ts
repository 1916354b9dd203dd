/**
 * Warden under load: the real Gateway (src/dataplane/gateway.ts) with the whole pipeline on
 * one route. An agent identified by a Warden API key, a grant whose parameter conditions are
 * checked on every call (a path parameter pattern and a query parameter enum), Warden's
 * upstream credential injected, buffered audit and usage counting on: the all-in-one runtime
 * of `warden start` (gateway and control plane) over an SQLite store in a temp folder. Usage (forked): warden-proxy.js <upstream URL> [--limits] [--sinks] [--field-rules]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startGatewayRuntime } from '../../src/cli/gateway-runtime.js';
import { defaultGatewayConfig } from '../../src/controlplane/config/gateway-config-file.js';
import { issueApiKey } from '../../src/controlplane/credentials/issue-api-key.js';
import { cpuMeter, serve } from './ipc.js';
import { FIELD_RULES, type ProxyReady } from './scenario.js';

const KEY_ID = 'key_benchagent01';

const MANIFESTS: Readonly<Record<string, string>> = {
  'inventory.yaml': `
apiVersion: warden.dev/v1
kind: Api
metadata:
  name: inventory
  description: The benchmark's fast upstream
spec:
  owner: bench@example.com
  upstream:
    url: \${UPSTREAM}
    auth: { type: bearer, secret: env:WARDEN_BENCH_UPSTREAM_TOKEN }
  basePath: /inventory
  sensitivity: internal
  operations:
    - id: getItem
      method: GET
      path: /items/{itemId}
      parameters:
        - { name: itemId, in: path }
        - { name: region, in: query, required: true }
`,
  'stock-reader.yaml': `
apiVersion: warden.dev/v1
kind: Role
metadata:
  name: stock-reader
spec:
  description: Reads stock levels of its regions
  grants:
    - id: read-regional-stock
      api: inventory
      operations: [getItem]
      params:
        itemId: { pattern: "[0-9]{1,9}" }
        region: { enum: [eu, us] }
\${LIMITS}`,
  'agent.yaml': `
apiVersion: warden.dev/v1
kind: Agent
metadata:
  name: stock-bot
spec:
  owner: bench@example.com
  purpose: Checks stock levels under benchmark load
  roles: [stock-reader]
  state: active
  credentials:
    - { type: apiKey, id: ${KEY_ID} }
`,
};

async function main(): Promise<void> {
  const upstream = process.argv[2];
  if (upstream === undefined) throw new Error('usage: warden-proxy.js <upstream URL> [--limits] [--sinks] [--field-rules]');
  // --limits: the grant gets a rate limit and a quota no run reaches, so each call pays for both checks.
  const limits = (process.argv.includes('--limits') ? '      rateLimit: 1000000/s\n      quotas: [{ limit: 1000000000, per: hour }]\n' : '') + (process.argv.includes('--field-rules') ? FIELD_RULES : '');
  const directory = await mkdtemp(path.join(os.tmpdir(), 'warden-gateway-bench-'));
  const manifestDir = path.join(directory, 'manifests');
  await mkdir(manifestDir);
  for (const [name, text] of Object.entries(MANIFESTS)) await writeFile(path.join(manifestDir, name), text.replaceAll('${UPSTREAM}', upstream).replaceAll('${LIMITS}', limits));
  let key = '';
  // What `warden start` runs: gateway, control plane and admin API, buffered audit (50 ms
  // flushes) with usage counting, on loopback and free ports.
  // --sinks: the audit export runs too, to two JSONL files (the stored records and OCSF 6003).
  const sinks = process.argv.includes('--sinks')
    ? [{ name: 'bench-jsonl', type: 'jsonl', file: 'export/audit.jsonl', fsync: false }, { name: 'bench-ocsf', type: 'jsonl', file: 'export/ocsf.jsonl', format: 'ocsf', fsync: false }]
    : [];
  const runtime = await startGatewayRuntime({
    loaded: { config: defaultGatewayConfig({ gateway: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 }, audit: { sinks } }), baseDirectory: directory },
    dataDirectory: directory,
    manifests: manifestDir,
    appliedBy: 'bench',
    env: { WARDEN_BENCH_UPSTREAM_TOKEN: 'upstream-secret-of-the-benchmark' },
    async prepare(store) {
      key = (await issueApiKey(store, KEY_ID)).key;
    },
  });
  serve(
    {
      // Writing the audit records is per-request work: flush before reading the CPU clock.
      ...cpuMeter(async () => {
        await new Promise((resolve) => setTimeout(resolve, 60));
      }),
      /** Audit records written so far, and the outcomes of the last few. */
      audit: async () => {
        await new Promise((resolve) => setTimeout(resolve, 60));
        const records = runtime.audit.log.size();
        const recent = runtime.audit.log.eventsAfter(Math.max(0, records - 5));
        return { records, recent: recent.map((event) => ({ outcome: event.decision.outcome, reason: event.decision.reason, status: event.http.status, rule: event.decision.rule })) };
      },
      close: async () => {
        await runtime.close();
        await rm(directory, { recursive: true, force: true });
        setTimeout(() => process.exit(0), 20);
        return true;
      },
    },
    { url: `http://127.0.0.1:${runtime.addresses.agent.port}`, apiKey: key } satisfies ProxyReady,
  );
}

await main();
