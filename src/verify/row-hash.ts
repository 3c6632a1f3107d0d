/**
 * Content fingerprints computed independently on each side of a sync — in the source database
 * and in DuckDB over the lake — that are equal exactly when the content is equal.
 *
 * Each row is rendered as one canonical text (the rules below, the same in every engine),
 * hashed with md5, and the first 15 hex digits (60 bits) taken as the row hash. A table's
 * fingerprint is `count(*)` plus the exact sum of its row hashes: independent of row order,
 * sensitive to duplicates, and cheap enough to run over whole tables in both engines.
 *
 * Canonical row text — columns in the given order, joined by a TAB:
 *
 * | canonical type         | rendering                                                         |
 * |------------------------|-------------------------------------------------------------------|
 * | any NULL               | `\N`                                                              |
 * | string, json, uuid     | the text, `\` → `\\` and TAB → `\t` (so NULL ≠ '' ≠ `\N`)         |
 * | boolean                | `t` / `f`                                                         |
 * | int32, int64           | decimal digits, `-` for negatives                                 |
 * | decimal(p,s)           | exactly `s` fraction digits, padded, never rounded (`12.50`)      |
 * | float32, float64       | exact binary value `m p e` (`float-text.ts`), NaN, ±Infinity, ±0  |
 * | date                   | days since 1970-01-01 (`-1` = 1969-12-31)                         |
 * | time                   | microseconds since midnight                                       |
 * | timestamp, timestamptz | microseconds since 1970-01-01 00:00 UTC (no zone rules involved)  |
 * | ±infinity date/times   | `infinity` / `-infinity`                                          |
 * | binary                 | lowercase hex                                                     |
 *
 * Requirements: the PostgreSQL database is UTF8 (md5 hashes the text's bytes); on the DuckDB
 * side each column has the type `duckdbType()` gives its canonical type. Nothing depends on
 * session settings (time zone, DateStyle, extra_float_digits).
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import { SluiceError } from '../core/errors.js';
import { canonicalFloatSql } from './float-text.js';
import { castText, type HashDialect } from './hash-dialect.js';

export type { HashDialect };

/** A table as both engines name it: PostgreSQL `"schema"."table"`, DuckDB view `"namespace"."table"`. */
export interface TableRef {
  /** Schema (PostgreSQL) or lake namespace (DuckDB). */
  namespace: string;
  /** Table or view name. */
  name: string;
}

/** A table's content fingerprint. */
export interface TableFingerprint {
  /** Number of rows. */
  rows: number;
  /** Exact sum of the 60-bit row hashes, as decimal digits ('0' for an empty table). */
  hashSum: string;
}

/** Column separator of the canonical row text. */
const SEP = 'chr(9)';
/** `\N`, spelled with chr() so neither engine's string-literal escaping can change it. */
const NULL_TEXT = `chr(92) || 'N'`;

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function tableSql(table: TableRef): string {
  return `${quoteIdent(table.namespace)}.${quoteIdent(table.name)}`;
}

function escapedText(text: string): string {
  return `replace(replace(${text}, chr(92), chr(92) || chr(92)), chr(9), chr(92) || 't')`;
}

function finiteOr(dialect: HashDialect, expr: string, finite: string): string {
  return `CASE WHEN isfinite(${expr}) THEN ${finite} ELSE ${castText(dialect, expr)} END`;
}

