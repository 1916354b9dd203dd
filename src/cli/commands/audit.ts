import { createPublicKey, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { auditCsv } from '../../controlplane/audit/audit-export-format.js';
import { consistencyProof, inclusionProof, ProofUnavailableError, type ConsistencyProof, type InclusionProof } from '../../controlplane/audit/audit-proofs.js';
import { queryAudit, scanAudit, summarizeAccess, type AuditFilter, type AuditMatch } from '../../controlplane/audit/audit-query.js';
import type { AuditService } from '../../controlplane/audit/audit-service.js';
import { defaultGatewayConfig, loadGatewayConfig } from '../../controlplane/config/gateway-config-file.js';
import { checkProof } from '../../controlplane/audit/proof-check.js';
import { openSqliteStore, sqliteFileIn } from '../../controlplane/store/sqlite-store.js';
import { adminAction, withAdminOptions, type AdminOptions } from '../admin-client.js';
import { table } from '../admin-format.js';
import { dataOption } from '../data-option.js';
import { openAudit } from '../open-audit.js';
import { EXIT, UsageError, counted, printJson, printLines } from '../output.js';

interface LocalOptions {
  readonly data: string;
  readonly config?: string;
  readonly json?: boolean;
}

/** `warden audit …`: query, verify, prove and hold the audit log (docs/audit.md). */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log: query, export, verify, proofs, checkpoints, legal holds');
  const local = (command: Command) => command.addOption(dataOption).option('--config <file>', 'gateway config (its audit.signingKey, segmentSize and retention); defaults otherwise').option('--json', 'print as JSON');

  local(
    audit
      .command('query')
      .description('records matching filters, oldest first; --summary answers "who accessed it and what did they read"')
      .option('--from <time>', 'records at or after this time (ISO 8601, e.g. 2026-03-15 or 2026-03-15T09:00:00Z)')
      .option('--to <time>', 'records before this time')
      .option('--on <day>', 'records of one UTC day (sets --from and --to), e.g. 2026-03-15')
      .option('--agent <name>')
      .option('--api <name>')
      .option('--operation <id>')
      .option('--data-class <class>', 'records of operations that touch this data class, e.g. customer-pii')
      .option('--decision <outcome>', 'allow, deny, would-deny or error')
      .option('--status <status>', 'a status (404) or a class (4xx)')
      .option('--src-ip <ip>')
      .option('--country <code>')
      .option('--text <text>', 'case-insensitive text in path, agent, API, operation, reason, rule, request id or credential id')
      .option('--limit <n>', 'at most this many records (default 100; 0 for all)', '100')
      .option('--cursor <next>', 'continue after the page that printed this `next`')
      .option('--newest-first', 'newest records first')
      .option('--summary', 'group the matches by agent and operation, with calls and records read')
      .option('--format <format>', 'table, json, jsonl or csv (jsonl and csv export every match)', 'table')
      .option('--out <file>', 'write to this file instead of standard output'),
  )
    .addHelpText('after', '\nExamples:\n  warden audit query --data-class customer-pii --on 2026-03-15 --summary\n  warden audit query --agent support-bot --decision deny --format csv --out denials.csv')
    .action(async (options: LocalOptions & Record<string, string | boolean | undefined>) => {
      const filter = filterOf(options);
      const format = options.json === true ? 'json' : String(options.format);
      if (!['table', 'json', 'jsonl', 'csv'].includes(format)) throw new UsageError(`--format "${format}" is not one of table, json, jsonl, csv`, 'write e.g. --format csv');
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit "${String(options.limit)}" is not a whole number`, 'write e.g. --limit 100, or --limit 0 for all');
      await withAudit(options, async (service) => {
        if (options.summary === true) {
          const summary = summarizeAccess(scanAudit(service.log, filter));
          if (format === 'json') return printJson({ agents: summary });
          return printLines(summary.length === 0 ? ['no record matches'] : summary.flatMap((agent) => [
            `${agent.agent}: ${counted(agent.calls, 'call')} (${agent.allowed} allowed, ${agent.refused} refused), ${agent.records} records read, ${agent.first} – ${agent.last}`,
            ...agent.operations.map((operation) => `  ${operation.operation}  ${counted(operation.calls, 'call')}, ${operation.allowed} allowed, ${operation.records} records`),
          ]));
        }
        if (format === 'jsonl' || format === 'csv') {
          const lines = format === 'csv' ? auditCsv(scanAudit(service.log, filter)) : (function* (matches: Iterable<AuditMatch>) {
            for (const match of matches) yield `${match.json}\n`;
          })(scanAudit(service.log, filter));
          await writeLines(lines, options.out as string | undefined);
          return;
        }
        const page = queryAudit(service.log, filter, { limit: limit === 0 ? Number.MAX_SAFE_INTEGER : limit, ...(options.cursor !== undefined ? { cursor: String(options.cursor) } : {}), newestFirst: options.newestFirst === true });
        if (format === 'json') return printJson({ records: page.records.map((match) => match.event), ...(page.next !== undefined ? { next: page.next } : {}) });
        printLines([
          ...(page.records.length === 0 ? ['no record matches'] : table(['SEQ', 'TIME', 'AGENT', 'CALL', 'OPERATION', 'DECISION', 'STATUS', 'RECORDS'], page.records.map(({ seq, event }) => [String(seq), event.time, event.agent?.name ?? '-', `${event.http.method} ${event.http.rawPath}`, event.api === undefined ? '-' : `${event.api.name}.${event.api.operation}`, `${event.decision.outcome} ${event.decision.reason}`, String(event.http.status), String(event.data?.records ?? '-')]))),
          ...(page.next !== undefined ? [`more: add --cursor ${page.next}`] : []),
        ]);
      });
    });

  local(
    audit
      .command('verify')
      .description('recompute the log against its hashes and signed checkpoints; reports the first bad record')
      .option('--from <seq|time>', 'first record to check (a seq or an ISO time); the stored tree before it is trusted')
      .option('--to <seq|time>', 'last record to check')
      .option('--public-key <file...>', 'PEM public keys that may have signed checkpoints (earlier keys after a rotation, or the key you hold)'),
  )
    .addHelpText('after', '\nExit status: 0 intact, 1 tampering found, 2 could not run.\nExample:\n  warden audit verify --public-key audit-signing.pub.pem')
    .action(async (options: LocalOptions & { from?: string; to?: string; publicKey?: string[] }) => {
      const trustedKeys = await Promise.all((options.publicKey ?? []).map(readPublicKey));
      await withAudit(options, async (service) => {
        // Without a key to check them by, every checkpoint would look forged: say what to pass instead.
        if (trustedKeys.length === 0 && service.signer === undefined && service.checkpoints.latest() !== undefined) {
          throw new UsageError('no key to check the signed checkpoints by: this data directory holds no signing key and none was given', 'pass --public-key FILE (the log\'s public key, from `warden audit checkpoints` where the gateway runs), or --config with audit.signingKey');
        }
        const progress = options.json === true ? undefined : (checked: number, total: number) => process.stderr.write(`verified ${checked.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} records\n`);
        const from = options.from === undefined ? undefined : positionOf(service, options.from, '--from');
        const to = options.to === undefined ? undefined : positionOf(service, options.to, '--to', true);
        const report = service.verify({ ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), ...(trustedKeys.length > 0 ? { trustedKeys } : {}), ...(progress !== undefined ? { onProgress: progress } : {}) });
        if (!report.ok) process.exitCode = EXIT.negative;
        if (options.json === true) return printJson(report);
        const against = trustedKeys.length > 0 ? `checkpoints checked against the ${trustedKeys.length} key(s) given` : service.signer === undefined ? 'no signing key here and none given (--public-key): checkpoints cannot be checked' : `checkpoints checked against the signing key in use here (${service.signer.keyId}); an auditor passes --public-key with the key they hold`;
        printLines(report.ok
          ? [against, `intact: records ${report.from}–${report.to} (${report.checked.toLocaleString('en-US')} checked, ${report.pruned.toLocaleString('en-US')} pruned by retention), ${report.checkpointsChecked} signed checkpoints match; root ${report.root}`]
          : [against, `TAMPERED: first bad record ${report.firstBad!.seq}: ${report.firstBad!.problem}`, `records ${report.from}–${report.firstBad!.seq - 1} checked and intact`]);
      });
    });

  local(audit.command('inclusion').argument('<seq>', 'the record').description('inclusion proof of one record in a signed checkpoint').option('--size <n>', 'the checkpoint\'s tree size (default: the latest)'))
    .action(async (seq: string, options: LocalOptions & { size?: string }) => {
      await withAudit(options, async (service) => printProof(options, () => inclusionProof(service.log, service.checkpoints, wholeNumber(seq, 'seq'), options.size === undefined ? undefined : wholeNumber(options.size, '--size'))));
    });

  local(audit.command('consistency').argument('<old-size>', 'the older checkpoint\'s tree size').argument('[new-size]', 'the newer one (default: the latest)').description('consistency proof between two signed checkpoints'))
    .action(async (oldSize: string, newSize: string | undefined, options: LocalOptions) => {
      await withAudit(options, async (service) => printProof(options, () => consistencyProof(service.log, service.checkpoints, wholeNumber(oldSize, 'old-size'), newSize === undefined ? undefined : wholeNumber(newSize, 'new-size'))));
    });

  audit
    .command('check-proof')
    .argument('<file>', 'a proof as `warden audit inclusion|consistency --json` or the admin API wrote it')
    .requiredOption('--public-key <file>', 'the PEM public key you hold for the log\'s checkpoints')
    .option('--json', 'print as JSON')
    .description('check a proof offline, as an auditor: signature, checkpoint text, and the RFC 9162 proof')
    .action(async (file: string, options: { publicKey: string; json?: boolean }) => {
      const key = await readPublicKey(options.publicKey);
      const proof = JSON.parse(await readFile(file, 'utf8')) as Partial<InclusionProof & ConsistencyProof>;
      const problems = checkProof(proof, key);
      if (problems.length > 0) process.exitCode = EXIT.negative;
      if (options.json === true) return printJson({ ok: problems.length === 0, problems });
      printLines(problems.length === 0 ? ['valid: the proof holds and ends at a checkpoint signed by this key'] : problems.map((problem) => `INVALID: ${problem}`));
    });

  local(audit.command('checkpoints').description('signed checkpoints, oldest first, and the public key that signs them'))
    .action(async (options: LocalOptions) => {
      await withAudit(options, async (service) => {
        const checkpoints = service.checkpoints.list();
        const signer = service.signer;
        if (options.json === true) return printJson({ publicKey: signer?.publicKeyPem() ?? null, keyId: signer?.keyId ?? null, size: service.log.size(), checkpoints });
        printLines([
          ...(signer === undefined ? [`log size ${service.log.size()}; no signing key here (audit.signingKey, or the data directory's key)`] : [`log size ${service.log.size()}; signing key ${signer.keyId}:`, signer.publicKeyPem().trimEnd()]),
          ...(checkpoints.length === 0 ? ['no checkpoint yet'] : table(['SIZE', 'TIME', 'ROOT', 'KEY'], checkpoints.map((checkpoint) => [String(checkpoint.treeSize), checkpoint.time, checkpoint.root, checkpoint.keyId]))),
        ]);
      });
    });

  local(audit.command('checkpoint').description('sign a checkpoint of the log as it is now (the gateway makes one every audit.checkpointSeconds)'))
    .action(async (options: LocalOptions) => {
      await withAudit(options, async (service) => {
        const made = service.checkpoint();
        if (options.json === true) return printJson(made ?? service.checkpoints.latest() ?? null);
        printLines([made === undefined ? `nothing new to sign: the latest checkpoint covers all ${service.log.size()} records` : `signed checkpoint of size ${made.treeSize}, root ${made.root}`]);
      }, true);
    });

  local(audit.command('prune').description('apply retention now: prune expired records of sealed segments, keeping legal holds (the gateway does it every audit.retention.everyMinutes)'))
    .action(async (options: LocalOptions) => {
      // Retention and segment size are the gateway's: pruning with defaults could remove records its config keeps.
      if (options.config === undefined) throw new UsageError('audit prune needs the gateway\'s config (its audit.retention and segmentSize)', 'pass --config warden.yaml, the file `warden start` runs with');
      await withAudit(options, async (service) => {
        const report = service.prune();
        if (options.json === true) return printJson(report);
        printLines([`pruned ${report.pruned} records in ${report.segments} sealed segments (${report.dropped} dropped whole); ${report.held} expired records kept by legal holds`]);
      }, true);
    });

  withAdminOptions(audit.command('sinks').description('SIEM export sinks of the running gateway: cursor, lag, last error, last delivery')).action(
    adminAction<AdminOptions>(async (client, options) => {
      const answer = await client.get<{ size: number; sinks: { name: string; type: string; target: string; cursor: number; lag: number; failures: number; lastError?: { message: string; at: string }; lastSuccessAt?: string }[] }>('/audit/sinks');
      if (options.json) return printJson(answer);
      printLines(answer.sinks.length === 0 ? ['no export sink is configured (audit.sinks)'] : table(['NAME', 'TYPE', 'TARGET', 'CURSOR', 'LAG', 'FAILURES', 'LAST DELIVERY', 'LAST ERROR'], answer.sinks.map((sink) => [sink.name, sink.type, sink.target, String(sink.cursor), String(sink.lag), String(sink.failures), sink.lastSuccessAt ?? '-', sink.lastError === undefined ? '-' : `${sink.lastError.at} ${sink.lastError.message}`])));
    }),
  );

  withAdminOptions(audit.command('holds').description('legal holds (active ones; --all for released too)').option('--all', 'include released holds')).action(
    adminAction<AdminOptions & { all?: boolean }>(async (client, options) => {
      const answer = await client.get<{ holds: HoldJson[] }>('/audit/holds', { all: options.all === true ? 'true' : undefined });
      if (options.json) return printJson(answer);
      printLines(answer.holds.length === 0 ? ['no legal hold'] : table(['ID', 'KIND', 'TARGET', 'AGENT', 'WINDOW', 'BY', 'SINCE', 'RELEASED', 'REASON'], answer.holds.map((hold) => [hold.id, hold.kind, hold.target, hold.agent, `${hold.from ?? '…'} – ${hold.to ?? '…'}`, hold.createdBy, hold.createdAt, hold.releasedAt ?? '-', hold.reason])));
    }),
  );

  withAdminOptions(
    audit
      .command('hold')
      .description('place a legal hold: the agent\'s records (or an incident\'s window of them) are kept whatever the retention')
      .requiredOption('--agent <name>', 'the agent whose records are held')
      .option('--incident <id>', 'hold for this incident; use --from/--to for its window')
      .option('--from <time>', 'held records start at this time')
      .option('--to <time>', 'held records end before this time')
      .requiredOption('--reason <text>', 'the matter, case or ticket'),
  ).action(
    adminAction<AdminOptions & { agent: string; incident?: string; from?: string; to?: string; reason: string }>(async (client, options) => {
      const hold = await client.post<HoldJson>('/audit/holds', { agent: options.agent, incident: options.incident, from: isoTime(options.from, '--from'), to: isoTime(options.to, '--to'), reason: options.reason });
      if (options.json) return printJson(hold);
      printLines([`placed legal hold ${hold.id} on ${hold.kind} ${hold.target}`]);
    }),
  );

  withAdminOptions(audit.command('release').argument('<id>', 'the hold').requiredOption('--reason <text>', 'why the hold ends').description('release a legal hold; its records follow retention again')).action(
    adminAction<AdminOptions & { reason: string }>(async (client, options, args) => {
      const hold = await client.post<HoldJson>(`/audit/holds/${encodeURIComponent(args[0]!)}/release`, { reason: options.reason });
      if (options.json) return printJson(hold);
      printLines([`released legal hold ${hold.id}`]);
    }),
  );
}

