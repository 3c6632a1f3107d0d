/**
 * Producing a snapshot: manifests for the files it adds (and, for an overwrite, the files it
 * removes), the parent's manifests it carries (small ones merged once they pile up,
 * manifest-merge.ts), its manifest list, and the next metadata version with the snapshot, its
 * summary and Sluice's run id and source position. Nothing is visible until the catalog's
 * compare-and-swap points the table at the new metadata file; if that fails, the manifests
 * written for the attempt are removed again.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SluiceError, isSluiceError } from '../core/errors.js';
import type { SourcePosition } from '../core/stream.js';
import type { ObjectStorage } from '../storage/storage.js';
import type { IcebergSchema } from './iceberg-schema.js';
import { readManifestList, writeManifest, writeManifestList } from './manifest-io.js';
import { mergeCarriedManifests, manifestMergePolicy } from './manifest-merge.js';
import { manifestsRemoving } from './manifest-rewrite.js';
import type { SpecManifestWriter } from './manifest-rewrite.js';
import type { DataFile, ManifestEntry, ManifestFile } from './manifest-schemas.js';
import { EntryStatus } from './manifest-schemas.js';
import type { PartitionPlan } from './partitioning/partition-spec.js';
import { boundSpecById } from './partitioning/partition-spec.js';
import type { Snapshot, TableMetadata } from './table-metadata.js';
import {
  SUMMARY_BRANCH,
  SUMMARY_RUN_ID,
  SUMMARY_SOURCE_POSITION,
  currentSnapshot,
  summaryCount,
} from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import type { TableCatalog } from './table-catalog.js';
import { metadataFileKey, tablePrefix } from './table-location.js';
import type { LoadedTable } from './table-versions.js';

/** `append` adds files; `overwrite` replaces every live file (or the request's `removeFiles`) with the new ones. */
export type SnapshotOperation = 'append' | 'overwrite';

/** The schema new data files are written with. */
export interface SchemaPlan {
  /** The schema (existing or new). */
  schema: IcebergSchema;
  /** Highest field id after this schema. */
  lastColumnId: number;
  /** True when the commit adds this schema to the table. */
  isNew: boolean;
}

/** What one commit publishes. */
export interface SnapshotRequest {
  /** Append or overwrite. */
  operation: SnapshotOperation;
  /** Schema the files were written with (from `planStreamSchema`). */
  schema: SchemaPlan;
  /** Data files written for this commit. */
  files: readonly DataFile[];
  /** Run id recorded in the summary. */
  runId: string;
  /** Source position recorded in the summary. */
  position: SourcePosition | null;
  /** Partition spec the files were written with; default: the table's current spec. */
  partition?: PartitionPlan;
  /** For an overwrite: the only live files it removes (paths as the manifests record them); default: all. */
  removeFiles?: ReadonlySet<string>;
  /**
   * Commit onto this branch instead of `main` (an append only): the branch's head is the parent
   * (none yet: the branch starts empty), and `main`, the current snapshot, schema and partition
   * spec stay as they are, so readers see nothing of it (load-branch.ts).
   */
  branch?: string;
  /** Table properties set (a string) or removed (null) by the same commit. */
  properties?: Readonly<Record<string, string | null>>;
  /** Refs (staging branches) removed by the same commit. */
  dropRefs?: readonly string[];
}

/**
 * Commits a snapshot on top of `base` (null: create the table). Throws COMMIT_CONFLICT when
 * the table moved past `base` meanwhile.
 */
