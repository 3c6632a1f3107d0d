/**
 * The keys of a lake table's current rows, written to a Parquet file with their own types: what a
 * run reconciling deletes compares with every key the source still has. Rows a soft-delete merge
 * kept (marked in `_sluice_deleted_at`) are already deleted and are left out. Files of a remote
 * store are read from local copies (local-copies.ts).
 */
import { SluiceError, isSluiceError } from '../../core/errors.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteIdent, quoteLiteral } from '../../engine/duckdb.js';
import { parquetScanSql } from '../../engine/lake-views.js';
import { duckdbTypeOfIceberg } from '../../lake/iceberg-schema.js';
import type { LakeCatalog } from '../../lake/lake-catalog.js';
import type { LoadedTable } from '../../lake/table-versions.js';
import { localCopies } from '../../lake/local-copies.js';
import { SOFT_DELETE_COLUMN } from '../../lake/merge/merge-layout.js';

/** Writes the key columns of `table`'s current rows to `path` (Parquet); returns how many, 0 (and no file) for none. */
export async function exportLakeKeys(
  catalog: LakeCatalog,
  db: DuckDB,
  table: { namespace: string; name: string },
  key: readonly string[],
  path: string,
): Promise<number> {
  let loaded: LoadedTable;
  try {
    loaded = await catalog.loadTable(table);
  } catch (error) {
    if (isSluiceError(error, 'TABLE_NOT_FOUND')) return 0;
    throw error;
  }
  const fields = catalog.schemaOf(loaded).fields;
  const columns = fields.map((field) => ({
    name: field.name,
    fieldId: field.id,
    duckdbType: duckdbTypeOfIceberg(field.type),
  }));
  const missing = key.filter((name) => !columns.some((c) => c.name === name));
  if (missing.length > 0) {
    throw new SluiceError(
      'USAGE',
      `cannot reconcile deletes of ${table.namespace}.${table.name}: the lake table has no key column ${missing.join(', ')}`,
      { hint: 'reconcile by the key columns the lake table was merged by (--primary-key)' },
    );
  }
  const remote = await catalog.dataFiles(loaded);
  if (remote.length === 0) return 0;
  const files = await localCopies(catalog.storage, remote);
  const live = columns.some((c) => c.name === SOFT_DELETE_COLUMN)
    ? ` WHERE ${quoteIdent(SOFT_DELETE_COLUMN)} IS NULL`
    : '';
  const select = `SELECT ${key.map(quoteIdent).join(', ')} FROM ${parquetScanSql(files, columns)}${live}`;
  const { rows } = await db.query(`SELECT count(*) FROM (${select})`);
  const count = Number(rows[0]?.[0] ?? 0);
  if (count > 0) await db.run(`COPY (${select}) TO ${quoteLiteral(path)} (FORMAT parquet)`);
  return count;
}