interface HoldJson {
  id: string;
  kind: string;
  target: string;
  agent: string;
  from?: string;
  to?: string;
  reason: string;
  createdAt: string;
  createdBy: string;
  releasedAt?: string;
}

/** Opens the store and its audit log for one command, with the config's audit settings. */
async function withAudit(options: LocalOptions, work: (audit: AuditService) => Promise<void>, sign = false): Promise<void> {
  const loaded = options.config === undefined ? { config: defaultGatewayConfig(), baseDirectory: process.cwd() } : await loadGatewayConfig(options.config);
  const dataDirectory = path.resolve(options.data);
  const store = await openSqliteStore(sqliteFileIn(dataDirectory));
  try {
    await work(openAudit(store, loaded.config.audit, dataDirectory, process.env, { sign }));
  } finally {
    await store.close();
  }
}

function filterOf(options: Record<string, string | boolean | undefined>): AuditFilter {
  const text = (name: string) => (typeof options[name] === 'string' ? (options[name] as string) : undefined);
  const filter: Record<string, unknown> = {};
  const on = text('on');
  if (on !== undefined) {
    if (text('from') !== undefined || text('to') !== undefined) throw new UsageError('--on sets --from and --to; give either --on or --from/--to', 'write e.g. --on 2026-03-15');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(on) || Number.isNaN(Date.parse(`${on}T00:00:00Z`))) throw new UsageError(`--on "${on}" is not a day`, 'write a UTC day, e.g. --on 2026-03-15');
    filter.from = new Date(`${on}T00:00:00Z`);
    filter.to = new Date(Date.parse(`${on}T00:00:00Z`) + 86_400_000);
  }
  for (const name of ['from', 'to'] as const) if (text(name) !== undefined) filter[name] = new Date(isoTime(text(name), `--${name}`)!);
  for (const [option, key] of [['agent', 'agent'], ['api', 'api'], ['operation', 'operation'], ['dataClass', 'dataClass'], ['srcIp', 'srcIp'], ['country', 'country'], ['text', 'text'], ['status', 'status']] as const) {
    if (text(option) !== undefined) filter[key] = text(option);
  }
  const decision = text('decision');
  if (decision !== undefined) {
    if (!['allow', 'deny', 'would-deny', 'error'].includes(decision)) throw new UsageError(`--decision "${decision}" is not one of allow, deny, would-deny, error`, 'write e.g. --decision deny');
    filter.decision = decision;
  }
  const status = text('status');
  if (status !== undefined && !/^([1-5]xx|[0-9]{1,3})$/i.test(status)) throw new UsageError(`--status "${status}" is neither a status nor a class`, 'write e.g. --status 403 or --status 4xx');
  return filter as AuditFilter;
}

