/**
 * Writes one stream into one Iceberg table: each staged chunk becomes one Parquet data file
 * under a fresh uuid name (written to a temporary name first, so an unfinished file is never
 * referenced), and `commit` publishes them all as one snapshot. The table version seen at
 * `openStream` is the commit's base: if anyone commits the table in between, this commit fails
 * with COMMIT_CONFLICT instead of publishing data planned against a state that has moved on.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { SluiceError } from '../../core/errors.js';
import type { SourcePosition, StagedChunk } from '../../core/stream.js';
import type { DuckDB } from '../../engine/duckdb.js';
import type { ParquetColumn } from '../../engine/parquet-writer.js';
import { writeStageAsParquet } from '../../engine/parquet-writer.js';
import { dataFileFromParquet } from '../../lake/data-file-stats.js';
import { avroCompatibleName } from '../../lake/iceberg-schema.js';
import type { DataFile } from '../../lake/manifest-schemas.js';
import type { SchemaPlan, SnapshotOperation } from '../../lake/snapshot-commit.js';
import { commitSnapshot } from '../../lake/snapshot-commit.js';
import type { TableIdent } from '../../lake/table-location.js';
import { dataFileKey, qualifiedName } from '../../lake/table-location.js';
import type { LoadedTable } from '../../lake/table-versions.js';
import type { ObjectStorage } from '../../storage/storage.js';
import type { CommitResult, DestinationStream, StreamWriter } from '../destination.js';

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
}

export class LakeStreamWriter implements StreamWriter {
  private readonly written: { key: string; file: DataFile }[] = [];
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
      await this.storage.putFile(key, temp);
      this.written.push({
        key,
        file: dataFileFromParquet(this.storage.url(key), result, this.plan.schema.schema.fields),
      });
    }
    await fs.rm(chunk.path, { force: true });
  }

  async commit(position: SourcePosition | null): Promise<CommitResult> {
    this.assertOpen('commit');
    const files = this.written.map((entry) => entry.file);
    const { snapshot } = await commitSnapshot(this.storage, this.plan.ident, this.plan.base, {
      operation: this.plan.operation,
      schema: this.plan.schema,
      files,
      runId: this.plan.stream.runId,
      position,
    });
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
