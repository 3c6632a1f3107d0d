import type { Command } from 'commander';
import { queryLake } from '../lake/lake-query.js';
import { parseTableFilter } from '../lake/table-filters.js';
import { parseAsOf } from '../lake/time-travel.js';
import type { LakeFlags } from './lake-catalog-option.js';
import { resolveLake, withLakeOptions } from './lake-catalog-option.js';
import { printCsv, printJson, printTable } from './output.js';
import { oneOf } from './parse-options.js';
import { lakeCacheDir, parseTableName } from './lake-option.js';

export function registerQuery(program: Command): void {
  withLakeOptions(program.command('query'))
    .description("run DuckDB SQL over the lake's tables (named <namespace>.<table>)")
    .argument('<sql>', 'the query, in quotes')
    .option('--format <format>', 'table | csv | json', 'table')
    .option('--json', 'same as --format json')
    .option(
      '--as-of <point>',
      'time travel: <snapshot-id> or <ISO instant> for every table, or <namespace.table>=<point> for one (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--where <filter>',
      "<namespace.table>: <predicates> — the table's view holds only matching rows and reads only data files whose partition values and column bounds can match (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .addHelpText(
      'after',
      `
Each table is a view of its current snapshot; any DuckDB SQL works (joins, aggregates, COPY … TO).
--as-of shows tables as they were: at an instant (tables that did not exist yet are absent), or at
a snapshot id (the table that has it); \`sluice history <table>\` lists snapshot ids.
A lake on S3 is read from local copies of its data files, cached in ~/.cache/sluice (SLUICE_CACHE_DIR).
--where predicates are column op literal joined by AND (ops = != < <= > >=, IS [NOT] NULL); literals
are written as DuckDB prints the type ('2024-03-01', '2024-03-01 12:00:00+00', 12.50).

Examples:
  sluice query --lake ./lake "SELECT count(*) FROM main.Track"
  sluice query --lake ./lake --format csv "SELECT * FROM public.orders LIMIT 10"
  sluice query --lake ./lake --as-of 2025-01-31T12:00:00Z "SELECT count(*) FROM main.Track"
  sluice query --lake ./lake --as-of main.Track=4871616543190873 "SELECT count(*) FROM main.Track"
  sluice query --lake ./lake --where "public.orders: placed_at >= '2024-03-01'" "SELECT count(*) FROM public.orders"
  sluice query --lake "s3://my-lake/warehouse?region=eu-west-1" "SELECT count(*) FROM public.orders"`,
    )
    .action(
      async (
        sql: string,
        flags: LakeFlags & { format: string; json?: boolean; asOf: string[]; where: string[] },
        command: Command,
      ) => {
        const format = flags.json
          ? 'json'
          : oneOf('--format', flags.format, ['table', 'csv', 'json'] as const);
        const asOf = flags.asOf.map((text) => parseAsOf(text, parseTableName));
        const { location, control } = await resolveLake(flags, command);
        const result = await queryLake(location, sql, {
          copies: { cacheDir: lakeCacheDir() },
          control,
          asOf,
          where: flags.where.map(parseTableFilter),
        });
        if (format === 'json') {
          printJson(result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]]))));
        } else if (format === 'csv') printCsv(result.columns, result.rows);
        else printTable(result.columns, result.rows);
      },
    );
}
