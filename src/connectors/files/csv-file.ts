/**
 * CSV files through DuckDB: `sniff_csv` finds each file's dialect (delimiter, quote, escape,
 * header, date formats) and column types from a sample, and the read uses exactly that dialect
 * with the stream's types, so nothing is guessed twice. Rows DuckDB cannot take (wrong field
 * count, unterminated quotes, invalid UTF-8, a value that does not parse as its column's type)
 * are not loaded: `store_rejects` records each with its byte offset and reason, and they come
 * back as quarantined rows with the physical line (counted from that offset) and the raw text.
 *
 * Conventions: an empty unquoted field is NULL, `""` is the empty string. When the sniffer saw
 * no quotes in its sample it reports none; the read still honours RFC 4180 quoting (`"`, `""`),
 * so a quoted field after the sample is read as one field instead of being split.
 */
import type { QuarantinedRow } from '../../core/quarantine.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteLiteral } from '../../engine/duckdb.js';
import type { CsvDialect, FileColumn } from './described-file.js';
import { wholeFileTypes } from './csv-column-scan.js';
import { numberScan } from './csv-numbers.js';
import { temporalScan } from './csv-temporals.js';
import { linesAt } from './file-text.js';

/** Options a user may pin instead of letting the sniffer decide. */
export interface CsvOptions {
  /** Field delimiter. */
  delimiter?: string | undefined;
  /** Whether the first line is a header. */
  header?: boolean | undefined;
  /** Rows sampled to detect types (-1: all). */
  sampleSize?: number | undefined;
}

/** A sniffed CSV file. */
export interface SniffedCsv {
  /** Its dialect. */
  dialect: CsvDialect;
  /** Its columns with the sniffed types. */
  columns: FileColumn[];
  /** False when the file holds no data rows. */
  typed: boolean;
}

const EMPTY = '(empty)';
/**
 * Longest CSV row read; a longer one is quarantined (LINE SIZE OVER MAXIMUM). DuckDB parses one
 * buffer per thread, so buffers much larger than this cost parallelism on files of a few
 * buffers (64 MiB buffers made a 65 MB file parse on one thread, twice as slow).
 */
const MAX_LINE_BYTES = 8 * 1024 * 1024;
const BUFFER_BYTES = 16 * 1024 * 1024;

export async function sniffCsv(
  db: DuckDB,
  path: string,
  gzip: boolean,
  options: CsvOptions,
): Promise<SniffedCsv> {
  const pinned = [
    `compression = ${gzip ? "'gzip'" : "'none'"}`,
    'ignore_errors = true',
    `max_line_size = ${MAX_LINE_BYTES}`,
    `buffer_size = ${BUFFER_BYTES}`,
    ...(options.delimiter !== undefined ? [`delim = ${quoteLiteral(options.delimiter)}`] : []),
    ...(options.header !== undefined ? [`header = ${options.header}`] : []),
    ...(options.sampleSize !== undefined ? [`sample_size = ${options.sampleSize}`] : []),
  ];
  const [row] = await db.queryJson(
    `SELECT Delimiter, Quote, Escape, SkipRows, HasHeader, Comment, Columns, DateFormat, TimestampFormat
       FROM sniff_csv(${quoteLiteral(path)}, ${pinned.join(', ')})`,
  );
  const [delimiter, quote, escape, skip, header, comment, columns, dateFormat, timestampFormat] = (row ??
    []) as [
    string,
    string,
    string,
    number,
    boolean,
    string,
    { name: string; type: string }[],
    string | null,
    string | null,
  ];
  const realQuote = quote === EMPTY || quote === '' ? '"' : quote;
  const dialect: CsvDialect = {
    delimiter,
    quote: realQuote,
    escape: escape === EMPTY || escape === '' ? realQuote : escape,
    skip: Number(skip),
    header: Boolean(header),
    comment: comment === EMPTY ? '' : comment,
    dateFormat: dateFormat || null,
    timestampFormat: timestampFormat || null,
  };
  // Columns whose cast could change a value are typed from every value, not the sniffer's sample.
  const fileColumns = await wholeFileTypes(
    db,
    columns.map((c) => ({ name: c.name, type: c.type })),
    dialect,
    [numberScan, temporalScan],
    (text) => csvSource(path, gzip, dialect, text, 'ignore'),
  );
  // A file without data rows types every column VARCHAR, which would wrongly widen other files'.
  const typed =
    fileColumns.some((c) => c.type !== 'VARCHAR') ||
    (await db.query(`SELECT 1 FROM ${csvSource(path, gzip, dialect, fileColumns, 'ignore')} LIMIT 1`)).rows
      .length > 0;
  return { dialect, columns: fileColumns, typed };
}

