/**
 * One PostgreSQL table against its lake table, row by row (src/verify row hashes on both sides):
 * the differences, for tests that sync a table again and again and check it each time.
 */
import pg from 'pg';
import { discoverSource } from '../../src/sync/discover-source.js';
import { pgRows, tableFingerprint, tableRowHashes } from '../../src/verify/fingerprint-queries.js';
import type { TableFingerprint } from '../../src/verify/row-hash.js';
import type { RowDiff } from '../../src/verify/row-diff.js';
import { diffAgainstLake, withLakeViews } from './lake-content.js';

/** The differences and row counts of one table. */
export type TableDiff = RowDiff & { sourceRows: number; lakeRows: number };

/**
 * Diffs `public.<table>` of `url` against `<lake>/public/<table>`. `sourceRelation` hashes another
 * relation of the same columns (a view of the rows expected in the lake) in place of the table.
 */
export async function diffPostgresTable(
  url: string,
  lake: string,
  table: string,
  sourceRelation = table,
): Promise<TableDiff> {
  const streams = (await discoverSource(`${url}?schema=public`)).filter((s) => s.name === table);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const diffs = await diffAgainstLake(lake, streams, (stream, columns) =>
      tableRowHashes(
        'postgres',
        pgRows(client),
        { namespace: 'public', name: sourceRelation },
        columns,
        stream.primaryKey,
      ),
    );
    return diffs.get(`public.${table}`)!;
  } finally {
    await client.end();
  }
}

/** The shape `expect(...).toMatchObject` wants for "identical": nothing missing, extra or changed. */
export const IDENTICAL = { missing: [], extra: [], changed: [] } as const;

/**
 * The row count and order-independent sum of every row's hash of `public.<table>` on both sides:
 * equal when the lake holds exactly the source's rows (a duplicate changes both). Cheaper than
 * `diffPostgresTable` (no per-row hashes leave the engines), for checks repeated many times.
 */
export async function fingerprintPostgresTable(
  url: string,
  lake: string,
  table: string,
): Promise<{ source: TableFingerprint; lake: TableFingerprint }> {
  const [stream] = (await discoverSource(`${url}?schema=public`)).filter((s) => s.name === table);
  if (!stream) throw new Error(`no table public.${table} in the source`);
  const ref = { namespace: 'public', name: table };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const source = await tableFingerprint('postgres', pgRows(client), ref, stream.columns);
    const lakeSide = await withLakeViews(lake, {}, (db) =>
      tableFingerprint('duckdb', (sql) => db.queryObjects(sql), ref, stream.columns),
    );
    return { source, lake: lakeSide };
  } finally {
    await client.end();
  }
}
