import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parseDocument } from 'yaml';
import { API_VERSION } from '../../model/manifests/common.js';
import { GatewayConfigSchema, type GatewayConfig } from '../../model/config/gateway-config.js';
import { schemaProblems } from '../../policy/load/schema-problems.js';

/** A config that failed validation; the message lists every problem with its fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A validated config with defaults applied, and the folder its relative paths start from. */
export interface LoadedGatewayConfig {
  readonly config: GatewayConfig;
  readonly baseDirectory: string;
}

/** The defaults: what `warden start` runs without `--config`. */
export function defaultGatewayConfig(overrides: Record<string, unknown> = {}): GatewayConfig {
  return checked({ apiVersion: API_VERSION, kind: 'GatewayConfig', ...overrides }, '(defaults)');
}

/** Reads and validates a `warden.yaml` (kind GatewayConfig). */
export async function loadGatewayConfig(file: string): Promise<LoadedGatewayConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) throw new ConfigError(`${file}: ${document.errors[0]!.message}`);
  return { config: checked(document.toJS() ?? {}, file), baseDirectory: path.dirname(path.resolve(file)) };
}

function checked(raw: unknown, file: string): GatewayConfig {
  const value = Value.Default(GatewayConfigSchema, structuredClone(raw));
  const problems = schemaProblems(GatewayConfigSchema, value);
  if (problems.length > 0) {
    const lines = problems.map((problem) => `${file} ${problem.segments.join('.') || '(top)'}: ${problem.message}\n  fix: ${problem.fix}`);
    throw new ConfigError(`the gateway config is not valid:\n${lines.join('\n')}`);
  }
  for (const [list, issuers] of [['identity.jwt', (value as GatewayConfig).identity.jwt], ['identity.context', (value as GatewayConfig).identity.context]] as const) {
    issuers.forEach((issuer, index) => {
      if ((issuer.keys.jwksUri === undefined) === (issuer.keys.jwksFile === undefined)) throw new ConfigError(`${file} ${list}.${index}.keys: set exactly one of jwksUri or jwksFile`);
    });
  }
  return value as GatewayConfig;
}
