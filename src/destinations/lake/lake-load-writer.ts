/**
 * A full load into a lake table staged on the table's load branch (src/lake/load-branch.ts):
 * chunks become Parquet files exactly as in `LakeStreamWriter`; `checkpoint` commits the files
 * of finished chunks to the branch with the position reached; `commit` publishes every file of
 * the branch plus those written since as one snapshot on main (an overwrite for a replace, an
 * append for an append) and removes the branch in the same commit. Until then main stays the
 * previous version. `abort` deletes only files not yet on the branch: a retry or a later run
 * resumes from them.
 */
import { createHash } from 'node:crypto';
import { isSluiceError } from '../../core/errors.js';
import type { SourcePosition } from '../../core/stream.js';
import type { DuckDB } from '../../engine/duckdb.js';
import { LOAD_BRANCH, LOAD_PROPERTY, commitToBranch, stagedLoadOf } from '../../lake/load-branch.js';
import type { StagedLoad } from '../../lake/load-branch.js';
import type { DataFile } from '../../lake/manifest-schemas.js';
import type { LoadedTable } from '../../lake/table-versions.js';
import type { ObjectStorage } from '../../storage/storage.js';
import type { CommitResult, ResumedLoad, StagedLoadWriter } from '../destination.js';
import type { LakeStreamPlan } from './lake-stream-writer.js';
import { LakeStreamWriter } from './lake-stream-writer.js';

export class LakeLoadWriter extends LakeStreamWriter implements StagedLoadWriter {
  /** The table as the last piece left it: the next piece's base. */
  private table: LoadedTable | null;
  /** Files on the branch (of earlier runs and of this one). */
  private readonly staged: DataFile[];
  /** True once the branch holds this load (resumed, or after the first piece). */
  private recorded: boolean;

  private constructor(
    storage: ObjectStorage,
    db: DuckDB,
    plan: LakeStreamPlan,
    private readonly identity: string,
    /** The same load's staged progress, or null. */
    public resumed: ResumedLoad | null,
    staged: readonly DataFile[],
  ) {
    super(storage, db, plan);
    this.table = plan.base;
    this.staged = [...staged];
    this.recorded = resumed !== null;
  }

  /**
   * Opens the load of `plan`'s table. The load's identity is `sourceIdentity` plus the table
   * layout the files are written with (field ids and types, partition spec, disposition): files
   * of a branch written with another layout cannot be published with this one.
   */
  static async open(
    storage: ObjectStorage,
    db: DuckDB,
    plan: LakeStreamPlan,
    sourceIdentity: string,
  ): Promise<LakeLoadWriter> {
    const identity = createHash('sha256')
      .update(
        JSON.stringify({
          source: sourceIdentity,
          disposition: plan.stream.disposition,
          fields: plan.schema.schema.fields,
          written: plan.schema.written.map((field) => field?.id ?? null),
          partition: plan.partition.spec.fields,
        }),
      )
      .digest('hex');
    const same = await stagedLoadOf(plan.catalog, plan.base, identity);
    return new LakeLoadWriter(storage, db, plan, identity, same && resumedOf(same), same?.files ?? []);
  }

  /**
   * Runs while the next chunks are written (sync/resumable-load.ts), one at a time: it takes only
   * the entries of `chunks` out of `written` (after their uploads), and `write` only appends.
   */
  async checkpoint(chunks: readonly number[], position: SourcePosition, plan: unknown): Promise<void> {
    this.assertOpen('checkpoint');
    await this.uploads.drain();
    const wanted = new Set(chunks);
    const piece = this.sortedWritten().filter((entry) => wanted.has(entry.chunk));
    const forget = () => {
      for (const entry of piece) this.written.splice(this.written.indexOf(entry), 1);
    };
    try {
      this.table = await this.commitPiece(piece, position, plan);
    } catch (error) {
      // The branch may reference the files now: `abort` must keep them (orphan cleanup can tell).
      if (isSluiceError(error, 'COMMIT_UNKNOWN')) forget();
      throw error;
    }
    this.recorded = true;
    // On the branch now: neither `abort` nor a retry may delete them.
    this.staged.push(...piece.map((entry) => entry.file));
    forget();
  }

  private commitPiece(
    piece: readonly { file: DataFile }[],
    position: SourcePosition,
    plan: unknown,
  ): Promise<LoadedTable> {
    return commitToBranch(
      this.plan.catalog,
      this.plan.ident,
      this.table,
      {
        schema: this.plan.schema,
        files: piece.map((entry) => entry.file),
        runId: this.plan.stream.runId,
        position,
        partition: this.plan.partition,
      },
      this.recorded ? undefined : { identity: this.identity, plan },
    );
  }

  restart(): void {
    this.resumed = null;
    this.staged.length = 0;
    this.recorded = false;
  }

  override async commit(position: SourcePosition | null): Promise<CommitResult> {
    // The final commit builds on the table the pieces left; it removes the branch whichever load
    // it held (a discarded load's branch too).
    this.plan.base = this.table;
    const schemaId = this.plan.schema.schema['schema-id'];
    if (this.table?.metadata.schemas.some((schema) => schema['schema-id'] === schemaId)) {
      // A piece already added the load's schema to the table.
      this.plan.schema = { ...this.plan.schema, isNew: false };
    }
    return this.publish(position, this.staged, {
      dropRefs: [LOAD_BRANCH],
      properties: { [LOAD_PROPERTY]: null },
    });
  }
}

function resumedOf(load: StagedLoad): ResumedLoad {
  return { plan: load.plan, position: load.position, rows: load.rows };
}
