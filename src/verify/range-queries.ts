/**
 * The SQL behind bisection, for engines that hash in SQL (PostgreSQL, DuckDB): hash sums per key
 * bucket, sampled key bounds, and row hashes with per-column hashes for a set of ranges. Built
 * from `row-hash.ts` (rendering, hashing) and `key-ranges.ts` (bounds and ranges).
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import { castText, type HashDialect } from './hash-dialect.js';
import { bucketSql, rangeSql, rangesSql, type KeyRange, type KeyTuple } from './key-ranges.js';
import {
  canonicalRowSql,
  canonicalValueSql,
  quoteIdent,
  rowHashNumberSql,
  rowHashSql,
  tableSql,
  type TableRef,
} from './row-hash.js';

/** Hex digits kept per column hash: enough to name changed columns; the row hash decides equality. */
export const COLUMN_HASH_DIGITS = 8;

/** `SELECT bucket, rows, hash_sum` per bucket of `bounds`, over the rows in `within`. */
export function rangeHashesSql(
  dialect: HashDialect,
  table: TableRef,
  columns: readonly CanonicalColumn[],
  key: readonly CanonicalColumn[],
  within: readonly KeyRange[],
  bounds: readonly KeyTuple[],
): string {
  const hash = rowHashNumberSql(dialect, canonicalRowSql(dialect, columns));
  const bucket = bounds.length === 0 ? '0' : bucketSql(dialect, key, bounds);
  return (
    `SELECT bucket, ${castText(dialect, 'count(*)')} AS rows, ${castText(dialect, `sum(hash)`)} AS hash_sum` +
    ` FROM (SELECT ${bucket} AS bucket, ${hash} AS hash FROM ${tableSql(table)}` +
    ` WHERE ${rangesSql(dialect, key, within)}) AS hashed GROUP BY bucket`
  );
}

/** `SELECT key, hash, column_hashes` for every row in `ranges`. */
export function leafRowsSql(
  dialect: HashDialect,
  table: TableRef,
  columns: readonly CanonicalColumn[],
  key: readonly CanonicalColumn[],
  ranges: readonly KeyRange[],
  rangeKey: readonly CanonicalColumn[],
): string {
  const columnHashes = columns
    .map((column) => `left(md5(${canonicalValueSql(dialect, column)}), ${COLUMN_HASH_DIGITS})`)
    .join(' || ');
  return (
    `SELECT ${canonicalRowSql(dialect, key)} AS key, ${rowHashSql(canonicalRowSql(dialect, columns))} AS hash,` +
    ` ${columnHashes} AS column_hashes FROM ${tableSql(table)} WHERE ${rangesSql(dialect, rangeKey, ranges)}`
  );
}

function keyTextSql(dialect: HashDialect, key: readonly CanonicalColumn[]): string {
  return key.map((column, i) => `${castText(dialect, quoteIdent(column.name))} AS k${i}`).join(', ');
}

function orderSql(key: readonly CanonicalColumn[], dialect: HashDialect): string {
  // The same code-point order the range predicates use for text.
  return key
    .map((column) =>
      column.type.kind === 'string' && dialect === 'postgres'
        ? `${castText(dialect, quoteIdent(column.name))} COLLATE "C"`
        : quoteIdent(column.name),
    )
    .join(', ');
}

/**
 * Every `step`-th key of `range` in key order (exact; the engine reads the range's keys once,
 * through the key's index where there is one).
 */
export function thinnedKeysSql(
  dialect: HashDialect,
  table: TableRef,
  key: readonly CanonicalColumn[],
  range: KeyRange,
  step: number,
): string {
  const names = key.map((_, i) => `k${i}`).join(', ');
  return (
    `SELECT ${names} FROM (SELECT ${keyTextSql(dialect, key)}, row_number() OVER (ORDER BY ${orderSql(key, dialect)}) AS rn` +
    ` FROM ${tableSql(table)} WHERE ${rangeSql(dialect, key, range)}) AS numbered` +
    ` WHERE rn % ${step} = 0 ORDER BY rn`
  );
}

/**
 * The keys of a random `percent` of `range`, in key order: PostgreSQL samples whole pages
 * (`TABLESAMPLE SYSTEM`, reading only that share of the table), DuckDB samples rows.
 */
export function sampledKeysSql(
  dialect: HashDialect,
  table: TableRef,
  key: readonly CanonicalColumn[],
  range: KeyRange,
  percent: number,
): string {
  const share = Math.min(100, Math.max(0.0001, percent)).toFixed(4);
  const sample =
    dialect === 'postgres' ? ` TABLESAMPLE SYSTEM (${share})` : ` TABLESAMPLE ${share}% (bernoulli)`;
  return (
    `SELECT ${keyTextSql(dialect, key)} FROM ${tableSql(table)}${sample}` +
    ` WHERE ${rangeSql(dialect, key, range)} ORDER BY ${orderSql(key, dialect)}`
  );
}
