import type { Command } from 'commander';
import { adminAction, segment, withAdminOptions, type AdminOptions } from '../admin-client.js';
import { table, when, type OwnerJson } from '../admin-format.js';
import { printJson, printLines } from '../output.js';

/** `warden owners …`: owners who left (their agents come up in access reviews) or came back. */
export function registerOwners(program: Command): void {
  const owners = program
    .command('owners')
    .description('owners over the admin API: who left (their agents come up in access reviews) and who came back')
    .addHelpText('after', '\nRun warden owners <command> --help for its options.');

  withAdminOptions(owners.command('list').description('list people recorded as owners who left or came back'))
    .action(
      adminAction(async (client, options) => {
        const answer = await client.get<{ owners: OwnerJson[] }>('/owners');
        if (options.json) return printJson(answer);
        printLines(answer.owners.length === 0 ? ['no owner has been recorded as gone'] : table(['EMAIL', 'STATUS', 'LEFT', 'RECORDED BY'], answer.owners.map((owner) => [owner.email, owner.active ? 'active' : 'left', when(owner.leftAt), owner.updatedBy])));
      }),
    );

  for (const verb of ['leave', 'return'] as const) {
    withAdminOptions(
      owners
        .command(verb)
        .description(verb === 'leave' ? 'record that an owner left: their agents come up in the next access review' : 'record that an owner is back')
        .argument('<email>', 'the person\'s e-mail address')
        .requiredOption('--reason <text>', 'why (goes into the admin log)'),
    )
      .addHelpText('after', `\nExample:\n  warden owners ${verb} alice@example.com --reason "${verb === 'leave' ? 'left the company' : 'back from leave'}"`)
      .action(
        adminAction<AdminOptions & { reason: string }>(async (client, options, [email]) => {
          const owner = await client.post<OwnerJson>(`/owners/${segment(email!)}/${verb}`, { reason: options.reason });
          if (options.json) return printJson(owner);
          printLines([owner.active ? `${owner.email} is an active owner again` : `${owner.email} left (${when(owner.leftAt)}): their agents come up in \`warden review\` until someone takes them over`]);
        }),
      );
  }
}
