/**
 * Rolling a table back to one of its snapshots, as Iceberg's rollback does: a new metadata
 * version whose `main` ref and current snapshot are the target. Nothing is deleted and history
 * is kept — the snapshots after the target stay listed, so rolling forward again is another
 * rollback. The table's current schema becomes the target's, so the table reads exactly as it
 * did then, columns included (Java's rollback keeps the newer schema; here a rollback undoes a
 * replace that brought new columns).
 */
import { retryOnConflict } from './conflict-retry.js';
import type { LakeCatalog } from './lake-catalog.js';
import { nextVersionOf } from './metadata-changes.js';
import { currentSnapshot } from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import { qualifiedName } from './table-location.js';
import { snapshotById } from './time-travel.js';

/** What a rollback did. */
export interface RollbackResult {
  /** The snapshot that was current before, or null. */
  from: string | null;
  /** The snapshot that is current now. */
  to: string;
  /** False when the target already was the current snapshot (nothing committed). */
  changed: boolean;
}

/** Makes `snapshotId` the current snapshot of `ident`; USAGE for an id the table does not have. */
export async function rollbackTable(
  lake: LakeCatalog,
  ident: TableIdent,
  snapshotId: string,
): Promise<RollbackResult> {
  const tables = await lake.writableTables();
  return retryOnConflict(qualifiedName(ident), async () => {
    const table = await tables.require(ident);
    const target = snapshotById(table, snapshotId);
    const current = currentSnapshot(table.metadata);
    const id = target['snapshot-id'];
    const from = current ? String(current['snapshot-id']) : null;
    if (current?.['snapshot-id'] === id) return { from, to: String(id), changed: false };
    const now = Math.max(Date.now(), table.metadata['last-updated-ms']);
    await tables.commit(
      ident,
      table,
      nextVersionOf(table, {
        'current-snapshot-id': id,
        refs: { ...table.metadata.refs, main: { 'snapshot-id': id, type: 'branch' } },
        'snapshot-log': [...table.metadata['snapshot-log'], { 'snapshot-id': id, 'timestamp-ms': now }],
        ...(target['schema-id'] !== undefined && { 'current-schema-id': target['schema-id'] }),
      }),
    );
    return { from, to: String(id), changed: true };
  });
}
