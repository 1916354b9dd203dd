import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { adminAction, collectList, segment, wholeNumber, withAdminOptions, type AdminClient, type AdminOptions } from '../admin-client.js';
import { table } from '../admin-format.js';
import { dataOption } from '../data-option.js';
import { UsageError, counted, printJson, printLines } from '../output.js';

const FORMATS = ['auto', 'audit', 'jsonl', 'har', 'nginx', 'envoy'] as const;

interface FindingJson {
  readonly id: string;
  readonly kind: string;
  readonly subject: string;
  readonly details: Record<string, unknown>;
  readonly status: string;
  readonly reason?: string;
  readonly decommissionOn?: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly firstReported: string;
  readonly lastReported: string;
}

/** YAML is loaded only by the commands that print it: every `warden` command registers these. */
async function toYaml(value: unknown): Promise<string> {
  return (await import('yaml')).stringify(value);
}

/** `warden discover …`: the API inventory from traffic and scans, and the review of what it finds (docs/discovery.md). */
export function registerDiscover(program: Command): void {
  const discover = program.command('discover').description('API discovery: inventory from traffic logs and the gateway\'s audit log, shadow/zombie/orphan endpoints, unregistered clients, active scans, review');

  discover
    .command('import')
    .description('read traffic (files and/or the gateway\'s audit log), infer endpoint templates, classify them against OpenAPI documents and the catalog, and print the inventory')
    .argument('[files...]', 'traffic files: Warden audit JSONL, plain traffic JSONL, HAR, nginx combined or Envoy JSON access logs (.gz too)')
    .addOption(new Option('--format <format>', 'format of the files').choices(FORMATS).default('auto'))
    .option('--spec <file>', 'an OpenAPI 3.x or Swagger 2.0 document (repeatable; documents with the same info.title are versions of one API)', collectList)
    .option('--audit', 'also read the gateway\'s own audit log in --data')
    .option('--from <time>', 'with --audit: records at or after this time (ISO 8601)')
    .option('--orphan-days <n>', 'a documented operation without traffic for this many days is an orphan', wholeNumber(), 30)
    .option('--openapi <file>', 'write the inferred inventory as an OpenAPI 3.1 document to review and adopt')
    .option('--no-record', 'do not record findings in the store (by default they are, when --data holds one)')
    .option('--config <file>', 'gateway config (its audit settings), for --audit')
    .option('--json', 'print the inventory as JSON')
    .addOption(dataOption)
    .addHelpText(
      'after',
      '\nEvery observed endpoint is documented, shadow (answered 2xx/3xx, in no document), zombie (deprecated,\npast its sunset, or removed in a newer version; serving or only probed) or unknown (never answered);\ndocumented operations without traffic are orphans. The catalog in --data counts as documentation.\n\nExamples:\n  warden discover import access.log --spec openapi.yaml\n  warden discover import capture.har --format har --openapi inferred.json\n  warden discover import --audit --from 2026-11-01 --json',
    )
    .action(async (files: string[], options) => {
      const { runImport } = await import('./discover-import.js');
      await runImport(files, options);
    });

  discover
    .command('scan')
    .description('look for self-described APIs on hosts: OpenAPI/Swagger documents at common locations, GraphQL introspection, MCP tools/list')
    .argument('<urls...>', 'http(s) origins, optionally with a base path, e.g. https://api.internal.example/v1')
    .option('--max-requests <n>', 'requests per host at most', wholeNumber(), 40)
    .option('--delay-ms <n>', 'pause between two requests to one host', wholeNumber(0), 100)
    .option('--timeout-ms <n>', 'time limit of one request', wholeNumber(), 5000)
    .option('--header <header>', 'a header to send, e.g. "Authorization: Bearer …" (repeatable; values are never printed)', (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option('--save-specs <dir>', 'write each OpenAPI document found to this folder, for `discover import --spec`')
    .option('--no-record', 'do not record what is found in the store')
    .option('--json', 'print the scan report as JSON')
    .addOption(dataOption)
    .addHelpText('after', '\nPolite by design: one request at a time per host with a pause, a timeout and a size cap, redirects\nfollowed only on the same host.\n\nExamples:\n  warden discover scan https://orders.internal.example https://billing.internal.example/api\n  warden discover scan https://api.example.com --save-specs specs/ --header "Authorization: Bearer $TOKEN"')
    .action(async (urls: string[], options) => {
      const { runScan } = await import('./discover-scan.js');
      await runScan(urls, options);
    });

  withAdminOptions(
    discover
      .command('findings')
      .description('what discovery found, for review: shadow, zombie and orphan endpoints, unregistered clients, scan results')
      .option('--status <status>', 'open, adopted, ignored, decommission (comma-separated; default open)', 'open')
      .option('--kind <kind>', 'shadow, zombie, orphan, unregistered-client, scan (comma-separated)')
      .option('--all', 'every status'),
  )
    .addHelpText('after', '\nExamples:\n  warden discover findings\n  warden discover findings --kind zombie --all --json')
    .action(
      adminAction<AdminOptions & { status: string; kind?: string; all?: boolean }>(async (client, options) => {
        const answer = await client.get<{ findings: FindingJson[] }>('/discovery/findings', { ...(options.all ? {} : { status: options.status }), ...(options.kind !== undefined ? { kind: options.kind } : {}) });
        if (options.json) return printJson(answer);
        if (answer.findings.length === 0) return printLines(['no finding matches (warden discover import adds them)']);
        printLines([
          ...table(['ID', 'KIND', 'SUBJECT', 'STATUS', 'SEEN'], answer.findings.map((finding) => [finding.id, finding.kind, finding.subject, decision(finding), seen(finding)])),
          '',
          'next: warden discover adopt|ignore|decommission ID …, or warden discover propose-agent ID for an unregistered client',
        ]);
      }),
    );

  withAdminOptions(discover.command('show').description('one finding with everything discovery knows about it').argument('<id>', 'the finding (fnd_…)')).action(
    adminAction<AdminOptions>(async (client, options, [id]) => {
      const finding = await client.get<FindingJson>(`/discovery/findings/${segment(id!)}`);
      if (options.json) return printJson(finding);
      printLines([`${finding.id}  ${finding.kind}  ${finding.subject}`, `  status: ${decision(finding)}`, `  first reported ${finding.firstReported}, last ${finding.lastReported}`, ...(await toYaml(finding.details)).trimEnd().split('\n').map((line) => `  ${line}`)]);
    }),
  );

  withAdminOptions(
    discover
      .command('adopt')
      .description('adopt shadow endpoints into the catalog: writes an Api manifest (in monitor mode) and marks the findings adopted')
      .argument('<ids...>', 'shadow findings (fnd_…) of one API')
      .requiredOption('--api <name>', 'catalog name of the API (lower-case letters, digits, hyphens)')
      .requiredOption('--owner <owner>', 'the accountable team or person')
      .requiredOption('--upstream <url>', 'where the gateway forwards its calls, e.g. http://orders.internal:8080')
      .option('--base-path <path>', 'path prefix of the API; templates are declared relative to it', '/')
      .option('--out <file>', 'write the manifest here (default: standard output)'),
  )
    .addHelpText('after', '\nReview the manifest, add grants to roles, apply it with warden apply, and switch mode to enforce once the\nrecorded would-deny decisions look right.\n\nExample:\n  warden discover adopt fnd_1a2b3c4d5e6f fnd_6f5e4d3c2b1a --api orders --owner orders-team@example.com --upstream http://orders:8080 --out apis/orders.yaml')
    .action(
      adminAction<AdminOptions & { api: string; owner: string; upstream: string; basePath: string; out?: string }>(async (client, options, ids) => {
        const { adoptionManifest } = await import('../../controlplane/discovery/adoption-manifest.js');
        if (options.out !== undefined && !existsSync(path.dirname(path.resolve(options.out)))) throw new UsageError(`cannot write ${options.out}: the folder does not exist`, 'create it first, or give another --out FILE');
        const findings = await Promise.all(ids.map((id) => client.get<FindingJson>(`/discovery/findings/${segment(id)}`)));
        const wrong = findings.find((finding) => finding.kind !== 'shadow');
        if (wrong !== undefined) throw new UsageError(`${wrong.id} is a ${wrong.kind} finding; only shadow endpoints are adopted into the catalog`, 'pick shadow findings: warden discover findings --kind shadow');
        let manifest;
        try {
          manifest = adoptionManifest(findings.map((finding) => endpointOf(finding)), { name: options.api, owner: options.owner, upstream: options.upstream, basePath: options.basePath });
        } catch (error) {
          throw new UsageError((error as Error).message, 'fix the option, or adopt endpoints of one API and base path together');
        }
        const yaml = await toYaml(manifest);
        if (options.out !== undefined) await writeFile(options.out, yaml);
        const decided = await decideAll(client, ids, { status: 'adopted', reason: `adopted into Api ${options.api}${options.out !== undefined ? ` (${options.out})` : ''}` });
        if (options.json) return printJson({ manifest, findings: decided });
        if (options.out === undefined) process.stdout.write(yaml);
        printLines([`${options.out !== undefined ? `wrote ${options.out}: ` : ''}Api ${options.api} with ${counted(manifest.spec.operations.length, 'operation')}, in monitor mode; ${counted(decided.length, 'finding')} adopted`].map((line) => (options.out === undefined ? `# ${line}` : line)));
      }),
    );

  withAdminOptions(
    discover.command('ignore').description('ignore findings, with the reason (an expected endpoint, a test client, …)').argument('<ids...>', 'findings (fnd_…)').requiredOption('--reason <text>', 'why it is not a problem'),
  ).action(
    adminAction<AdminOptions & { reason: string }>(async (client, options, ids) => {
      const decided = await decideAll(client, ids, { status: 'ignored', reason: options.reason });
      if (options.json) return printJson({ findings: decided });
      printLines(decided.map((finding) => `${finding.id} ignored: ${finding.subject}`));
    }),
  );

  withAdminOptions(
    discover
      .command('decommission')
      .description('give zombie or orphan endpoints a decommission date')
      .argument('<ids...>', 'zombie or orphan findings (fnd_…)')
      .requiredOption('--on <day>', 'the day it is switched off, YYYY-MM-DD')
      .option('--reason <text>', 'the change or ticket'),
  ).action(
    adminAction<AdminOptions & { on: string; reason?: string }>(async (client, options, ids) => {
      const decided = await decideAll(client, ids, { status: 'decommission', on: options.on, ...(options.reason !== undefined ? { reason: options.reason } : {}) });
      if (options.json) return printJson({ findings: decided });
      printLines(decided.map((finding) => `${finding.id} to be decommissioned on ${finding.decommissionOn}: ${finding.subject}`));
    }),
  );

  withAdminOptions(discover.command('reopen').description('open findings again for review').argument('<ids...>', 'findings (fnd_…)').option('--reason <text>', 'why')).action(
    adminAction<AdminOptions & { reason?: string }>(async (client, options, ids) => {
      const decided = await decideAll(client, ids, { status: 'open', ...(options.reason !== undefined ? { reason: options.reason } : {}) });
      if (options.json) return printJson({ findings: decided });
      printLines(decided.map((finding) => `${finding.id} open: ${finding.subject}`));
    }),
  );

  withAdminOptions(
    discover
      .command('propose-agent')
      .description('propose an unregistered client as an agent: the usual proposal and review, and the finding marked adopted')
      .argument('<id>', 'an unregistered-client finding (fnd_…)')
      .argument('<name>', 'the new agent\'s name')
      .requiredOption('--purpose <text>', 'what the agent is for, in a sentence')
      .option('--role <role>', 'a role it needs (repeatable)', collectList)
      .option('--template <name>', 'an AgentTemplate')
      .option('--owner <email>', 'the person accountable for it (default: you)'),
  )
    .addHelpText('after', '\nOnce approved, bind the client\'s credential to it (warden agents bind, or an API key from warden keys issue).\n\nExample:\n  warden discover propose-agent fnd_0a1b2c3d4e5f invoice-reader --purpose "Reads invoices for the month-end report" --role finance-reader --owner ann@example.com')
    .action(
      adminAction<AdminOptions & { purpose: string; role?: string[]; template?: string; owner?: string }>(async (client, options, [id, name]) => {
        if ((options.role === undefined || options.role.length === 0) && options.template === undefined) throw new UsageError('name the roles the agent needs (--role ROLE) or a template (--template NAME)', 'warden discover propose-agent ID NAME --purpose "…" --role reader');
        const answer = await client.post<{ finding: FindingJson; agent: { name: string; state: string } }>(`/discovery/findings/${segment(id!)}/propose-agent`, {
          name,
          purpose: options.purpose,
          ...(options.role !== undefined ? { roles: options.role } : {}),
          ...(options.template !== undefined ? { template: options.template } : {}),
          ...(options.owner !== undefined ? { owner: options.owner } : {}),
        });
        if (options.json) return printJson(answer);
        printLines([`proposed ${answer.agent.name} (${answer.agent.state}) for the client ${answer.finding.subject}; the finding is adopted`, 'next: warden agents review, then bind its credential once it is approved']);
      }),
    );
}

async function decideAll(client: AdminClient, ids: readonly string[], body: Record<string, unknown>): Promise<FindingJson[]> {
  const decided: FindingJson[] = [];
  for (const id of ids) decided.push(await client.post<FindingJson>(`/discovery/findings/${segment(id)}/decision`, body));
  return decided;
}

function endpointOf(finding: FindingJson): { method: string; template: string; dataClasses?: string[] } {
  const details = finding.details;
  const dataClasses = Array.isArray(details['dataClasses']) ? (details['dataClasses'] as unknown[]).filter((value): value is string => typeof value === 'string') : undefined;
  return { method: String(details['method']), template: String(details['template']), ...(dataClasses !== undefined ? { dataClasses } : {}) };
}

function decision(finding: FindingJson): string {
  if (finding.status === 'decommission') return `decommission ${finding.decommissionOn ?? ''}`;
  return finding.status === 'open' ? 'open' : `${finding.status}${finding.decidedBy !== undefined ? ` by ${finding.decidedBy}` : ''}`;
}

function seen(finding: FindingJson): string {
  const hits = finding.details['hits'] ?? finding.details['calls'];
  return typeof hits === 'number' ? `${hits} × up to ${String(finding.details['lastSeen'] ?? finding.lastReported).slice(0, 10)}` : finding.lastReported.slice(0, 10);
}
