/**
 * The demo's content check: every table fingerprinted twice, independently — by PostgreSQL over
 * the source rows and by DuckDB over the lake's current snapshot — with the canonical row
 * rendering of src/verify. Equal fingerprints mean equal multisets of rows.
 */
import pg from 'pg';
import type { StreamSchema } from '../../src/core/stream.js';
import { openDuckDB } from '../../src/engine/duckdb.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { attachLake } from '../../src/lake/lake-query.js';
import { pgRows, tableFingerprint } from '../../src/verify/fingerprint-queries.js';
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
    const checks: TableCheck[] = [];
    for (const stream of streams) {
      const ref = { namespace: stream.namespace, name: stream.name };
      // The two engines work at the same time: PostgreSQL on its side, DuckDB on the lake.
      const [source, lake] = await Promise.all([
        tableFingerprint('postgres', pgRows(client), ref, stream.columns),
        tableFingerprint('duckdb', (sql) => db.queryObjects(sql), ref, stream.columns),
      ]);
      checks.push({
        table: `${stream.namespace}.${stream.name}`,
        source,
        lake,
        equal: source.rows === lake.rows && source.hashSum === lake.hashSum,
      });
    }
    return checks;
  } finally {
    db.close();
    await client.end();
  }
}
