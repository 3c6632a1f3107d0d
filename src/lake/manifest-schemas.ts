/**
 * The Avro schemas of Iceberg v2 manifests and manifest lists, with the spec's field ids
 * (manifest entry 0–4, data_file 100–143, manifest list 500–519), and the record shapes they
 * encode. Record and map names follow Iceberg's Java writer (`r2`, `r102`, `k117_v118`, …);
 * maps with int keys are arrays of key/value records tagged `logicalType: map`; optional fields
 * are `["null", T]` with a null default. The `partition` record's fields depend on the partition
 * spec (`partitioning/partition-avro.ts`); it is empty for an unpartitioned table.
 */
import type { AvroSchemaJson } from './avro-container.js';
import type { PartitionFieldSummary, PartitionTuple } from './partitioning/partition-avro.js';

/** Manifest entry status. */
export const EntryStatus = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const;

/** One key/value pair of an int-keyed Iceberg map. */
export interface MapEntry<V> {
  /** Field id the value belongs to. */
  key: number;
  /** The value. */
  value: V;
}

/** The `data_file` struct (only data files: content 0). */
export interface DataFile {
  /** 0 data, 1 position deletes, 2 equality deletes. */
  content: number;
  /** Full URL of the file. */
  file_path: string;
  /** `PARQUET`. */
  file_format: string;
  /** Partition tuple by Avro field name; empty for an unpartitioned table. */
  partition: PartitionTuple;
  /** Rows in the file. */
  record_count: number;
  /** Exact size of the file in bytes. */
  file_size_in_bytes: number;
  /** Compressed bytes per field id. */
  column_sizes: MapEntry<number>[] | null;
  /** Values (nulls and NaN included) per field id. */
  value_counts: MapEntry<number>[] | null;
  /** Nulls per field id. */
  null_value_counts: MapEntry<number>[] | null;
  /** NaN values per field id (float columns). */
  nan_value_counts: MapEntry<number>[] | null;
  /** Lower bound per field id, in the single-value binary serialization. */
  lower_bounds: MapEntry<Buffer>[] | null;
  /** Upper bound per field id, in the single-value binary serialization. */
  upper_bounds: MapEntry<Buffer>[] | null;
  /** Encryption key metadata; unused. */
  key_metadata: Buffer | null;
  /** Row group offsets; unused. */
  split_offsets: number[] | null;
  /** Equality delete field ids; null for data files. */
  equality_ids: number[] | null;
  /** Sort order of the file; 0 (unsorted). */
  sort_order_id: number | null;
}

/** One row of a manifest. */
export interface ManifestEntry {
  /** EntryStatus. */
  status: number;
  /** Snapshot that added or deleted the file; null inherits the manifest's. */
  snapshot_id: number | null;
  /** Data sequence number; null inherits the manifest's (only for ADDED entries). */
  sequence_number: number | null;
  /** File sequence number; null inherits the manifest's (only for ADDED entries). */
  file_sequence_number: number | null;
  /** The file. */
  data_file: DataFile;
}

/** One row of a manifest list. */
export interface ManifestFile {
  /** URL of the manifest. */
  manifest_path: string;
  /** Exact size of the manifest in bytes. */
  manifest_length: number;
  /** Partition spec the manifest was written with. */
  partition_spec_id: number;
  /** 0 data files, 1 delete files. */
  content: number;
  /** Sequence number of the snapshot that added the manifest. */
  sequence_number: number;
  /** Smallest data sequence number of the manifest's files. */
  min_sequence_number: number;
  /** Snapshot that added the manifest. */
  added_snapshot_id: number;
  /** ADDED entries. */
  added_files_count: number;
  /** EXISTING entries. */
  existing_files_count: number;
  /** DELETED entries. */
  deleted_files_count: number;
  /** Rows in ADDED files. */
  added_rows_count: number;
  /** Rows in EXISTING files. */
  existing_rows_count: number;
  /** Rows in DELETED files. */
  deleted_rows_count: number;
  /** Partition field summaries, one per spec field; empty for an unpartitioned table. */
  partitions: PartitionFieldSummary[] | null;
  /** Encryption key metadata; unused. */
  key_metadata: Buffer | null;
}

