import path from 'node:path';
import type { Command } from 'commander';
import { defaultGatewayConfig, loadGatewayConfig, ConfigError, type LoadedGatewayConfig } from '../../controlplane/config/gateway-config-file.js';
import { dataOption } from '../data-option.js';
import { startGatewayRuntime } from '../gateway-runtime.js';
import { printJson, printLines, UsageError } from '../output.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the gateway (agent port) and the control plane (admin API, health, metrics on the admin port) until SIGINT/SIGTERM')
    .option('--config <file>', 'gateway config (kind GatewayConfig, see docs/gateway.md); defaults otherwise')
    .option('--manifests <dir>', 'apply this manifest folder before serving (overrides the config\'s `manifests`)')
    .option('--json', 'print the listening addresses as JSON once ready')
    .addOption(dataOption)
    .action(async (options: { config?: string; manifests?: string; json?: boolean; data: string }) => {
      let loaded: LoadedGatewayConfig;
      try {
        loaded = options.config === undefined ? { config: defaultGatewayConfig(), baseDirectory: process.cwd() } : await loadGatewayConfig(options.config);
      } catch (error) {
        if (error instanceof ConfigError) throw new UsageError(error.message, 'fix the config file; docs/gateway.md lists every field');
        throw error;
      }
      const dataDirectory = path.resolve(loaded.config.data === undefined || options.data !== '.warden' ? options.data : path.resolve(loaded.baseDirectory, loaded.config.data));
      const runtime = await startGatewayRuntime({
        loaded,
        dataDirectory,
        ...(options.manifests !== undefined ? { manifests: path.resolve(options.manifests) } : {}),
        appliedBy: process.env.USER ?? 'warden start',
      });
      const { agent, admin } = runtime.addresses;
      if (options.json) printJson({ agent: { host: agent.address, port: agent.port }, admin: { host: admin.address, port: admin.port }, policyVersion: runtime.gateway.state?.snapshot.version ?? null, adminTokenFile: runtime.adminTokenFile ?? null, warnings: runtime.warnings });
      else {
        printLines([
          `warden: gateway listening on ${agent.address}:${agent.port}, admin API (and healthz, readyz, metrics) on ${admin.address}:${admin.port}`,
          `warden: policy ${runtime.gateway.state?.snapshot.version ?? 'none (not ready)'}, data in ${dataDirectory}`,
          ...(runtime.adminTokenFile !== undefined ? [`warden: first admin token written to ${runtime.adminTokenFile} (mode 0600); the warden CLI reads it from there`] : []),
          ...runtime.warnings.map((warning) => `warning: ${warning}`),
        ]);
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      if (!options.json) printLines(['warden: draining in-flight requests and flushing the audit log…']);
      await runtime.close();
    });
}