function isoTime(value: string | undefined, option: string): string | undefined {
  if (value === undefined) return undefined;
  const time = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(time.getTime())) throw new UsageError(`${option} "${value}" is not a time`, 'write ISO 8601, e.g. 2026-03-15 or 2026-03-15T09:30:00Z');
  return time.toISOString();
}

/** A `seq`, or the first record at (or, for `last`, the last record before) an ISO time. */
function positionOf(audit: AuditService, value: string, option: string, last = false): number {
  if (/^\d+$/.test(value)) return wholeNumber(value, option);
  const time = new Date(isoTime(value, option)!);
  const first = scanAudit(audit.log, last ? { to: time } : { from: time }, last ? { newestFirst: true } : {}).next();
  if (first.done === true) throw new UsageError(`no record is ${last ? 'before' : 'at or after'} ${time.toISOString()}`, 'pick a time inside the log, or give a seq');
  return first.value.seq;
}

function wholeNumber(value: string, name: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) throw new UsageError(`${name} "${value}" is not a positive whole number`, `write e.g. ${name} 42`);
  return number;
}

async function readPublicKey(file: string): Promise<KeyObject> {
  try {
    return createPublicKey(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file} is not a readable PEM public key (${(error as Error).message})`, 'export it with `warden audit checkpoints --json` (publicKey) and save it as a .pem file');
  }
}

function printProof(options: LocalOptions, make: () => InclusionProof | ConsistencyProof): void {
  let proof;
  try {
    proof = make();
  } catch (error) {
    if (error instanceof ProofUnavailableError) throw new UsageError(error.message);
    throw error;
  }
  if (options.json === true) return printJson(proof);
  printLines(Object.entries(proof).map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`));
}

async function writeLines(lines: Iterable<string>, file: string | undefined): Promise<void> {
  const out: NodeJS.WritableStream = file === undefined ? process.stdout : createWriteStream(file, { mode: 0o640 });
  for (const line of lines) if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  if (file !== undefined) {
    out.end();
    await finished(out);
  }
}
