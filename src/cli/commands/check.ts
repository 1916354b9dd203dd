import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { formatProblem } from '../../policy/load/problem.js';
import { loadManifests } from '../../policy/load/load-manifests.js';
import { EXIT, UsageError, printJson, printLines } from '../output.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('validate a manifest folder: schemas, references, routes; exit 1 if anything is wrong')
    .argument('<dir>', 'folder (or file) of Warden manifests')
    .option('--json', 'print problems as JSON')
    .action(async (dir: string, options: { json?: boolean }) => {
      if (!existsSync(dir)) throw new UsageError(`${dir}: no such file or folder`, 'give the folder that holds your manifests, e.g. warden check examples');
      const result = await loadManifests(dir);
      const counts = { apis: result.set.apis.length, operations: result.set.apis.reduce((sum, api) => sum + api.spec.operations.length, 0), roles: result.set.roles.length, agents: result.set.agents.length, templates: result.set.templates?.length ?? 0, playbooks: result.set.playbooks?.length ?? 0, dataPolicies: result.set.dataPolicies?.length ?? 0 };
      if (options.json) {
        printJson({ ok: result.problems.length === 0, files: result.files.length, ...counts, problems: result.problems });
      } else if (result.problems.length > 0) {
        printLines(result.problems.map(formatProblem));
        printLines([`${result.problems.length} problem(s) in ${result.files.length} file(s)`]);
      } else {
        printLines([`ok: ${result.files.length} file(s), ${counts.apis} APIs with ${counts.operations} operations, ${counts.roles} roles, ${counts.agents} agents, ${counts.templates} templates, ${counts.playbooks} playbook${counts.playbooks === 1 ? '' : 's'}, ${counts.dataPolicies} data polic${counts.dataPolicies === 1 ? 'y' : 'ies'}`]);
      }
      process.exitCode = result.problems.length === 0 ? EXIT.ok : EXIT.negative;
    });
}
