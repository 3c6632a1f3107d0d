/**
 * Row-by-row content comparison between a source and the lake Sluice wrote: the source side is
 * hashed by the source engine (PostgreSQL SQL, or JS over node:sqlite rows), the lake side by
 * DuckDB over the lake's views, both through src/verify's canonical rendering.
 */
import type { CanonicalColumn } from '../../src/core/canonical-types.js';
import type { StreamSchema } from '../../src/core/stream.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { attachLake } from '../../src/lake/lake-query.js';
import { tableRowHashes } from '../../src/verify/fingerprint-queries.js';
import type { RowDiff, RowHash } from '../../src/verify/row-diff.js';
import { diffRowHashes } from '../../src/verify/row-diff.js';

/** Hashes of every row of one source table. */
export type SourceRowHashes = (
  stream: StreamSchema,
  columns: readonly CanonicalColumn[],
) => Promise<RowHash[]>;

/** The per-table differences between the source streams and the lake (empty diffs when equal). */
export async function diffAgainstLake(
  lakeRoot: string,
  streams: readonly StreamSchema[],
  sourceHashes: SourceRowHashes,
): Promise<Map<string, RowDiff & { sourceRows: number; lakeRows: number }>> {
  const db = await openDuckDB();
  try {
    await attachLake(db, LakeCatalog.open(lakeRoot));
    const result = new Map<string, RowDiff & { sourceRows: number; lakeRows: number }>();
    for (const stream of streams) {
      const source = await sourceHashes(stream, stream.columns);
      const lake = await tableRowHashes(
        'duckdb',
        (sql) => db.queryObjects(sql),
        { namespace: stream.namespace, name: stream.name },
        stream.columns,
        stream.primaryKey,
      );
      result.set(`${stream.namespace}.${stream.name}`, {
        ...diffRowHashes(source, lake),
        sourceRows: source.length,
        lakeRows: lake.length,
      });
    }
    return result;
  } finally {
    db.close();
  }
}
