/**
 * Writes one stream into one Iceberg table: each staged chunk becomes one Parquet data file (one
 * per partition for a partitioned table) under a fresh uuid name (written to a temporary name
 * first, so an unfinished file is never referenced), and `commit` publishes them all as one
 * snapshot through the catalog. The table
 * version seen at `openStream` is the commit's base: if anyone commits the table in between, an
 * append rebases onto the new state and a replace fails with COMMIT_CONFLICT (rebase-commit.ts).
 */
import fs from 'node:fs/promises';
import { SluiceError, isSluiceError } from '../../core/errors.js';
import type { SourcePosition, StagedChunk } from '../../core/stream.js';
import type { ContentFingerprint } from '../../engine/content-fingerprint.js';
import type { DuckDB } from '../../engine/duckdb.js';
import type { StagedFieldRead } from '../../engine/stage-decode.js';
import { chunkQuery } from '../../engine/chunk-query.js';
import { writeDataFiles } from '../../lake/data-file-writer.js';
import type { LocalDataFile } from '../../lake/data-file-writer.js';
import { assertSnapshotHolds } from '../../lake/commit-check.js';
import { fingerprintDataFiles } from '../../lake/data-file-content.js';
import type { DataFileColumn } from '../../lake/data-file-content.js';
import type { IcebergField } from '../../lake/iceberg-schema.js';
import { avroCompatibleName, duckdbTypeOfIceberg } from '../../lake/iceberg-schema.js';
import type { DataFile } from '../../lake/manifest-schemas.js';
import type { PartitionPlan } from '../../lake/partitioning/partition-spec.js';
import type { StreamSchemaPlan } from '../../lake/schema-evolution.js';
import type { SnapshotOperation, SnapshotRequest } from '../../lake/snapshot-commit.js';
import { commitRebasing } from '../../lake/rebase-commit.js';
import type { TableCatalog } from '../../lake/table-catalog.js';
import type { TableIdent } from '../../lake/table-location.js';
import { qualifiedName } from '../../lake/table-location.js';
import type { LoadedTable } from '../../lake/table-versions.js';
import type { ObjectStorage } from '../../storage/storage.js';
import type { CommitResult, DestinationStream, StreamWriter, WrittenChunk } from '../destination.js';
import { BackgroundUploads } from './background-uploads.js';

/** Data files uploading while the next chunk converts (each waits on local disk until sent). */
const UPLOADS_IN_FLIGHT = 2;

/** Everything a stream writer needs, decided by the destination at `openStream`. */
export interface LakeStreamPlan {
  /** The stream as the sync layer described it. */
  stream: DestinationStream;
  /** The target table. */
  ident: TableIdent;
  /** The table version the commit builds on (null: the table does not exist yet). */
  base: LoadedTable | null;
  /** Append or overwrite. */
  operation: SnapshotOperation;
  /** Schema the files are written with, and the field each stream column is written as. */
  schema: StreamSchemaPlan;
  /** Partition spec of the files. */
  partition: PartitionPlan;
  /** The lake's catalog, through which the commit is published. */
  catalog: TableCatalog;
}

