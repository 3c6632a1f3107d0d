/**
 * Merges one stream into one Iceberg table by primary key (upserts, and deletes from a change
 * stream): `write` decodes each staged chunk into a local file of changes, `commit` applies them
 * by copy-on-write (src/lake/merge) and publishes one snapshot — `overwrite` when files were
 * rewritten, `append` when the batch only added rows. The table version seen at `openStream` is
 * the base; a concurrent commit makes this one fail with retryable COMMIT_CONFLICT (a merge is
 * never rebased: the rows it rewrote may have changed), and the run tries the stream again.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SluiceError, isSluiceError } from '../../core/errors.js';
import type { SourcePosition, StagedChunk } from '../../core/stream.js';
import { fingerprintOf } from '../../engine/content-fingerprint.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { quoteLiteral } from '../../engine/duckdb.js';
import type { HashedColumn } from '../../engine/typed-row-hash.js';
import { assertSnapshotHolds } from '../../lake/commit-check.js';
import { avroCompatibleName } from '../../lake/iceberg-schema.js';
import type { LocalDataFile } from '../../lake/data-file-writer.js';
import { applyMerge } from '../../lake/merge/merge-apply.js';
import type { MergeLayout } from '../../lake/merge/merge-layout.js';
import { stageMergeChunk } from '../../lake/merge/merge-stage.js';
import type { SchemaPlan } from '../../lake/snapshot-commit.js';
import { commitSnapshot } from '../../lake/snapshot-commit.js';
import type { TableCatalog } from '../../lake/table-catalog.js';
import { qualifiedName } from '../../lake/table-location.js';
import type { LoadedTable } from '../../lake/table-versions.js';
import type { ObjectStorage } from '../../storage/storage.js';
import type { CommitResult, DestinationStream, StreamWriter, WrittenChunk } from '../destination.js';

/** Everything a merge writer needs, decided by the destination at `openStream`. */
export interface LakeMergePlan {
  /** The stream as the sync layer described it. */
  stream: DestinationStream;
  /** The table version the merge is based on (null: the table does not exist yet). */
  base: LoadedTable | null;
  /** Schema plan of the commit. */
  schema: SchemaPlan;
  /** Columns, keys, spec and soft-delete field. */
  layout: MergeLayout;
  /** The lake's catalog, through which the commit is published. */
  catalog: TableCatalog;
}

export class LakeMergeWriter implements StreamWriter {
  private readonly staged: string[] = [];
  private pending: LocalDataFile[] = [];
  private readonly published: LocalDataFile[] = [];
  private rowsStaged = 0;
  private workDir: string | undefined;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  readonly contentColumns: number[] = [];
  /** The staged columns as a staged change file names them, for its fingerprint. */
  private readonly hashed: HashedColumn[] = [];

  constructor(
    private readonly storage: ObjectStorage,
    private readonly db: DuckDB,
    private readonly plan: LakeMergePlan,
  ) {
    plan.stream.columns.forEach((column, index) => {
      const field = plan.layout.staged[index];
      if (!field) return;
      this.contentColumns.push(index);
      this.hashed.push({ name: avroCompatibleName(field.name), type: column.type });
    });
  }

  async write(chunk: StagedChunk): Promise<WrittenChunk> {
    this.assertOpen('write');
    this.workDir ??= await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-merge-'));
    const target = path.join(this.workDir, `${String(chunk.index).padStart(5, '0')}-${randomUUID()}.parquet`);
    const rows = await stageMergeChunk(this.db, chunk, this.plan.stream.columns, this.plan.layout, target);
    if (rows !== chunk.rows) {
      throw new SluiceError(
        'DESTINATION_WRITE',
        `${qualifiedName(this.plan.layout.ident)} chunk ${chunk.index}: staged ${chunk.rows} rows but ${rows} were read`,
        {
          hint: 'the staged file does not match its chunk manifest; this is a bug in the connector that staged it',
        },
      );
    }
    this.staged.push(target);
    this.rowsStaged += rows;
    await fs.rm(chunk.path, { force: true });
    // Every change as staged for the merge, deletes included (their non-key values as staged).
    return { content: await fingerprintOf(this.db, `read_parquet(${quoteLiteral(target)})`, this.hashed) };
  }

  async commit(position: SourcePosition | null): Promise<CommitResult> {
    this.assertOpen('commit');
    const { layout, base, catalog } = this.plan;
    const outcome = await applyMerge(this.db, this.storage, layout, {
      base,
      staged: this.staged,
      workDir: this.workDir ?? os.tmpdir(),
      deletedAt: new Date().toISOString(),
    });
    this.pending = outcome.files;
    for (const file of outcome.files) {
      await this.storage.putFile(file.key, file.localPath);
      this.published.push(file);
    }
    const files = outcome.files.map((file) => file.file);
    let committed;
    try {
      committed = await commitSnapshot(catalog, layout.ident, base, {
        operation: outcome.removed.size > 0 ? 'overwrite' : 'append',
        schema: this.plan.schema,
        files,
        runId: this.plan.stream.runId,
        position,
        partition: layout.partition,
        removeFiles: outcome.removed,
      });
    } catch (error) {
      if (isSluiceError(error, 'COMMIT_UNKNOWN')) await this.finish('committed');
      if (isSluiceError(error, 'COMMIT_CONFLICT')) {
        throw new SluiceError(
          'COMMIT_CONFLICT',
          `another writer committed ${qualifiedName(layout.ident)} while this merge ran`,
          {
            cause: error,
            retryable: true,
            hint: 'a merge is never applied on top of changes it did not see; running the sync again merges into the new state',
          },
        );
      }
      throw error;
    }
    await this.finish('committed');
    // The merge's files were proved before publishing (merge-check.ts); the snapshot must list them.
    await assertSnapshotHolds(
      this.storage,
      committed.snapshot,
      files,
      false,
      qualifiedName(layout.ident),
      outcome.removed,
    );
    const { stats } = outcome;
    return {
      snapshotId: String(committed.snapshot['snapshot-id']),
      rowsWritten: stats.inserted + stats.updated,
      bytesWritten: files.reduce((sum, file) => sum + file.file_size_in_bytes, 0),
      filesWritten: files.length,
      totalRows: Number(committed.snapshot.summary['total-records']),
      rowsStaged: this.rowsStaged,
      contentChecked: true,
      merge: {
        inserted: stats.inserted,
        updated: stats.updated,
        deleted: stats.deleted,
        filesRewritten: stats.filesRewritten,
        bytesRewritten: stats.bytesRewritten,
        bytesBefore: stats.bytesBefore,
      },
    };
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    await Promise.allSettled(this.published.map((file) => this.storage.delete(file.key)));
    await Promise.allSettled(this.pending.map((file) => fs.rm(file.localPath, { force: true })));
    await this.finish('aborted');
  }

  private async finish(state: 'committed' | 'aborted'): Promise<void> {
    this.state = state;
    this.db.close();
    if (this.workDir) await fs.rm(this.workDir, { recursive: true, force: true });
  }

  private assertOpen(action: string): void {
    if (this.state !== 'open') {
      throw new SluiceError(
        'USAGE',
        `cannot ${action}: the merge writer for ${qualifiedName(this.plan.layout.ident)} is ${this.state}`,
        { hint: 'open a new stream for another commit' },
      );
    }
  }
}
