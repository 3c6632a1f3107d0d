/**
 * The content of a set of rows as two numbers: how many, and the exact sum of their typed row
 * hashes (`typed-row-hash.ts`). Order does not matter and duplicates count, so the fingerprint of
 * a chunk equals the sum of its files' fingerprints however the rows were split (by partition,
 * by file), and a lost, repeated or changed row changes it. Computed by this process's DuckDB
 * on both sides of a comparison; never stored and compared across DuckDB versions.
 */
import type { DuckDB } from './duckdb.js';
import { typedRowHashSql } from './typed-row-hash.js';
import type { HashedColumn } from './typed-row-hash.js';

/** Rows and the exact sum of their 64-bit row hashes. */
export interface ContentFingerprint {
  /** Number of rows. */
  rows: number;
  /** Exact sum of the rows' unsigned 64-bit hashes (may exceed 64 bits). */
  hashSum: bigint;
}

/** The fingerprint of no rows. */
export const NO_ROWS: ContentFingerprint = { rows: 0, hashSum: 0n };

/**
 * The fingerprint of the rows of `from` (a table name or a parenthesised subquery) over
 * `columns`, named in `from` as they are in `columns`.
 */
export async function fingerprintOf(
  db: DuckDB,
  from: string,
  columns: readonly HashedColumn[],
): Promise<ContentFingerprint> {
  // Text, so that no driver rounds the HUGEINT sum; a table with no rows sums to NULL.
  const [row] = await db.queryJson(
    `SELECT CAST(count(*) AS VARCHAR), CAST(coalesce(sum(${typedRowHashSql(columns)}), 0) AS VARCHAR) FROM ${from}`,
  );
  return { rows: Number(row?.[0] ?? 0), hashSum: BigInt(String(row?.[1] ?? '0')) };
}

/** The fingerprint of the union of both row sets. */
export function addFingerprints(a: ContentFingerprint, b: ContentFingerprint): ContentFingerprint {
  return { rows: a.rows + b.rows, hashSum: a.hashSum + b.hashSum };
}

/** True when both fingerprints are equal (the same rows, as far as a 64-bit hash can tell). */
export function sameContent(a: ContentFingerprint, b: ContentFingerprint): boolean {
  return a.rows === b.rows && a.hashSum === b.hashSum;
}

/** `1,000 rows, hash sum 123…`, for error messages. */
export function describeFingerprint(fingerprint: ContentFingerprint): string {
  return `${fingerprint.rows} rows, hash sum ${fingerprint.hashSum}`;
}
