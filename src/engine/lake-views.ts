/**
 * Lake tables as DuckDB views named `<namespace>.<table>`, for `sluice query`. Columns are
 * matched by Parquet field id (read_parquet's `schema` option), not by name, so the views
 * show the original column names and types whatever the files call their columns. The caller
 * (src/lake) supplies the tables; this file knows nothing about Iceberg metadata.
 */
import { SluiceError } from '../core/errors.js';
import type { DuckDB } from './duckdb.js';
import { quoteIdent, quoteLiteral } from './duckdb.js';

/** One column of a view. */
export interface LakeViewColumn {
  /** Name shown to queries. */
  name: string;
  /** Parquet field id of the column in the data files. */
  fieldId: number;
  /** DuckDB type of the column. */
  duckdbType: string;
}

/** One table to expose. */
export interface LakeViewTable {
  /** Schema name of the view. */
  namespace: string;
  /** View name. */
  name: string;
  /** Columns in table order. */
  columns: readonly LakeViewColumn[];
  /** Local paths of the live Parquet files; empty for a table without data. */
  files: readonly string[];
  /** A condition the view's rows must meet (DuckDB SQL over the view's column names). */
  where?: string;
}

/** The `CREATE VIEW` statement for one table. */
export function lakeViewSql(table: LakeViewTable): string {
  const view = `${quoteIdent(table.namespace)}.${quoteIdent(table.name)}`;
  if (table.files.length === 0) {
    const columns = table.columns.map(
      (column) => `CAST(NULL AS ${column.duckdbType}) AS ${quoteIdent(column.name)}`,
    );
    return `CREATE OR REPLACE VIEW ${view} AS SELECT ${columns.join(', ')} WHERE false`;
  }
  const names = table.columns.map((column) => quoteIdent(column.name)).join(', ');
  const where = table.where === undefined ? '' : ` WHERE ${table.where}`;
  return `CREATE OR REPLACE VIEW ${view} AS SELECT ${names} FROM ${parquetScanSql(table.files, table.columns)}${where}`;
}

/**
 * `read_parquet([...], schema = MAP {...})` over local Parquet files, each column found by its
 * field id and named `name`; a column a file lacks reads as NULL. `filename`: add a `filename`
 * column holding each row's file path as listed.
 */
export function parquetScanSql(
  files: readonly string[],
  columns: readonly LakeViewColumn[],
  options: { filename?: boolean } = {},
): string {
  const schema = columns.map(
    (column) =>
      `${column.fieldId}: {name: ${quoteLiteral(column.name)}, type: ${quoteLiteral(column.duckdbType)}, default_value: NULL}`,
  );
  const filename = options.filename ? ', filename = true' : '';
  return `read_parquet([${files.map(quoteLiteral).join(', ')}], schema = MAP {${schema.join(', ')}}${filename})`;
}

/** Creates a schema per namespace and a view per table. */
export async function createLakeViews(db: DuckDB, tables: readonly LakeViewTable[]): Promise<void> {
  for (const namespace of new Set(tables.map((table) => table.namespace))) {
    await db.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(namespace)}`);
  }
  for (const table of tables) {
    if (table.files.some((file) => /[*?[]/.test(file))) {
      throw new SluiceError(
        'NOT_SUPPORTED',
        `cannot query ${table.namespace}.${table.name}: a file path contains * ? or [`,
        {
          hint: 'DuckDB reads such paths as glob patterns; move the lake to a directory without those characters',
        },
      );
    }
    await db.run(lakeViewSql(table));
  }
}