/** Names of the temporary tables one read's rejects go to. */
export interface RejectTables {
  /** Table of rejected rows (`reject_errors` shape). */
  errors: string;
  /** Table of scans (`reject_scans` shape). */
  scans: string;
}

/**
 * The `read_csv(…)` of one file in its dialect, columns typed as given (by name, in file
 * order). Bad rows are recorded in `errors` (reject tables), or skipped (`'ignore'`, for probes).
 */
export function csvSource(
  path: string,
  gzip: boolean,
  dialect: CsvDialect,
  columns: readonly FileColumn[],
  errors: RejectTables | 'ignore',
): string {
  const options = [
    'auto_detect = false',
    `columns = {${columns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(', ')}}`,
    `header = ${dialect.header}`,
    `skip = ${dialect.skip}`,
    `delim = ${quoteLiteral(dialect.delimiter)}`,
    `quote = ${quoteLiteral(dialect.quote)}`,
    `escape = ${quoteLiteral(dialect.escape)}`,
    `comment = ${quoteLiteral(dialect.comment)}`,
    ...(dialect.dateFormat ? [`dateformat = ${quoteLiteral(dialect.dateFormat)}`] : []),
    ...(dialect.timestampFormat ? [`timestampformat = ${quoteLiteral(dialect.timestampFormat)}`] : []),
    `compression = ${gzip ? "'gzip'" : "'none'"}`,
    // No new_line: DuckDB finds \n and \r\n itself, and new_line='\r\n' with strict_mode
    // silently reads no rows at all (DuckDB 1.5.6).
    "encoding = 'utf-8'",
    'allow_quoted_nulls = false',
    'null_padding = false',
    'strict_mode = true',
    `max_line_size = ${MAX_LINE_BYTES}`,
    `buffer_size = ${BUFFER_BYTES}`,
    ...(errors === 'ignore'
      ? ['ignore_errors = true']
      : [
          'store_rejects = true',
          'rejects_limit = 0',
          `rejects_table = ${quoteLiteral(errors.errors)}`,
          `rejects_scan = ${quoteLiteral(errors.scans)}`,
        ]),
  ];
  return `read_csv(${quoteLiteral(path)}, ${options.join(', ')})`;
}

/**
 * The rows a read recorded in `rejects`, one per bad row (its errors joined), with physical
 * line numbers and raw text; then drops the tables. `name` is what the rows say the file is.
 */
export async function takeCsvRejects(
  db: DuckDB,
  rejects: RejectTables,
  path: string,
  gzip: boolean,
  name: string,
): Promise<QuarantinedRow[]> {
  try {
    const errors = await db.queryObjects(
      `SELECT line_byte_position AS at, error_type, column_name, error_message, csv_line
         FROM ${rejects.errors} ORDER BY line_byte_position, column_idx`,
    );
    if (errors.length === 0) return [];
    const byRow = new Map<number, { reasons: string[]; raw: string; encoding: boolean }>();
    for (const error of errors) {
      const at = Number(error.at);
      // After a \r\n line end DuckDB's csv_line starts with the \n.
      const raw = String(error.csv_line ?? '').replace(/^\r?\n/, '');
      const entry = byRow.get(at) ?? { reasons: [], raw, encoding: false };
      const column = error.column_name === null ? '' : ` (column ${JSON.stringify(error.column_name)})`;
      entry.reasons.push(`${String(error.error_type)}${column}: ${String(error.error_message)}`);
      entry.encoding ||= error.error_type === 'INVALID ENCODING';
      byRow.set(at, entry);
    }
    // DuckDB's line_byte_position is one past the row's first byte after a `\n`, but exact after
    // some `\r\n` line ends (1.5): one byte earlier lands inside the row's first line, or on the
    // `\n` just before it, which linesAt counts for the following line.
    const lines = await linesAt(
      path,
      gzip,
      [...byRow.keys()].map((at) => at - 1),
    );
    return [...byRow].map(([at, entry]) => {
      const line = lines.get(at - 1);
      // DuckDB shows invalid bytes as `?`; the file's own bytes, escaped, say what they were.
      const raw = entry.encoding && line ? line.text : entry.raw;
      return { file: name, line: line?.line ?? null, reason: entry.reasons.join('; '), raw };
    });
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${rejects.errors}; DROP TABLE IF EXISTS ${rejects.scans}`);
  }
}
