import type { Command } from 'commander';
import type { LakeFlags } from './lake-catalog-option.js';
import { notePathTables, withLake, withLakeOptions } from './lake-catalog-option.js';
import { parseTableName } from './lake-option.js';
import { printJson, printTable } from './output.js';

export function registerHistory(program: Command): void {
  withLakeOptions(program.command('history'))
    .description("list a lake table's snapshots, newest first")
    .argument('<table>', 'namespace.table, e.g. main.Track')
    .option('--json', 'print the snapshots as JSON')
    .addHelpText(
      'after',
      '\nEvery sync commits one snapshot; older ones stay readable.\n\nExample:\n  sluice history main.Track --lake ./lake',
    )
    .action(async (table: string, flags: LakeFlags & { json?: boolean }, command: Command) => {
      const ident = parseTableName(table);
      const { history, registered } = await withLake(flags, command, async (lake) => ({
        history: (await lake.catalog.history(ident)).reverse(),
        registered: (await lake.catalog.loadTable(ident)).registered,
      }));
      if (flags.json) {
        printJson(history.map((h) => ({ ...h, committedAt: new Date(h.timestampMs).toISOString() })));
        return;
      }
      notePathTables([{ ...ident, registered }]);
      printTable(
        ['snapshot', 'committed at', 'operation', 'added rows', 'total rows', 'run', ''],
        history.map((h) => [
          h.snapshotId,
          new Date(h.timestampMs).toISOString(),
          h.operation,
          h.addedRecords,
          h.totalRecords,
          h.runId ?? '-',
          h.isCurrent ? 'current' : h.branch ? `staged on ${h.branch}` : '',
        ]),
      );
    });
}
