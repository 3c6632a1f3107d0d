/**
 * The read side of a lake root for the CLI and the sync layer: which tables exist, their
 * current state, the live data files of a snapshot, and the snapshot history with the run id
 * and source position each commit recorded. Tables come from the lake's SQL catalog in the
 * control database (table-catalog.ts); tables it does not hold are read by path
 * (`version-hint.text`) and flagged `registered: false`. Close the catalog when done: it may
 * hold the control database open.
 */
import type { ControlDb } from '../control/control-db.js';
import type { SourcePosition } from '../core/stream.js';
import type { StorageLocation } from '../storage/open-storage.js';
import { openStorage } from '../storage/open-storage.js';
import type { ObjectStorage } from '../storage/storage.js';
import type { IcebergSchema } from './iceberg-schema.js';
import type { LakeControl } from './lake-control.js';
import { openLakeControl } from './lake-control.js';
import { liveFiles } from './manifest-io.js';
import { pruneFiles } from './partitioning/prune-files.js';
import type { ScanFilter } from './partitioning/scan-filter.js';
import {
  SUMMARY_BRANCH,
  SUMMARY_RUN_ID,
  currentSchema,
  currentSnapshot,
  sourcePositionOf,
  summaryCount,
} from './table-metadata.js';
import { TableCatalog } from './table-catalog.js';
import type { TableIdent } from './table-location.js';
import type { LoadedTable } from './table-versions.js';
import { snapshotById } from './time-travel.js';

/** Which data files `LakeCatalog.dataFiles` returns. */
export interface DataFileQuery {
  /** Snapshot id as text; default: the current snapshot. */
  snapshot?: string;
  /** Only files that may hold a row matching every predicate (pruned by partition values and column bounds). */
  filter?: ScanFilter;
}

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
  /** False when the catalog does not hold the table and it was read by path (version hint). */
  registered: boolean;
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
  /** The branch a staged load committed it to (a piece of a load, never main's content), or null. */
  branch: string | null;
}

/** Options for a lake catalog. */
export interface LakeCatalogOptions {
  /**
   * The control database holding the lake's catalog: a URL, or an open database (left open on
   * close). Default: the lake's own `<root>/_sluice/control.db` when it exists; without one,
   * tables are read by path and changing them opens (creating) it.
   */
  control?: string | ControlDb;
}

export class LakeCatalog {
  /** The object store holding the lake. */
  readonly storage: ObjectStorage;
  private control: Promise<LakeControl> | undefined;
  private writable: Promise<LakeControl> | undefined;

  constructor(
    storage: ObjectStorage,
    private readonly options: LakeCatalogOptions = {},
  ) {
    this.storage = storage;
  }

  /** A catalog over a lake root: a local directory (path or `file://` URL) or `s3://bucket/prefix`. */
  static open(root: string | StorageLocation, options: LakeCatalogOptions = {}): LakeCatalog {
    return new LakeCatalog(openStorage(root), options);
  }

  /** The table catalog for reading: the SQL catalog if the lake has one, else path-only. */
  async tables(): Promise<TableCatalog> {
    const read = await this.readControl();
    return new TableCatalog(this.storage, read.db ?? (this.writable ? (await this.writable).db : null));
  }

  /** The table catalog for changing tables: opens (creating it if need be) the control database. */
  async writableTables(): Promise<TableCatalog> {
    const read = await this.readControl();
    if (read.db) return new TableCatalog(this.storage, read.db);
    this.writable ??= openLakeControl(this.storage, this.options.control, 'write');
    return new TableCatalog(this.storage, (await this.writable).db);
  }

  private readControl(): Promise<LakeControl> {
    this.control ??= openLakeControl(this.storage, this.options.control, 'read');
    return this.control;
  }

  /** Closes the control database if this catalog opened it. Safe to call twice. */
  async close(): Promise<void> {
    const opened = [this.control, this.writable];
    this.control = undefined;
    this.writable = undefined;
    await Promise.all(opened.map(async (control) => (control ? (await control).close() : undefined)));
  }

  /** Every table, sorted by namespace and name. */
  async listTables(): Promise<LakeTableSummary[]> {
    const tables = await this.tables();
    const summaries: LakeTableSummary[] = [];
    for (const entry of await tables.list()) {
      const ident = { namespace: entry.namespace, name: entry.name };
      const table = await tables.load(ident);
      if (!table) continue; // a catalog entry whose folder was deleted
      const snapshot = currentSnapshot(table.metadata);
      summaries.push({
        ...ident,
        snapshotId: snapshot ? String(snapshot['snapshot-id']) : null,
        totalRecords: summaryCount(snapshot, 'total-records'),
        dataFiles: summaryCount(snapshot, 'total-data-files'),
        totalBytes: summaryCount(snapshot, 'total-files-size'),
        registered: table.registered,
      });
    }
    return summaries;
  }

  /** The table's current metadata; TABLE_NOT_FOUND when it does not exist. */
  async loadTable(ident: TableIdent): Promise<LoadedTable> {
    return (await this.tables()).require(ident);
  }

  /** The schema readers should use for the table. */
  schemaOf(table: LoadedTable): IcebergSchema {
    return currentSchema(table.metadata);
  }

  /**
   * The live data files of a snapshot (default: the current one; none before the first commit),
   * as a snapshot id or a `DataFileQuery`; with a filter, only files that may hold a matching row.
   */
  async dataFiles(table: LoadedTable, query?: string | DataFileQuery): Promise<LakeDataFile[]> {
    const { snapshot: snapshotId, filter } = typeof query === 'string' ? { snapshot: query } : (query ?? {});
    const snapshot =
      snapshotId === undefined ? currentSnapshot(table.metadata) : snapshotById(table, snapshotId);
    if (!snapshot) return [];
    const live = await liveFiles(this.storage, snapshot);
    const files = filter ? pruneFiles(live, table.metadata, currentSchema(table.metadata), filter) : live;
    return files.map((file) => ({
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
      sourcePosition: sourcePositionOf(snapshot),
      isCurrent: snapshot['snapshot-id'] === current,
      branch: snapshot.summary[SUMMARY_BRANCH] ?? null,
    }));
  }

  /** The source position the table's current snapshot covers (the resume point); null for no table or a full read. */
  async lastPosition(ident: TableIdent): Promise<SourcePosition | null> {
    const table = await (await this.tables()).load(ident);
    const snapshot = table ? currentSnapshot(table.metadata) : null;
    return snapshot ? sourcePositionOf(snapshot) : null;
  }
}
