import { Command, CommanderError } from 'commander';
import { registerApply } from './commands/apply.js';
import { registerCheck } from './commands/check.js';
import { registerDecide } from './commands/decide.js';
import { registerDemo } from './commands/demo.js';
import { registerHistory } from './commands/history.js';
import { registerStart } from './commands/start.js';
import { EXIT, UsageError } from './output.js';

/** The `warden` command: thin over the libraries (and, later, the admin API). */
export function buildProgram(): Command {
  const program = new Command('warden')
    .description('Warden: API gateway and governance control plane for AI agents')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCheck(program);
  registerDecide(program);
  registerApply(program);
  registerHistory(program);
  registerStart(program);
  registerDemo(program);
  return program;
}

/** Runs the CLI; every failure becomes a one-line message with what to do next, never a stack trace. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
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
