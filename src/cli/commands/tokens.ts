import type { Command } from 'commander';
import { adminAction, collectList, segment, wholeNumber, withAdminOptions, type AdminOptions } from '../admin-client.js';
import { list, secretLines, table, when, type TokenJson } from '../admin-format.js';
import { UsageError, printJson, printLines } from '../output.js';

/** `warden tokens …`: people's admin tokens (admins only); a secret is printed once. */
export function registerTokens(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('admin tokens of people over the admin API: list, issue, revoke (admins; secrets are shown once, at issue)')
    .addHelpText('after', '\nRoles: admin, security, owner, auditor (docs/governance.md says who may do what).\nRun warden tokens <command> --help for its options.');

  withAdminOptions(tokens.command('list').description('list admin tokens: subject, roles, expiry, revocation, last use; never their secrets'))
    .action(
      adminAction(async (client, options) => {
        const answer = await client.get<{ tokens: TokenJson[] }>('/tokens');
        if (options.json) return printJson(answer);
        printLines(table(['ID', 'SUBJECT', 'ROLES', 'EXPIRES', 'REVOKED', 'LAST USED', 'CREATED BY'], answer.tokens.map((token) => [token.id, token.subject, list(token.roles), when(token.expiresAt), when(token.revokedAt), when(token.lastUsedAt), token.createdBy])));
      }),
    );

  withAdminOptions(
    tokens
      .command('issue')
      .description('issue an admin token for a person and print it, this once')
      .requiredOption('--subject <email>', 'the person\'s e-mail address (owners are matched with agents\' owner by it)')
      .option('--role <role>', 'admin, security, owner or auditor (repeatable, or comma-separated)', collectList)
      .option('--ttl-days <n>', 'days until it expires (default 90, at most 365)', wholeNumber()),
  )
    .addHelpText('after', '\nThe person uses it as WARDEN_ADMIN_TOKEN (or in a file given with --token-file).\n\nExample:\n  warden tokens issue --subject sam@example.com --role security')
    .action(
      adminAction<AdminOptions & { subject: string; role?: string[]; ttlDays?: number }>(async (client, options) => {
        if (options.role === undefined || options.role.length === 0) throw new UsageError('give the person at least one role with --role (admin, security, owner, auditor)', 'warden tokens issue --subject sam@example.com --role security');
        const issued = await client.post<{ token: string; record: TokenJson }>('/tokens', { subject: options.subject, roles: options.role, ...(options.ttlDays !== undefined ? { ttlDays: options.ttlDays } : {}) });
        if (options.json) return printJson(issued);
        printLines([
          `issued ${issued.record.id} for ${issued.record.subject} (${list(issued.record.roles)}), expires ${issued.record.expiresAt}`,
          ...secretLines('token', issued.token, `hand it to ${issued.record.subject} now`),
        ]);
      }),
    );

  withAdminOptions(tokens.command('revoke').description('revoke an admin token at once').argument('<id>', 'the token id (tok_…), as `warden tokens list` shows it').requiredOption('--reason <text>', 'why (goes into the admin log)'))
    .action(
      adminAction<AdminOptions & { reason: string }>(async (client, options, [id]) => {
        const token = await client.post<TokenJson>(`/tokens/${segment(id!)}/revoke`, { reason: options.reason });
        if (options.json) return printJson(token);
        printLines([`revoked ${token.id} of ${token.subject} at ${token.revokedAt ?? 'once'}`]);
      }),
    );
}
