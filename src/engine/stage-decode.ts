/**
 * Reading staged chunks (the stage CSV dialect, `core/stage-csv.ts`) into typed DuckDB values.
 * Every field is read as VARCHAR with nothing guessed, then decoded by an explicit expression
 * per canonical type. Where a DuckDB cast would silently change a value (it rounds `1.5` to an
 * integer 2 and `1.239` to DECIMAL(10,2) 1.24, and reads `yes` as true) the expression checks
 * the canonical text first and fails the statement instead.
 */
import type { CanonicalType } from '../core/canonical-types.js';
import { duckdbType } from '../core/canonical-types.js';
import { STAGE_CSV } from '../core/stage-csv.js';
import { quoteIdent, quoteLiteral } from './duckdb.js';

/**
 * Longest staged row DuckDB accepts. Its default (2 MB) rejects large JSON or text values; the
 * read buffer must hold one whole row, and DuckDB allocates one per scanning thread, so this is
 * also what each thread holds in memory.
 */
export const STAGE_MAX_ROW_BYTES = 64 * 1024 * 1024;

/**
 * Smallest read buffer: DuckDB parses one buffer per thread, so a 128 MiB chunk read in 8 MiB
 * buffers keeps both cores busy, and two threads hold 16 MiB instead of 128 MiB (a 10M-row sync
 * peaked at 470 MB RSS with 64 MiB buffers).
 */
const STAGE_MIN_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * The read buffer (and longest row DuckDB will accept) for a chunk whose longest row is
 * `maxRowBytes`: at least twice that row, a power of two between 8 MiB and
 * `STAGE_MAX_ROW_BYTES`. Unknown: `STAGE_MAX_ROW_BYTES`.
 */
export function stageBufferBytes(maxRowBytes?: number): number {
  if (maxRowBytes === undefined || !Number.isFinite(maxRowBytes)) return STAGE_MAX_ROW_BYTES;
  let bytes = STAGE_MIN_BUFFER_BYTES;
  while (bytes < 2 * maxRowBytes && bytes < STAGE_MAX_ROW_BYTES) bytes *= 2;
  return bytes;
}

/** The name `stageCsvSource` gives the i-th staged field. */
export function stageFieldName(index: number): string {
  return `c${index}`;
}

/**
 * A `read_csv(...)` table expression over one staged file with `columnCount` VARCHAR fields
 * named `c0…`: no header, no sniffing, `""` stays the empty string while an empty unquoted
 * field is NULL, and a malformed row (wrong field count, unterminated quote) fails the query.
 * `maxRowBytes` (the chunk's longest row, when known) sizes the read buffers.
 */
export function stageCsvSource(path: string, columnCount: number, maxRowBytes?: number): string {
  const bufferBytes = stageBufferBytes(maxRowBytes);
  const columns = Array.from(
    { length: columnCount },
    (_, i) => `${quoteLiteral(stageFieldName(i))}: 'VARCHAR'`,
  );
  const options = [
    `columns = {${columns.join(', ')}}`,
    'header = false',
    'auto_detect = false',
    `delim = ${quoteLiteral(STAGE_CSV.delimiter)}`,
    `quote = ${quoteLiteral(STAGE_CSV.quote)}`,
    `escape = ${quoteLiteral(STAGE_CSV.escape)}`,
    `new_line = '\\n'`,
    "encoding = 'utf-8'",
    'allow_quoted_nulls = false',
    'strict_mode = true',
    'null_padding = false',
    'ignore_errors = false',
    `max_line_size = ${bufferBytes}`,
    `buffer_size = ${bufferBytes}`,
  ];
  return `read_csv(${quoteLiteral(path)}, ${options.join(', ')})`;
}

/**
 * The SQL expression turning the VARCHAR stage field `field` (an SQL expression) into a value
 * of `type`'s DuckDB type. `columnName` only labels the error a bad value raises. `checked`
 * false leaves out the text checks: the same value for every text the checks accept, and no
 * error for one they refuse — only for a second read of a chunk that a checked read must also
 * accept (the run's content fingerprint, sync/chunk-fingerprints.ts).
 */
