import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { wholeNumber } from '../admin-client.js';
import { dataOption } from '../data-option.js';
import { UsageError, counted, printJson, printLines, progressPrinter } from '../output.js';

interface ReplayCliOptions {
  readonly baselineDays: number;
  readonly grantGraceDays: number;
  readonly manifests?: string;
  readonly data: string;
  readonly json?: boolean;
}

/** `warden detect`: the detectors of the control plane, run offline. */
export function registerDetect(program: Command): void {
  const detect = program.command('detect').description('anomaly detection: run the detectors over recorded audit logs');
  detect
    .command('replay')
    .description('run the detectors over a recorded audit log with its own timestamps and print every alert with the playbook response it would get')
    .argument('<file>', 'audit records as AuditEvent v1 JSONL, plain or gzip (audit.jsonl, or `warden audit query --format jsonl --limit 0 --out FILE`)')
    .option('--baseline-days <n>', 'the log\'s first N days are the learning period', wholeNumber(), 7)
    .option('--grant-grace-days <n>', 'how long a newly granted operation is learned rather than flagged', wholeNumber(0), 7)
    .option('--manifests <dir>', 'the catalog and playbooks to replay under (default: the policy in force in --data, if any)')
    .option('--json', 'print the replay report as JSON')
    .addOption(dataOption)
    .addHelpText(
      'after',
      '\nNothing is changed: no incident is opened and no agent is touched. Use it to tune thresholds and\nplaybooks on weeks of history, or to look back after an incident. Grant changes are not in the audit\nlog, so an operation granted during the replayed period may be flagged when it is first used.\n\nExamples:\n  warden detect replay audit.jsonl\n  warden detect replay audit-2026-11.jsonl.gz --baseline-days 14 --manifests policy/ --json',
    )
    .action(async (file: string, options: ReplayCliOptions) => {
      await runReplay(file, options);
    });
}

async function runReplay(file: string, options: ReplayCliOptions): Promise<void> {
  if (!existsSync(file)) throw new UsageError(`no file ${file}`, 'give an audit log in JSONL: `warden audit query --format jsonl --limit 0 --out audit.jsonl` writes one');
  const [{ replayAuditFile }, { catalogFromSnapshot }, policy] = await Promise.all([
    import('../../controlplane/detection/audit-replay.js'),
    import('../../controlplane/detection/detection-catalog.js'),
    replayPolicy(options),
  ]);
  const progress = options.json === true ? undefined : progressPrinter();
  let summary;
  try {
    summary = await replayAuditFile(file, {
      baselineDays: options.baselineDays,
      grantGraceDays: options.grantGraceDays,
      playbooks: policy?.playbooks ?? [],
      ...(policy !== undefined ? { catalog: catalogFromSnapshot(policy.snapshot) } : {}),
      ...(progress !== undefined ? { onProgress: (read: number, total: number) => progress(file, read, total) } : {}),
    });
  } catch (error) {
    throw new UsageError((error as Error).message, 'check that the file is a Warden audit log in JSONL');
  }
  if (options.json === true) {
    return printJson({
      ...summary,
      alerts: summary.alerts.map(({ alert, actions, playbooks }) => ({ ...alert, response: { actions, playbooks } })),
      policy: policy?.from ?? 'none',
    });
  }
  const lines: string[] = [];
  for (const { alert, actions, playbooks } of summary.alerts) {
    const response = actions.map((action) => ('rate' in action ? `throttle ${action.rate}` : action.action)).join(' + ');
    lines.push(`${alert.time}  ${alert.agent}  ${alert.detector}  ${alert.severity} (${alert.score})  → ${response}${playbooks.length > 0 ? ` [${playbooks.join(', ')}]` : ''}`);
    for (const reason of alert.reasons) lines.push(`    ${reason}`);
  }
  const spread = (counts: Readonly<Record<string, number>>) => Object.entries(counts).map(([name, count]) => `${name} ${count}`).join(', ') || 'none';
  lines.push(
    ...(lines.length > 0 ? [''] : []),
    `${counted(summary.records, 'record')} of ${counted(summary.agents, 'agent')} from ${summary.from} to ${summary.to}, in ${summary.seconds.toFixed(1)} s (${summary.recordsPerSecond} records/s)`,
    `${counted(summary.alerts.length, 'alert')}: ${spread(summary.byDetector)}; by severity: ${spread(summary.bySeverity)}`,
    `catalog and playbooks: ${policy?.from ?? 'none (detectors use what the records carry; every alert gets the default response)'}`,
  );
  if (summary.skipped > 0) lines.push(`${counted(summary.skipped, 'line')} skipped, e.g. line ${summary.problems[0]!.line}: ${summary.problems[0]!.message}`);
  printLines(lines);
}

/** The catalog and playbooks to replay under: a manifest folder, or the policy in force in the store. */
async function replayPolicy(options: ReplayCliOptions) {
  if (options.manifests !== undefined) {
    const { loadValidFolder } = await import('../load-snapshot.js');
    const { loaded, snapshot } = await loadValidFolder(options.manifests);
    return { snapshot, playbooks: loaded.set.playbooks ?? [], from: options.manifests };
  }
  const [{ sqliteFileIn, openSqliteStore }, { policyInForce }, { compile }] = await Promise.all([
    import('../../controlplane/store/sqlite-store.js'),
    import('../../controlplane/manifests/policy-in-force.js'),
    import('../../policy/compile.js'),
  ]);
  const storeFile = sqliteFileIn(options.data);
  if (!existsSync(storeFile)) return undefined;
  const store = await openSqliteStore(storeFile);
  try {
    const inForce = await policyInForce(store);
    if (inForce === undefined) return undefined;
    return { snapshot: compile(inForce.set), playbooks: inForce.set.playbooks ?? [], from: `the policy in force in ${options.data}` };
  } finally {
    await store.close();
  }
}
