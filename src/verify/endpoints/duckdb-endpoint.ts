/**
 * A DuckDB database file as a verify endpoint (`duckdb:<file>`, the DuckDB destination's URL):
 * attached READ_ONLY to a private in-memory DuckDB, so verify never changes the file and never
 * creates a missing one; tables are those of every schema, in the column types the destination
 * writes (`duckdbType()`), mapped back with `duckdb-types.ts`; primary keys come from the file's
 * constraints. The destination's own bookkeeping table (`_sluice_state`) is not listed. DuckDB hashes in SQL like the lake (`sql-endpoint.ts`).
 */
import { existsSync } from 'node:fs';
import { SluiceError, messageOf } from '../../core/errors.js';
import { duckdbFileOf } from '../../destinations/duckdb/duckdb-destination.js';
import { STATE_TABLE } from '../../destinations/sql/sql-state.js';
import { openDuckDB, quoteLiteral, type DuckDB } from '../../engine/duckdb.js';
import { canonicalOfDuckdbType } from './duckdb-types.js';
import type { VerifyEndpoint, VerifyTable } from './endpoint.js';
import { SqlEndpoint } from './sql-endpoint.js';

/** Catalog name of the attached file inside the private DuckDB. */
const CATALOG = 'verified';

async function listDuckdbTables(db: DuckDB): Promise<VerifyTable[]> {
  const columns = await db.queryObjects(
    `SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns` +
      ` WHERE table_catalog = ${quoteLiteral(CATALOG)} AND table_name <> ${quoteLiteral(STATE_TABLE)} ORDER BY table_schema, table_name, ordinal_position`,
  );
  const keys = await db.queryObjects(
    `SELECT schema_name, table_name, unnest(constraint_column_names) AS column_name FROM duckdb_constraints()` +
      ` WHERE database_name = ${quoteLiteral(CATALOG)} AND constraint_type = 'PRIMARY KEY'`,
  );
  const counts = await db.queryObjects(
    `SELECT schema_name, table_name, estimated_size FROM duckdb_tables() WHERE database_name = ${quoteLiteral(CATALOG)}`,
  );
  const tables = new Map<string, VerifyTable>();
  for (const row of columns) {
    const [namespace, name] = [String(row.table_schema), String(row.table_name)];
    const id = `${namespace}.${name}`;
    let table = tables.get(id);
    if (!table) {
      const key = keys.filter((k) => k.schema_name === namespace && k.table_name === name);
      const count = counts.find((c) => c.schema_name === namespace && c.table_name === name);
      table = {
        namespace,
        name,
        columns: [],
        primaryKey: key.map((k) => String(k.column_name)),
        rowEstimate: count?.estimated_size === undefined ? null : Number(count.estimated_size),
      };
      tables.set(id, table);
    }
    const type = String(row.data_type);
    table.columns.push({
      name: String(row.column_name),
      type: canonicalOfDuckdbType(type, `${id}.${String(row.column_name)}`),
      nullable: true,
      sourceType: type,
    });
  }
  return [...tables.values()];
}

export async function openDuckdbEndpoint(url: string): Promise<VerifyEndpoint> {
  const file = duckdbFileOf(url);
  if (!existsSync(file)) {
    throw new SluiceError('SOURCE_CONNECT', `no DuckDB database at ${file}`, {
      hint: 'verify reads an existing file (the one a sync --to duckdb:<file> wrote); check the path',
    });
  }
  const db = await openDuckDB();
  let tables: VerifyTable[];
  try {
    await db.run(`ATTACH ${quoteLiteral(file)} AS ${CATALOG} (READ_ONLY)`).catch((error: unknown) => {
      throw new SluiceError(
        'SOURCE_CONNECT',
        `cannot open the DuckDB database ${file}: ${messageOf(error)}`,
        {
          hint: 'DuckDB lets one process hold a file for writing: stop the sync or shell holding it, then run verify again',
          retryable: true,
          cause: error,
        },
      );
    });
    await db.run(`USE ${CATALOG}`);
    tables = await listDuckdbTables(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqlEndpoint({
    dialect: 'duckdb',
    label: `duckdb:${file}`,
    run: (sql) => db.queryObjects(sql),
    listTables: async () => tables,
    close: async () => db.close(),
  });
}
