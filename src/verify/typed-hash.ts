/**
 * The fast fingerprint: DuckDB's 64-bit `hash()` of a row's typed values, summed exactly per
 * key bucket. It replaces the md5 of the canonical row text (`row-hash.ts`) for the hashing
 * passes of a bisection when BOTH sides can bring their rows into DuckDB in this process — the
 * lake, DuckDB files, connector-read endpoints, and PostgreSQL through `COPY` (`copy-hash.ts`).
 * md5 costs ~1 µs a row in PostgreSQL and rendering the canonical text about as much again;
 * `hash()` over typed columns costs a few ns in DuckDB, and COPY is PostgreSQL's cheapest way
 * out. Both sides are hashed by the same library, so the numbers are comparable; they are never
 * stored or compared across versions.
 *
 * Typed values are compared by the canonical rules because each column is brought to one
 * DuckDB type per family before hashing (the families of `schema-match.ts`):
 *
 * | family                 | hashed as                                                    |
 * |------------------------|--------------------------------------------------------------|
 * | int32, int64           | BIGINT                                                       |
 * | decimal(p,s)           | DECIMAL(38,s): equal values at the scale hash equal          |
 * | float32, float64       | DOUBLE (float32 widens exactly) plus the sign of a zero, which `hash()` ignores; every NaN is one NaN |
 * | string, json, uuid     | VARCHAR (the exact text; NULL and '' hash differently)       |
 * | timestamp, timestamptz | microseconds since the epoch (`epoch_us`)                    |
 * | others                 | their own type (boolean, date, time, blob)                   |
 *
 * A row's hash combines its columns in order (`hash(a, b)` ≠ `hash(b, a)`); a table's number is
 * `count(*)` and the HUGEINT sum of its row hashes, so, like the md5 sums, it ignores row order
 * and counts duplicates. Rows whose hashes are needed one by one (the leaves of a bisection)
 * still use md5, whose text rules every engine shares.
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import { typedRowHashSql } from '../engine/typed-row-hash.js';
import { bucketSql, type KeyTuple } from './key-ranges.js';

/**
 * DuckDB `SELECT bucket, rows, hash_sum` per bucket of `bounds` over the rows of `from` (a table
 * or a subquery with the columns under their own names) that satisfy `where`. Counts and sums
 * are text, so no driver rounds them.
 */
export function typedRangeHashesSql(
  from: string,
  where: string,
  columns: readonly CanonicalColumn[],
  key: readonly CanonicalColumn[],
  bounds: readonly KeyTuple[],
): string {
  const bucket = bounds.length === 0 ? '0' : bucketSql('duckdb', key, bounds);
  return (
    `SELECT bucket, CAST(count(*) AS VARCHAR) AS rows, CAST(sum(hash) AS VARCHAR) AS hash_sum` +
    ` FROM (SELECT ${bucket} AS bucket, ${typedRowHashSql(columns)} AS hash FROM ${from} WHERE ${where}) AS hashed` +
    ` GROUP BY bucket`
  );
}
