/**
 * Orphan-file cleanup: files under a table's `data/` and `metadata/` that no metadata version
 * in the catalog's chain (the current one and every earlier one in its metadata log) references
 * — left by a writer that crashed between writing its files and committing, or by a deletion
 * that failed. Only files older than a grace period are touched, so the files of a writer still
 * in flight (written, not yet committed) are never taken from under it. The path-reader files
 * (`version-hint.text`, `v<N>.metadata.json`) are always kept. A referenced file that cannot be
 * read for the current version stops the cleanup: deciding on partial knowledge could delete
 * live data.
 */
import { SluiceError } from '../core/errors.js';
import type { LakeCatalog } from './lake-catalog.js';
import { SnapshotFileWalker } from './snapshot-files.js';
import type { TableMetadata } from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import { qualifiedName, tablePrefix } from './table-location.js';
import type { LoadedTable } from './table-versions.js';
import { readMetadataFile } from './table-versions.js';

/** Default grace period: a day, far longer than any commit takes. */
export const DEFAULT_ORPHAN_GRACE_MS = 24 * 60 * 60 * 1000;

/** How to clean up. */
export interface OrphanOptions {
  /** Only files last written more than this many ms ago are orphans (default one day). */
  olderThanMs?: number;
  /** List the orphans without deleting them. */
  dryRun?: boolean;
  /** Now, in ms since the epoch; default `Date.now()`. */
  now?: number;
}

/** One unreferenced file. */
export interface OrphanFile {
  /** Its URL. */
  url: string;
  /** When it was last written (ISO-8601 UTC). */
  modifiedAt: string;
}

/** What a cleanup found and did. */
export interface OrphanResult {
  /** Unreferenced files older than the grace period, sorted by URL. */
  orphans: OrphanFile[];
  /** Unreferenced files spared because they are younger than the grace period. */
  tooYoung: number;
  /** Files deleted (0 on a dry run). */
  deleted: number;
}

const PATH_READER_FILE = /\/metadata\/(version-hint\.text|v\d+\.metadata\.json)$/;

/** Finds (and unless `dryRun` deletes) the orphan files of `ident` (see the file comment). */
export async function removeOrphanFiles(
  lake: LakeCatalog,
  ident: TableIdent,
  options: OrphanOptions = {},
): Promise<OrphanResult> {
  const storage = lake.storage;
  const modifiedAt = storage.modifiedAt?.bind(storage);
  if (!modifiedAt) {
    throw new SluiceError('NOT_SUPPORTED', `cannot clean up orphan files on ${storage.rootUrl}`, {
      hint: 'this store does not report when objects were written, which the grace period needs',
    });
  }
  const table = await (await lake.tables()).require(ident);
  if (!table.registered) {
    throw new SluiceError('USAGE', `${qualifiedName(ident)} is not in this lake's catalog`, {
      hint: 'orphan cleanup must know every version of the table: pass the --control that manages it (a sync registers a table written before the catalog existed)',
    });
  }
  const referenced = await referencedKeys(lake, table);
  const now = options.now ?? Date.now();
  const cutoff = now - (options.olderThanMs ?? DEFAULT_ORPHAN_GRACE_MS);
  const prefix = tablePrefix(ident);
  const candidates = [
    ...(await storage.list(`${prefix}data/`)),
    ...(await storage.list(`${prefix}metadata/`)),
  ];
  const orphans: (OrphanFile & { key: string })[] = [];
  let tooYoung = 0;
  for (const key of candidates) {
    if (referenced.has(key) || PATH_READER_FILE.test(key)) continue;
    const written = await modifiedAt(key);
    if (written > cutoff) tooYoung += 1;
    else orphans.push({ key, url: storage.url(key), modifiedAt: new Date(written).toISOString() });
  }
  let deleted = 0;
  if (!options.dryRun) {
    for (const orphan of orphans) {
      await storage.delete(orphan.key);
      deleted += 1;
    }
  }
  return { orphans: orphans.map(({ url, modifiedAt: at }) => ({ url, modifiedAt: at })), tooYoung, deleted };
}

/** Keys of every file a metadata version in the table's chain references, the versions included. */
async function referencedKeys(lake: LakeCatalog, table: LoadedTable): Promise<Set<string>> {
  const storage = lake.storage;
  const keys = new Set<string>();
  const add = (url: string) => {
    try {
      keys.add(storage.keyOf(url));
    } catch {
      // a location outside the lake cannot be a file under the table's folders
    }
  };
  const walker = new SnapshotFileWalker(storage);
  const seenLists = new Set<string>();
  const versions: { url: string; metadata: TableMetadata | null }[] = [
    { url: table.metadataUrl, metadata: table.metadata },
    ...table.metadata['metadata-log'].map((entry) => ({ url: entry['metadata-file'], metadata: null })),
  ];
  for (const version of versions) {
    add(version.url);
    const current = version.metadata !== null;
    const metadata = version.metadata ?? (await olderVersion(lake, table, version.url));
    if (!metadata) continue;
    for (const snapshot of metadata.snapshots) {
      if (seenLists.has(snapshot['manifest-list'])) continue;
      seenLists.add(snapshot['manifest-list']);
      // An earlier version's expired snapshots had their files deleted on purpose: tolerate gaps.
      const files = await walker.of(snapshot, !current);
      for (const url of [files.manifestList, ...files.manifests, ...files.namedData]) add(url);
    }
  }
  return keys;
}

/** An earlier metadata version, or null when it is gone (a damaged one stops the cleanup). */
async function olderVersion(
  lake: LakeCatalog,
  table: LoadedTable,
  url: string,
): Promise<TableMetadata | null> {
  let key: string;
  try {
    key = lake.storage.keyOf(url);
  } catch {
    return null;
  }
  if (!(await lake.storage.exists(key))) return null;
  return readMetadataFile(lake.storage, table.ident, url);
}
