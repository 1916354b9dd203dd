import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { scanHosts, ScanTargetError, type Finding } from '../../controlplane/discovery/active-scan.js';
import { findingId } from '../../controlplane/discovery/discovery-findings.js';
import { openSqliteStore, sqliteFileIn } from '../../controlplane/store/sqlite-store.js';
import { UsageError, counted, printJson, printLines } from '../output.js';

export interface ScanCommandOptions {
  readonly maxRequests: number;
  readonly delayMs: number;
  readonly timeoutMs: number;
  readonly header?: string[];
  readonly saveSpecs?: string;
  readonly record: boolean;
  readonly json?: boolean;
  readonly data: string;
}

/** `warden discover scan`: probes hosts, prints what describes itself, records it as findings. */
export async function runScan(urls: readonly string[], options: ScanCommandOptions): Promise<void> {
  if (options.saveSpecs !== undefined && !(existsSync(options.saveSpecs) && statSync(options.saveSpecs).isDirectory())) {
    throw new UsageError(`--save-specs ${options.saveSpecs} is not a folder`, 'create the folder first');
  }
  const headers: Record<string, string> = {};
  for (const header of options.header ?? []) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new UsageError('a --header is not "Name: value"', 'write e.g. --header "Authorization: Bearer …"');
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  let report;
  try {
    report = await scanHosts(urls, {
      maxRequestsPerHost: options.maxRequests,
      delayMs: options.delayMs,
      timeoutMs: options.timeoutMs,
      headers,
      ...(options.json === true ? {} : { onProgress: (event) => event.finding !== undefined && process.stderr.write(`found ${event.finding} at ${event.url}\n`) }),
    });
  } catch (error) {
    if (error instanceof ScanTargetError || error instanceof RangeError) throw new UsageError(error.message, 'give http(s) URLs without credentials, query or fragment, and headers as "Name: value"');
    throw error;
  }
  const findings = report.hosts.flatMap((host) => host.findings);
  const saved: string[] = [];
  if (options.saveSpecs !== undefined) {
    for (const finding of findings) {
      if (finding.kind !== 'openapi' || finding.document === undefined) continue;
      const name = `${new URL(finding.url).host.replace(/[^A-Za-z0-9.-]/g, '_')}-${findingId('scan', finding.url).slice(4)}.json`;
      const file = path.join(options.saveSpecs, name);
      await writeFile(file, `${JSON.stringify(finding.document, null, 2)}\n`);
      saved.push(file);
    }
  }
  let recorded: { added: number; updated: number } | undefined;
  const storeFile = sqliteFileIn(options.data);
  if (options.record && existsSync(storeFile) && findings.length > 0) {
    const store = await openSqliteStore(storeFile);
    try {
      const now = new Date();
      recorded = await store.discovery.reportFindings(findings.map((finding) => ({ id: findingId('scan', finding.url), kind: 'scan' as const, subject: finding.url, details: summary(finding) })), now);
    } finally {
      await store.close();
    }
  }
  if (options.json === true) {
    // The parsed documents can be large; --save-specs keeps them.
    return printJson({ hosts: report.hosts.map((host) => ({ ...host, findings: host.findings.map(summary) })), ...(saved.length > 0 ? { savedSpecs: saved } : {}), ...(recorded !== undefined ? { recorded } : {}) });
  }
  const lines: string[] = [];
  for (const host of report.hosts) {
    lines.push(`${host.target}: ${host.reachable ? counted(host.findings.length, 'API') + ' found' : 'unreachable'}${host.error !== undefined ? ` (${host.error})` : ''}, ${counted(host.requests, 'request')}`);
    for (const finding of host.findings) lines.push(`  ${describe(finding)}`);
    const skipped = host.skipped.length;
    if (skipped > 0) lines.push(`  ${counted(skipped, 'probe')} skipped (--json lists them)`);
  }
  for (const file of saved) lines.push(`saved ${file}; import traffic against it with warden discover import LOG --spec ${file}`);
  if (recorded !== undefined) lines.push(`recorded: ${recorded.added} new, ${recorded.updated} seen again (warden discover findings --kind scan)`);
  printLines(lines);
}

function summary(finding: Finding): Record<string, unknown> {
  const { document: _document, ...rest } = finding;
  return { ...rest, ...(finding.operations !== undefined ? { operations: finding.operations.length, deprecated: finding.operations.filter((operation) => operation.deprecated).length } : {}) };
}

function describe(finding: Finding): string {
  const name = [finding.title, finding.version].filter((part) => part !== undefined).join(' ');
  const what = finding.kind === 'openapi' ? `${counted(finding.operations?.length ?? 0, 'operation')}` : finding.kind === 'graphql' ? `${finding.graphql?.queries ?? 0} queries, ${finding.graphql?.mutations ?? 0} mutations` : `${counted(finding.tools?.length ?? 0, 'tool')}`;
  return `${finding.kind} ${name === '' ? '' : `"${name}" `}at ${finding.url}: ${what}${finding.alsoAt.length > 0 ? ` (also at ${finding.alsoAt.join(', ')})` : ''}`;
}
