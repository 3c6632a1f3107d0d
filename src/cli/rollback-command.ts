import type { Command } from 'commander';
import { rollbackTable } from '../lake/rollback-table.js';
import { SluiceError } from '../core/errors.js';
import type { LakeFlags } from './lake-catalog-option.js';
import { withLake, withLakeOptions } from './lake-catalog-option.js';
import { parseTableName } from './lake-option.js';
import { info, printJson } from './output.js';

export function registerRollback(program: Command): void {
  withLakeOptions(program.command('rollback'))
    .description('make an earlier snapshot of a lake table its current one (history is kept)')
    .argument('<table>', 'namespace.table, e.g. main.Track')
    .option('--to <snapshot-id>', 'the snapshot to go back to (see `sluice history <table>`)')
    .option('--json', 'print {"table", "from", "to", "changed"} as JSON')
    .addHelpText(
      'after',
      `
Commits a new table version whose current snapshot (and columns) are the target's; the snapshots
after it stay in history, so rolling forward again is another rollback. Nothing is deleted.

Example:
  sluice history main.Track --lake ./lake
  sluice rollback main.Track --to 4871616543190873 --lake ./lake`,
    )
    .action(async (table: string, flags: LakeFlags & { to?: string; json?: boolean }, command: Command) => {
      const ident = parseTableName(table);
      const target = flags.to;
      if (target === undefined || !/^\d+$/.test(target)) {
        throw new SluiceError(
          'USAGE',
          target === undefined ? '--to is missing' : `--to ${target} is not a snapshot id`,
          {
            hint: `give the snapshot to go back to: \`sluice history ${table}\` lists them`,
          },
        );
      }
      const result = await withLake(flags, command, ({ catalog }) => rollbackTable(catalog, ident, target));
      if (flags.json) printJson({ table, ...result });
      else if (!result.changed)
        info(`${table}: snapshot ${result.to} already is the current one; nothing changed`);
      else info(`${table}: rolled back from snapshot ${result.from ?? '-'} to ${result.to}`);
    });
}
