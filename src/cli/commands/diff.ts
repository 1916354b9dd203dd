import type { Command } from 'commander';
import { adminAction, withAdminOptions } from '../admin-client.js';
import { table, type DifferenceJson } from '../admin-format.js';
import { printJson, printLines } from '../output.js';

/** `warden diff`: what runs beyond the manifests in force. */
export function registerDiff(program: Command): void {
  withAdminOptions(
    program
      .command('diff')
      .description('what runs beyond the manifests in force: states changed by lifecycle actions, agents proposed through the API, keys, bindings, runtime grants and forbids'),
  )
    .addHelpText('after', '\nTeams that keep manifests in git see here what to carry back (or undo). Exit 0 whether or not there are differences.')
    .action(
      adminAction(async (client, options) => {
        const answer = await client.get<{ appliedVersion: number; differences: DifferenceJson[]; warnings: string[] }>('/diff');
        if (options.json) return printJson(answer);
        const warnings = answer.warnings.map((warning) => `warning: ${warning}`);
        if (answer.differences.length === 0) return printLines([`no differences: what runs is what the manifests of version ${answer.appliedVersion} say`, ...warnings]);
        printLines([
          `beyond the manifests of version ${answer.appliedVersion}:`,
          ...table(['AGENT', 'KIND', 'MANIFEST', 'RUNTIME'], answer.differences.map((difference) => [difference.agent, difference.kind, difference.manifest ?? '-', difference.runtime])),
          ...warnings,
        ]);
      }),
    );
}
