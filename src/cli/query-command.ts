import type { Command } from 'commander';
import { queryLake } from '../lake/lake-query.js';
import { printCsv, printJson, printTable } from './output.js';
import { oneOf } from './parse-options.js';
import { resolveLakeRoot, withLakeOption } from './lake-option.js';

export function registerQuery(program: Command): void {
  withLakeOption(program.command('query'))
    .description("run DuckDB SQL over the lake's tables (named <namespace>.<table>)")
    .argument('<sql>', 'the query, in quotes')
    .option('--format <format>', 'table | csv | json', 'table')
    .option('--json', 'same as --format json')
    .addHelpText(
      'after',
      `
Each table is a view of its current snapshot; any DuckDB SQL works (joins, aggregates, COPY … TO).

Examples:
  sluice query --lake ./lake "SELECT count(*) FROM main.Track"
  sluice query --lake ./lake --format csv "SELECT * FROM public.orders LIMIT 10"`,
    )
    .action(
      async (sql: string, flags: { lake?: string; format: string; json?: boolean }, command: Command) => {
        const format = flags.json
          ? 'json'
          : oneOf('--format', flags.format, ['table', 'csv', 'json'] as const);
        const root = await resolveLakeRoot(flags.lake, command.optsWithGlobals<{ config: string }>().config);
        const result = await queryLake(root, sql);
        if (format === 'json') {
          printJson(result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]]))));
        } else if (format === 'csv') printCsv(result.columns, result.rows);
        else printTable(result.columns, result.rows);
      },
    );
}
