import type { Command } from 'commander';
import { LakeCatalog } from '../lake/lake-catalog.js';
import { printJson, printTable } from './output.js';
import { parseTableName, resolveLakeRoot, withLakeOption } from './lake-option.js';

export function registerHistory(program: Command): void {
  withLakeOption(program.command('history'))
    .description("list a lake table's snapshots, newest first")
    .argument('<table>', 'namespace.table, e.g. main.Track')
    .option('--json', 'print the snapshots as JSON')
    .addHelpText(
      'after',
      '\nEvery sync commits one snapshot; older ones stay readable.\n\nExample:\n  sluice history main.Track --lake ./lake',
    )
    .action(async (table: string, flags: { lake?: string; json?: boolean }, command: Command) => {
      const root = await resolveLakeRoot(flags.lake, command.optsWithGlobals<{ config: string }>().config);
      const history = (await LakeCatalog.open(root).history(parseTableName(table))).reverse();
      if (flags.json) {
        printJson(history.map((h) => ({ ...h, committedAt: new Date(h.timestampMs).toISOString() })));
        return;
      }
      printTable(
        ['snapshot', 'committed at', 'operation', 'added rows', 'total rows', 'run', ''],
        history.map((h) => [
          h.snapshotId,
          new Date(h.timestampMs).toISOString(),
          h.operation,
          h.addedRecords,
          h.totalRecords,
          h.runId ?? '-',
          h.isCurrent ? 'current' : '',
        ]),
      );
    });
}
