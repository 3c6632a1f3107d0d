import type { Command } from 'commander';
import { expireSnapshots } from '../lake/expire-snapshots.js';
import type { LakeFlags } from './lake-catalog-option.js';
import { withLake, withLakeOptions } from './lake-catalog-option.js';
import { parseTableName } from './lake-option.js';
import { info, printJson } from './output.js';
import { parseDuration, positiveInt } from './parse-options.js';

export function registerExpire(program: Command): void {
  withLakeOptions(program.command('expire'))
    .description("expire a lake table's old snapshots and delete the files only they used")
    .argument('<table>', 'namespace.table, e.g. main.Track')
    .option('--keep <n>', 'keep the newest n snapshots')
    .option('--older-than <duration>', 'expire snapshots older than this: 30d, 12h, 2w, …')
    .option('--json', 'print what was expired and deleted as JSON')
    .addHelpText(
      'after',
      `
The current snapshot is never expired. With both options, a snapshot goes only when it is older
than --older-than and not among the newest --keep. Files a kept snapshot still uses stay; time
travel to an expired snapshot is no longer possible.

Examples:
  sluice expire main.Track --keep 10 --lake ./lake
  sluice expire main.Track --older-than 30d --lake ./lake`,
    )
    .action(
      async (
        table: string,
        flags: LakeFlags & { keep?: string; olderThan?: string; json?: boolean },
        command: Command,
      ) => {
        const ident = parseTableName(table);
        const keep = positiveInt('--keep', flags.keep);
        const olderThanMs = parseDuration('--older-than', flags.olderThan);
        const result = await withLake(flags, command, ({ catalog }) =>
          expireSnapshots(catalog, ident, {
            ...(keep !== undefined && { keep }),
            ...(olderThanMs !== undefined && { olderThanMs }),
          }),
        );
        if (flags.json) {
          printJson({ table, ...result });
          return;
        }
        const { dataFiles, manifests, manifestLists } = result.deleted;
        info(
          result.expired.length === 0
            ? `${table}: no snapshot to expire (${result.retained} kept)`
            : `${table}: expired ${result.expired.length} snapshots, kept ${result.retained}; ` +
                `deleted ${dataFiles} data files, ${manifests} manifests, ${manifestLists} manifest lists`,
        );
      },
    );
}