export function stageDecodeExpression(
  type: CanonicalType,
  field: string,
  columnName: string,
  checked = true,
): string {
  const target = duckdbType(type);
  const fail = (expected: string) =>
    `error(${quoteLiteral(`column ${JSON.stringify(columnName)}: staged value is not ${expected}: `)} || left(${field}, 100))`;
  // The common case first: a NULL (no match) is tested only for the values that do not match,
  // not for every value (~5% of a 1M-row chunk's decode, measured).
  const check = (pattern: string, expected: string, decoded = `CAST(${field} AS ${target})`) =>
    checked
      ? `CASE WHEN regexp_full_match(${field}, ${quoteLiteral(pattern)}) THEN ${decoded} ` +
        `WHEN ${field} IS NULL THEN NULL ELSE ${fail(expected)} END`
      : decoded;
  // Text that the cast renders back unchanged is exact (`42`, `-1.50` for DECIMAL(p,2)), and a
  // rendering always matches the pattern: only the other texts (`007`, `1.5` for a DECIMAL(p,2),
  // and the ones refused) go through the regular expression, which cost ~0.3 CPU s per 2M rows
  // of three such columns. Same values and same refusals as `check` alone.
  const roundTrip = (pattern: string, expected: string) => {
    if (!checked) return `CAST(${field} AS ${target})`;
    const cast = `TRY_CAST(${field} AS ${target})`;
    return `CASE WHEN CAST(${cast} AS VARCHAR) = ${field} THEN ${cast} ELSE ${check(pattern, expected)} END`;
  };
  // Unchecked, a text that is neither 't' nor 'f' (refused when checked) reads as NULL.
  const otherwise = (expected: string) => (checked ? fail(expected) : 'NULL');
  switch (type.kind) {
    case 'boolean':
      return `CASE WHEN ${field} = 't' THEN true WHEN ${field} = 'f' THEN false WHEN ${field} IS NULL THEN NULL ELSE ${otherwise("'t' or 'f'")} END`;
    case 'int32':
    case 'int64':
      return roundTrip('-?[0-9]+', `an integer (${type.kind})`);
    case 'decimal':
      // A wide decimal's text cast is the slow path decimalFromText avoids.
      if (type.precision <= 18) {
        return roundTrip(
          `-?[0-9]+(\\.[0-9]{0,${type.scale}})?`,
          `a decimal with at most ${type.scale} fraction digits`,
        );
      }
      return check(
        `-?[0-9]+(\\.[0-9]{0,${type.scale}})?`,
        `a decimal with at most ${type.scale} fraction digits`,
        decimalFromText(field, type.precision, type.scale),
      );
    case 'binary':
      return `CASE WHEN ${field} IS NULL THEN NULL WHEN starts_with(${field}, '\\x') THEN from_hex(${field}[3:]) ELSE ${otherwise('\\x-prefixed hex')} END`;
    case 'string':
    case 'json':
    case 'uuid':
      return field;
    case 'float32':
    case 'float64':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      // DuckDB parses exactly the canonical text (NaN, Infinity, offsets like +00 or +05:30).
      return `CAST(${field} AS ${target})`;
  }
}

/**
 * Text already checked as `-?digits[.digits]` → DECIMAL(p,s). DuckDB's own text cast to a
 * DECIMAL wider than 18 digits costs ~14 µs a value (a 1M-row chunk spent 14 s in it), so wide
 * decimals go through the unscaled digits as HUGEINT and one exact decimal multiplication.
 */
function decimalFromText(field: string, precision: number, scale: number): string {
  const target = `DECIMAL(${precision},${scale})`;
  if (precision <= 18) return `CAST(${field} AS ${target})`;
  const digits = `split_part(${field}, '.', 1) || rpad(split_part(${field}, '.', 2), ${scale}, '0')`;
  const unscaled = `CAST(CAST(${digits} AS HUGEINT) AS DECIMAL(38,0))`;
  if (scale === 0) return `CAST(${unscaled} AS ${target})`;
  const unit = `CAST('0.${'0'.repeat(scale - 1)}1' AS DECIMAL(${Math.min(38, scale + 1)},${scale}))`;
  return `CAST(${unscaled} * ${unit} AS ${target})`;
}

/** One staged field to read: its position in the row, how to decode it and what to call it. */
export interface StagedFieldRead {
  /** 0-based position of the field in each staged row. */
  index: number;
  /** Canonical type of the staged text. */
  type: CanonicalType;
  /** Output column name. */
  as: string;
  /** The column's own name, for error messages. */
  label: string;
}

/**
 * `SELECT <decoded fields> FROM read_csv(…)` over one staged file whose rows have `fieldCount`
 * fields; fields not listed are read (the row must be complete) but not returned. `maxRowBytes`:
 * the chunk's longest row, when known (`StagedChunk.maxRowBytes`). `checked` false: see
 * `stageDecodeExpression`.
 */
export function stageQuery(
  path: string,
  fieldCount: number,
  fields: readonly StagedFieldRead[],
  maxRowBytes?: number,
  checked = true,
): string {
  const select = fields
    .map(
      (field) =>
        `${stageDecodeExpression(field.type, stageFieldName(field.index), field.label, checked)} AS ${quoteIdent(field.as)}`,
    )
    .join(', ');
  return `SELECT ${select} FROM ${stageCsvSource(path, fieldCount, maxRowBytes)}`;
}
