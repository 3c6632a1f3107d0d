/**
 * Whole-file typing of CSV (and JSON) columns. DuckDB's sniffer types columns from a sample of
 * the file, and the read then casts every value to the sniffed type — a cast that changes values
 * it should refuse: it rounds `1.5` in a BIGINT column to 2, cuts nanoseconds and drops a `+02:00`
 * offset in a TIMESTAMP column, and (without a date format) reads `2020-01-01 10:00:00` in a DATE
 * column as the date alone. So the columns whose type can change a value are scanned once over
 * the whole file, in one read, and typed from what all of their values are: numbers by
 * `csv-numbers.ts`, dates and times by `csv-temporals.ts` (which JSON files use too: DuckDB reads
 * a JSON text like `10:00:00.1234567` as a TIME, and cuts it). A value that is not of the type at
 * all (`x` in a number column) is left to the read, which quarantines it.
 *
 * Costs one extra read of a file at discovery, for files with such columns.
 */
import type { DuckDB } from '../../engine/duckdb.js';
import type { CsvDialect, FileColumn } from './described-file.js';

/** The strptime formats a read parses dates and timestamps with (null: ISO). */
export type ReadFormats = Pick<CsvDialect, 'dateFormat' | 'timestampFormat'>;

/** One column's part of the scan: three layers of SQL over the file's text, and its reading. */
export interface ColumnScan {
  /** Expressions over the file's columns, all read as VARCHAR. */
  values: string[];
  /** Expressions over `values`' names. */
  derived: string[];
  /** Aggregates over `derived`'s names, each named uniquely for the column. */
  measures: string[];
  /** The column's type, from the row of the aggregates. */
  typeOf(row: Readonly<Record<string, unknown>>): string;
}

/** The scan of the `i`-th column, or null when the column's type changes no value. */
export type ColumnScanner = (column: FileColumn, i: number, formats: ReadFormats) => ColumnScan | null;

/**
 * `columns` (as sniffed) with each column some scanner takes retyped from the whole file;
 * `source` gives the file's `read_csv(…)` with the columns given (here all VARCHAR), bad rows
 * skipped.
 */
export async function wholeFileTypes(
  db: DuckDB,
  columns: readonly FileColumn[],
  formats: ReadFormats,
  scanners: readonly ColumnScanner[],
  source: (columns: readonly FileColumn[]) => string,
): Promise<FileColumn[]> {
  const scans = columns.map((column, i) => {
    for (const scanner of scanners) {
      const scan = scanner(column, i, formats);
      if (scan) return scan;
    }
    return null;
  });
  const taken = scans.filter((scan): scan is ColumnScan => scan !== null);
  if (taken.length === 0) return [...columns];
  const text = columns.map((c) => ({ name: c.name, type: 'VARCHAR' }));
  const [row] = await db.queryObjects(
    `SELECT ${taken.flatMap((scan) => scan.measures).join(', ')} ` +
      `FROM (SELECT ${taken.flatMap((scan) => scan.derived).join(', ')} ` +
      `FROM (SELECT ${taken.flatMap((scan) => scan.values).join(', ')} FROM ${source(text)}))`,
  );
  return columns.map((c, i) => ({ name: c.name, type: scans[i]?.typeOf(row ?? {}) ?? c.type }));
}
