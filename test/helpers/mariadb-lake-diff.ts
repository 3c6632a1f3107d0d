/**
 * One MariaDB table against its lake table, row by row (src/verify row hashes on both sides), as
 * `postgres-lake-diff.ts` does for PostgreSQL: for tests that sync a table again and again.
 */
import { discoverSource } from '../../src/sync/discover-source.js';
import { diffAgainstLake } from './lake-content.js';
import type { TestMariaDb } from './mariadb.js';
import { mariadbRowHashes } from './mariadb-row-hashes.js';
import type { TableDiff } from './postgres-lake-diff.js';

/**
 * Diffs `<db>.<table>` against `<lake>/<db>/<table>`. `sourceRelation` hashes another relation of
 * the same columns (a view of the rows expected in the lake) in place of the table.
 */
export async function diffMariadbTable(
  db: TestMariaDb,
  lake: string,
  table: string,
  sourceRelation = table,
): Promise<TableDiff> {
  const streams = (await discoverSource(db.url)).filter((s) => s.name === table);
  const diffs = await diffAgainstLake(lake, streams, (stream, columns) =>
    mariadbRowHashes(db, sourceRelation, columns, stream.primaryKey),
  );
  return diffs.get(`${db.name}.${table}`)!;
}