/** Canonical text of a non-NULL value of `column` held in `expr`. */
function valueSql(dialect: HashDialect, column: CanonicalColumn, expr: string): string {
  const pg = dialect === 'postgres';
  const text = (value: string) => castText(dialect, value);
  const epochMicros = pg ? `CAST(extract(epoch FROM ${expr}) * 1000000 AS bigint)` : `epoch_us(${expr})`;
  const type = column.type;
  switch (type.kind) {
    case 'string':
    case 'json':
    case 'uuid':
      // concat() uses the type's output function, like COPY: char(n) keeps its padding.
      return escapedText(pg ? `concat(${expr})` : text(expr));
    case 'boolean':
      return `CASE WHEN ${expr} THEN 't' ELSE 'f' END`;
    case 'int32':
    case 'int64':
      return text(expr);
    case 'decimal':
      // Padded to the declared scale but never rounded: a value with more (non-zero) fraction
      // digits than the destination can hold is printed whole and so shows up as a difference.
      return pg
        ? `CASE WHEN ${expr} = round(${expr}, ${type.scale}) THEN ${text(`round(${expr}, ${type.scale})`)} ELSE ${text(expr)} END`
        : text(expr);
    case 'float32':
    case 'float64':
      return canonicalFloatSql(dialect, expr);
    case 'binary':
      return pg ? `encode(${expr}, 'hex')` : `lower(hex(${expr}))`;
    case 'date':
      return finiteOr(dialect, expr, text(`${expr} - DATE '1970-01-01'`));
    case 'time':
      return text(epochMicros);
    case 'timestamp':
    case 'timestamptz':
      return finiteOr(dialect, expr, text(epochMicros));
  }
}

/** SQL for the canonical text of one column of the current row (NULL → `\N`). */
export function canonicalValueSql(dialect: HashDialect, column: CanonicalColumn): string {
  const expr = quoteIdent(column.name);
  return `CASE WHEN ${expr} IS NULL THEN ${NULL_TEXT} ELSE ${valueSql(dialect, column, expr)} END`;
}

/** SQL for the canonical text of the current row. */
export function canonicalRowSql(dialect: HashDialect, columns: readonly CanonicalColumn[]): string {
  return columns.map((column) => canonicalValueSql(dialect, column)).join(` || ${SEP} || `);
}

/** SQL for the 60-bit row hash as 15 lowercase hex digits. */
export function rowHashSql(rowText: string): string {
  return `left(md5(${rowText}), 15)`;
}

/** SQL for the 60-bit row hash as a bigint, ready to be summed exactly. */
export function rowHashNumberSql(dialect: HashDialect, rowText: string): string {
  const hex = rowHashSql(rowText);
  return dialect === 'postgres'
    ? `CAST(CAST('x' || ${hex} AS bit(60)) AS bigint)`
    : `CAST('0x' || ${hex} AS BIGINT)`;
}

/**
 * SQL returning one row `(rows, hash_sum)`, both as text so no driver rounds them. PostgreSQL
 * sums the bigints as numeric, DuckDB as HUGEINT: both exact.
 */
export function fingerprintSql(
  dialect: HashDialect,
  table: TableRef,
  columns: readonly CanonicalColumn[],
): string {
  const hash = rowHashNumberSql(dialect, canonicalRowSql(dialect, columns));
  return (
    `SELECT ${castText(dialect, 'count(*)')} AS rows, ${castText(dialect, `coalesce(sum(${hash}), 0)`)} AS hash_sum` +
    ` FROM ${tableSql(table)}`
  );
}

/** The key columns by name, in key order; USAGE error for a name that is not a column. */
export function keyColumns(
  table: TableRef,
  columns: readonly CanonicalColumn[],
  key: readonly string[],
): CanonicalColumn[] {
  return key.map((name) => {
    const column = columns.find((candidate) => candidate.name === name);
    if (!column) {
      throw new SluiceError(
        'USAGE',
        `key column ${name} is not a column of ${table.namespace}.${table.name}`,
        {
          hint: 'name key columns exactly as the source spells them',
        },
      );
    }
    return column;
  });
}

/**
 * SQL returning `(key, hash)` for every row, unordered: `key` is the canonical text of the key
 * columns (TAB-joined, same rules), `hash` the 15-hex-digit row hash of the whole row. Used to
 * name the rows behind a fingerprint difference (`row-diff.ts`).
 */
export function rowHashesSql(
  dialect: HashDialect,
  table: TableRef,
  columns: readonly CanonicalColumn[],
  key: readonly string[],
): string {
  return (
    `SELECT ${canonicalRowSql(dialect, keyColumns(table, columns, key))} AS key, ${rowHashSql(canonicalRowSql(dialect, columns))} AS hash` +
    ` FROM ${tableSql(table)}`
  );
}

/** Reads the row `fingerprintSql` returns. */
export function toFingerprint(row: { rows: unknown; hash_sum: unknown }): TableFingerprint {
  return { rows: Number(row.rows), hashSum: String(row.hash_sum) };
}
