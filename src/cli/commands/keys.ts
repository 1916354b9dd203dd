import type { Command } from 'commander';
import { adminAction, segment, wholeNumber, withAdminOptions, type AdminOptions } from '../admin-client.js';
import { secretLines, table, when, type KeyJson, type NewKeyJson } from '../admin-format.js';
import { printJson, printLines } from '../output.js';

/** `warden keys …`: agents' Warden API keys (list, issue, rotate, revoke); a secret is printed once. */
export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('agents\' API keys over the admin API: list, issue, rotate, revoke (secrets are shown once, at issue)')
    .addHelpText('after', '\nRun warden keys <command> --help for its options.');

  withAdminOptions(keys.command('list').description('list API keys with status (active, expiring, expired, revoked), expiry and last use; never their secrets').option('--agent <name>', 'only this agent\'s keys'))
    .action(
      adminAction<AdminOptions & { agent?: string }>(async (client, options) => {
        const answer = await client.get<{ keys: KeyJson[] }>('/keys', { agent: options.agent });
        if (options.json) return printJson(answer);
        printLines(
          answer.keys.length === 0
            ? [options.agent === undefined ? 'no API keys' : `${options.agent} has no API keys`]
            : table(['ID', 'AGENT', 'STATUS', 'EXPIRES', 'LAST USED', 'REPLACED BY'], answer.keys.map((key) => [key.id, key.agent ?? '-', key.status, when(key.expiresAt), when(key.lastUsedAt), key.replacedBy ?? '-'])),
        );
      }),
    );

  withAdminOptions(
    keys
      .command('issue')
      .description('issue an API key for an agent and print its secret, this once')
      .requiredOption('--agent <name>', 'the agent the key identifies')
      .option('--ttl-days <n>', 'days until it expires (default governance.keyTtlDays, 90)', wholeNumber()),
  )
    .addHelpText('after', '\nThe agent sends the key as `Authorization: Bearer wdn_…`. Warden keeps only its digest.\n\nExample:\n  warden keys issue --agent orders-bot --ttl-days 30')
    .action(
      adminAction<AdminOptions & { agent: string; ttlDays?: number }>(async (client, options) => {
        const issued = await client.post<NewKeyJson>('/keys', { agent: options.agent, ...(options.ttlDays !== undefined ? { ttlDays: options.ttlDays } : {}) });
        if (options.json) return printJson(issued);
        printLines([`issued ${issued.record.id} for ${issued.record.agent ?? options.agent}, expires ${issued.record.expiresAt}`, ...secretLines('key', issued.key, 'hand it to the agent now')]);
      }),
    );

  withAdminOptions(
    keys
      .command('rotate')
      .description('issue a successor key (secret printed once); the old key keeps working for the overlap, then expires')
      .argument('<key-id>', 'the key to replace (key_…)')
      .option('--overlap-hours <h>', 'how long the old key keeps working (default governance.rotationOverlapHours, 24; 0 ends it now)', wholeNumber(0))
      .option('--ttl-days <n>', 'days until the new key expires (default 90)', wholeNumber()),
  )
    .addHelpText('after', '\nExample:\n  warden keys rotate key_3f9a1c2b7d4e --overlap-hours 2')
    .action(
      adminAction<AdminOptions & { overlapHours?: number; ttlDays?: number }>(async (client, options, [id]) => {
        const rotated = await client.post<{ next: NewKeyJson; previous: KeyJson }>(`/keys/${segment(id!)}/rotate`, {
          ...(options.overlapHours !== undefined ? { overlapHours: options.overlapHours } : {}),
          ...(options.ttlDays !== undefined ? { ttlDays: options.ttlDays } : {}),
        });
        if (options.json) return printJson(rotated);
        printLines([
          `rotated ${rotated.previous.id}: the new key ${rotated.next.record.id} expires ${rotated.next.record.expiresAt}; ${rotated.previous.id} keeps working until ${rotated.previous.expiresAt}`,
          ...secretLines('key', rotated.next.key, 'hand it to the agent before the old key ends'),
        ]);
      }),
    );

  withAdminOptions(keys.command('revoke').description('revoke a key at once: the next request with it is refused').argument('<key-id>', 'the key (key_…)').requiredOption('--reason <text>', 'why (goes into the admin log)'))
    .action(
      adminAction<AdminOptions & { reason: string }>(async (client, options, [id]) => {
        const key = await client.post<KeyJson>(`/keys/${segment(id!)}/revoke`, { reason: options.reason });
        if (options.json) return printJson(key);
        printLines([`revoked ${key.id}${key.agent !== undefined ? ` of ${key.agent}` : ''} at ${key.revokedAt ?? 'once'}`]);
      }),
    );
}
