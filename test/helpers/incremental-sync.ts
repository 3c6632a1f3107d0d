/**
 * Cursor-based incremental syncs of one table into a lake, as the incremental tests run them
 * (cursor `updated_at`, one try), and the position the lake table was last committed with.
 */
import type { SourcePosition } from '../../src/core/stream.js';
import { LakeCatalog } from '../../src/lake/lake-catalog.js';
import { runSync } from '../../src/sync/run-sync.js';
import type { SyncReport, SyncRequest } from '../../src/sync/sync-report.js';

/** Syncs `table` from `from` into the lake at `lake` incrementally; `extra` overrides any setting. */
export function syncIncrementally(
  from: string,
  lake: string,
  table: string,
  extra: Partial<SyncRequest> = {},
): Promise<SyncReport> {
  return runSync({
    from,
    to: `lake:${lake}`,
    tables: [table],
    mode: 'incremental',
    cursor: 'updated_at',
    retry: { attempts: 1 },
    ...extra,
  });
}

/** The source position of the lake table's current version. */
export async function lakePosition(
  lake: string,
  namespace: string,
  table: string,
): Promise<SourcePosition | null> {
  const catalog = LakeCatalog.open(lake);
  try {
    return await catalog.lastPosition({ namespace, name: table });
  } finally {
    await catalog.close();
  }
}
