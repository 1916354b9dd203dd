import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { AuditSinkConfig, type JsonlSinkConfig, type SyslogSinkConfig, type WebhookSinkConfig } from '../../../model/config/audit-sink-config.js';
import { schemaProblems } from '../../../policy/load/schema-problems.js';
import { resolveSecret } from '../../config/secret-ref.js';
import { JsonlFileTransport } from './jsonl-file-transport.js';
import { recordFormatter, type RecordFormatter } from './record-format.js';
import type { SinkTransport } from './sink-transport.js';
import { syslogMessage } from './syslog-format.js';
import { SyslogTransport } from './syslog-transport.js';
import { WebhookTransport } from './webhook-transport.js';

/** A sink config that cannot run; the message names the sink and field and says what to change. */
export class AuditSinkConfigError extends Error {
  override name = 'AuditSinkConfigError';
}

/** A sink ready to run: its transport, its formatter and how many records it takes at once. */
export interface BuiltSink {
  readonly name: string;
  readonly type: AuditSinkConfig['type'];
  readonly transport: SinkTransport;
  readonly format: RecordFormatter;
  readonly batchSize: number;
}

export interface BuildContext {
  /** Relative paths (caFile, file, file: secrets) start here: the config file's folder. */
  readonly baseDirectory: string;
  readonly env: NodeJS.ProcessEnv;
  readonly productVersion: string;
  /** The clock of JSONL rotation; tests move it. */
  readonly now?: () => Date;
}

type Filled<T, K extends keyof T> = Omit<T, K> & { readonly [P in K]-?: Exclude<T[P], undefined> };
type FilledSyslog = Filled<SyslogSinkConfig, 'transport' | 'format' | 'facility' | 'enterpriseId' | 'timeoutMs' | 'batchSize'>;
type FilledWebhook = Filled<WebhookSinkConfig, 'format' | 'body' | 'timeoutMs' | 'batchSize'>;
type FilledJsonl = Filled<JsonlSinkConfig, 'format' | 'maxBytes' | 'rotateDaily' | 'keep' | 'fsync' | 'batchSize'>;

/**
 * Validates the sinks (schema, defaults, unique names) the way the config loader does, so a
 * caller that built them in code gets the same checks and messages, then builds each one.
 * Throws {@link AuditSinkConfigError} listing every problem found.
 */
export function buildSinks(sinks: readonly unknown[], context: BuildContext): BuiltSink[] {
  const problems: string[] = [];
  const filled = sinks.map((raw, index) => {
    const value = Value.Default(AuditSinkConfig, structuredClone(raw)) as AuditSinkConfig;
    for (const problem of schemaProblems(AuditSinkConfig, value)) {
      problems.push(`${where(index, raw)}${problem.segments.length > 0 ? `.${problem.segments.join('.')}` : ''}: ${problem.message}\n  fix: ${problem.fix}`);
    }
    return value;
  });
  const seen = new Map<string, number>();
  filled.forEach((sink, index) => {
    const earlier = seen.get(sink.name);
    if (earlier !== undefined) problems.push(`${where(index, sink)}: the name "${sink.name}" is also sink ${earlier}'s\n  fix: give every sink its own name (the name keys its delivery cursor)`);
    else seen.set(sink.name, index);
  });
  if (problems.length > 0) throw new AuditSinkConfigError(`the audit export sinks are not valid:\n${problems.join('\n')}`);
  return filled.map((sink, index) => {
    try {
      switch (sink.type) {
        case 'syslog':
          return syslogSink(sink as FilledSyslog, context);
        case 'webhook':
          return webhookSink(sink as FilledWebhook, context);
        case 'jsonl':
          return jsonlSink(sink as FilledJsonl, context);
      }
    } catch (error) {
      throw new AuditSinkConfigError(`${where(index, sink)}: ${(error as Error).message}`, { cause: error });
    }
  });
}

function syslogSink(sink: FilledSyslog, context: BuildContext): BuiltSink {
  const inner = recordFormatter(sink.format, context);
  const header = { facility: sink.facility, hostname: sink.hostname ?? os.hostname(), enterpriseId: sink.enterpriseId, procId: String(process.pid) };
  return {
    name: sink.name,
    type: 'syslog',
    batchSize: sink.batchSize,
    format: (record) => syslogMessage(record, inner(record), header),
    transport: new SyslogTransport({
      host: sink.host,
      port: sink.port,
      transport: sink.transport,
      ...(sink.caFile !== undefined ? { ca: readPem('caFile', sink.caFile, context) } : {}),
      ...(sink.serverName !== undefined ? { serverName: sink.serverName } : {}),
      timeoutMs: sink.timeoutMs,
    }),
  };
}

function webhookSink(sink: FilledWebhook, context: BuildContext): BuiltSink {
  const url = new URL(sink.url);
  if (url.username !== '' || url.password !== '') throw new Error('url holds a user name or password: remove it and let the receiver check X-Warden-Signature instead');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new Error(`url ${url.origin} is not https: audit records must not cross a network in clear text (http:// is accepted for localhost only)`);
  }
  const reference = sink.secret.startsWith('file:') ? `file:${path.resolve(context.baseDirectory, sink.secret.slice(5))}` : sink.secret;
  const secret = resolveSecret(reference, context.env);
  if (typeof secret !== 'string') {
    const what = sink.secret.startsWith('env:') ? `set environment variable ${sink.secret.slice(4)}` : `write the key into ${reference.slice(5)}`;
    throw new Error(`secret ${sink.secret} cannot be resolved: ${secret.unavailable}; ${what} (the HMAC key the receiver checks X-Warden-Signature with)`);
  }
  return {
    name: sink.name,
    type: 'webhook',
    batchSize: sink.batchSize,
    format: recordFormatter(sink.format, context),
    transport: new WebhookTransport({
      url: sink.url,
      secret,
      ...(sink.caFile !== undefined ? { ca: readPem('caFile', sink.caFile, context) } : {}),
      timeoutMs: sink.timeoutMs,
      body: sink.body,
      userAgent: `warden/${context.productVersion}`,
    }),
  };
}

function jsonlSink(sink: FilledJsonl, context: BuildContext): BuiltSink {
  return {
    name: sink.name,
    type: 'jsonl',
    batchSize: sink.batchSize,
    format: recordFormatter(sink.format, context),
    transport: new JsonlFileTransport({
      file: path.resolve(context.baseDirectory, sink.file),
      maxBytes: sink.maxBytes,
      rotateDaily: sink.rotateDaily,
      keep: sink.keep,
      fsync: sink.fsync,
      ...(context.now !== undefined ? { now: context.now } : {}),
    }),
  };
}

/** Reads a PEM file named in the config (relative to it) once, at start. */
function readPem(field: string, file: string, context: BuildContext): Buffer {
  const absolute = path.resolve(context.baseDirectory, file);
  try {
    return readFileSync(absolute);
  } catch (error) {
    throw new Error(`${field} ${absolute} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): give the path of a PEM CA bundle, relative to the config file`);
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function where(index: number, sink: unknown): string {
  const name = (sink as { name?: unknown } | null)?.name;
  return `audit.sinks.${index}${typeof name === 'string' ? ` (${name})` : ''}`;
}