export async function commitSnapshot(
  catalog: TableCatalog,
  ident: TableIdent,
  base: LoadedTable | null,
  request: SnapshotRequest,
): Promise<{ table: LoadedTable; snapshot: Snapshot }> {
  const storage = catalog.storage;
  const previous = base?.metadata ?? null;
  if (request.branch !== undefined && request.operation !== 'append') {
    throw new SluiceError('USAGE', `a commit to branch ${request.branch} must be an append`, {
      hint: 'this is a bug in Sluice: staging branches only collect new files',
    });
  }
  const parent = previous ? parentOf(previous, request.branch) : null;
  const now = Math.max(Date.now(), previous?.['last-updated-ms'] ?? 0);
  const snapshotId = newSnapshotId(new Set(previous?.snapshots.map((snapshot) => snapshot['snapshot-id'])));
  const sequenceNumber = (previous?.['last-sequence-number'] ?? 0) + 1;
  const schema = request.schema.schema;
  const specOf = (specId: number) => boundSpecById(previous, request.partition, schema, specId);
  const defaultSpecId = request.partition?.spec['spec-id'] ?? previous?.['default-spec-id'] ?? 0;
  const context = { schema, snapshotId, sequenceNumber, partition: specOf(defaultSpecId) };
  const written: string[] = [];
  const attempt = randomUUID();
  try {
    const manifests: ManifestFile[] = [];
    if (request.files.length > 0) {
      const key = metadataFileKey(ident, `${attempt}-m0.avro`);
      written.push(key);
      manifests.push(
        await writeManifest(
          storage,
          key,
          request.files.map((file) => addedEntry(file, snapshotId)),
          context,
        ),
      );
    }
    const writeSpecManifest: SpecManifestWriter = async (entries, specId) => {
      const key = metadataFileKey(ident, `${attempt}-m${written.length}.avro`);
      written.push(key);
      return writeManifest(storage, key, entries, { ...context, partition: specOf(specId) });
    };
    let removed: DataFile[] = [];
    let carried: ManifestFile[] = [];
    if (request.operation === 'overwrite' && parent) {
      const kept = await manifestsRemoving(
        storage,
        parent,
        request.removeFiles ?? 'all',
        snapshotId,
        writeSpecManifest,
      );
      carried = kept.manifests;
      removed = kept.removed;
    } else if (parent) {
      carried = await carriedManifests(storage, parent);
    }
    // Manifests the removal just rewrote are this commit's own: listed as they are, never merged.
    const own = carried.filter((manifest) => manifest.added_snapshot_id === snapshotId);
    const fromParent = carried.filter((manifest) => manifest.added_snapshot_id !== snapshotId);
    const policy = manifestMergePolicy(previous?.properties);
    manifests.push(...own, ...(await mergeCarriedManifests(storage, fromParent, policy, writeSpecManifest)));
    const listKey = metadataFileKey(ident, `snap-${snapshotId}-1-${attempt}.avro`);
    written.push(listKey);
    const parentSnapshotId = parent?.['snapshot-id'] ?? null;
    await writeManifestList(storage, listKey, manifests, { snapshotId, parentSnapshotId, sequenceNumber });

    const snapshot: Snapshot = {
      'snapshot-id': snapshotId,
      ...(parentSnapshotId === null ? {} : { 'parent-snapshot-id': parentSnapshotId }),
      'sequence-number': sequenceNumber,
      'timestamp-ms': now,
      'manifest-list': storage.url(listKey),
      summary: snapshotSummary(request, parent, removed),
      'schema-id': request.schema.schema['schema-id'],
    };
    const metadata = withRefsAndProperties(
      nextMetadata(storage, ident, base, request.schema, snapshot, request.partition, request.branch),
      request,
    );
    const table = await catalog.commit(ident, base, metadata);
    return { table, snapshot };
  } catch (error) {
    // After COMMIT_UNKNOWN the table may reference these files: keeping them is the safe side.
    if (!isSluiceError(error, 'COMMIT_UNKNOWN'))
      await Promise.allSettled(written.map((key) => storage.delete(key)));
    throw error;
  }
}

function addedEntry(file: DataFile, snapshotId: number): ManifestEntry {
  // Null sequence numbers are inherited from the manifest list, as the spec asks for new files.
  return {
    status: EntryStatus.ADDED,
    snapshot_id: snapshotId,
    sequence_number: null,
    file_sequence_number: null,
    data_file: file,
  };
}

/** An append keeps the parent's manifests, except those holding only DELETED entries of an older overwrite. */
async function carriedManifests(storage: ObjectStorage, parent: Snapshot): Promise<ManifestFile[]> {
  const manifests = await readManifestList(storage, parent);
  return manifests.filter((manifest) => manifest.added_files_count + manifest.existing_files_count > 0);
}

function snapshotSummary(
  request: SnapshotRequest,
  parent: Snapshot | null,
  removed: readonly DataFile[],
): Snapshot['summary'] {
  const sum = (files: readonly DataFile[], pick: (file: DataFile) => number) =>
    files.reduce((total, file) => total + pick(file), 0);
  const addedRecords = sum(request.files, (file) => file.record_count);
  const addedBytes = sum(request.files, (file) => file.file_size_in_bytes);
  const removedRecords = sum(removed, (file) => file.record_count);
  const removedBytes = sum(removed, (file) => file.file_size_in_bytes);
  const total = (key: string, added: number, deleted: number) =>
    String(summaryCount(parent, key) + added - deleted);
  return {
    operation: request.operation,
    'added-data-files': String(request.files.length),
    'added-records': String(addedRecords),
    'added-files-size': String(addedBytes),
    ...(removed.length > 0
      ? {
          'deleted-data-files': String(removed.length),
          'deleted-records': String(removedRecords),
          'removed-files-size': String(removedBytes),
        }
      : {}),
    'changed-partition-count': String(
      new Set([...request.files, ...removed].map((file) => JSON.stringify(file.partition))).size,
    ),
    'total-records': total('total-records', addedRecords, removedRecords),
    'total-data-files': total('total-data-files', request.files.length, removed.length),
    'total-files-size': total('total-files-size', addedBytes, removedBytes),
    'total-delete-files': '0',
    'total-position-deletes': '0',
    'total-equality-deletes': '0',
    [SUMMARY_RUN_ID]: request.runId,
    [SUMMARY_SOURCE_POSITION]: JSON.stringify(request.position),
    ...(request.branch !== undefined && { [SUMMARY_BRANCH]: request.branch }),
  };
}

