/**
 * A lake as a verify endpoint: the current snapshot of every table as a DuckDB view (the same
 * views `sluice query` uses), hashed by DuckDB. Lake tables declare no key: verify takes the
 * key from the other side or from --primary-key.
 */
import { openDuckDB } from '../../engine/duckdb.js';
import { LakeCatalog } from '../../lake/lake-catalog.js';
import { attachLake } from '../../lake/lake-query.js';
import type { VerifyTable } from './endpoint.js';
import type { VerifyEndpoint } from './endpoint.js';
import { canonicalOfDuckdbType } from './duckdb-types.js';
import { SqlEndpoint } from './sql-endpoint.js';

export async function openLakeEndpoint(root: string): Promise<VerifyEndpoint> {
  const catalog = LakeCatalog.open(root);
  const db = await openDuckDB();
  let tables: VerifyTable[];
  try {
    const views = await attachLake(db, catalog);
    const counts = new Map(
      (await catalog.listTables()).map((t) => [`${t.namespace}.${t.name}`, t.totalRecords]),
    );
    tables = views.map((view) => ({
      namespace: view.namespace,
      name: view.name,
      columns: view.columns.map((column) => ({
        name: column.name,
        type: canonicalOfDuckdbType(column.duckdbType, `${view.namespace}.${view.name}.${column.name}`),
        nullable: true,
        sourceType: column.duckdbType,
      })),
      primaryKey: [],
      rowEstimate: counts.get(`${view.namespace}.${view.name}`) ?? null,
    }));
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqlEndpoint({
    dialect: 'duckdb',
    label: `lake:${root}`,
    run: (sql) => db.queryObjects(sql),
    listTables: async () => tables,
    close: async () => db.close(),
  });
}
