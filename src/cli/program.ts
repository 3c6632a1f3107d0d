import { Command, CommanderError } from 'commander';
import { EXIT, reportError } from './exit-codes.js';
import { registerCdc } from './cdc-command.js';
import { registerCompact } from './compact-command.js';
import { registerExpire } from './expire-command.js';
import { registerHistory } from './history-command.js';
import { registerInit } from './init-command.js';
import { registerOrphans } from './orphans-command.js';
import { registerQuery } from './query-command.js';
import { registerRollback } from './rollback-command.js';
import { registerRuns } from './runs-command.js';
import { registerSync } from './sync-command.js';
import { registerTables } from './tables-command.js';
import { registerVerify } from './verify-command.js';

/** Builds the `sluice` command tree. Each command lives in its own file and registers itself. */
export function buildProgram(): Command {
  const program = new Command('sluice')
    .description(
      'Move tables from operational databases into Apache Iceberg lake tables, as atomic versioned\n' +
        'snapshots, and query them with DuckDB. Run `sluice <command> --help` for each command.',
    )
    .option('--config <file>', 'project file', 'sluice.yml')
    .option('--debug', 'print stack traces and failing SQL on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  program.addHelpText(
    'after',
    `
Exit codes: 0 success, 1 failed run or difference found, 2 usage or configuration error.

Examples:
  sluice sync --from sqlite:Chinook.sqlite --to lake:./lake --all
  sluice tables --lake ./lake
  sluice query --lake ./lake "SELECT count(*) FROM main.Track"
  sluice history main.Track --lake ./lake
  sluice rollback main.Track --to <snapshot-id> --lake ./lake
  sluice runs
  sluice verify --from sqlite:Chinook.sqlite --to lake:./lake`,
  );
  for (const register of [
    registerInit,
    registerSync,
    registerQuery,
    registerTables,
    registerHistory,
    registerRollback,
    registerExpire,
    registerCompact,
    registerOrphans,
    registerRuns,
    registerVerify,
    registerCdc,
  ]) {
    register(program);
  }
  // Every subcommand inherits the usage-error handling.
  for (const command of program.commands)
    command.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(error, argv.includes('--debug'));
  }
}
