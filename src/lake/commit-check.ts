/**
 * Proof that a commit published what its writer meant: the snapshot is read back from its
 * manifests, as a reader finds it, and must list every file the writer committed exactly once,
 * with the size and row count the writer recorded; a replace's snapshot must list nothing else.
 * Each file's content was proved when it was written (`data-file-content.ts`) and data files are
 * immutable, so together the table's rows are the written rows.
 */
import { SluiceError } from '../core/errors.js';
import type { ObjectStorage } from '../storage/storage.js';
import type { DataFile } from './manifest-schemas.js';
import { liveFiles } from './manifest-io.js';
import type { Snapshot } from './table-metadata.js';

/**
 * Fails with VERIFY_MISMATCH unless `snapshot` holds each of `files` exactly once as recorded;
 * with `only`, also unless it holds no other file; and unless it lists none of `removed` (paths
 * a copy-on-write commit replaced). `label` names the table.
 */
export async function assertSnapshotHolds(
  storage: ObjectStorage,
  snapshot: Snapshot,
  files: readonly DataFile[],
  only: boolean,
  label: string,
  removed: ReadonlySet<string> = new Set(),
): Promise<void> {
  const listed = new Map<string, DataFile[]>();
  for (const live of await liveFiles(storage, snapshot)) {
    const same = listed.get(live.dataFile.file_path) ?? [];
    same.push(live.dataFile);
    listed.set(live.dataFile.file_path, same);
  }
  const problems: string[] = [];
  for (const file of files) {
    const found = listed.get(file.file_path) ?? [];
    listed.delete(file.file_path);
    if (found.length !== 1) {
      problems.push(`${file.file_path} is listed ${found.length} times`);
    } else if (
      found[0]!.record_count !== file.record_count ||
      found[0]!.file_size_in_bytes !== file.file_size_in_bytes
    ) {
      problems.push(
        `${file.file_path} is listed with ${found[0]!.record_count} rows and ${found[0]!.file_size_in_bytes} bytes, written with ${file.record_count} and ${file.file_size_in_bytes}`,
      );
    }
  }
  for (const path of removed) {
    if (listed.has(path)) problems.push(`${path} is still listed though it was replaced`);
  }
  if (only) {
    for (const path of listed.keys()) problems.push(`${path} is listed but was not written by this load`);
  }
  if (problems.length === 0) return;
  throw new SluiceError(
    'VERIFY_MISMATCH',
    `${label}: snapshot ${snapshot['snapshot-id']} does not hold what was committed: ${problems.slice(0, 3).join('; ')}` +
      (problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''),
    {
      hint: 'this is a bug in Sluice, and the snapshot is published: put the table back with `sluice rollback <table> --to <previous snapshot id>` (ids in `sluice history <table>`)',
    },
  );
}
