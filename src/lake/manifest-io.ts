/**
 * Writing and reading manifests and manifest lists through the object store, and resolving a
 * snapshot's live data files (sequence-number inheritance included).
 */
import type { ObjectStorage } from '../storage/storage.js';
import { SluiceError } from '../core/errors.js';
import { mapLimited } from '../core/map-limited.js';
import { decodeAvroFile, encodeAvroFile } from './avro-container.js';
import type { IcebergSchema } from './iceberg-schema.js';
import type { DataFile, ManifestEntry, ManifestFile } from './manifest-schemas.js';
import { EntryStatus, MANIFEST_FILE_SCHEMA, manifestEntrySchema } from './manifest-schemas.js';
import { partitionRecordSchema, partitionSummaries, tupleValues } from './partitioning/partition-avro.js';
import type { BoundPartitionField } from './partitioning/partition-spec.js';
import type { PartitionSpec, Snapshot } from './table-metadata.js';

/** Manifests read at a time (each is a request on S3). */
export const MANIFEST_READS = 8;

/** What a manifest needs to know about the snapshot writing it. */
export interface ManifestContext {
  /** Table schema the files were written with (recorded in the manifest header). */
  schema: IcebergSchema;
  /** Snapshot adding the manifest. */
  snapshotId: number;
  /** That snapshot's sequence number (inherited by entries that leave theirs null). */
  sequenceNumber: number;
  /** The partition spec the manifest's files were written with, bound to the schema; absent: unpartitioned spec 0. */
  partition?: { spec: PartitionSpec; fields: readonly BoundPartitionField[] };
}

/** A data file that is part of a snapshot, with its inherited numbers resolved. */
export interface LiveFile {
  /** The file as its manifest records it. */
  dataFile: DataFile;
  /** Snapshot that added the file. */
  snapshotId: number;
  /** Data sequence number. */
  sequenceNumber: number;
  /** File sequence number. */
  fileSequenceNumber: number;
  /** Id of the partition spec the file was written with (its manifest's). */
  specId: number;
}

/** Writes one manifest as a new object and returns its manifest-list record. */
export async function writeManifest(
  storage: ObjectStorage,
  key: string,
  entries: readonly ManifestEntry[],
  context: ManifestContext,
): Promise<ManifestFile> {
  const fields = context.partition?.fields ?? [];
  const specId = context.partition?.spec['spec-id'] ?? 0;
  const bytes = await encodeAvroFile(manifestEntrySchema(partitionRecordSchema(fields)), entries, {
    schema: JSON.stringify(context.schema),
    'schema-id': String(context.schema['schema-id']),
    'partition-spec': JSON.stringify(context.partition?.spec.fields ?? []),
    'partition-spec-id': String(specId),
    'format-version': '2',
    content: 'data',
  });
  await putNewOrFail(storage, key, bytes);
  const count = (status: number) => entries.filter((entry) => entry.status === status);
  const rows = (status: number) =>
    count(status).reduce((sum, entry) => sum + entry.data_file.record_count, 0);
  const sequences = entries.map((entry) => entry.sequence_number ?? context.sequenceNumber);
  return {
    manifest_path: storage.url(key),
    manifest_length: bytes.length,
    partition_spec_id: specId,
    content: 0,
    sequence_number: context.sequenceNumber,
    min_sequence_number: sequences.length === 0 ? context.sequenceNumber : Math.min(...sequences),
    added_snapshot_id: context.snapshotId,
    added_files_count: count(EntryStatus.ADDED).length,
    existing_files_count: count(EntryStatus.EXISTING).length,
    deleted_files_count: count(EntryStatus.DELETED).length,
    added_rows_count: rows(EntryStatus.ADDED),
    existing_rows_count: rows(EntryStatus.EXISTING),
    deleted_rows_count: rows(EntryStatus.DELETED),
    partitions: partitionSummaries(
      fields,
      entries.map((entry) => tupleValues(fields, entry.data_file.partition)),
    ),
    key_metadata: null,
  };
}

/** Writes a snapshot's manifest list as a new object. */
export async function writeManifestList(
  storage: ObjectStorage,
  key: string,
  manifests: readonly ManifestFile[],
  snapshot: { snapshotId: number; parentSnapshotId: number | null; sequenceNumber: number },
): Promise<void> {
  const bytes = await encodeAvroFile(MANIFEST_FILE_SCHEMA, manifests, {
    'snapshot-id': String(snapshot.snapshotId),
    'parent-snapshot-id': String(snapshot.parentSnapshotId ?? 'null'),
    'sequence-number': String(snapshot.sequenceNumber),
    'format-version': '2',
  });
  await putNewOrFail(storage, key, bytes);
}

/** The manifests a snapshot lists. */
export async function readManifestList(storage: ObjectStorage, snapshot: Snapshot): Promise<ManifestFile[]> {
  const url = snapshot['manifest-list'];
  return decodeAvroFile<ManifestFile>(await storage.read(storage.keyOf(url)), url);
}

/** The entries of one manifest. */
export async function readManifest(storage: ObjectStorage, manifest: ManifestFile): Promise<ManifestEntry[]> {
  const url = manifest.manifest_path;
  return decodeAvroFile<ManifestEntry>(await storage.read(storage.keyOf(url)), url);
}

/** The data files a snapshot holds (entries not DELETED), in manifest order. */
export async function liveFiles(storage: ObjectStorage, snapshot: Snapshot): Promise<LiveFile[]> {
  const live: LiveFile[] = [];
  const manifests = await readManifestList(storage, snapshot);
  for (const manifest of manifests) {
    if (manifest.content !== 0) {
      throw new SluiceError('NOT_SUPPORTED', `table snapshot ${snapshot['snapshot-id']} has delete files`, {
        hint: 'row-level deletes arrive with merge; this version reads tables without delete files',
      });
    }
  }
  // Several at a time: on S3 each manifest is a request, and a commit's check reads them all.
  const entries = await mapLimited(manifests, MANIFEST_READS, (manifest) => readManifest(storage, manifest));
  for (const [index, manifest] of manifests.entries()) {
    for (const entry of entries[index] ?? []) {
      if (entry.status === EntryStatus.DELETED) continue;
      // Spec: null snapshot id and sequence numbers are inherited from the manifest-list record.
      live.push({
        dataFile: entry.data_file,
        snapshotId: entry.snapshot_id ?? manifest.added_snapshot_id,
        sequenceNumber: entry.sequence_number ?? manifest.sequence_number,
        fileSequenceNumber: entry.file_sequence_number ?? manifest.sequence_number,
        specId: manifest.partition_spec_id,
      });
    }
  }
  return live;
}

async function putNewOrFail(storage: ObjectStorage, key: string, bytes: Buffer): Promise<void> {
  if (!(await storage.putNew(key, bytes))) {
    throw new SluiceError('DESTINATION_WRITE', `refusing to overwrite ${storage.url(key)}`, {
      hint: 'manifest names are unique per commit attempt; this is a bug in Sluice',
    });
  }
}
