/**
 * The manifests of a snapshot that removes data files from its parent (an overwrite): a parent
 * manifest none of whose files go is carried over as it is; one that loses files is rewritten,
 * its files that stay as EXISTING entries and the removed ones as DELETED entries, both with
 * their sequence numbers written out (only ADDED entries may inherit them). Rewritten entries
 * are grouped by partition spec, one manifest per spec, since a manifest has one spec. Removing
 * everything (a replace) and removing a few files (a merge's copy-on-write) are the same walk.
 */
import { SluiceError } from '../core/errors.js';
import type { ObjectStorage } from '../storage/storage.js';
import { readManifest, readManifestList } from './manifest-io.js';
import type { DataFile, ManifestEntry, ManifestFile } from './manifest-schemas.js';
import { EntryStatus } from './manifest-schemas.js';
import type { Snapshot } from './table-metadata.js';

/** Writes one manifest of `entries`, all of spec `specId`, for the snapshot being made. */
export type SpecManifestWriter = (entries: ManifestEntry[], specId: number) => Promise<ManifestFile>;

/** What a removal leaves: the manifests to list and the data files removed. */
export interface RemovalManifests {
  /** Carried and rewritten manifests, to list with the snapshot's new ones. */
  manifests: ManifestFile[];
  /** The removed files, as their manifests recorded them. */
  removed: DataFile[];
}

/**
 * The manifests after removing `remove` (file paths as the manifests record them, or 'all') from
 * `parent`'s live files, by snapshot `snapshotId`.
 */
export async function manifestsRemoving(
  storage: ObjectStorage,
  parent: Snapshot,
  remove: ReadonlySet<string> | 'all',
  snapshotId: number,
  write: SpecManifestWriter,
): Promise<RemovalManifests> {
  const manifests: ManifestFile[] = [];
  const removed: DataFile[] = [];
  const rewritten = new Map<number, ManifestEntry[]>();
  for (const manifest of await readManifestList(storage, parent)) {
    if (manifest.content !== 0) {
      throw new SluiceError('NOT_SUPPORTED', `table snapshot ${parent['snapshot-id']} has delete files`, {
        hint: 'Sluice writes and rewrites tables without delete files; compact the table with the engine that wrote them first',
      });
    }
    // A manifest of only DELETED entries records an older snapshot's removals: not carried.
    if (manifest.added_files_count + manifest.existing_files_count === 0) continue;
    const live = await existingEntries(storage, manifest);
    const goes = (entry: ManifestEntry) => remove === 'all' || remove.has(entry.data_file.file_path);
    if (!live.some(goes)) {
      manifests.push(manifest);
      continue;
    }
    const group = rewritten.get(manifest.partition_spec_id) ?? [];
    rewritten.set(manifest.partition_spec_id, group);
    for (const entry of live) {
      if (!goes(entry)) {
        group.push(entry);
        continue;
      }
      removed.push(entry.data_file);
      group.push({ ...entry, status: EntryStatus.DELETED, snapshot_id: snapshotId });
    }
  }
  for (const [specId, entries] of rewritten) manifests.push(await write(entries, specId));
  return { manifests, removed };
}

/**
 * The live entries of `manifest` (all but DELETED ones) as EXISTING entries of a manifest another
 * snapshot writes: the snapshot id and sequence numbers each inherited from `manifest`'s list
 * record written out, since only ADDED entries may inherit them. A removal, a compaction and a
 * manifest merge all carry entries over this way.
 */
export async function existingEntries(
  storage: ObjectStorage,
  manifest: ManifestFile,
): Promise<ManifestEntry[]> {
  return (await readManifest(storage, manifest))
    .filter((entry) => entry.status !== EntryStatus.DELETED)
    .map((entry) => existingEntry(entry, manifest));
}

function existingEntry(entry: ManifestEntry, manifest: ManifestFile): ManifestEntry {
  return {
    status: EntryStatus.EXISTING,
    snapshot_id: entry.snapshot_id ?? manifest.added_snapshot_id,
    sequence_number: entry.sequence_number ?? manifest.sequence_number,
    file_sequence_number: entry.file_sequence_number ?? manifest.sequence_number,
    data_file: entry.data_file,
  };
}
