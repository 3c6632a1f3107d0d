import type { Command } from 'commander';
import { SluiceError } from '../core/errors.js';
import type { KeyValue, TableVerification, VerifyReport } from '../verify/verify-report.js';
import { reportJson } from '../verify/verify-report.js';
import { verifyEndpoints } from '../verify/verify-tables.js';
import { EXIT } from './exit-codes.js';
import { formatCount, info, printJson, printTable } from './output.js';
import { commaList } from './parse-options.js';

interface VerifyFlags {
  from?: string;
  to?: string;
  tables?: string;
  primaryKey?: string;
  control?: string;
  json?: boolean;
  show: string;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('compare tables between two endpoints row by row; exit 0 identical, 1 different')
    .option(
      '--from <endpoint>',
      'postgres://user:pass@host:port/db[?schema=s] | mysql://… (mariadb://…) | sqlite:<path> | lake:<dir> | duckdb:<file> | file:<glob> (s3://bucket/<glob>)',
    )
    .option('--to <endpoint>', 'the same forms as --from')
    .option(
      '--tables <list>',
      'comma-separated tables, as name or namespace.name (default: every source table)',
    )
    .option(
      '--primary-key <columns>',
      'comma-separated key columns (default: the primary key of either side)',
    )
    .option(
      '--control <url>',
      'control database (accepted for symmetry with sync; verify reads lakes by path)',
    )
    .option('--show <n>', 'differing keys printed per table and kind', '10')
    .option('--json', 'print the report as JSON on stdout')
    .addHelpText(
      'after',
      `
Counts and content hashes are compared per key range; only ranges that differ are split again,
down to the rows. Values are compared in one canonical form across engines (timestamps as UTC
microseconds, decimals by value at their scale, floats by exact binary value, NULL ≠ '').
MySQL/MariaDB and file endpoints are read the way \`sluice sync\` reads them (the same type
mapping and file typing) into a local DuckDB and hashed there.

Examples:
  sluice verify --from postgres://app@localhost/shop --to lake:./lake
  sluice verify --from sqlite:Chinook.sqlite --to lake:./lake --tables Track,Album --json
  sluice verify --from mariadb://root@127.0.0.1:3306/shop --to duckdb:./warehouse.duckdb
  sluice verify --from 'file:./exports/*.csv' --to lake:./lake --primary-key id`,
    )
    .action(async (flags: VerifyFlags) => {
      if (flags.from === undefined || flags.to === undefined) {
        throw new SluiceError('USAGE', `--${flags.from === undefined ? 'from' : 'to'} is missing`, {
          hint: 'sluice verify --from <endpoint> --to <endpoint>, e.g. --from postgres://… --to lake:./lake',
        });
      }
      const show = Number(flags.show);
      if (!Number.isSafeInteger(show) || show < 0) {
        throw new SluiceError('USAGE', `--show must be a whole number (got "${flags.show}")`, {
          hint: 'e.g. --show 20',
        });
      }
      const primaryKey = commaList(flags.primaryKey);
      const tables = commaList(flags.tables);
      const report = await verifyEndpoints({
        from: flags.from,
        to: flags.to,
        ...(tables ? { tables } : {}),
        ...(primaryKey ? { primaryKey } : {}),
        ...(flags.json ? {} : { onTable: (table) => info(`verified ${table.table}: ${table.status}`) }),
      });
      if (flags.json) printJson(reportJson(report));
      else printVerifyReport(report, show);
      process.exitCode = report.identical ? EXIT.ok : EXIT.failed;
    });
}

function keyText(key: KeyValue): string {
  if (Array.isArray(key)) return `(${key.map((value) => value ?? 'NULL').join(', ')})`;
  return key ?? 'NULL';
}

function listed(keys: readonly string[], show: number): string {
  const shown = keys.slice(0, show).join('; ');
  return keys.length > show ? `${shown}; … ${formatCount(keys.length - show)} more` : shown;
}

function printDetails(table: TableVerification, show: number): void {
  const lines = [
    ...table.notes.map((note) => `  note: ${note}`),
    ...(table.missing.length > 0
      ? [`  missing (${table.missing.length}): ${listed(table.missing.map(keyText), show)}`]
      : []),
    ...(table.extra.length > 0
      ? [`  extra (${table.extra.length}): ${listed(table.extra.map(keyText), show)}`]
      : []),
    ...(table.changed.length > 0
      ? [
          `  changed (${table.changed.length}): ${listed(
            table.changed.map((row) => `${keyText(row.key)} [${row.columns.join(', ')}]`),
            show,
          )}`,
        ]
      : []),
  ];
  process.stdout.write(`${table.table}\n${lines.join('\n')}\n`);
}

/** The verify report as a table, the details of every differing table, and the verdict. */
export function printVerifyReport(report: VerifyReport, show: number): void {
  printTable(
    ['table', 'status', 'source rows', 'destination rows', 'missing', 'extra', 'changed'],
    report.tables.map((t) => [
      t.table,
      t.status,
      t.sourceRows,
      t.destinationRows,
      t.missing.length,
      t.extra.length,
      t.changed.length,
    ]),
  );
  for (const table of report.tables) if (table.status === 'different') printDetails(table, show);
  process.stdout.write(report.identical ? 'identical\n' : 'different\n');
}
