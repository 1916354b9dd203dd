import type { Command } from 'commander';
import { formatDiff } from '../../controlplane/manifests/diff-manifests.js';
import type { PolicyVersionRecord } from '../../controlplane/store/store.js';
import { dataOption, withStore } from '../data-option.js';
import { EXIT, UsageError, printJson, printLines } from '../output.js';

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description('list applied policy versions, or show the one in force at a given time')
    .option('--at <iso>', 'show the version that was in force at this time, with its diff')
    .option('--limit <n>', 'how many versions to list', '20')
    .addOption(dataOption)
    .option('--json', 'print as JSON')
    .action(async (options: { at?: string; limit: string; data: string; json?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit "${options.limit}" is not a positive whole number`, 'write e.g. --limit 20');
      if (options.at !== undefined) {
        const time = new Date(options.at);
        if (Number.isNaN(time.getTime())) throw new UsageError(`--at "${options.at}" is not a date`, 'write ISO 8601, e.g. 2026-03-15T09:30:00Z');
        const record = await withStore(options.data, (store) => store.policyVersionAt(time));
        if (!record) {
          if (options.json) printJson(null);
          else printLines([`no policy was in force at ${time.toISOString()}`]);
          process.exitCode = EXIT.negative;
          return;
        }
        if (options.json) printJson(record);
        else printLines([line(record), ...formatDiff(record.diff)]);
        return;
      }
      const records = await withStore(options.data, (store) => store.listPolicyVersions({ limit }));
      if (options.json) printJson(records);
      else printLines(records.length > 0 ? records.map(line) : ['no policy applied yet: run warden apply DIR']);
    });
}

function line(record: PolicyVersionRecord): string {
  const { added, removed, changed } = record.diff;
  const summary = `+${added.length} -${removed.length} ~${changed.length}`;
  return `${record.id}  ${record.appliedAt.toISOString()}  ${record.appliedBy}  ${record.version.slice(0, 19)}  ${summary}${record.message ? `  ${record.message}` : ''}`;
}
