import type { Command } from 'commander';
import { SluiceError } from '../core/errors.js';
import { compactTable } from '../lake/compact-table.js';
import type { LakeFlags } from './lake-catalog-option.js';
import { withLake, withLakeOptions } from './lake-catalog-option.js';
import { lakeCacheDir, parseTableName } from './lake-option.js';
import { info, printJson } from './output.js';

const SIZE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

export function registerCompact(program: Command): void {
  withLakeOptions(program.command('compact'))
    .description("rewrite a lake table's small data files into larger ones (same rows, new snapshot)")
    .argument('<table>', 'namespace.table, e.g. main.Track')
    .option('--target-size <size>', 'size of the files to write, e.g. 128MB (default), 512MB')
    .option('--json', 'print what was rewritten as JSON')
    .addHelpText(
      'after',
      `
Files smaller than the target are packed, oldest first, into files of about the target size and
committed as one "replace" snapshot with exactly the same rows. Old files stay for time travel
until \`sluice expire\` removes the snapshots that use them.

Example:
  sluice compact public.orders --lake ./lake`,
    )
    .action(
      async (table: string, flags: LakeFlags & { targetSize?: string; json?: boolean }, command: Command) => {
        const ident = parseTableName(table);
        const targetSizeBytes = parseSize('--target-size', flags.targetSize);
        const result = await withLake(flags, command, ({ catalog }) =>
          compactTable(catalog, ident, {
            ...(targetSizeBytes !== undefined && { targetSizeBytes }),
            copies: { cacheDir: lakeCacheDir() },
          }),
        );
        if (flags.json) printJson({ table, ...result });
        else if (result.snapshotId === null)
          info(`${table}: nothing to compact (${result.filesBefore} data files)`);
        else
          info(
            `${table}: rewrote ${result.rewrittenFiles} files (${result.rows} rows) into ${result.writtenFiles}; ` +
              `${result.filesBefore} → ${result.filesAfter} data files, snapshot ${result.snapshotId}`,
          );
      },
    );
}

/** `128MB`, `64kb`, `1GB` or a number of bytes. */
function parseSize(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?b)?$/i.exec(value.trim());
  const unit = SIZE_UNITS[(match?.[2] ?? 'b').toLowerCase()];
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new SluiceError('USAGE', `${flag} must be a size such as 128MB (got "${value}")`, {
      hint: `e.g. ${flag} 256MB`,
    });
  }
  return Math.round(Number(match[1]) * unit);
}
