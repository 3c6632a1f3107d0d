/**
 * Test helper: carries a PostgreSQL table into DuckDB the way a sync would — PostgreSQL's own
 * `COPY … (FORMAT csv)` text, decoded in DuckDB into `duckdbType()` columns — so fingerprints
 * can be compared across the two engines on identical content.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { duckdbType, type CanonicalColumn } from '../../src/core/canonical-types.js';
import { quoteIdent, tableSql, type TableRef } from '../../src/verify/row-hash.js';

/** Copies `table` from PostgreSQL into a DuckDB table of the same name, via a CSV file in `dir`. */
export async function copyToDuckdb(
  client: pg.Client,
  duck: DuckDBConnection,
  table: TableRef,
  columns: readonly CanonicalColumn[],
  csvPath: string,
): Promise<void> {
  await client.query(`SET TimeZone = 'UTC'`);
  await pipeline(
    client.query(copyTo(`COPY ${tableSql(table)} TO STDOUT (FORMAT csv)`)),
    createWriteStream(csvPath),
  );
  const asText = columns.map((column) => `${quoteIdent(column.name)}: 'VARCHAR'`).join(', ');
  const decoded = columns.map((column) => {
    const name = quoteIdent(column.name);
    // PostgreSQL prints bytea as \x + hex; every other canonical text casts directly.
    const value =
      column.type.kind === 'binary'
        ? `unhex(substr(${name}, 3))`
        : `CAST(${name} AS ${duckdbType(column.type)})`;
    return `${value} AS ${name}`;
  });
  await duck.run(`SET TimeZone = 'UTC'`);
  await duck.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(table.namespace)}`);
  await duck.run(
    `CREATE OR REPLACE TABLE ${tableSql(table)} AS SELECT ${decoded.join(', ')} FROM read_csv('${csvPath}',` +
      ` columns = {${asText}}, header = false, quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false)`,
  );
}
