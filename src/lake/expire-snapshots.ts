/**
 * Expiring snapshots: a new metadata version without them, then deleting the files only they
 * referenced. Retained are the current snapshot and every snapshot a ref (branch or tag) points
 * at, always; then the newest `keep`, and/or those younger than `olderThanMs`. A data file,
 * manifest or manifest list is deleted only when no retained snapshot references it, and only
 * after the new metadata is committed, so a reader or writer working from the new state never
 * misses a file. What was read to decide is read before the commit: a retained snapshot whose
 * files cannot be read stops the expiry before anything changes. Earlier metadata versions
 * still list the expired snapshots (that is history); time travel to them ends with this.
 */
import { SluiceError } from '../core/errors.js';
import { retryOnConflict } from './conflict-retry.js';
import { deleteLakeFiles } from './delete-lake-files.js';
import type { LakeCatalog } from './lake-catalog.js';
import { nextVersionOf } from './metadata-changes.js';
import { SnapshotFileWalker } from './snapshot-files.js';
import type { Snapshot, TableMetadata } from './table-metadata.js';
import { currentSnapshot } from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import { qualifiedName } from './table-location.js';
import type { LoadedTable } from './table-versions.js';

/** Which snapshots to expire; at least one of `keep` and `olderThanMs`. */
export interface ExpireOptions {
  /** Keep the newest N snapshots (the current one always stays). */
  keep?: number;
  /** Expire snapshots committed more than this many ms ago (the current one always stays). */
  olderThanMs?: number;
  /** Now, in ms since the epoch; default `Date.now()`. */
  now?: number;
}

/** What an expiry did. */
export interface ExpireResult {
  /** Ids of the snapshots expired, oldest first. */
  expired: string[];
  /** How many snapshots remain. */
  retained: number;
  /** Files deleted, by kind. */
  deleted: { dataFiles: number; manifests: number; manifestLists: number };
}

/** Expires snapshots of `ident` (see the file comment). */
export async function expireSnapshots(
  lake: LakeCatalog,
  ident: TableIdent,
  options: ExpireOptions,
): Promise<ExpireResult> {
  if (options.keep === undefined && options.olderThanMs === undefined) {
    throw new SluiceError('USAGE', 'say which snapshots to expire', {
      hint: 'give --keep <n> (keep the newest n) or --older-than <duration> (e.g. 30d), or both',
    });
  }
  if (options.keep !== undefined && (!Number.isInteger(options.keep) || options.keep < 1)) {
    throw new SluiceError('USAGE', `--keep must be a whole number of at least 1 (got ${options.keep})`, {
      hint: 'the current snapshot is always kept; --keep 1 keeps only it',
    });
  }
  const tables = await lake.writableTables();
  const storage = lake.storage;
  return retryOnConflict(qualifiedName(ident), async () => {
    const table = await tables.require(ident);
    const expired = snapshotsToExpire(table.metadata, options);
    const retainedSnapshots = table.metadata.snapshots.filter((snapshot) => !expired.includes(snapshot));
    const empty = {
      expired: [],
      retained: retainedSnapshots.length,
      deleted: { dataFiles: 0, manifests: 0, manifestLists: 0 },
    };
    if (expired.length === 0) return empty;

    const walker = new SnapshotFileWalker(storage);
    const keep = new Set<string>();
    for (const snapshot of retainedSnapshots) {
      const files = await walker.of(snapshot, false);
      for (const url of [files.manifestList, ...files.manifests, ...files.liveData]) keep.add(url);
    }
    const doomed = {
      dataFiles: new Set<string>(),
      manifests: new Set<string>(),
      manifestLists: new Set<string>(),
    };
    for (const snapshot of expired) {
      const files = await walker.of(snapshot, true);
      doomed.manifestLists.add(files.manifestList);
      for (const url of files.manifests) doomed.manifests.add(url);
      for (const url of files.namedData) doomed.dataFiles.add(url);
    }

    await tables.commit(ident, table, withoutSnapshots(table, expired));
    const remove = (urls: Set<string>) =>
      deleteLakeFiles(
        storage,
        [...urls].filter((url) => !keep.has(url)),
      );
    return {
      expired: expired.map((snapshot) => String(snapshot['snapshot-id'])),
      retained: retainedSnapshots.length,
      deleted: {
        dataFiles: await remove(doomed.dataFiles),
        manifests: await remove(doomed.manifests),
        manifestLists: await remove(doomed.manifestLists),
      },
    };
  });
}

/** The snapshots that fail every retention rule, oldest first. */
function snapshotsToExpire(metadata: TableMetadata, options: ExpireOptions): Snapshot[] {
  const now = options.now ?? Date.now();
  const protectedIds = new Set<number>(Object.values(metadata.refs).map((ref) => ref['snapshot-id']));
  const current = currentSnapshot(metadata);
  if (current) protectedIds.add(current['snapshot-id']);
  const newestFirst = [...metadata.snapshots].sort(
    (a, b) => b['sequence-number'] - a['sequence-number'] || b['timestamp-ms'] - a['timestamp-ms'],
  );
  const kept = new Set(newestFirst.slice(0, options.keep ?? 0).map((snapshot) => snapshot['snapshot-id']));
  return newestFirst
    .filter((snapshot) => {
      if (protectedIds.has(snapshot['snapshot-id']) || kept.has(snapshot['snapshot-id'])) return false;
      if (options.olderThanMs === undefined) return true;
      return snapshot['timestamp-ms'] < now - options.olderThanMs;
    })
    .reverse();
}

/**
 * The table's next metadata without `expired`. The snapshot log keeps only the entries after the
 * last one naming an expired snapshot (as Java's expiry does): with a gap in the log, "as of" an
 * instant inside the gap would name the wrong snapshot instead of failing.
 */
function withoutSnapshots(table: LoadedTable, expired: readonly Snapshot[]): TableMetadata {
  const gone = new Set(expired.map((snapshot) => snapshot['snapshot-id']));
  const log = table.metadata['snapshot-log'];
  const lastGone = log.findLastIndex((entry) => gone.has(entry['snapshot-id']));
  return nextVersionOf(table, {
    snapshots: table.metadata.snapshots.filter((snapshot) => !gone.has(snapshot['snapshot-id'])),
    'snapshot-log': log.slice(lastGone + 1),
  });
}
