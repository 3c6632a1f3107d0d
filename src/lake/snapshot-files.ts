/**
 * The files snapshots reference — manifest list, manifests, data files — for expiry and orphan
 * cleanup, which must know exactly what is still in use before deleting anything. Manifests are
 * shared between snapshots, so each is read once per walk.
 */
import { isSluiceError } from '../core/errors.js';
import type { ObjectStorage } from '../storage/storage.js';
import { readManifest, readManifestList } from './manifest-io.js';
import type { ManifestEntry, ManifestFile } from './manifest-schemas.js';
import { EntryStatus } from './manifest-schemas.js';
import type { Snapshot } from './table-metadata.js';

/** What one snapshot references, as URLs. */
export interface SnapshotFiles {
  /** The manifest list. */
  manifestList: string;
  /** Every manifest in the list. */
  manifests: string[];
  /** Data files the snapshot holds (entries ADDED or EXISTING). */
  liveData: string[];
  /** Data files any of its manifests names, DELETED entries included. */
  namedData: string[];
}

/**
 * Reads snapshots' file references. With `tolerateMissing`, a snapshot whose manifest list or a
 * manifest is gone yields what could be read (an expired snapshot whose files were removed);
 * otherwise a missing file is an error, because deciding what to delete on partial knowledge
 * could delete what a retained snapshot needs.
 */
export class SnapshotFileWalker {
  private readonly manifests = new Map<string, Promise<ManifestEntry[] | null>>();

  constructor(private readonly storage: ObjectStorage) {}

  /** The files `snapshot` references. */
  async of(snapshot: Snapshot, tolerateMissing: boolean): Promise<SnapshotFiles> {
    const files: SnapshotFiles = {
      manifestList: snapshot['manifest-list'],
      manifests: [],
      liveData: [],
      namedData: [],
    };
    const list = await this.guard(() => readManifestList(this.storage, snapshot), tolerateMissing);
    for (const manifest of list ?? []) {
      files.manifests.push(manifest.manifest_path);
      for (const entry of (await this.entries(manifest, tolerateMissing)) ?? []) {
        files.namedData.push(entry.data_file.file_path);
        if (entry.status !== EntryStatus.DELETED) files.liveData.push(entry.data_file.file_path);
      }
    }
    return files;
  }

  private entries(manifest: ManifestFile, tolerateMissing: boolean): Promise<ManifestEntry[] | null> {
    let read = this.manifests.get(manifest.manifest_path);
    if (!read) {
      read = this.guard(() => readManifest(this.storage, manifest), true);
      this.manifests.set(manifest.manifest_path, read);
    }
    return read.then((entries) => {
      if (entries === null && !tolerateMissing) return readManifest(this.storage, manifest);
      return entries;
    });
  }

  private async guard<T>(read: () => Promise<T>, tolerateMissing: boolean): Promise<T | null> {
    try {
      return await read();
    } catch (error) {
      if (tolerateMissing && isSluiceError(error, 'SOURCE_NOT_FOUND')) return null;
      throw error;
    }
  }
}
