/**
 * SQL over a lake: every table's current snapshot as a DuckDB view `<namespace>.<table>`.
 */
import { SluiceError } from '../core/errors.js';
import type { DuckDB, DuckDBOptions, QueryResult } from '../engine/duckdb.js';
import { openDuckDB } from '../engine/duckdb.js';
import type { LakeViewTable } from '../engine/lake-views.js';
import { createLakeViews } from '../engine/lake-views.js';
import { duckdbTypeOfIceberg } from './iceberg-schema.js';
import { LakeCatalog } from './lake-catalog.js';
import { qualifiedName } from './table-location.js';

/** The view description of every table in the catalog, at its current snapshot. */
export async function lakeViewTables(catalog: LakeCatalog): Promise<LakeViewTable[]> {
  const tables: LakeViewTable[] = [];
  for (const summary of await catalog.listTables()) {
    const table = await catalog.loadTable(summary);
    const files = await catalog.dataFiles(table);
    const paths = files.map((file) => {
      if (file.localPath === null) {
        throw new SluiceError(
          'NOT_SUPPORTED',
          `cannot query ${qualifiedName(summary)}: its files are not on local disk`,
          {
            hint: 'querying remote lakes arrives with S3 storage',
          },
        );
      }
      return file.localPath;
    });
    const columns = catalog.schemaOf(table).fields.map((field) => ({
      name: field.name,
      fieldId: field.id,
      duckdbType: duckdbTypeOfIceberg(field.type),
    }));
    tables.push({ namespace: summary.namespace, name: summary.name, columns, files: paths });
  }
  return tables;
}

/** Adds a view per lake table to an open DuckDB (for a session running several queries). */
export async function attachLake(db: DuckDB, catalog: LakeCatalog): Promise<LakeViewTable[]> {
  const tables = await lakeViewTables(catalog);
  await createLakeViews(db, tables);
  return tables;
}

/** Runs one query against the lake at `root` and returns its columns and exact rows. */
export async function queryLake(root: string, sql: string, options?: DuckDBOptions): Promise<QueryResult> {
  const db = await openDuckDB(options);
  try {
    await attachLake(db, LakeCatalog.open(root));
    return await db.query(sql);
  } finally {
    db.close();
  }
}
