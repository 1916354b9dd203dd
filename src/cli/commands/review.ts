import type { Command } from 'commander';
import { adminAction, wholeNumber, withAdminOptions, type AdminOptions } from '../admin-client.js';
import type { ReviewJson } from '../admin-format.js';
import { printJson, printLines } from '../output.js';

/** `warden review`: the access review (per agent, what to look at and what revoking it does), and its decisions. */
export function registerReview(program: Command): void {
  const review = withAdminOptions(
    program
      .command('review')
      .description('access review: per agent, unused grants, idle agents, keys near expiry, owners who left, and what revoking each does')
      .option('--unused-days <n>', 'a grant is unused after this many days without a call (default governance.reviewUnusedDays, 90)', wholeNumber())
      .option('--idle-days <n>', 'an active agent is idle after this many days without a call (default governance.reviewIdleDays, 90)', wholeNumber())
      .option('--expiry-days <n>', 'list keys that expire within this many days (default governance.expiryWarningDays, 14)', wholeNumber()),
  )
    // The subcommands take options of the same names: this command's own are read before them only.
    .enablePositionalOptions()
    .addHelpText('after', '\nDecide each item with `warden review confirm AGENT ITEM --reason …` (keeps it, quiet for another period)\nor `warden review revoke AGENT ITEM --reason …`.\n\nExample:\n  warden review --unused-days 30')
    .action(
      adminAction<AdminOptions & { unusedDays?: number; idleDays?: number; expiryDays?: number }>(async (client, options) => {
        const answer = await client.get<{ reviews: ReviewJson[] }>('/reviews', { unusedDays: options.unusedDays, idleDays: options.idleDays, expiryDays: options.expiryDays });
        if (options.json) return printJson(answer);
        if (answer.reviews.length === 0) return printLines(['nothing to review: no unused grant, idle agent, key near expiry or owner who left']);
        const lines: string[] = [];
        for (const agent of answer.reviews) {
          if (lines.length > 0) lines.push('');
          lines.push(`${agent.agent} (${agent.state}, owner ${agent.owner})`);
          for (const item of agent.items) lines.push(`  ${item.item}  [${item.kind}]  ${item.detail}`, `    revoke: ${item.revoke}`);
        }
        const count = answer.reviews.reduce((sum, agent) => sum + agent.items.length, 0);
        lines.push('', `${count} item(s) on ${answer.reviews.length} agent(s)`);
        printLines(lines);
      }),
    );

  for (const decision of ['confirm', 'revoke'] as const) {
    withAdminOptions(
      review
        .command(decision)
        .description(decision === 'confirm' ? 'keep a review item: it stays quiet for another review period' : 'revoke a review item: forbid an unused grant (or remove a runtime grant), suspend an idle agent or one whose owner left, revoke a key')
        .argument('<agent>', 'the agent')
        .argument('<item>', 'the item as `warden review` lists it: grant:<ref>, idle, credential:<key id>, owner')
        .requiredOption('--reason <text>', 'why (goes into the admin log)'),
    )
      .addHelpText('after', `\nExample:\n  warden review ${decision} orders-bot credential:key_3f9a1c2b7d4e --reason "…"`)
      .action(
        adminAction<AdminOptions & { reason: string }>(async (client, options, [agent, item]) => {
          const recorded = await client.post<{ agent: string; item: string; decision: string; actor: string; reason: string; at: string }>('/reviews/decisions', { agent, item, decision, reason: options.reason });
          if (options.json) return printJson(recorded);
          printLines([`${recorded.agent} ${recorded.item}: ${decision === 'confirm' ? 'confirmed' : 'revoked'} by ${recorded.actor}`]);
        }),
      );
  }
}
