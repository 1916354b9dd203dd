import type { Command } from 'commander';
import { adminAction, segment, wholeNumber, withAdminOptions, type AdminOptions } from '../admin-client.js';
import { riskLines, riskSummary, table, when, type AccessRequestJson } from '../admin-format.js';
import { printJson, printLines } from '../output.js';

/** `warden access …`: access requests (list, ask on an agent's behalf, approve, deny). */
export function registerAccess(program: Command): void {
  const access = program
    .command('access')
    .description('access requests over the admin API: list, ask on an agent\'s behalf, approve, deny')
    .addHelpText('after', '\nAgents ask themselves at POST /.warden/access-requests on the gateway; people see and decide the requests here.\nRun warden access <command> --help for its options.');

  withAdminOptions(
    access
      .command('list')
      .description('list access requests with their status and risk')
      .option('--status <status>', 'only pending, granted or denied requests')
      .option('--agent <name>', 'only this agent\'s requests'),
  )
    .addHelpText('after', '\nExample:\n  warden access list --status pending')
    .action(
      adminAction<AdminOptions & { status?: string; agent?: string }>(async (client, options) => {
        const answer = await client.get<{ requests: AccessRequestJson[] }>('/access-requests', { status: options.status, agent: options.agent });
        if (options.json) return printJson(answer);
        printLines(
          answer.requests.length === 0
            ? ['no access request matches']
            : table(
                ['ID', 'AGENT', 'OPERATION', 'STATUS', 'RISK', 'REQUESTED', 'BY', 'REASON'],
                answer.requests.map((request) => [request.id, request.agent, `${request.api}.${request.operation}`, request.status, riskSummary(request.risk), when(request.requestedAt), request.requestedBy, request.reason]),
              ),
        );
      }),
    );

  withAdminOptions(
    access
      .command('request')
      .description('ask for one more operation on an agent\'s behalf (its owner, security or an admin)')
      .requiredOption('--agent <name>', 'the agent that needs it')
      .requiredOption('--api <api>', 'the API (its catalog name)')
      .requiredOption('--operation <id>', 'the operation id')
      .requiredOption('--reason <text>', 'why the task needs it, at least 10 characters: the reviewer reads it')
      .option('--days <n>', 'how many days it is needed for (default: until revoked)', wholeNumber()),
  )
    .addHelpText('after', '\nGranted at once when a pre-approved template of the agent\'s kind grants the operation; otherwise it waits for security.\n\nExample:\n  warden access request --agent orders-bot --api crm --operation searchCustomers --reason "walk-in customers have no ticket number" --days 7')
    .action(
      adminAction<AdminOptions & { agent: string; api: string; operation: string; reason: string; days?: number }>(async (client, options) => {
        const request = await client.post<AccessRequestJson>('/access-requests', {
          agent: options.agent,
          api: options.api,
          operation: options.operation,
          reason: options.reason,
          ...(options.days !== undefined ? { durationDays: options.days } : {}),
        });
        if (options.json) return printJson(request);
        printLines([
          request.status === 'granted'
            ? `${request.id}: granted at once (${request.decisionReason ?? request.decidedBy ?? 'pre-approved'}); ${request.agent} may call ${request.api}.${request.operation}${request.grantExpiresAt !== undefined ? ` until ${request.grantExpiresAt}` : ''}`
            : `${request.id}: ${request.status}, waiting for security (warden access approve ${request.id} --reason …)`,
          ...riskLines(request.risk),
        ]);
      }),
    );

  withAdminOptions(
    access
      .command('approve')
      .description('approve a pending request: the agent may call the operation when this returns')
      .argument('<id>', 'the request (ar_…)')
      .requiredOption('--reason <text>', 'why (goes into the admin log)')
      .option('--days <n>', 'time-box the grant to this many days (default: what was asked)', wholeNumber()),
  )
    .addHelpText('after', '\nNobody approves access for an agent they own.\n\nExample:\n  warden access approve ar_5b2c9e0a1f3d --reason "needed for walk-ins" --days 7')
    .action(
      adminAction<AdminOptions & { reason: string; days?: number }>(async (client, options, [id]) => {
        const request = await client.post<AccessRequestJson>(`/access-requests/${segment(id!)}/approve`, { reason: options.reason, ...(options.days !== undefined ? { durationDays: options.days } : {}) });
        if (options.json) return printJson(request);
        printLines([`${request.id}: granted; ${request.agent} may call ${request.api}.${request.operation}${request.grantExpiresAt !== undefined ? ` until ${request.grantExpiresAt}` : ' until revoked'}`]);
      }),
    );

  withAdminOptions(access.command('deny').description('deny a pending request').argument('<id>', 'the request (ar_…)').requiredOption('--reason <text>', 'why (the owner is told)'))
    .action(
      adminAction<AdminOptions & { reason: string }>(async (client, options, [id]) => {
        const request = await client.post<AccessRequestJson>(`/access-requests/${segment(id!)}/deny`, { reason: options.reason });
        if (options.json) return printJson(request);
        printLines([`${request.id}: denied; ${request.agent} still may not call ${request.api}.${request.operation}`]);
      }),
    );
}
