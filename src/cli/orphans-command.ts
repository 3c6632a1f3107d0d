import type { Command } from 'commander';
import { DEFAULT_ORPHAN_GRACE_MS, removeOrphanFiles } from '../lake/orphan-files.js';
import type { LakeFlags } from './lake-catalog-option.js';
import { withLake, withLakeOptions } from './lake-catalog-option.js';
import { parseTableName } from './lake-option.js';
import { info, printJson, printTable } from './output.js';
import { parseDuration } from './parse-options.js';

export function registerOrphans(program: Command): void {
  withLakeOptions(program.command('orphans'))
    .description("delete files under a lake table's folders that no version of the table uses")
    .argument('<table>', 'namespace.table, e.g. main.Track')
    .option('--older-than <duration>', 'grace period: only files older than this are touched (default 1d)')
    .option('--dry-run', 'list the orphan files without deleting them')
    .option('--json', 'print the orphan files as JSON')
    .addHelpText(
      'after',
      `
Orphans are files a crashed or failed writer left behind. Files younger than the grace period are
spared, so a sync committing right now is never hurt; keep it longer than any sync takes.

Examples:
  sluice orphans public.orders --lake ./lake --dry-run
  sluice orphans public.orders --lake ./lake --older-than 3d`,
    )
    .action(
      async (
        table: string,
        flags: LakeFlags & { olderThan?: string; dryRun?: boolean; json?: boolean },
        command: Command,
      ) => {
        const ident = parseTableName(table);
        const olderThanMs = parseDuration('--older-than', flags.olderThan) ?? DEFAULT_ORPHAN_GRACE_MS;
        const result = await withLake(flags, command, ({ catalog }) =>
          removeOrphanFiles(catalog, ident, { olderThanMs, dryRun: flags.dryRun === true }),
        );
        if (flags.json) {
          printJson({ table, dryRun: flags.dryRun === true, ...result });
          return;
        }
        if (result.orphans.length > 0)
          printTable(
            ['orphan file', 'written at'],
            result.orphans.map((o) => [o.url, o.modifiedAt]),
          );
        const spared = result.tooYoung > 0 ? `; ${result.tooYoung} younger than the grace period spared` : '';
        info(
          flags.dryRun
            ? `${table}: ${result.orphans.length} orphan files (dry run, nothing deleted)${spared}`
            : `${table}: deleted ${result.deleted} orphan files${spared}`,
        );
      },
    );
}
