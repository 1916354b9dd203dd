import type { Command } from 'commander';
import { adminAction, segment, wholeNumber, withAdminOptions, type AdminOptions } from '../admin-client.js';
import { fields, table, when, type ApprovalJson } from '../admin-format.js';
import { printJson, printLines } from '../output.js';

/** `warden approvals …`: step-up approvals (list, show, approve, deny). */
export function registerApprovals(program: Command): void {
  const approvals = program
    .command('approvals')
    .description('step-up approvals over the admin API: calls held for a human\'s decision; list, show, approve, deny')
    .addHelpText(
      'after',
      '\nA grant with stepUp: true holds the agent\'s call until the agent\'s owner, security or an admin approves it;\nthe approved call then passes exactly once, with exactly the parameters shown here.\nRun warden approvals <command> --help for its options.',
    );

  withAdminOptions(
    approvals
      .command('list')
      .description('list approvals, newest first: the held call, status, deadline, who decided')
      .option('--status <status>', 'only pending, approved, denied, expired or used approvals')
      .option('--agent <name>', 'only this agent\'s approvals')
      .option('--limit <n>', 'at most this many (default 100, at most 1000)', wholeNumber()),
  )
    .addHelpText('after', '\nAn approval past its deadline is listed as expired at once.\n\nExample:\n  warden approvals list --status pending')
    .action(
      adminAction<AdminOptions & { status?: string; agent?: string; limit?: number }>(async (client, options) => {
        const answer = await client.get<{ approvals: ApprovalJson[] }>('/approvals', { status: options.status, agent: options.agent, limit: options.limit });
        if (options.json) return printJson(answer);
        printLines(
          answer.approvals.length === 0
            ? ['no approval matches']
            : table(
                ['ID', 'AGENT', 'OPERATION', 'STATUS', 'REQUESTED', 'EXPIRES', 'DECIDED BY', 'CALL'],
                answer.approvals.map((approval) => [approval.id, approval.agent, `${approval.api}.${approval.operation}`, approval.status, when(approval.requestedAt), when(approval.expiresAt), approval.decidedBy, printable(callLine(approval))]),
              ),
        );
      }),
    );

  withAdminOptions(approvals.command('show').description('show the held call as the approver decides on it: operation, path, parameters, task context').argument('<id>', 'the approval (apr_…)'))
    .addHelpText('after', '\nExample:\n  warden approvals show apr_5b2c9e0a1f3d4e6a')
    .action(
      adminAction<AdminOptions>(async (client, options, [id]) => {
        const approval = await client.get<ApprovalJson>(`/approvals/${segment(id!)}`);
        if (options.json) return printJson(approval);
        printLines(showLines(approval));
      }),
    );

  withAdminOptions(
    approvals
      .command('approve')
      .description('approve a pending approval: the agent may send exactly that call once, within stepUp.useWithinSeconds')
      .argument('<id>', 'the approval (apr_…)')
      .requiredOption('--reason <text>', 'why (goes into the admin log)'),
  )
    .addHelpText('after', '\nSecurity, an admin or the agent\'s owner may decide. Check the call with `warden approvals show ID` first:\nthe approval covers that operation with those parameters and nothing else.\n\nExample:\n  warden approvals approve apr_5b2c9e0a1f3d4e6a --reason "refund confirmed with the customer"')
    .action(
      adminAction<AdminOptions & { reason: string }>(async (client, options, [id]) => {
        const approval = await client.post<ApprovalJson>(`/approvals/${segment(id!)}/approve`, { reason: options.reason });
        if (options.json) return printJson(approval);
        printLines([`${approval.id}: approved; ${approval.agent} may send ${printable(callLine(approval))} once, until ${approval.expiresAt}`]);
      }),
    );

  withAdminOptions(approvals.command('deny').description('deny a pending approval: the held call never passes').argument('<id>', 'the approval (apr_…)').requiredOption('--reason <text>', 'why (the agent is told)'))
    .addHelpText('after', '\nExample:\n  warden approvals deny apr_5b2c9e0a1f3d4e6a --reason "the customer has a legal hold"')
    .action(
      adminAction<AdminOptions & { reason: string }>(async (client, options, [id]) => {
        const approval = await client.post<ApprovalJson>(`/approvals/${segment(id!)}/deny`, { reason: options.reason });
        if (options.json) return printJson(approval);
        printLines([`${approval.id}: denied; ${approval.agent}'s call of ${approval.api}.${approval.operation} does not pass`]);
      }),
    );
}

function callLine(approval: ApprovalJson): string {
  return `${approval.method} ${approval.path}${approval.query.length > 0 ? `?${approval.query}` : ''}`;
}

/** What the agent sent is shown, never interpreted: control characters are escaped so they cannot drive the terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function showLines(approval: ApprovalJson): string[] {
  const deadline = approval.status === 'pending' ? `, expires ${when(approval.expiresAt)}` : approval.status === 'approved' ? `, to be used by ${when(approval.expiresAt)}` : '';
  const lines = [`${approval.id}: ${approval.status}${deadline}`];
  const context = Object.entries(approval.context ?? {});
  lines.push(
    ...fields([
      ['agent', `${approval.agent}${approval.owner !== undefined ? ` (owner ${approval.owner})` : ''}`],
      ['operation', `${approval.api}.${approval.operation}`],
      ['call', printable(callLine(approval))],
      ['context', context.length === 0 ? '-' : printable(context.map(([name, value]) => `${name}=${value}`).join(', '))],
      ['requested', `${when(approval.requestedAt)} (gateway request ${printable(approval.requestId)})`],
      ['fingerprint', approval.fingerprint],
      ...(approval.decidedAt !== undefined ? [['decided', `${when(approval.decidedAt)} by ${approval.decidedBy ?? '?'} via ${approval.decidedVia ?? '?'}: ${printable(approval.reason ?? '')}`] as const] : []),
      ...(approval.usedAt !== undefined ? [['used', `${when(approval.usedAt)} by gateway request ${printable(approval.usedRequestId ?? '?')}`] as const] : []),
    ]),
  );
  const parameters = Object.entries(approval.parameters);
  lines.push('parameters:');
  // JSON keeps strings quoted and escaped: what is shown is exactly what the agent sent.
  lines.push(...(parameters.length === 0 ? ['  (none)'] : fields(parameters.map(([name, value]) => [printable(name), JSON.stringify(value)] as const))));
  if (approval.status === 'pending') lines.push(`decide: warden approvals approve ${approval.id} --reason …   or   warden approvals deny ${approval.id} --reason …`);
  return lines;
}
