import type { Command } from 'commander';
import { adminAction, wholeNumber, withAdminOptions, type AdminOptions } from '../admin-client.js';
import { table, type AdminEventJson } from '../admin-format.js';
import { printJson, printLines } from '../output.js';

/** `warden admin-log`: the admin action log, newest first. */
export function registerAdminLog(program: Command): void {
  withAdminOptions(
    program
      .command('admin-log')
      .description('the admin action log, newest first: who did what to what, allowed or refused, and why')
      .option('--actor <subject>', 'only what this person (or system actor, e.g. template:support-bot) did')
      .option('--target <target>', 'only events on this target, e.g. agent/orders-bot, key/key_…, token/tok_…')
      .option('--limit <n>', 'at most this many events (the API\'s default otherwise, at most 1000)', wholeNumber())
      .option('--before <seq>', 'only events older than this sequence number (to page back)', wholeNumber()),
  )
    .addHelpText('after', '\nExample:\n  warden admin-log --target agent/orders-bot --limit 20')
    .action(
      adminAction<AdminOptions & { actor?: string; target?: string; limit?: number; before?: number }>(async (client, options) => {
        const answer = await client.get<{ events: AdminEventJson[] }>('/admin-events', { actor: options.actor, target: options.target, limit: options.limit, before: options.before });
        if (options.json) return printJson(answer);
        printLines(
          answer.events.length === 0
            ? ['no admin event matches']
            : table(['SEQ', 'TIME', 'ACTOR', 'ACTION', 'TARGET', 'OUTCOME', 'DETAIL'], answer.events.map((event) => [String(event.seq), event.time, event.actor, event.action, event.target, event.outcome, event.detail ?? changeOf(event)])),
        );
      }),
    );
}

/** `before → after` in one short line, for events without a detail. */
function changeOf(event: AdminEventJson): string {
  const text = (value: unknown) => (value === undefined || value === null ? '' : JSON.stringify(value));
  const before = text(event.before);
  const after = text(event.after);
  if (before === '' && after === '') return '-';
  return before === '' ? after : `${before} → ${after}`;
}
