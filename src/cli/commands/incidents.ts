import type { Command } from 'commander';
import { adminAction, segment, wholeNumber, withAdminOptions, type AdminOptions } from '../admin-client.js';
import { fields, list, table, when } from '../admin-format.js';
import { UsageError, counted, printJson, printLines } from '../output.js';

interface ActionJson {
  readonly time: string;
  readonly by: string;
  readonly action: string;
  readonly detail: string;
  readonly ok: boolean;
}

interface IncidentJson {
  readonly id: string;
  readonly agent: string;
  readonly status: string;
  readonly severity: string;
  readonly detectors: readonly string[];
  readonly alertCount: number;
  readonly firstEventAt: string;
  readonly detectedAt: string;
  readonly containedAt?: string;
  readonly resolvedAt?: string;
  readonly resolution?: string;
  readonly holdId?: string;
  readonly actions: readonly ActionJson[];
}

interface AlertJson {
  readonly id: string;
  readonly time: string;
  readonly detector: string;
  readonly severity: string;
  readonly score: number;
  readonly reasons: readonly string[];
  readonly api?: string;
  readonly credential?: string;
}

type EntryJson =
  | { readonly kind: 'request'; readonly time: string; readonly method: string; readonly path: string; readonly api?: string; readonly operation?: string; readonly decision: string; readonly reason: string; readonly status: number; readonly records?: number; readonly customer?: string }
  | { readonly kind: 'alert'; readonly time: string; readonly detector: string; readonly severity: string; readonly score: number; readonly reasons: readonly string[] }
  | ({ readonly kind: 'action' } & ActionJson);

interface TimelineJson {
  readonly incident: IncidentJson;
  readonly from: string;
  readonly to: string;
  readonly entries: readonly EntryJson[];
  readonly requests: { readonly shown: number; readonly total: number; readonly truncated: boolean };
  readonly touched: {
    readonly calls: number;
    readonly denied: number;
    readonly recordsReturned: number;
    readonly operations: readonly { readonly api: string; readonly operation: string; readonly calls: number; readonly passed: number; readonly records: number }[];
    readonly dataClasses: readonly string[];
    readonly customers: { readonly count: number; readonly ids: readonly string[] };
  };
  readonly note?: string;
}

interface DurationJson {
  readonly count: number;
  readonly medianMs: number | null;
  readonly meanMs: number | null;
}

interface MetricsJson {
  readonly total: number;
  readonly byStatus: Record<string, number>;
  readonly bySeverity: Record<string, number>;
  readonly mttd: DurationJson;
  readonly mttc: DurationJson;
  readonly mttr: DurationJson;
  readonly falsePositiveRate: number | null;
}

interface ContainmentJson {
  readonly id: string;
  readonly agent: string;
  readonly kind: string;
  readonly rate?: string;
  readonly since: string;
  readonly until: string;
  readonly incident?: string;
  readonly by: string;
}

interface StatusChangeJson {
  readonly incident: IncidentJson;
  readonly liftedContainments: number;
  readonly agentState?: string;
  readonly next?: string;
}

/** The person-set statuses, as commands. */
const STATUS_COMMANDS = [
  ['resolve', 'resolved', 'close the incident as dealt with; lifts its throttles and step-ups (a suspended agent stays suspended)'],
  ['false-positive', 'false_positive', 'close the incident as not an attack; lifts its throttles and step-ups, counts towards the false-positive rate'],
  ['reopen', 'open', 'open a closed incident again (refused while the agent has another open one)'],
] as const;