const optional = (name: string, type: unknown, fieldId: number) => ({
  name,
  type: ['null', type],
  default: null,
  'field-id': fieldId,
});

const required = (name: string, type: unknown, fieldId: number) => ({ name, type, 'field-id': fieldId });

/** An Iceberg map<int, V> in Avro: an array of key/value records. */
const intMap = (name: string, fieldId: number, keyId: number, valueId: number, valueType: string) =>
  optional(
    name,
    {
      type: 'array',
      logicalType: 'map',
      items: {
        type: 'record',
        name: `k${keyId}_v${valueId}`,
        fields: [required('key', 'int', keyId), required('value', valueType, valueId)],
      },
    },
    fieldId,
  );

const list = (name: string, fieldId: number, elementId: number, elementType: string) =>
  optional(name, { type: 'array', items: elementType, 'element-id': elementId }, fieldId);

/** The `data_file` struct's Avro record, with the spec's partition record type. */
const dataFileSchema = (partition: AvroSchemaJson) => ({
  type: 'record',
  name: 'r2',
  fields: [
    required('content', 'int', 134),
    required('file_path', 'string', 100),
    required('file_format', 'string', 101),
    required('partition', partition, 102),
    required('record_count', 'long', 103),
    required('file_size_in_bytes', 'long', 104),
    intMap('column_sizes', 108, 117, 118, 'long'),
    intMap('value_counts', 109, 119, 120, 'long'),
    intMap('null_value_counts', 110, 121, 122, 'long'),
    intMap('nan_value_counts', 137, 138, 139, 'long'),
    intMap('lower_bounds', 125, 126, 127, 'bytes'),
    intMap('upper_bounds', 128, 129, 130, 'bytes'),
    optional('key_metadata', 'bytes', 131),
    list('split_offsets', 132, 133, 'long'),
    list('equality_ids', 135, 136, 'int'),
    optional('sort_order_id', 'int', 140),
  ],
});

/** The partition record of an unpartitioned table. */
const UNPARTITIONED_RECORD: AvroSchemaJson = { type: 'record', name: 'r102', fields: [] };

/** Avro schema of a v2 manifest whose files have partition tuples of type `partition` (default: unpartitioned). */
export function manifestEntrySchema(partition: AvroSchemaJson = UNPARTITIONED_RECORD): AvroSchemaJson {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      required('status', 'int', 0),
      optional('snapshot_id', 'long', 1),
      optional('sequence_number', 'long', 3),
      optional('file_sequence_number', 'long', 4),
      required('data_file', dataFileSchema(partition), 2),
    ],
  };
}

/** Avro schema of a v2 manifest of an unpartitioned table. */
export const MANIFEST_ENTRY_SCHEMA: AvroSchemaJson = manifestEntrySchema();

/** Avro schema of a v2 manifest list. */
export const MANIFEST_FILE_SCHEMA: AvroSchemaJson = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    required('manifest_path', 'string', 500),
    required('manifest_length', 'long', 501),
    required('partition_spec_id', 'int', 502),
    required('content', 'int', 517),
    required('sequence_number', 'long', 515),
    required('min_sequence_number', 'long', 516),
    required('added_snapshot_id', 'long', 503),
    required('added_files_count', 'int', 504),
    required('existing_files_count', 'int', 505),
    required('deleted_files_count', 'int', 506),
    required('added_rows_count', 'long', 512),
    required('existing_rows_count', 'long', 513),
    required('deleted_rows_count', 'long', 514),
    optional(
      'partitions',
      {
        type: 'array',
        'element-id': 508,
        items: {
          type: 'record',
          name: 'r508',
          fields: [
            required('contains_null', 'boolean', 509),
            optional('contains_nan', 'boolean', 518),
            optional('lower_bound', 'bytes', 510),
            optional('upper_bound', 'bytes', 511),
          ],
        },
      },
      507,
    ),
    optional('key_metadata', 'bytes', 519),
  ],
};
