/**
 * Writes one stream into one Iceberg table: each staged chunk becomes one Parquet data file
 * under a fresh uuid name (written to a temporary name first, so an unfinished file is never
 * referenced), and `commit` publishes them all as one snapshot through the catalog. The table
 * version seen at `openStream` is the commit's base: if anyone commits the table in between, an
 * append rebases onto the new state and a replace fails with COMMIT_CONFLICT (rebase-commit.ts).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { SluiceError, isSluiceError } from '../../core/errors.js';
import type { SourcePosition, StagedChunk } from '../../core/stream.js';
import type { DuckDB } from '../../engine/duckdb.js';
import type { ParquetColumn } from '../../engine/parquet-writer.js';
import { writeStageAsParquet } from '../../engine/parquet-writer.js';
import { dataFileFromParquet } from '../../lake/data-file-stats.js';
import { avroCompatibleName } from '../../lake/iceberg-schema.js';
import type { DataFile } from '../../lake/manifest-schemas.js';
import type { SchemaPlan, SnapshotOperation } from '../../lake/snapshot-commit.js';
import { commitRebasing } from '../../lake/rebase-commit.js';
import type { TableCatalog } from '../../lake/table-catalog.js';
import type { TableIdent } from '../../lake/table-location.js';
import { dataFileKey, qualifiedName } from '../../lake/table-location.js';
import type { LoadedTable } from '../../lake/table-versions.js';
import type { ObjectStorage } from '../../storage/storage.js';
import type { CommitResult, DestinationStream, StreamWriter } from '../destination.js';
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
  /** Schema the files are written with. */
  schema: SchemaPlan;
  /** The lake's catalog, through which the commit is published. */
  catalog: TableCatalog;
}

export class LakeStreamWriter implements StreamWriter {
  private readonly written: { key: string; file: DataFile }[] = [];
  private readonly uploads = new BackgroundUploads(UPLOADS_IN_FLIGHT);
  private readonly columns: ParquetColumn[];
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    private readonly storage: ObjectStorage,
    private readonly db: DuckDB,
    private readonly plan: LakeStreamPlan,
  ) {
    const fieldIds = new Map(plan.schema.schema.fields.map((field) => [field.name, field.id]));
    this.columns = plan.stream.columns.map((column) => {
      const fieldId = fieldIds.get(column.name);
      if (fieldId === undefined) {
        throw new SluiceError('DESTINATION_WRITE', `column ${JSON.stringify(column.name)} has no field id`, {
          hint: 'the planned schema does not cover the stream; this is a bug in Sluice',
        });
      }
      return { parquetName: avroCompatibleName(column.name), fieldId, type: column.type, label: column.name };
    });
  }

  async write(chunk: StagedChunk): Promise<void> {
    this.assertOpen('write');
    const key = dataFileKey(
      this.plan.ident,
      `${String(chunk.index).padStart(5, '0')}-${randomUUID()}.parquet`,
    );
    const temp = await this.storage.tempFileFor(key);
    let result;
    try {
      result = await writeStageAsParquet(this.db, chunk.path, this.columns, temp);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    if (result.rows !== chunk.rows) {
      await fs.rm(temp, { force: true });
      throw new SluiceError(
        'DESTINATION_WRITE',
        `${qualifiedName(this.plan.ident)} chunk ${chunk.index}: staged ${chunk.rows} rows but the Parquet file holds ${result.rows}`,
        {
          hint: 'the staged file does not match its chunk manifest; this is a bug in the connector that staged it',
        },
      );
    }
    if (result.rows === 0) {
      await fs.rm(temp, { force: true });
    } else {
      const file = dataFileFromParquet(this.storage.url(key), result, this.plan.schema.schema.fields);
      const publish = async () => {
        await this.storage.putFile(key, temp);
        this.written.push({ key, file });
      };
      // On local disk publishing is a hard link, nothing to overlap: keep it inline. An upload to a
      // remote store runs while the next chunk converts.
      await (this.storage.localPath(key) === null ? this.uploads.add(publish) : publish());
    }
    await fs.rm(chunk.path, { force: true });
  }

  async commit(position: SourcePosition | null): Promise<CommitResult> {
    this.assertOpen('commit');
    await this.uploads.drain();
    // Uploads finish in any order; keys start with the chunk index, so this is chunk order.
    this.written.sort((a, b) => (a.key < b.key ? -1 : 1));
    const files = this.written.map((entry) => entry.file);
    let committed;
    try {
      committed = await commitRebasing(this.plan.catalog, this.plan.ident, this.plan.base, {
        operation: this.plan.operation,
        schema: this.plan.schema,
        files,
        runId: this.plan.stream.runId,
        position,
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
    return {
      snapshotId: String(snapshot['snapshot-id']),
      rowsWritten: files.reduce((sum, file) => sum + file.record_count, 0),
      bytesWritten: files.reduce((sum, file) => sum + file.file_size_in_bytes, 0),
      filesWritten: files.length,
      totalRows: Number(snapshot.summary['total-records']),
    };
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.db.close();
    await this.uploads.settle();
    await Promise.allSettled(this.written.map((entry) => this.storage.delete(entry.key)));
  }

  private assertOpen(action: string): void {
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