/** `warden incidents …`: detection's incidents, their timelines and metrics, and containments (docs/incidents.md). */
export function registerIncidents(program: Command): void {
  const incidents = program.command('incidents').description('incidents raised by detection: list, show, timeline, resolve, mark false positive, reopen, metrics, lift containments');

  withAdminOptions(
    incidents
      .command('list')
      .description('incidents, newest first: open and contained ones unless --status or --all says otherwise')
      .option('--status <status>', 'open, contained, resolved, false_positive (comma-separated)', 'open,contained')
      .option('--all', 'every status')
      .option('--agent <name>', 'one agent\'s incidents only')
      .option('--limit <n>', 'at most this many', wholeNumber(), 500),
  )
    .addHelpText('after', '\nExamples:\n  warden incidents list\n  warden incidents list --all --agent crm-reader --json')
    .action(
      adminAction<AdminOptions & { status: string; all?: boolean; agent?: string; limit: number }>(async (client, options) => {
        const answer = await client.get<{ incidents: IncidentJson[] }>('/incidents', { ...(options.all ? {} : { status: options.status }), agent: options.agent, limit: options.limit });
        if (options.json) return printJson(answer);
        if (answer.incidents.length === 0) return printLines([`no incident${options.all ? '' : ` is ${options.status.split(',').join(' or ')}`}${options.agent !== undefined ? ` for ${options.agent}` : ''}${options.all ? '' : ' (--all lists every status)'}`]);
        printLines([
          ...table(['ID', 'AGENT', 'STATUS', 'SEVERITY', 'ALERTS', 'DETECTED', 'DETECTORS'], answer.incidents.map((incident) => [incident.id, incident.agent, incident.status, incident.severity, String(incident.alertCount), when(incident.detectedAt), list(incident.detectors)])),
          '',
          'next: warden incidents show ID, warden incidents timeline ID, warden incidents resolve|false-positive ID --reason "…"',
        ]);
      }),
    );

  withAdminOptions(incidents.command('show').description('one incident: its status, alerts with their reasons, and what was done').argument('<id>', 'the incident (inc_…)'))
    .addHelpText('after', '\nExample:\n  warden incidents show inc_3f9c0a7d2b1e4c58')
    .action(
      adminAction<AdminOptions>(async (client, options, [id]) => {
        const answer = await client.get<{ incident: IncidentJson; alerts: AlertJson[] }>(`/incidents/${segment(id!)}`);
        if (options.json) return printJson(answer);
        const { incident, alerts } = answer;
        printLines([
          `${incident.id}  ${incident.agent}  ${incident.status}  ${incident.severity}`,
          ...fields([
            ['detectors', list(incident.detectors)],
            ['first event', incident.firstEventAt],
            ['detected', `${incident.detectedAt} (${duration(Date.parse(incident.detectedAt) - Date.parse(incident.firstEventAt))} after the first event)`],
            ['contained', incident.containedAt ?? '-'],
            ['resolved', incident.resolvedAt === undefined ? '-' : `${incident.resolvedAt}: ${incident.resolution ?? ''}`],
            ['legal hold', incident.holdId ?? '-'],
          ]),
          '',
          `${counted(alerts.length, 'alert')}:`,
          ...alerts.flatMap((alert) => [`  ${when(alert.time)}  ${alert.detector} (${alert.severity}, score ${alert.score})${alert.api !== undefined ? `  api ${alert.api}` : ''}`, ...alert.reasons.map((reason) => `    - ${reason}`)]),
          '',
          `${counted(incident.actions.length, 'action')}:`,
          ...incident.actions.map(actionLine),
          '',
          nextFor(incident),
        ]);
      }),
    );

  withAdminOptions(incidents.command('timeline').description('the incident\'s story: the agent\'s calls from an hour before it began, its alerts and actions in time order, and what data it touched').argument('<id>', 'the incident (inc_…)'))
    .addHelpText('after', '\nAt most 2,000 calls are listed (the summary counts all of them).\n\nExample:\n  warden incidents timeline inc_3f9c0a7d2b1e4c58 --json > incident.json')
    .action(
      adminAction<AdminOptions>(async (client, options, [id]) => {
        const timeline = await client.get<TimelineJson>(`/incidents/${segment(id!)}/timeline`);
        if (options.json) return printJson(timeline);
        const { touched } = timeline;
        printLines([
          `${timeline.incident.id} on ${timeline.incident.agent}: ${timeline.from} → ${timeline.to}`,
          ...(timeline.note !== undefined ? [`note: ${timeline.note}`] : []),
          '',
          ...timeline.entries.map(entryLine),
          ...(timeline.requests.truncated ? [`… ${timeline.requests.total - timeline.requests.shown} more calls not listed (${timeline.requests.shown} of ${timeline.requests.total} shown)`] : []),
          '',
          'data touched:',
          ...fields([
            ['calls', `${touched.calls} (${touched.denied} denied)`],
            ['records returned', String(touched.recordsReturned)],
            ['data classes', list(touched.dataClasses)],
            ['customers', `${touched.customers.count}${touched.customers.count > 0 ? `: ${touched.customers.ids.slice(0, 20).join(', ')}${touched.customers.count > 20 ? ', …' : ''}` : ''}`],
          ]),
          ...table(['  API', 'OPERATION', 'CALLS', 'PASSED', 'RECORDS'], touched.operations.map((operation) => [`  ${operation.api}`, operation.operation, String(operation.calls), String(operation.passed), String(operation.records)])),
        ]);
      }),
    );

  for (const [command, status, meaning] of STATUS_COMMANDS) {
    withAdminOptions(
      incidents
        .command(command)
        .description(meaning)
        .argument('<id>', 'the incident (inc_…)')
        .requiredOption('--reason <text>', 'why (goes into the incident and the admin log)'),
    )
      .addHelpText('after', `\nNeeds the admin or security role. The legal hold stays: release it with \`warden audit release HOLD --reason "…"\` when the matter is over.\n\nExample:\n  warden incidents ${command} inc_3f9c0a7d2b1e4c58 --reason "…"`)
      .action(
        adminAction<AdminOptions & { reason: string }>(async (client, options, [id]) => {
          const result = await client.post<StatusChangeJson>(`/incidents/${segment(id!)}/status`, { status, reason: options.reason });
          if (options.json) return printJson(result);
          printLines([
            `${result.incident.id}: ${result.incident.status}`,
            ...(result.liftedContainments > 0 ? [`lifted ${counted(result.liftedContainments, 'containment')} of this incident (throttle, step-up)`] : []),
            ...(result.next !== undefined ? [`next: ${result.next}`] : []),
          ]);
        }),
      );
  }

  withAdminOptions(
    incidents
      .command('metrics')
      .description('counts by status and severity, time to detect (MTTD), contain (MTTC) and resolve (MTTR), and the false-positive rate')
      .option('--agent <name>', 'one agent\'s incidents only')
      .option('--since <time>', 'incidents detected at or after this time (ISO 8601, e.g. 2026-11-01)'),
  )
    .addHelpText('after', '\nMTTD is detectedAt − firstEventAt; MTTC containedAt − detectedAt; MTTR resolvedAt − detectedAt over closed incidents.\n\nExample:\n  warden incidents metrics --since 2026-11-01 --json')
    .action(
      adminAction<AdminOptions & { agent?: string; since?: string }>(async (client, options) => {
        const since = options.since === undefined ? undefined : isoTime(options.since);
        const metrics = await client.get<MetricsJson>('/incidents/metrics', { agent: options.agent, since });
        if (options.json) return printJson(metrics);
        const stat = (value: DurationJson) => (value.count === 0 ? '- (none yet)' : `median ${duration(value.medianMs!)}, mean ${duration(value.meanMs!)} (over ${value.count})`);
        printLines([
          `${counted(metrics.total, 'incident')}${options.agent !== undefined ? ` of ${options.agent}` : ''}${since !== undefined ? ` since ${since}` : ''}`,
          ...fields([
            ['by status', Object.entries(metrics.byStatus).map(([status, count]) => `${status} ${count}`).join(', ')],
            ['by severity', Object.entries(metrics.bySeverity).map(([severity, count]) => `${severity} ${count}`).join(', ')],
            ['MTTD', stat(metrics.mttd)],
            ['MTTC', stat(metrics.mttc)],
            ['MTTR', stat(metrics.mttr)],
            ['false positives', metrics.falsePositiveRate === null ? '- (nothing closed yet)' : `${(metrics.falsePositiveRate * 100).toFixed(1)} % of closed incidents`],
          ]),
        ]);
      }),
    );

  withAdminOptions(incidents.command('containments').description('throttles and step-ups in force now, with when they lapse').option('--agent <name>', 'one agent only'))
    .addHelpText('after', '\nExample:\n  warden incidents containments --agent crm-reader')
    .action(
      adminAction<AdminOptions & { agent?: string }>(async (client, options) => {
        const answer = await client.get<{ containments: ContainmentJson[] }>('/containments', { agent: options.agent });
        if (options.json) return printJson(answer);
        if (answer.containments.length === 0) return printLines(['no throttle or step-up is in force']);
        printLines([
          ...table(['AGENT', 'KIND', 'RATE', 'UNTIL', 'INCIDENT', 'BY'], answer.containments.map((record) => [record.agent, record.kind, record.rate, when(record.until), record.incident, record.by])),
          '',
          'next: warden incidents lift AGENT --reason "…" lifts them before they lapse',
        ]);
      }),
    );

  withAdminOptions(
    incidents
      .command('lift')
      .description('lift every throttle and step-up on an agent before it lapses')
      .argument('<agent>', 'the agent')
      .requiredOption('--reason <text>', 'why (goes into the incident and the admin log)'),
  )
    .addHelpText('after', '\nNeeds the admin or security role. A suspended or quarantined agent is brought back with\n`warden agents reinstate AGENT --reason "…"`, not with this command.\n\nExample:\n  warden incidents lift crm-reader --reason "owner confirmed the nightly export"')
    .action(
      adminAction<AdminOptions & { reason: string }>(async (client, options, [agent]) => {
        const result = await client.post<{ agent: string; lifted: ContainmentJson[] }>(`/agents/${segment(agent!)}/containment/lift`, { reason: options.reason });
        if (options.json) return printJson(result);
        if (result.lifted.length === 0) return printLines([`${result.agent} has no throttle or step-up in force: nothing to lift (a suspension is lifted with warden agents reinstate)`]);
        printLines([`${result.agent}: lifted ${result.lifted.map((record) => (record.rate !== undefined ? `${record.kind} ${record.rate}` : record.kind)).join(', ')}`]);
      }),
    );
}

