/**
 * Iceberg v2 table metadata JSON (spec: "Table Metadata" and Appendix C): the shape, reading
 * with enough validation to fail clearly on a foreign or damaged file, and the summary keys
 * Sluice adds to every snapshot. Ids are kept within Number.MAX_SAFE_INTEGER so plain
 * `JSON.parse` (here and in other readers) never rounds them.
 */
import { SluiceError, messageOf } from '../core/errors.js';
import type { SourcePosition } from '../core/stream.js';
import type { IcebergSchema } from './iceberg-schema.js';

/** Snapshot summary key: the run that wrote the snapshot. */
export const SUMMARY_RUN_ID = 'sluice.run-id';
/** Snapshot summary key: the source position the snapshot covers, as JSON text (`null` for a full read). */
export const SUMMARY_SOURCE_POSITION = 'sluice.source-position';
/** Snapshot summary key: the branch a staged load committed the snapshot to (absent: main). */
export const SUMMARY_BRANCH = 'sluice.branch';

/** A snapshot: one committed version of the table's file set. */
export interface Snapshot {
  /** Unique id, positive and ≤ Number.MAX_SAFE_INTEGER. */
  'snapshot-id': number;
  /** The snapshot this one was based on; absent for the first. */
  'parent-snapshot-id'?: number;
  /** Position of the snapshot in the table's order of changes. */
  'sequence-number': number;
  /** When the snapshot was committed, in ms since the epoch. */
  'timestamp-ms': number;
  /** URL of the Avro manifest list. */
  'manifest-list': string;
  /** `operation` plus string counters and Sluice's own keys. */
  summary: Record<string, string> & { operation: string };
  /** Schema the snapshot's data was written with. */
  'schema-id'?: number;
}

/** A partition spec; Sluice writes only the unpartitioned spec 0. */
export interface PartitionSpec {
  /** Spec id. */
  'spec-id': number;
  /** Partition fields; empty when unpartitioned. */
  fields: { 'source-id': number; 'field-id': number; name: string; transform: string }[];
}

/** A sort order; Sluice writes only the unsorted order 0. */
export interface SortOrder {
  /** Order id. */
  'order-id': number;
  /** Sort fields; empty when unsorted. */
  fields: { transform: string; 'source-id': number; direction: string; 'null-order': string }[];
}

/** A branch or tag pointing at a snapshot. */
export interface SnapshotRef {
  /** The snapshot it points at. */
  'snapshot-id': number;
  /** `branch` or `tag`. */
  type: 'branch' | 'tag';
}

/** The whole metadata file. */
export interface TableMetadata {
  /** Always 2 for tables Sluice writes. */
  'format-version': 2;
  /** Identifies the table across renames and copies. */
  'table-uuid': string;
  /** Table base URL (`file://…/ns/table`). */
  location: string;
  /** Highest sequence number assigned. */
  'last-sequence-number': number;
  /** When this metadata was written, in ms since the epoch. */
  'last-updated-ms': number;
  /** Highest field id ever assigned. */
  'last-column-id': number;
  /** Every schema the table has had. */
  schemas: IcebergSchema[];
  /** The schema readers use. */
  'current-schema-id': number;
  /** Partition specs. */
  'partition-specs': PartitionSpec[];
  /** Spec used for new data. */
  'default-spec-id': number;
  /** Highest partition field id assigned (999 when none: ids start at 1000). */
  'last-partition-id': number;
  /** Sort orders. */
  'sort-orders': SortOrder[];
  /** Sort order of new data. */
  'default-sort-order-id': number;
  /** Table properties. */
  properties: Record<string, string>;
  /** The current snapshot; absent or -1 before the first commit. */
  'current-snapshot-id'?: number | null;
  /** Valid snapshots, oldest first. */
  snapshots: Snapshot[];
  /** Named references; `main` is the current state. */
  refs: Record<string, SnapshotRef>;
  /** Changes of the current snapshot over time. */
  'snapshot-log': { 'snapshot-id': number; 'timestamp-ms': number }[];
  /** Earlier metadata files. */
  'metadata-log': { 'metadata-file': string; 'timestamp-ms': number }[];
}

/** Parses a metadata file, failing with LAKE_CORRUPT when it is not Iceberg v2 metadata Sluice can use. */
export function parseTableMetadata(text: string, url: string): TableMetadata {
  const corrupt = (problem: string, cause?: unknown) =>
    new SluiceError('LAKE_CORRUPT', `${url} is not usable Iceberg metadata: ${problem}`, {
      cause,
      hint: 'restore the file from a backup or point the lake root elsewhere; Sluice never edits metadata in place',
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw corrupt(messageOf(error), error);
  }
  if (value === null || typeof value !== 'object') throw corrupt('not a JSON object');
  const metadata = value as Partial<TableMetadata>;
  if (metadata['format-version'] !== 2)
    throw corrupt(`format-version ${String(metadata['format-version'])} (expected 2)`);
  for (const key of ['schemas', 'partition-specs', 'sort-orders'] as const) {
    if (!Array.isArray(metadata[key])) throw corrupt(`${key} missing`);
  }
  for (const key of ['last-sequence-number', 'last-column-id', 'current-schema-id'] as const) {
    if (typeof metadata[key] !== 'number') throw corrupt(`${key} missing`);
  }
  if (typeof metadata['table-uuid'] !== 'string' || typeof metadata.location !== 'string') {
    throw corrupt('table-uuid or location missing');
  }
  return {
    ...metadata,
    snapshots: metadata.snapshots ?? [],
    refs: metadata.refs ?? {},
    properties: metadata.properties ?? {},
    'snapshot-log': metadata['snapshot-log'] ?? [],
    'metadata-log': metadata['metadata-log'] ?? [],
  } as TableMetadata;
}

/** The current snapshot, or null for a table without one. */
export function currentSnapshot(metadata: TableMetadata): Snapshot | null {
  const id = metadata['current-snapshot-id'];
  if (id === undefined || id === null || id < 0) return null;
  return metadata.snapshots.find((snapshot) => snapshot['snapshot-id'] === id) ?? null;
}

/** The schema readers should use. */
export function currentSchema(metadata: TableMetadata): IcebergSchema {
  const schema = metadata.schemas.find(
    (candidate) => candidate['schema-id'] === metadata['current-schema-id'],
  );
  if (!schema) {
    throw new SluiceError(
      'LAKE_CORRUPT',
      `table ${metadata.location} has no schema ${metadata['current-schema-id']}`,
      {
        hint: 'the metadata file is damaged; restore it from a backup',
      },
    );
  }
  return schema;
}

/** A summary counter as a number (0 when absent). */
export function summaryCount(snapshot: Snapshot | null, key: string): number {
  const value = snapshot?.summary[key];
  return value === undefined ? 0 : Number(value);
}

/** The source position a snapshot was committed with (null: none); LAKE_CORRUPT when unreadable. */
export function sourcePositionOf(snapshot: Snapshot): SourcePosition | null {
  const text = snapshot.summary[SUMMARY_SOURCE_POSITION];
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as SourcePosition | null;
  } catch {
    throw new SluiceError(
      'LAKE_CORRUPT',
      `snapshot ${snapshot['snapshot-id']} has an unreadable source position`,
      {
        hint: 'the metadata was edited by hand; run a full sync to start over',
      },
    );
  }
}
