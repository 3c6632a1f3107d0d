/**
 * Key ranges for bisection, as SQL every engine evaluates the same way.
 *
 * Both sides of a verify bucket their rows by the same explicit key bounds `B[0] < B[1] < …`
 * (taken from one side with a sampling query): bucket `i` holds the keys with
 * `key < B[i]` true and `key < B[i-1]` not true. A row whose key compares as unknown (a NULL
 * in a declared key) lands in the last bucket on both sides, because every engine routes an
 * unknown comparison the same way through `CASE WHEN … THEN … ELSE … END` and `IS NOT TRUE`.
 *
 * Bounds are literals rendered from the text the sampling side returned, so only key types
 * whose literals mean the same value and order in every engine take part: integers, decimals,
 * strings and uuids (text compared by code point: PostgreSQL `COLLATE "C"`, SQLite
 * `COLLATE BINARY`, DuckDB's default). Other key types are verified as one range.
 * If an engine still orders a key differently, rows only land in different buckets; the row
 * diff runs over the union of the fetched ranges and the table's status comes from its
 * fingerprints, so that costs time, never a false result.
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import { quoteIdent } from './row-hash.js';

/** Where range SQL runs: the hash dialects plus SQLite (hashed in JavaScript, filtered in SQL). */
export type KeyDialect = 'postgres' | 'duckdb' | 'sqlite';

/** One key value per key column, as text (integers and decimals as digits, strings as themselves). */
export type KeyTuple = readonly string[];

/** A half-open key range: keys not below `low` and below `high`; a missing end is unbounded. */
export interface KeyRange {
  /** Inclusive lower bound, or null for "from the smallest key (and NULL keys at the end)". */
  low: KeyTuple | null;
  /** Exclusive upper bound, or null for "to the end, NULL keys included". */
  high: KeyTuple | null;
}

/** The whole table as one range. */
export const WHOLE_TABLE: KeyRange = { low: null, high: null };

const RANGEABLE = new Set(['int32', 'int64', 'decimal', 'string', 'uuid']);

/** True when the key can be split into ranges (see the file comment for the types that can). */
export function canSplitKey(key: readonly CanonicalColumn[]): boolean {
  return key.length > 0 && key.every((column) => RANGEABLE.has(column.type.kind));
}

function isText(column: CanonicalColumn): boolean {
  return column.type.kind === 'string' || column.type.kind === 'uuid';
}

/** PostgreSQL text types that take a collation directly (others are cast to text first). */
const PG_COLLATABLE = /^(text|character varying|varchar|character|char|bpchar|name|citext)\b/i;

/** The key column as compared: text in code point order. */
function columnSql(dialect: KeyDialect, column: CanonicalColumn): string {
  const expr = quoteIdent(column.name);
  if (column.type.kind !== 'string') return expr;
  if (dialect === 'postgres') {
    return PG_COLLATABLE.test(column.sourceType)
      ? `${expr} COLLATE "C"`
      : `CAST(${expr} AS text) COLLATE "C"`;
  }
  return dialect === 'sqlite' ? `${expr} COLLATE BINARY` : expr;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * True when every value of `bound` can be written as a literal of its column: sampled numbers
 * an engine printed in another form (exponent notation) are dropped rather than pasted into SQL.
 */
export function isUsableBound(
  key: readonly CanonicalColumn[],
  bound: readonly (string | null)[],
): bound is KeyTuple {
  return key.every((column, i) => {
    const value = bound[i];
    return typeof value === 'string' && (isText(column) || NUMBER.test(value));
  });
}

function literalSql(column: CanonicalColumn, value: string): string {
  return isText(column) ? `'${value.replaceAll("'", "''")}'` : value;
}

function compareSql(
  dialect: KeyDialect,
  key: readonly CanonicalColumn[],
  bound: KeyTuple,
  op: '<' | '>=',
): string {
  const sides = key.map((column, i) => ({
    column: columnSql(dialect, column),
    literal: literalSql(column, bound[i] ?? ''),
  }));
  if (sides.length === 1) return `${sides[0]?.column} ${op} ${sides[0]?.literal}`;
  if (dialect === 'postgres') {
    // A row comparison, which PostgreSQL answers from a composite index.
    return `ROW(${sides.map((s) => s.column).join(', ')}) ${op} ROW(${sides.map((s) => s.literal).join(', ')})`;
  }
  const terms = sides.map((side, i) =>
    [...sides.slice(0, i).map((s) => `${s.column} = ${s.literal}`), `${side.column} < ${side.literal}`].join(
      ' AND ',
    ),
  );
  const below = `(${terms.map((term) => `(${term})`).join(' OR ')})`;
  return op === '<' ? below : `NOT ${below}`;
}

/** SQL that is true when the row's key is below `bound` (lexicographic over the key columns). */
export function keyBelowSql(dialect: KeyDialect, key: readonly CanonicalColumn[], bound: KeyTuple): string {
  return compareSql(dialect, key, bound, '<');
}

/** SQL that is true when the row's (non-NULL) key is at or above `bound`. */
function keyAtLeastSql(dialect: KeyDialect, key: readonly CanonicalColumn[], bound: KeyTuple): string {
  return compareSql(dialect, key, bound, '>=');
}

/**
 * SQL that is true for the rows of `range`. Only the last range holds NULL keys, so the others
 * use a plain `key >= low`, which indexes (PostgreSQL) and row-group statistics (DuckDB over
 * Parquet) can answer without reading the whole table.
 */
export function rangeSql(dialect: KeyDialect, key: readonly CanonicalColumn[], range: KeyRange): string {
  const parts: string[] = [];
  if (range.low && range.high) parts.push(`(${keyAtLeastSql(dialect, key, range.low)})`);
  else if (range.low) parts.push(`(${keyBelowSql(dialect, key, range.low)}) IS NOT TRUE`);
  if (range.high) parts.push(`(${keyBelowSql(dialect, key, range.high)})`);
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
}

/** SQL that is true for the rows of any of `ranges` (TRUE for the whole table). */
export function rangesSql(
  dialect: KeyDialect,
  key: readonly CanonicalColumn[],
  ranges: readonly KeyRange[],
): string {
  if (ranges.some((range) => !range.low && !range.high)) return 'TRUE';
  return ranges.map((range) => `(${rangeSql(dialect, key, range)})`).join(' OR ') || 'FALSE';
}

/**
 * SQL for the bucket number (0 … bounds.length) of the current row: a binary search over the
 * sorted bounds, so each row pays about log2(buckets) comparisons.
 */
export function bucketSql(
  dialect: KeyDialect,
  key: readonly CanonicalColumn[],
  bounds: readonly KeyTuple[],
): string {
  const search = (first: number, last: number): string => {
    if (first === last) return String(first);
    const middle = Math.floor((first + last + 1) / 2);
    const bound = bounds[middle - 1] ?? [];
    return `CASE WHEN ${keyBelowSql(dialect, key, bound)} THEN ${search(first, middle - 1)} ELSE ${search(middle, last)} END`;
  };
  return search(0, bounds.length);
}

/** The range of bucket `index` under `bounds`. */
export function bucketRange(bounds: readonly KeyTuple[], index: number): KeyRange {
  return { low: bounds[index - 1] ?? null, high: bounds[index] ?? null };
}

/** True when two bounds are the same key. */
export function sameKey(a: KeyTuple | null, b: KeyTuple | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
