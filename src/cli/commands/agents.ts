import type { Command } from 'commander';
import { LIFECYCLE_ACTIONS, actionMeaning } from '../../controlplane/agents/lifecycle.js';
import { adminAction, collectList, segment, withAdminOptions, type AdminOptions } from '../admin-client.js';
import {
  AGENT_HEADERS,
  agentRow,
  bindingIdentity,
  fields,
  list,
  nextActions,
  riskLines,
  riskSummary,
  table,
  when,
  type AgentDetailJson,
  type AgentJson,
  type BindingJson,
  type LifecycleResultJson,
} from '../admin-format.js';
import { UsageError, printJson, printLines } from '../output.js';

/** `warden agents …`: agents over the admin API (list, show, propose, review queue, lifecycle, bindings). */
export function registerAgents(program: Command): void {
  const agents = program
    .command('agents')
    .description('agents over the admin API: list, show, propose, the review queue, lifecycle actions, identity bindings')
    .addHelpText('after', '\nEach subcommand talks to the admin API of `warden start` (--admin-url, default http://127.0.0.1:8081) with your admin token.\nRun warden agents <command> --help for its options.');

  withAdminOptions(
    agents
      .command('list')
      .description('list agents with their state, owner, roles and number of credentials')
      .option('--state <states>', 'only these states, comma-separated (proposed, in_review, approved, testing, active, suspended, quarantined, decommissioned)')
      .option('--owner <email>', 'only agents this person owns'),
  )
    .addHelpText('after', '\nExample:\n  warden agents list --state proposed,in_review --owner alice@example.com')
    .action(
      adminAction<AdminOptions & { state?: string; owner?: string }>(async (client, options) => {
        const answer = await client.get<{ agents: AgentJson[] }>('/agents', { state: options.state, owner: options.owner });
        if (options.json) return printJson(answer);
        printLines(answer.agents.length === 0 ? ['no agent matches'] : table(AGENT_HEADERS, answer.agents.map(agentRow)));
      }),
    );

  withAdminOptions(agents.command('show').description('show an agent: definition, state, credentials by id, runtime rules, history, risk').argument('<name>', 'the agent'))
    .addHelpText('after', '\nExample:\n  warden agents show support-bot --json')
    .action(
      adminAction(async (client, options, [name]) => {
        const agent = await client.get<AgentDetailJson>(`/agents/${segment(name!)}`);
        if (options.json) return printJson(agent);
        printLines(showAgent(agent));
      }),
    );

  withAdminOptions(
    agents
      .command('propose')
      .description('propose an agent: it waits in the review queue (or is approved at once when its template is pre-approved)')
      .argument('<name>', 'the new agent\'s name (lower case, digits, dashes)')
      .requiredOption('--purpose <text>', 'what the agent is for, in a sentence (at least 10 characters): reviewers and the risk assessment read it')
      .option('--role <role>', 'a role it needs (repeatable, or comma-separated)', collectList)
      .option('--template <name>', 'an AgentTemplate: its roles by default (with --role, a subset of them)')
      .option('--owner <email>', 'the person accountable for it (default: you; proposing for someone else needs admin or security)')
      .option('--region <region>', 'a region it may run in, e.g. eu (repeatable)', collectList)
      .option('--description <text>', 'a longer description'),
  )
    .addHelpText('after', '\nExamples:\n  warden agents propose orders-bot --purpose "Looks up customers to answer order questions" --role support-reader\n  warden agents propose returns-bot --template support-bot --owner alice@example.com --purpose "Handles return requests"')
    .action(
      adminAction<AdminOptions & { purpose: string; role?: string[]; template?: string; owner?: string; region?: string[]; description?: string }>(async (client, options, [name]) => {
        if ((options.role === undefined || options.role.length === 0) && options.template === undefined) {
          throw new UsageError('name the roles the agent needs (--role ROLE, repeatable) or a template (--template NAME)', 'warden agents propose NAME --purpose "…" --role support-reader');
        }
        const agent = await client.post<AgentDetailJson>('/agents', {
          name,
          purpose: options.purpose,
          ...(options.role !== undefined ? { roles: options.role } : {}),
          ...(options.template !== undefined ? { template: options.template } : {}),
          ...(options.owner !== undefined ? { owner: options.owner } : {}),
          ...(options.region !== undefined ? { regions: options.region } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
        });
        if (options.json) return printJson(agent);
        const approvedBy = agent.history.find((transition) => transition.to === 'approved')?.actor;
        printLines([
          agent.state === 'approved'
            ? `proposed ${agent.name}: approved at once (${approvedBy ?? 'template'}: the template is pre-approved)`
            : `proposed ${agent.name}: ${agent.state}, waiting for a security review (warden agents review)`,
          ...fields([
            ['owner', agent.owner],
            ['roles', list(agent.roles)],
            ...(agent.template !== undefined ? [['template', agent.template] as const] : []),
          ]),
          ...riskLines(agent.risk),
          nextActions(agent),
        ]);
      }),
    );

  withAdminOptions(agents.command('review').description('the review queue: agents proposed or in review, with their risk score, level and reasons'))
    .addHelpText('after', '\nA proposed agent needs a security review (warden agents approve NAME by a security reviewer),\nthen a business approval by an admin who is another person.')
    .action(
      adminAction(async (client, options) => {
        const answer = await client.get<{ agents: AgentDetailJson[] }>('/review-queue');
        if (options.json) return printJson(answer);
        if (answer.agents.length === 0) return printLines(['the review queue is empty: no agent waits for review']);
        const lines = table(
          ['NAME', 'STATE', 'OWNER', 'RISK', 'ROLES', 'WAITS FOR'],
          answer.agents.map((agent) => [agent.name, agent.state, agent.owner, riskSummary(agent.risk), list(agent.roles), agent.state === 'proposed' ? 'security review' : 'business approval']),
        );
        for (const agent of answer.agents) {
          lines.push('', `${agent.name}: ${agent.purpose}`, ...riskLines(agent.risk));
        }
        printLines(lines);
      }),
    );

  for (const action of LIFECYCLE_ACTIONS) {
    withAdminOptions(
      agents
        .command(action)
        .description(`lifecycle: ${actionMeaning(action)}`)
        .argument('<name>', 'the agent')
        .requiredOption('--reason <text>', 'why (goes into the agent\'s history and the admin log)'),
    )
      .addHelpText('after', `\nPrints the new state and how long the gateway took to get the new policy.\nExit 1 when refused; for an action that does not apply in the agent's state, the legal actions are listed.\n\nExample:\n  warden agents ${action} orders-bot --reason "…"`)
      .action(
        adminAction<AdminOptions & { reason: string }>(async (client, options, [name]) => {
          const result = await client.post<LifecycleResultJson>(`/agents/${segment(name!)}/actions/${action}`, { reason: options.reason });
          if (options.json) return printJson(result);
          printLines([
            `${result.agent.name}: ${result.from} → ${result.agent.state} (${action})`,
            `in force in the gateway ${result.propagationMs.toFixed(1)} ms after the change`,
            nextActions(result.agent),
          ]);
        }),
      );
  }

  withAdminOptions(
    agents
      .command('bind')
      .description('bind an external identity to an agent: a JWT issuer and subject, a certificate fingerprint or a SPIFFE id')
      .argument('<name>', 'the agent')
      .option('--jwt <issuer-and-subject...>', 'JWT issuer URL (https://…) and subject (sub or client_id): two values')
      .option('--fingerprint <sha256>', 'client certificate fingerprint, sha256:<64 hex digits>')
      .option('--spiffe <id>', 'SPIFFE id of the client certificate, spiffe://trust-domain/path'),
  )
    .addHelpText('after', '\nExamples:\n  warden agents bind orders-bot --jwt https://idp.example.com/ orders-svc\n  warden agents bind orders-bot --spiffe spiffe://example.com/ns/shop/sa/orders')
    .action(
      adminAction<AdminOptions & { jwt?: string[]; fingerprint?: string; spiffe?: string }>(async (client, options, [name]) => {
        const given = [options.jwt, options.fingerprint, options.spiffe].filter((value) => value !== undefined).length;
        if (given !== 1) throw new UsageError('give exactly one identity: --jwt ISSUER SUBJECT, --fingerprint sha256:… or --spiffe spiffe://…', 'bind several identities one at a time');
        if (options.jwt !== undefined && options.jwt.length !== 2) throw new UsageError(`--jwt takes two values, the issuer and the subject; got ${options.jwt.length}`, 'warden agents bind NAME --jwt https://idp.example.com/ orders-svc');
        const binding = options.jwt !== undefined
          ? { type: 'jwt', issuer: options.jwt[0], subject: options.jwt[1] }
          : options.fingerprint !== undefined
            ? { type: 'mtls', fingerprint: options.fingerprint }
            : { type: 'mtls', spiffeId: options.spiffe };
        const record = await client.post<BindingJson>(`/agents/${segment(name!)}/bindings`, binding);
        if (options.json) return printJson(record);
        printLines([`bound ${bindingIdentity(record.binding)} to ${record.agent} as ${record.id}`, `remove it with: warden agents unbind ${record.agent} ${record.id}`]);
      }),
    );

  withAdminOptions(agents.command('unbind').description('remove an identity bound at run time').argument('<name>', 'the agent').argument('<binding-id>', 'the binding (bnd_…), as `warden agents bind` printed it or `warden diff` lists it'))
    .action(
      adminAction(async (client, options, [name, id]) => {
        await client.delete(`/agents/${segment(name!)}/bindings/${segment(id!)}`);
        if (options.json) return printJson({ agent: name, binding: id, removed: true });
        printLines([`removed binding ${id} from ${name}`]);
      }),
    );
}

/** `warden agents show` for people. */
function showAgent(agent: AgentDetailJson): string[] {
  const credentials = agent.credentials;
  return [
    `${agent.name}: ${agent.state}${agent.stateSince !== undefined ? ` since ${when(agent.stateSince)}` : ''}`,
    ...fields([
      ['owner', agent.owner],
      ['purpose', agent.purpose],
      ['roles', list(agent.roles)],
      ['template', agent.template ?? '-'],
      ['source', agent.source === 'api' ? 'proposed through the admin API' : 'manifest'],
      ['actions', list(agent.actions)],
    ]),
    'credentials',
    ...fields([
      ['API keys', list(credentials.apiKeys)],
      ['JWT', list(credentials.jwt.map((jwt) => `${jwt.issuer} ${jwt.subject}`))],
      ['certificates', list(credentials.certificates)],
    ]),
    'runtime rules',
    ...(agent.runtimeRules.length === 0 ? ['  none'] : table(['ID', 'KIND', 'API', 'OPERATIONS', 'UNTIL'], agent.runtimeRules.map((rule) => [rule.id, rule.kind, rule.api, list(rule.operations), when(rule.expiresAt)])).map((line) => `  ${line}`)),
    ...riskLines(agent.risk, ''),
    'history',
    ...table(['TIME', 'FROM', 'TO', 'ACTION', 'BY', 'REASON'], agent.history.map((transition) => [when(transition.at), transition.from ?? '-', transition.to, transition.action, transition.actor, transition.reason])).map((line) => `  ${line}`),
  ];
}
