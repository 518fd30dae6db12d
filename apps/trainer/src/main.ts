/**
 * The `rlflow` command line: one program, one file per subcommand under `commands/`, loaded only
 * when that subcommand runs (commands/index.ts). Exit codes: 0 success, 1 a failure while running,
 * 2 a usage error (unknown subcommand or option).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';

export const version = (): string => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
};

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The program for `argv`: every subcommand listed, the one `argv` runs loaded in full. */
export const buildProgram = async (argv: readonly string[] = []): Promise<Command> => {
  const program = new Command('rlflow')
    .description('Reinforcement-learning post-training of vision-language policies (ACPO, APO and baselines) on TensorFlow.js')
    .version(version(), '-v, --version')
    .showHelpAfterError('(run rlflow --help for the list of commands)')
    .exitOverride();
  await registerCommands(program, argv);
  return program;
};

/** Runs the command line and resolves to the process exit code. */
export const main = async (argv: readonly string[]): Promise<number> => {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`rlflow: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`rlflow: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
};
