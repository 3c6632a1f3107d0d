/**
 * Fingerprints of SQLite tables, computed in JavaScript: SQLite has no md5, so rows are read
 * with `node:sqlite` (integers as BigInt, so int64 stays exact), rendered with the rules of
 * `canonical-value.ts` and hashed exactly as `row-hash.ts` does in SQL.
 */
import { createHash } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { CanonicalColumn } from '../core/canonical-types.js';
import { canonicalRowText, type JsValue } from './canonical-value.js';
import type { RowHash } from './row-diff.js';
import { keyColumns, quoteIdent, tableSql, type TableFingerprint, type TableRef } from './row-hash.js';

/** The 60-bit row hash of a canonical row text, as 15 lowercase hex digits. */
export function rowHashHex(rowText: string): string {
  return createHash('md5').update(rowText, 'utf8').digest('hex').slice(0, 15);
}

function* rows(db: DatabaseSync, table: TableRef, columns: readonly CanonicalColumn[]): Generator<JsValue[]> {
  const statement = db.prepare(
    `SELECT ${columns.map((column) => quoteIdent(column.name)).join(', ')} FROM ${tableSql(table)}`,
  );
  statement.setReadBigInts(true);
  statement.setReturnArrays(true);
  for (const row of statement.iterate()) yield row as unknown as JsValue[];
}

export function sqliteFingerprint(
  db: DatabaseSync,
  table: TableRef,
  columns: readonly CanonicalColumn[],
): TableFingerprint {
  let count = 0;
  let sum = 0n;
  for (const values of rows(db, table, columns)) {
    count++;
    sum += BigInt(`0x${rowHashHex(canonicalRowText(columns, values))}`);
  }
  return { rows: count, hashSum: String(sum) };
}

export function sqliteRowHashes(
  db: DatabaseSync,
  table: TableRef,
  columns: readonly CanonicalColumn[],
  key: readonly string[],
): RowHash[] {
  const keyed = keyColumns(table, columns, key);
  const positions = keyed.map((column) => columns.indexOf(column));
  const result: RowHash[] = [];
  for (const values of rows(db, table, columns)) {
    result.push({
      key: canonicalRowText(
        keyed,
        positions.map((position) => values[position] ?? null),
      ),
      hash: rowHashHex(canonicalRowText(columns, values)),
    });
  }
  return result;
}
