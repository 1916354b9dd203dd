import { Command, CommanderError } from 'commander';
import { registerAccess } from './commands/access.js';
import { registerAdminLog } from './commands/admin-log.js';
import { registerAgents } from './commands/agents.js';
import { registerAudit } from './commands/audit.js';
import { registerApprovals } from './commands/approvals.js';
import { registerDiff } from './commands/diff.js';
import { registerDetect } from './commands/detect.js';
import { registerDiscover } from './commands/discover.js';
import { registerIncidents } from './commands/incidents.js';
import { registerKeys } from './commands/keys.js';
import { registerOwners } from './commands/owners.js';
import { registerReview } from './commands/review.js';
import { registerTokens } from './commands/tokens.js';
import { EXIT, UsageError } from './output.js';

/** Commands that only talk to the admin API: they need neither the policy engine nor the store. */
const ADMIN_API_COMMANDS = new Set(['agents', 'keys', 'access', 'approvals', 'review', 'diff', 'tokens', 'owners', 'admin-log', 'incidents']);

/**
 * The `warden` command: thin over the libraries and the admin API. The commands that work on
 * manifests and the store are loaded only when `argv` may need them, so an admin API command
 * starts without loading the policy compiler, SQLite and the gateway.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('warden')
    .description('Warden: API gateway and governance control plane for AI agents')
    .showHelpAfterError('(run with --help for usage)')
    // A command's options are read after its name only: `warden review` and its subcommands
    // (`warden review confirm`) both take --admin-url and the like, and each must get its own.
    .enablePositionalOptions()
    .exitOverride();
  const first = argv.find((arg) => !arg.startsWith('-'));
  if (first === undefined || !ADMIN_API_COMMANDS.has(first)) {
    const [check, decide, apply, history, start, demo] = await Promise.all([
      import('./commands/check.js'),
      import('./commands/decide.js'),
      import('./commands/apply.js'),
      import('./commands/history.js'),
      import('./commands/start.js'),
      import('./commands/demo.js'),
    ]);
    check.registerCheck(program);
    decide.registerDecide(program);
    apply.registerApply(program);
    history.registerHistory(program);
    start.registerStart(program);
    demo.registerDemo(program);
    (await import('./commands/report.js')).registerReport(program);
  }
  registerAgents(program);
  registerKeys(program);
  registerAccess(program);
  registerApprovals(program);
  registerReview(program);
  registerDiff(program);
  registerTokens(program);
  registerOwners(program);
  registerAdminLog(program);
  registerAudit(program);
  registerDiscover(program);
  registerIncidents(program);
  registerDetect(program);
  return program;
}

/** Runs the CLI; every failure becomes a one-line message with what to do next, never a stack trace. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.failure;
      return;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`warden: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`);
    } else {
      process.stderr.write(`warden: ${(error as Error).message}\n  this is a bug if it persists; rerun with WARDEN_DEBUG=1 for details\n`);
      if (process.env.WARDEN_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    }
    process.exitCode = EXIT.failure;
  }
}
