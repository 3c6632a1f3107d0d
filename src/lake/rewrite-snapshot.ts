/**
 * A `replace` snapshot (Iceberg's operation for compaction): some live data files are swapped
 * for new files holding exactly the same rows. Manifests without a replaced file are carried
 * over untouched; one that holds a replaced file is rewritten with its other files as EXISTING
 * (their snapshot ids and sequence numbers kept explicitly); the new files are ADDED and the
 * replaced ones listed as DELETED. The summary carries the parent's source position forward,
 * so a resumed sync still starts where the data ends.
 */
import { randomUUID } from 'node:crypto';
import { SluiceError, isSluiceError } from '../core/errors.js';
import { readManifestList, writeManifest, writeManifestList } from './manifest-io.js';
import { existingEntries } from './manifest-rewrite.js';
import type { DataFile, ManifestEntry, ManifestFile } from './manifest-schemas.js';
import { EntryStatus } from './manifest-schemas.js';
import { newSnapshotId, nextMetadata } from './snapshot-commit.js';
import type { TableCatalog } from './table-catalog.js';
import type { Snapshot } from './table-metadata.js';
import { SUMMARY_SOURCE_POSITION, currentSchema, currentSnapshot, summaryCount } from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import { metadataFileKey, qualifiedName } from './table-location.js';
import type { LoadedTable } from './table-versions.js';

/** Files to swap. */
export interface RewriteRequest {
  /** URLs of live data files the snapshot removes. */
  removed: ReadonlySet<string>;
  /** The new data files, holding the same rows. */
  added: readonly DataFile[];
}

/**
 * Commits a replace snapshot on `base`. COMMIT_CONFLICT (not retryable) when a file to remove is
 * no longer live in `base`: someone changed those rows meanwhile, and the new files are stale.
 */
export async function commitRewrite(
  catalog: TableCatalog,
  ident: TableIdent,
  base: LoadedTable,
  request: RewriteRequest,
): Promise<{ table: LoadedTable; snapshot: Snapshot }> {
  const storage = catalog.storage;
  const { metadata } = base;
  const parent = currentSnapshot(metadata);
  if (!parent) throw staleRewrite(ident);
  const schema = currentSchema(metadata);
  const snapshotId = newSnapshotId(new Set(metadata.snapshots.map((snapshot) => snapshot['snapshot-id'])));
  const sequenceNumber = metadata['last-sequence-number'] + 1;
  const context = { schema, snapshotId, sequenceNumber };
  const attempt = randomUUID();
  const written: string[] = [];
  const write = async (suffix: string, entries: ManifestEntry[]) => {
    const key = metadataFileKey(ident, `${attempt}-${suffix}.avro`);
    written.push(key);
    return writeManifest(storage, key, entries, context);
  };
  try {
    const manifests: ManifestFile[] = [];
    const removed: ManifestEntry[] = [];
    for (const [index, manifest] of (await readManifestList(storage, parent)).entries()) {
      if (manifest.content !== 0) {
        throw new SluiceError('NOT_SUPPORTED', `${qualifiedName(ident)} has delete files`, {
          hint: 'compaction of tables with row-level deletes is not supported yet',
        });
      }
      const live = await existingEntries(storage, manifest);
      const hit = live.filter((entry) => request.removed.has(entry.data_file.file_path));
      if (hit.length === 0) {
        if (live.length > 0) manifests.push(manifest);
        continue;
      }
      removed.push(...hit);
      const kept = live.filter((entry) => !request.removed.has(entry.data_file.file_path));
      if (kept.length > 0) {
        manifests.push(await write(`m${index}`, kept));
      }
    }
    if (removed.length !== request.removed.size) throw staleRewrite(ident);
    const added = request.added.map((file): ManifestEntry => ({
      status: EntryStatus.ADDED,
      snapshot_id: snapshotId,
      sequence_number: null,
      file_sequence_number: null,
      data_file: file,
    }));
    if (added.length > 0) manifests.push(await write('added', added));
    manifests.push(
      await write(
        'deleted',
        removed.map((entry) => ({ ...entry, status: EntryStatus.DELETED, snapshot_id: snapshotId })),
      ),
    );
    const listKey = metadataFileKey(ident, `snap-${snapshotId}-1-${attempt}.avro`);
    written.push(listKey);
    await writeManifestList(storage, listKey, manifests, {
      snapshotId,
      parentSnapshotId: parent['snapshot-id'],
      sequenceNumber,
    });
    const snapshot: Snapshot = {
      'snapshot-id': snapshotId,
      'parent-snapshot-id': parent['snapshot-id'],
      'sequence-number': sequenceNumber,
      'timestamp-ms': Math.max(Date.now(), metadata['last-updated-ms']),
      'manifest-list': storage.url(listKey),
      summary: replaceSummary(
        parent,
        request.added,
        removed.map((entry) => entry.data_file),
      ),
      'schema-id': schema['schema-id'],
    };
    const plan = { schema, lastColumnId: metadata['last-column-id'], isNew: false };
    const table = await catalog.commit(ident, base, nextMetadata(storage, ident, base, plan, snapshot));
    return { table, snapshot };
  } catch (error) {
    if (!isSluiceError(error, 'COMMIT_UNKNOWN'))
      await Promise.allSettled(written.map((key) => storage.delete(key)));
    throw error;
  }
}

function replaceSummary(
  parent: Snapshot,
  added: readonly DataFile[],
  removed: readonly DataFile[],
): Snapshot['summary'] {
  const sum = (files: readonly DataFile[], pick: (file: DataFile) => number) =>
    files.reduce((total, file) => total + pick(file), 0);
  const position = parent.summary[SUMMARY_SOURCE_POSITION];
  return {
    operation: 'replace',
    'added-data-files': String(added.length),
    'added-records': String(sum(added, (file) => file.record_count)),
    'added-files-size': String(sum(added, (file) => file.file_size_in_bytes)),
    'deleted-data-files': String(removed.length),
    'deleted-records': String(sum(removed, (file) => file.record_count)),
    'removed-files-size': String(sum(removed, (file) => file.file_size_in_bytes)),
    'changed-partition-count': '1',
    'total-records': String(summaryCount(parent, 'total-records')),
    'total-data-files': String(summaryCount(parent, 'total-data-files') + added.length - removed.length),
    'total-files-size': String(
      summaryCount(parent, 'total-files-size') +
        sum(added, (file) => file.file_size_in_bytes) -
        sum(removed, (file) => file.file_size_in_bytes),
    ),
    'total-delete-files': '0',
    'total-position-deletes': '0',
    'total-equality-deletes': '0',
    ...(position !== undefined && { [SUMMARY_SOURCE_POSITION]: position }),
  };
}

function staleRewrite(ident: TableIdent): SluiceError {
  return new SluiceError(
    'COMMIT_CONFLICT',
    `${qualifiedName(ident)} changed while its files were being rewritten`,
    {
      hint: 'nothing was changed; run the compaction again on the new state',
    },
  );
}
