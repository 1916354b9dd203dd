import os from 'node:os';
import type { Command } from 'commander';
import { applyManifests } from '../../controlplane/manifests/apply-manifests.js';
import { formatDiff } from '../../controlplane/manifests/diff-manifests.js';
import { dataOption, withStore } from '../data-option.js';
import { loadValidFolder } from '../load-snapshot.js';
import { EXIT, UsageError, printJson, printLines } from '../output.js';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('validate a manifest folder and put it in force as a new policy version; prints the diff')
    .argument('[dir]', 'folder of Warden manifests')
    .option('-f, --file <dir>', 'same as the positional folder (kubectl style)')
    .option('--by <name>', 'who is applying (recorded in the history)', defaultApplier())
    .option('-m, --message <text>', 'why, recorded with the version')
    .addOption(dataOption)
    .option('--json', 'print the result as JSON')
    .action(async (dir: string | undefined, options: { file?: string; by: string; message?: string; data: string; json?: boolean }) => {
      const folder = dir ?? options.file;
      if (!folder) throw new UsageError('no manifest folder given', 'run warden apply DIR (or -f DIR)');
      const { loaded } = await loadValidFolder(folder);
      const result = await withStore(options.data, (store) =>
        applyManifests(store, loaded.set, { appliedBy: options.by, ...(options.message !== undefined ? { message: options.message } : {}) }),
      );
      if (options.json) {
        printJson({ changed: result.changed, id: result.record.id, version: result.record.version, appliedAt: result.record.appliedAt, appliedBy: result.record.appliedBy, diff: result.diff });
        return;
      }
      if (!result.changed) {
        printLines([`unchanged: version ${result.record.id} (${result.record.version.slice(0, 19)}) is already in force`]);
        return;
      }
      printLines([
        `applied version ${result.record.id} (${result.record.version.slice(0, 19)}) by ${result.record.appliedBy}`,
        ...formatDiff(result.diff),
      ]);
      process.exitCode = EXIT.ok;
    });
}

function defaultApplier(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
