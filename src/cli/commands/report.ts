import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { Option, type Command } from 'commander';
import { AuditLog } from '../../controlplane/audit/audit-log.js';
import { GovernanceError } from '../../controlplane/governance/governance-error.js';
import { createReportContext, renderReport, REPORT_FORMATS, REPORT_NAMES, REPORTS, resolvePeriod, runReport, type ReportFormat } from '../../controlplane/reports/index.js';
import { sqliteFileIn } from '../../controlplane/store/sqlite-store.js';
import type { Store } from '../../controlplane/store/store.js';
import { closest } from '../../policy/load/suggest.js';
import { wholeNumber } from '../admin-client.js';
import { dataOption, withStore } from '../data-option.js';
import { UsageError, printJson, printLines } from '../output.js';

interface ReportOptions {
  readonly from?: string;
  readonly to?: string;
  readonly format: ReportFormat;
  readonly json?: boolean;
  readonly out?: string;
  readonly data: string;
  readonly reviewDays?: number;
  readonly expiringDays?: number;
  readonly keyAgeDays?: number;
}

/** `warden report NAME`: compliance reports over the embedded store and its audit log, as text, JSON, CSV or printable HTML. */
export function registerReport(program: Command): void {
  const list = [...REPORTS.values()].map((report) => `  ${report.name.padEnd(20)} ${report.description}`).join('\n');
  program
    .command('report')
    .description('compliance reports: agent inventory, access reviews, policy coverage, violations, credential hygiene, programme metrics')
    .argument('[name]', `the report: ${REPORT_NAMES.join(', ')} (without it, the list)`)
    .option('--from <date>', 'start of the period, ISO 8601 date or time with a zone (default: 30 days before --to)')
    .option('--to <date>', 'end of the period, excluded; a date alone means the end of that day (default: now)')
    .addOption(new Option('--format <format>', 'output format').choices(REPORT_FORMATS).default('text'))
    .option('--json', 'same as --format json')
    .option('--out <file>', 'write the report to this file instead of standard output')
    .option('--review-days <n>', 'an agent\'s access review is due this many days after the last one (default governance.reviewUnusedDays, 90)', wholeNumber())
    .option('--expiring-days <n>', 'keys expiring within this many days count as expiring (default governance.expiryWarningDays, 14)', wholeNumber())
    .option('--key-age-days <n>', 'active keys older than this with no successor count as never rotated (default governance.keyTtlDays, 90)', wholeNumber())
    .addOption(dataOption)
    .addHelpText(
      'after',
      `\nReports:\n${list}\n\nSee docs/reports.md for what each number means.\n\nExamples:\n  warden report violations --from 2026-01-01 --to 2026-03-31\n  warden report agent-inventory --format html --out inventory.html\n  warden report credential-hygiene --format csv --out keys.csv --data /var/lib/warden`,
    )
    .action(async (name: string | undefined, options: ReportOptions) => {
      const format: ReportFormat = options.json ? 'json' : options.format;
      if (name === undefined) {
        if (format === 'json') return printJson({ reports: [...REPORTS.values()].map(({ name: report, title, description }) => ({ name: report, title, description })) });
        return printLines(['Reports (warden report NAME):', list]);
      }
      if (!REPORTS.has(name)) {
        const guess = closest(name, REPORT_NAMES);
        throw new UsageError(`no report is called "${name}"${guess === undefined ? '' : `; did you mean ${guess}?`}`, `the reports are ${REPORT_NAMES.join(', ')} (warden report --help)`);
      }
      const now = new Date();
      const period = asUsage(() => resolvePeriod({ from: options.from, to: options.to }, now), 'e.g. --from 2026-01-01 --to 2026-01-31 (see warden report --help)');
      const file = sqliteFileIn(options.data);
      if (!existsSync(file)) {
        throw new UsageError(`${options.data} holds no Warden data (no ${file})`, 'give the data folder of `warden start` / `warden apply` with --data DIR (or set WARDEN_DATA)');
      }
      if (options.out !== undefined && !existsSync(path.dirname(path.resolve(options.out)))) {
        throw new UsageError(`cannot write ${options.out}: the folder ${path.dirname(options.out)} does not exist`, 'create the folder first, or give another --out FILE');
      }
      const rendered = await withStore(options.data, (store) =>
        withAuditLog(store, file, async (audit) => {
          const context = await createReportContext(store, {
            now,
            audit,
            settings: {
              ...(options.reviewDays !== undefined ? { reviewIntervalDays: options.reviewDays } : {}),
              ...(options.expiringDays !== undefined ? { expiringWithinDays: options.expiringDays } : {}),
              ...(options.keyAgeDays !== undefined ? { maxKeyAgeDays: options.keyAgeDays } : {}),
            },
          });
          const output = await runReport(name, context, period).catch((error: unknown) => {
            if (error instanceof GovernanceError) throw new UsageError(`${name}: ${error.message}`);
            throw error;
          });
          return renderReport(output, format);
        }),
      );
      if (options.out === undefined) {
        process.stdout.write(rendered.body);
        return;
      }
      await writeFile(options.out, rendered.body);
      printLines([`wrote ${name} (${format}, ${Buffer.byteLength(rendered.body)} bytes) to ${options.out}`]);
    });
}

/** Runs `work` with the store's audit log; opens the store file a second time when the store does not expose its connection. */
async function withAuditLog<T>(store: Store, file: string, work: (audit: AuditLog) => Promise<T>): Promise<T> {
  const shared = (store as { readonly sqlite?: Sqlite.Database }).sqlite;
  const own = shared === undefined ? new Sqlite(file, { fileMustExist: true }) : undefined;
  own?.pragma('busy_timeout = 5000');
  try {
    return await work(AuditLog.open(shared ?? own!, { follow: true }));
  } finally {
    own?.close();
  }
}

function asUsage<T>(work: () => T, hint: string): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof GovernanceError) throw new UsageError(error.message, hint);
    throw error;
  }
}
