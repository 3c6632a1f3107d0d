/**
 * Row-by-row content comparison between a source and the lake Sluice wrote: the source side is
 * hashed by the source engine (PostgreSQL SQL, or JS over node:sqlite rows), the lake side by
 * DuckDB over the lake's views, both through src/verify's canonical rendering.
 */
import type { CanonicalColumn } from '../../src/core/canonical-types.js';
import type { StreamSchema } from '../../src/core/stream.js';
import { expect } from 'vitest';
import { openDuckDB } from '../../src/engine/duckdb.js';
import type { DuckDB } from '../../src/engine/duckdb.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { attachLake } from '../../src/lake/lake-query.js';
import type { LocalCopyOptions } from '../../src/lake/local-copies.js';
import type { StorageLocation } from '../../src/storage/open-storage.js';
import { tableRowHashes } from '../../src/verify/fingerprint-queries.js';
import type { RowDiff, RowHash } from '../../src/verify/row-diff.js';
import { diffRowHashes } from '../../src/verify/row-diff.js';

/** Hashes of every row of one source table. */
export type SourceRowHashes = (
  stream: StreamSchema,
  columns: readonly CanonicalColumn[],
) => Promise<RowHash[]>;

/** How to open the lake: its control database (required for S3 lakes) and the cache for remote files. */
export interface LakeReadOptions {
  /** Control database URL holding the lake's catalog. */
  control?: string;
  /** Where copies of a remote lake's files go. */
  copies?: LocalCopyOptions;
}

/** The per-table differences between the source streams and the lake (empty diffs when equal). */
export async function diffAgainstLake(
  lakeRoot: string | StorageLocation,
  streams: readonly StreamSchema[],
  sourceHashes: SourceRowHashes,
  options: LakeReadOptions = {},
): Promise<Map<string, RowDiff & { sourceRows: number; lakeRows: number }>> {
  return withLakeViews(lakeRoot, options, async (db) => {
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
  });
}

/** Runs `use` on a DuckDB with the lake's tables attached as views. */
export async function withLakeViews<T>(
  lakeRoot: string | StorageLocation,
  options: LakeReadOptions,
  use: (db: DuckDB) => Promise<T>,
): Promise<T> {
  const db = await openDuckDB();
  const catalog = LakeCatalog.open(lakeRoot, { control: options.control });
  try {
    await attachLake(db, catalog, options.copies);
    return await use(db);
  } finally {
    db.close();
    await catalog.close();
  }
}

/** Asserts that every one of `tables` tables holds exactly the source's rows (and some rows). */
export function expectIdentical(diffs: Awaited<ReturnType<typeof diffAgainstLake>>, tables = 11): void {
  expect(diffs.size).toBe(tables);
  for (const [table, diff] of diffs) {
    expect({ table, missing: diff.missing, extra: diff.extra, changed: diff.changed }).toEqual({
      table,
      missing: [],
      extra: [],
      changed: [],
    });
    expect(diff.lakeRows, table).toBe(diff.sourceRows);
    expect(diff.sourceRows, table).toBeGreaterThan(0);
  }
}
