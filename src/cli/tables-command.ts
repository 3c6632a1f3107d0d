import type { Command } from 'commander';
import { LakeCatalog } from '../lake/lake-catalog.js';
import { formatBytes, info, printJson, printTable } from './output.js';
import { resolveLakeRoot, withLakeOption } from './lake-option.js';

export function registerTables(program: Command): void {
  withLakeOption(program.command('tables'))
    .description('list the lake tables with row counts, files, bytes and current snapshot')
    .option('--json', 'print the list as JSON')
    .addHelpText('after', '\nExample:\n  sluice tables --lake ./lake')
    .action(async (flags: { lake?: string; json?: boolean }, command: Command) => {
      const root = await resolveLakeRoot(flags.lake, command.optsWithGlobals<{ config: string }>().config);
      const tables = await LakeCatalog.open(root).listTables();
      if (flags.json) {
        printJson(tables.map((t) => ({ table: `${t.namespace}.${t.name}`, ...t })));
        return;
      }
      if (tables.length === 0) {
        info(`no tables in ${root} (sync some with \`sluice sync --to lake:${root} …\`)`);
        return;
      }
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