export class LakeStreamWriter implements StreamWriter {
  /** Files written and not yet committed, with the chunk each came from. */
  protected readonly written: { key: string; file: DataFile; chunk: number }[] = [];
  /** Publishing of written files; drain before committing them. */
  protected readonly uploads = new BackgroundUploads(UPLOADS_IN_FLIGHT);
  /** The staged fields written (a schema policy may drop some) and the table fields they become. */
  private readonly reads: StagedFieldRead[] = [];
  private readonly fields: IcebergField[] = [];
  /** The written columns: how a data file is read back (by field id) and hashed. */
  private readonly fileColumns: DataFileColumn[] = [];
  readonly contentColumns: number[] = [];
  /** Committed and aborted writers refuse further work. */
  protected state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    protected readonly storage: ObjectStorage,
    protected readonly db: DuckDB,
    protected readonly plan: LakeStreamPlan,
  ) {
    plan.stream.columns.forEach((column, index) => {
      const field = plan.schema.written[index];
      if (!field) return;
      const name = avroCompatibleName(field.name);
      this.contentColumns.push(index);
      this.reads.push({ index, type: column.type, as: name, label: column.name });
      this.fields.push(field);
      this.fileColumns.push({
        name,
        type: column.type,
        fieldId: field.id,
        duckdbType: duckdbTypeOfIceberg(field.type),
      });
    });
  }

  async write(chunk: StagedChunk): Promise<WrittenChunk> {
    this.assertOpen('write');
    if (chunk.operations) {
      throw new SluiceError(
        'NOT_SUPPORTED',
        `${qualifiedName(this.plan.ident)} chunk ${chunk.index} carries changes (updates and deletes), which ${this.plan.stream.disposition} cannot apply`,
        { hint: 'apply a change stream with --disposition merge and a primary key' },
      );
    }
    const { files, content } = await this.writeFiles(chunk);
    for (const { key, localPath, file } of files) {
      const publish = async () => {
        await this.storage.putFile(key, localPath);
        this.written.push({ key, file, chunk: chunk.index });
      };
      // On local disk publishing is a hard link, nothing to overlap: keep it inline. An upload to a
      // remote store runs while the next chunk converts.
      await (this.storage.localPath(key) === null ? this.uploads.add(publish) : publish());
    }
    await fs.rm(chunk.path, { force: true });
    return { content };
  }

  async commit(position: SourcePosition | null): Promise<CommitResult> {
    return this.publish(position, [], {});
  }

  /**
   * Converts `chunk` into local data files, checks their row count, and reads them back by field
   * id, as a reader of the table will, for the fingerprint of what they hold.
   */
  private async writeFiles(
    chunk: StagedChunk,
  ): Promise<{ files: LocalDataFile[]; content: ContentFingerprint }> {
    const query = chunkQuery(chunk, this.plan.stream.columns.length, this.reads);
    const files = await writeDataFiles(this.db, this.storage, query, {
      ident: this.plan.ident,
      fields: this.fields,
      partition: this.plan.partition.fields,
      prefix: String(chunk.index).padStart(5, '0'),
    });
    try {
      const rows = files.reduce((sum, local) => sum + local.file.record_count, 0);
      if (rows !== chunk.rows) {
        throw new SluiceError(
          'DESTINATION_WRITE',
          `${qualifiedName(this.plan.ident)} chunk ${chunk.index}: staged ${chunk.rows} rows but the Parquet files hold ${rows}`,
          {
            hint: 'the staged file does not match its chunk manifest; this is a bug in the connector that staged it',
          },
        );
      }
      const paths = files.map((local) => local.localPath);
      return { files, content: await fingerprintDataFiles(this.db, paths, this.fileColumns) };
    } catch (error) {
      await Promise.allSettled(files.map((local) => fs.rm(local.localPath, { force: true })));
      throw error;
    }
  }

  /**
   * Commits `earlier` (files committed elsewhere already, e.g. on a staging branch) and every
   * file written as one snapshot of the table, with `extra` changes to its refs and properties.
   */
  protected async publish(
    position: SourcePosition | null,
    earlier: readonly DataFile[],
    extra: Pick<SnapshotRequest, 'dropRefs' | 'properties'>,
  ): Promise<CommitResult> {
    this.assertOpen('commit');
    await this.uploads.drain();
    const files = [...earlier, ...this.sortedWritten().map((entry) => entry.file)];
    let committed;
    try {
      committed = await commitRebasing(this.plan.catalog, this.plan.ident, this.plan.base, {
        operation: this.plan.operation,
        schema: this.plan.schema,
        files,
        runId: this.plan.stream.runId,
        position,
        partition: this.plan.partition,
        ...extra,
      });
    } catch (error) {
      // The table may already reference the files: `abort` must not delete them.
      if (isSluiceError(error, 'COMMIT_UNKNOWN')) {
        this.state = 'committed';
        this.db.close();
      }
      throw error;
    }
    const { snapshot } = committed;
    this.state = 'committed';
    this.db.close();
    // Read the published snapshot back: it must list exactly the files proved at write time.
    await assertSnapshotHolds(
      this.storage,
      snapshot,
      files,
      this.plan.operation !== 'append',
      qualifiedName(this.plan.ident),
    );
    return {
      snapshotId: String(snapshot['snapshot-id']),
      rowsWritten: files.reduce((sum, file) => sum + file.record_count, 0),
      bytesWritten: files.reduce((sum, file) => sum + file.file_size_in_bytes, 0),
      filesWritten: files.length,
      totalRows: Number(snapshot.summary['total-records']),
      contentChecked: true,
    };
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.db.close();
    await this.uploads.settle();
    await Promise.allSettled(this.written.map((entry) => this.storage.delete(entry.key)));
  }

  /** The written files in chunk order (uploads finish in any order; file names start with the chunk index). */
  protected sortedWritten(): { key: string; file: DataFile; chunk: number }[] {
    const name = (key: string) => key.slice(key.lastIndexOf('/') + 1);
    return this.written.sort((a, b) => (name(a.key) < name(b.key) ? -1 : 1));
  }

  protected assertOpen(action: string): void {
    if (this.state !== 'open') {
      throw new SluiceError(
        'USAGE',
        `cannot ${action}: the stream writer for ${qualifiedName(this.plan.ident)} is ${this.state}`,
        {
          hint: 'open a new stream for another commit',
        },
      );
    }
  }
}
