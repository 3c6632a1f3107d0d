import type { Command } from 'commander';
import type { LakeFlags } from './lake-catalog-option.js';
import { notePathTables, withLake, withLakeOptions } from './lake-catalog-option.js';
import { formatBytes, info, printJson, printTable } from './output.js';

export function registerTables(program: Command): void {
  withLakeOptions(program.command('tables'))
    .description('list the lake tables with row counts, files, bytes and current snapshot')
    .option('--json', 'print the list as JSON')
    .addHelpText('after', '\nExample:\n  sluice tables --lake ./lake')
    .action(async (flags: LakeFlags & { json?: boolean }, command: Command) => {
      const { tables, root } = await withLake(flags, command, async (lake) => ({
        tables: await lake.catalog.listTables(),
        root: lake.location,
      }));
      if (flags.json) {
        printJson(tables.map((t) => ({ table: `${t.namespace}.${t.name}`, ...t })));
        return;
      }
      if (tables.length === 0) {
        info(`no tables in ${root.url} (sync some with \`sluice sync --to lake:${root.url} …\`)`);
        return;
      }
      notePathTables(tables);
      printTable(
        ['table', 'rows', 'files', 'bytes', 'snapshot'],
        tables.map((t) => [
          `${t.namespace}.${t.name}`,
          t.totalRecords,
          t.dataFiles,
          formatBytes(t.totalBytes),
          t.snapshotId ?? '-',
        ]),
      );
    });
}
