/**
 * The demo's content check: every table fingerprinted twice, independently — by PostgreSQL over
 * the source rows and by DuckDB over the lake's current snapshot — with the canonical row
 * rendering of src/verify. Equal fingerprints mean equal multisets of rows; when they differ,
 * the differing keys are named.
 */
import pg from 'pg';
import type { StreamSchema } from '../../src/core/stream.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { attachLake } from '../../src/lake/lake-query.js';
import { compareTable, type ComparisonSide } from '../../src/verify/compare-tables.js';
import { pgRows } from '../../src/verify/fingerprint-queries.js';
import type { RowDiff } from '../../src/verify/row-diff.js';
import type { TableFingerprint } from '../../src/verify/row-hash.js';

/** One table's comparison. */
export interface TableCheck {
  /** `namespace.table`. */
  table: string;
  /** Source fingerprint. */
  source: TableFingerprint;
  /** Lake fingerprint. */
  lake: TableFingerprint;
  /** True when rows and hash sums are equal. */
  equal: boolean;
  /** The differing keys, when the table differs and has a primary key. */
  diff?: RowDiff;
}

export async function compareSourceWithLake(
  sourceUrl: string,
  lakeRoot: string,
  streams: readonly StreamSchema[],
): Promise<TableCheck[]> {
  const client = new pg.Client({ connectionString: sourceUrl });
  await client.connect();
  const db = await openDuckDB();
  try {
    await attachLake(db, LakeCatalog.open(lakeRoot));
    const source: ComparisonSide = { dialect: 'postgres', run: pgRows(client) };
    const lake: ComparisonSide = { dialect: 'duckdb', run: (sql) => db.queryObjects(sql) };
    const checks: TableCheck[] = [];
    for (const stream of streams) {
      // compareTable runs both engines at the same time: PostgreSQL on its side, DuckDB on the lake.
      const {
        table,
        source: sourcePrint,
        destination,
        equal,
        diff,
      } = await compareTable(source, lake, stream);
      checks.push({ table, source: sourcePrint, lake: destination, equal, ...(diff ? { diff } : {}) });
    }
    return checks;
  } finally {
    db.close();
    await client.end();
  }
}
