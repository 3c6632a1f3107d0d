/**
 * Row hashes of a MariaDB table computed without Sluice's MySQL reader: rows are fetched with
 * mysql2's ordinary row parsing (integers as numbers or exact strings, decimals and datetimes as
 * strings, bytes as Buffers) and rendered by src/verify's JavaScript rules, exactly as
 * `sqliteRowHashes` does for SQLite, so a lake can be compared with the source row by row.
 */
import type { CanonicalColumn } from '../../src/core/canonical-types.js';
import type { JsValue } from '../../src/verify/canonical-value.js';
import { canonicalRowText } from '../../src/verify/canonical-value.js';
import type { RowHash } from '../../src/verify/row-diff.js';
import { keyColumns } from '../../src/verify/row-hash.js';
import { rowHashHex } from '../../src/verify/sqlite-row-hash.js';
import type { TestMariaDb } from './mariadb.js';

const quote = (name: string) => '`' + name.replaceAll('`', '``') + '`';

/** A mysql2 value in a form `canonical-value.ts` understands. */
function jsValue(column: CanonicalColumn, value: unknown): JsValue {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return new Uint8Array(value);
  if ((column.type.kind === 'int32' || column.type.kind === 'int64') && typeof value === 'string') {
    return BigInt(value);
  }
  return value as JsValue;
}

export async function mariadbRowHashes(
  db: TestMariaDb,
  table: string,
  columns: readonly CanonicalColumn[],
  key: readonly string[],
): Promise<RowHash[]> {
  const keyed = keyColumns({ namespace: db.name, name: table }, columns, key);
  const rows = await db.rows(`SELECT ${columns.map((c) => quote(c.name)).join(', ')} FROM ${quote(table)}`);
  return rows.map((row) => {
    const values = columns.map((column) => jsValue(column, row[column.name]));
    return {
      key: canonicalRowText(
        keyed,
        keyed.map((column) => values[columns.indexOf(column)] ?? null),
      ),
      hash: rowHashHex(canonicalRowText(columns, values)),
    };
  });
}