function actionLine(action: ActionJson): string {
  return `  ${when(action.time)}  ${action.by}: ${action.action}${action.ok ? '' : ' (FAILED)'} — ${action.detail}`;
}

function entryLine(entry: EntryJson): string {
  const time = entry.time.replace('T', ' ');
  switch (entry.kind) {
    case 'request': {
      const operation = entry.api === undefined ? '' : `  ${entry.api}.${entry.operation ?? '?'}`;
      const records = entry.records === undefined ? '' : `  ${counted(entry.records, 'record')}`;
      const customer = entry.customer === undefined ? '' : `  customer ${entry.customer}`;
      return `${time}  ${entry.method} ${entry.path}${operation}  ${entry.decision}${entry.decision === 'allow' ? '' : ` ${entry.reason}`}  ${entry.status}${records}${customer}`;
    }
    case 'alert':
      return `${time}  ALERT ${entry.detector} (${entry.severity}, score ${entry.score}): ${entry.reasons.join('; ')}`;
    case 'action':
      return `${time}  ACTION ${entry.by}: ${entry.action}${entry.ok ? '' : ' (FAILED)'} — ${entry.detail}`;
  }
}

function nextFor(incident: IncidentJson): string {
  if (incident.status === 'resolved' || incident.status === 'false_positive') return `next: warden incidents reopen ${incident.id} --reason "…" if it is not over`;
  return `next: warden incidents timeline ${incident.id}, then warden incidents resolve|false-positive ${incident.id} --reason "…"`;
}

/** `45s`, `12m 5s`, `3h 20m`, `2d 4h`: durations read at a glance. */
function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

function isoTime(text: string): string {
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new UsageError(`--since "${text}" is not a time`, 'write an ISO 8601 day or time, e.g. --since 2026-11-01 or --since 2026-11-01T09:00:00Z');
  return new Date(time).toISOString();
}
