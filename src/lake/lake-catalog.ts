/**
 * The read side of a lake root for the CLI and the sync layer: which tables exist, their
 * current state, the live data files of a snapshot, and the snapshot history with the run id
 * and source position each commit recorded. Tables are found the way path-based Iceberg
 * readers find them: `<root>/<namespace>/<table>/metadata/version-hint.text`.
 */
import { SluiceError } from '../core/errors.js';
import type { SourcePosition } from '../core/stream.js';
import { LocalStorage } from '../storage/local-storage.js';
import type { ObjectStorage } from '../storage/storage.js';
import type { IcebergSchema } from './iceberg-schema.js';
import { liveFiles } from './manifest-io.js';
import type { Snapshot } from './table-metadata.js';
import {
  SUMMARY_RUN_ID,
  SUMMARY_SOURCE_POSITION,
  currentSchema,
  currentSnapshot,
  summaryCount,
} from './table-metadata.js';
import type { TableIdent } from './table-location.js';
import { qualifiedName, versionHintKey } from './table-location.js';
import type { LoadedTable } from './table-versions.js';
import { loadTable, requireTable } from './table-versions.js';

/** One line of `sluice tables`. */
export interface LakeTableSummary {
  /** Namespace. */
  namespace: string;
  /** Table name. */
  name: string;
  /** Current snapshot id as text, or null before the first commit. */
  snapshotId: string | null;
  /** Rows in the current snapshot. */
  totalRecords: number;
  /** Data files in the current snapshot. */
  dataFiles: number;
  /** Bytes of those data files. */
  totalBytes: number;
}

/** A data file of a snapshot, located for readers. */
export interface LakeDataFile {
  /** URL as recorded in the manifest. */
  url: string;
  /** A local path DuckDB can open, or null when the store is remote. */
  localPath: string | null;
  /** Rows in the file. */
  records: number;
  /** Exact size in bytes. */
  bytes: number;
  /** Data sequence number (order of the commit that added it). */
  sequenceNumber: number;
}

/** One snapshot in `sluice history`. */
export interface LakeHistoryEntry {
  /** Snapshot id as text. */
  snapshotId: string;
  /** Parent snapshot id as text, or null for the first. */
  parentId: string | null;
  /** Commit time, ms since the epoch. */
  timestampMs: number;
  /** `append` or `overwrite`. */
  operation: string;
  /** Rows the snapshot added. */
  addedRecords: number;
  /** Rows in the table as of the snapshot. */
  totalRecords: number;
  /** The run that wrote it, when Sluice did. */
  runId: string | null;
  /** The source position it covers (null for a full read or a foreign writer). */
  sourcePosition: SourcePosition | null;
  /** True for the table's current snapshot. */
  isCurrent: boolean;
}

export class LakeCatalog {
  /** The object store holding the lake. */
  readonly storage: ObjectStorage;

  constructor(storage: ObjectStorage) {
    this.storage = storage;
  }

  /** A catalog over a local directory (path or `file://` URL). S3 roots come with S3 storage. */
  static open(root: string): LakeCatalog {
    if (/^s3a?:\/\//i.test(root)) {
      throw new SluiceError('NOT_SUPPORTED', 'lakes on S3 are not yet supported', {
        hint: 'use a local directory as the lake root today',
      });
    }
    return new LakeCatalog(new LocalStorage(root));
  }

  /** Every table with a version hint, sorted by namespace and name. */
  async listTables(): Promise<LakeTableSummary[]> {
    const summaries: LakeTableSummary[] = [];
    for (const namespaceKey of await this.storage.listPrefixes('')) {
      for (const tableKey of await this.storage.listPrefixes(namespaceKey)) {
        const ident = { namespace: namespaceKey.slice(0, -1), name: tableKey.slice(namespaceKey.length, -1) };
        if (ident.namespace.startsWith('.') || ident.name.startsWith('.')) continue;
        if (!(await this.storage.exists(versionHintKey(ident)))) continue;
        const snapshot = currentSnapshot((await this.loadTable(ident)).metadata);
        summaries.push({
          ...ident,
          snapshotId: snapshot ? String(snapshot['snapshot-id']) : null,
          totalRecords: summaryCount(snapshot, 'total-records'),
          dataFiles: summaryCount(snapshot, 'total-data-files'),
          totalBytes: summaryCount(snapshot, 'total-files-size'),
        });
      }
    }
    return summaries;
  }

  /** The table's current metadata; TABLE_NOT_FOUND when it does not exist. */
  loadTable(ident: TableIdent): Promise<LoadedTable> {
    return requireTable(this.storage, ident);
  }

  /** The schema readers should use for the table. */
  schemaOf(table: LoadedTable): IcebergSchema {
    return currentSchema(table.metadata);
  }

  /** The live data files of a snapshot (default: the current one; none before the first commit). */
  async dataFiles(table: LoadedTable, snapshotId?: string): Promise<LakeDataFile[]> {
    const snapshot =
      snapshotId === undefined ? currentSnapshot(table.metadata) : this.snapshot(table, snapshotId);
    if (!snapshot) return [];
    return (await liveFiles(this.storage, snapshot)).map((file) => ({
      url: file.dataFile.file_path,
      localPath: this.storage.localPath(this.storage.keyOf(file.dataFile.file_path)),
      records: file.dataFile.record_count,
      bytes: file.dataFile.file_size_in_bytes,
      sequenceNumber: file.sequenceNumber,
    }));
  }

  /** The table's snapshots, oldest first. */
  async history(ident: TableIdent): Promise<LakeHistoryEntry[]> {
    const { metadata } = await this.loadTable(ident);
    const current = currentSnapshot(metadata)?.['snapshot-id'];
    return metadata.snapshots.map((snapshot) => ({
      snapshotId: String(snapshot['snapshot-id']),
      parentId: snapshot['parent-snapshot-id'] === undefined ? null : String(snapshot['parent-snapshot-id']),
      timestampMs: snapshot['timestamp-ms'],
      operation: snapshot.summary.operation,
      addedRecords: summaryCount(snapshot, 'added-records'),
      totalRecords: summaryCount(snapshot, 'total-records'),
      runId: snapshot.summary[SUMMARY_RUN_ID] ?? null,
      sourcePosition: parsePosition(snapshot),
      isCurrent: snapshot['snapshot-id'] === current,
    }));
  }

  /** The source position the table's current snapshot covers (the resume point); null for no table or a full read. */
  async lastPosition(ident: TableIdent): Promise<SourcePosition | null> {
    const table = await loadTable(this.storage, ident);
    const snapshot = table ? currentSnapshot(table.metadata) : null;
    return snapshot ? parsePosition(snapshot) : null;
  }

  private snapshot(table: LoadedTable, snapshotId: string): Snapshot {
    const found = table.metadata.snapshots.find((snapshot) => String(snapshot['snapshot-id']) === snapshotId);
    if (!found) {
      throw new SluiceError('USAGE', `${qualifiedName(table.ident)} has no snapshot ${snapshotId}`, {
        hint: `list its snapshots with \`sluice history ${qualifiedName(table.ident)}\``,
      });
    }
    return found;
  }
}

function parsePosition(snapshot: Snapshot): SourcePosition | null {
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
