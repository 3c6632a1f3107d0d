/**
 * One PostgreSQL source table against its copy in a SQL destination (a DuckDB file or a
 * PostgreSQL database), row by row: src/verify row hashes computed in each engine, then diffed.
 */
import pg from 'pg';
import type { StreamSchema } from '../../src/core/stream.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { discoverSource } from '../../src/sync/discover-source.js';
import { pgRows, tableRowHashes } from '../../src/verify/fingerprint-queries.js';
import type { RowDiff, RowHash } from '../../src/verify/row-diff.js';
import { diffRowHashes } from '../../src/verify/row-diff.js';

/** Where the copy lives: a DuckDB file or a PostgreSQL database, and its schema there. */
export type SqlCopy = { duckdb: string; schema: string } | { postgres: string; schema: string };

async function postgresRowHashes(url: string, schema: string, stream: StreamSchema): Promise<RowHash[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const table = { namespace: schema, name: stream.name };
    return await tableRowHashes('postgres', pgRows(client), table, stream.columns, stream.primaryKey);
  } finally {
    await client.end();
  }
}

/** Row hashes (src/verify SQL run in the engine) of `stream`'s table in the copy. */
export async function copyRowHashes(copy: SqlCopy, stream: StreamSchema): Promise<RowHash[]> {
  if ('postgres' in copy) return postgresRowHashes(copy.postgres, copy.schema, stream);
  const db = await openDuckDB({ path: copy.duckdb });
  try {
    const table = { namespace: copy.schema, name: stream.name };
    return await tableRowHashes(
      'duckdb',
      (sql) => db.queryObjects(sql),
      table,
      stream.columns,
      stream.primaryKey,
    );
  } finally {
    db.close();
  }
}

/** The differences between `public.<table>` of `url` and its copy, plus both row counts. */
export async function diffSqlCopy(
  url: string,
  table: string,
  copy: SqlCopy,
): Promise<RowDiff & { sourceRows: number; copyRows: number }> {
  const [stream] = (await discoverSource(`${url}?schema=public`)).filter((s) => s.name === table);
  if (!stream) throw new Error(`no table public.${table} in the source`);
  const source = await postgresRowHashes(url, 'public', stream);
  const copied = await copyRowHashes(copy, stream);
  return { ...diffRowHashes(source, copied), sourceRows: source.length, copyRows: copied.length };
}