/** The table's next metadata: `base`'s with `snapshot` added and made current (and `partition`'s spec the default). */
export function nextMetadata(
  storage: ObjectStorage,
  ident: TableIdent,
  base: LoadedTable | null,
  schema: SchemaPlan,
  snapshot: Snapshot,
  partition?: PartitionPlan,
  branch?: string,
): TableMetadata {
  const previous = base?.metadata;
  const now = snapshot['timestamp-ms'];
  const schemas = previous?.schemas ?? [];
  const next: TableMetadata = {
    'format-version': 2,
    'table-uuid': previous?.['table-uuid'] ?? randomUUID(),
    location: previous?.location ?? storage.url(tablePrefix(ident).slice(0, -1)),
    'last-sequence-number': snapshot['sequence-number'],
    'last-updated-ms': now,
    'last-column-id': Math.max(schema.lastColumnId, previous?.['last-column-id'] ?? 0),
    schemas: schema.isNew ? [...schemas, schema.schema] : schemas,
    'current-schema-id': schema.schema['schema-id'],
    ...partitionMetadata(previous, partition),
    'sort-orders': previous?.['sort-orders'] ?? [{ 'order-id': 0, fields: [] }],
    'default-sort-order-id': previous?.['default-sort-order-id'] ?? 0,
    properties: previous?.properties ?? {
      'write.format.default': 'parquet',
      'write.parquet.compression-codec': 'zstd',
    },
    'current-snapshot-id': snapshot['snapshot-id'],
    snapshots: [...(previous?.snapshots ?? []), snapshot],
    refs: { ...previous?.refs, main: { 'snapshot-id': snapshot['snapshot-id'], type: 'branch' } },
    'snapshot-log': [
      ...(previous?.['snapshot-log'] ?? []),
      { 'snapshot-id': snapshot['snapshot-id'], 'timestamp-ms': now },
    ],
    'metadata-log': base
      ? [
          ...base.metadata['metadata-log'],
          { 'metadata-file': base.metadataUrl, 'timestamp-ms': base.metadata['last-updated-ms'] },
        ]
      : [],
  };
  if (branch === undefined || !previous) {
    // A branch commit that creates the table leaves it without a current snapshot.
    return branch === undefined
      ? next
      : {
          ...next,
          'current-snapshot-id': -1,
          refs: { [branch]: { 'snapshot-id': snapshot['snapshot-id'], type: 'branch' } },
          'snapshot-log': [],
        };
  }
  // On a branch, readers of main must see nothing change: its snapshot, schema and spec stay.
  return {
    ...next,
    'current-schema-id': previous['current-schema-id'],
    'default-spec-id': previous['default-spec-id'],
    'current-snapshot-id': previous['current-snapshot-id'] ?? -1,
    refs: { ...previous.refs, [branch]: { 'snapshot-id': snapshot['snapshot-id'], type: 'branch' } },
    'snapshot-log': previous['snapshot-log'],
  };
}

/** The parent of a commit: the head of `branch` (null when it does not exist yet), else the current snapshot. */
function parentOf(metadata: TableMetadata, branch: string | undefined): Snapshot | null {
  if (branch === undefined) return currentSnapshot(metadata);
  const head = metadata.refs[branch]?.['snapshot-id'];
  return metadata.snapshots.find((snapshot) => snapshot['snapshot-id'] === head) ?? null;
}

/** `metadata` with the request's refs dropped and properties set or removed. */
function withRefsAndProperties(metadata: TableMetadata, request: SnapshotRequest): TableMetadata {
  if (!request.dropRefs && !request.properties) return metadata;
  const refs = { ...metadata.refs };
  for (const ref of request.dropRefs ?? []) if (ref !== 'main') delete refs[ref];
  const properties = { ...metadata.properties };
  for (const [key, value] of Object.entries(request.properties ?? {})) {
    if (value === null) delete properties[key];
    else properties[key] = value;
  }
  return { ...metadata, refs, properties };
}

/** The specs, default spec id and last partition field id after a commit writing with `partition`. */
function partitionMetadata(
  previous: TableMetadata | undefined,
  partition: PartitionPlan | undefined,
): Pick<TableMetadata, 'partition-specs' | 'default-spec-id' | 'last-partition-id'> {
  const specs = previous?.['partition-specs'] ?? [];
  if (!partition) {
    return {
      'partition-specs': previous ? specs : [{ 'spec-id': 0, fields: [] }],
      'default-spec-id': previous?.['default-spec-id'] ?? 0,
      'last-partition-id': previous?.['last-partition-id'] ?? 999,
    };
  }
  const isNew = !specs.some((spec) => spec['spec-id'] === partition.spec['spec-id']);
  return {
    'partition-specs': isNew ? [...specs, partition.spec] : specs,
    'default-spec-id': partition.spec['spec-id'],
    'last-partition-id': Math.max(partition.lastPartitionId, previous?.['last-partition-id'] ?? 999),
  };
}

/** A random positive id within Number.MAX_SAFE_INTEGER (JSON and avsc readers keep it exact). */
export function newSnapshotId(taken: ReadonlySet<number>): number {
  for (;;) {
    const id = Number(randomBytes(8).readBigUInt64BE() % BigInt(Number.MAX_SAFE_INTEGER)) + 1;
    if (!taken.has(id)) return id;
  }
}
