import type { ContentFingerprint } from '../engine/content-fingerprint.js';
import type { CanonicalColumn } from '../core/canonical-types.js';
import type { PartitionFieldDecl } from '../core/partition-fields.js';
import type { Disposition, SchemaPolicy, SourcePosition, StagedChunk, StagedFormat } from '../core/stream.js';

/** The table a stream writes to, and how. */
export interface DestinationStream {
  /** Destination namespace (the source schema by default). */
  namespace: string;
  /** Destination table name. */
  name: string;
  /** Columns in the order chunks carry them. */
  columns: CanonicalColumn[];
  /** Key columns; required for merge. */
  primaryKey: string[];
  /** How rows are applied. */
  disposition: Disposition;
  /** The run writing this stream; recorded with the commit. */
  runId: string;
  /** Partition fields for the table's new data; absent: keep the table's partitioning (none for a new table). */
  partitionBy?: PartitionFieldDecl[];
  /** What to do when the columns differ from the table's; default `evolve`. */
  schemaPolicy?: SchemaPolicy;
  /** For merge: keep deleted rows, marked in `_sluice_deleted_at`, instead of removing them. */
  softDelete?: boolean;
}

/** What a merge changed, counted on de-duplicated keys. */
export interface MergeCounts {
  /** Keys that were not in the table and are now. */
  inserted: number;
  /** Keys whose row was replaced. */
  updated: number;
  /** Keys whose row was deleted (or marked deleted). */
  deleted: number;
  /** Data files rewritten because they held a changed key. */
  filesRewritten: number;
  /** Bytes of those files. */
  bytesRewritten: number;
  /** Bytes of the table's data files before the merge. */
  bytesBefore: number;
}

/** What a commit published. */
export interface CommitResult {
  /** New snapshot (lake) or version identifier, as text. */
  snapshotId: string;
  /** Rows this commit added. */
  rowsWritten: number;
  /** Bytes of data files this commit added. */
  bytesWritten: number;
  /** Data files this commit added. */
  filesWritten: number;
  /** Rows in the table after the commit. */
  totalRows: number;
  /**
   * Staged rows the commit consumed, where that is not `rowsWritten`: a merge consumes every
   * change (deletes and superseded changes of a key included) and writes the upserted rows.
   */
  rowsStaged?: number;
  /** What a merge changed. */
  merge?: MergeCounts;
  /**
   * True when the commit was read back and holds exactly what the writer wrote (for the lake: the
   * published snapshot lists exactly the files whose content `write` returned).
   */
  contentChecked?: boolean;
}

/** What writing one chunk produced, for the run's checks. */
export interface WrittenChunk {
  /**
   * Fingerprint of the rows written for the chunk, read back from what was written (the stream's
   * columns in order, `engine/content-fingerprint.ts`): the run compares it with the staged
   * chunk's. Given by writers with `contentColumns`.
   */
  content?: ContentFingerprint;
}

/** Writes one stream; nothing is visible to readers until `commit` succeeds. */
export interface StreamWriter {
  /**
   * Positions, among the stream's columns, of the columns `write` fingerprints (a schema policy
   * may leave some unwritten). Present: every `write` returns `content` and `commit` reads the
   * commit back. Absent: the writer proves row counts only.
   */
  readonly contentColumns?: readonly number[];
  /** Converts and persists one staged chunk as destination data (not yet visible). */
  write(chunk: StagedChunk): Promise<WrittenChunk | void>;
  /** Atomically publishes everything written, together with the source position reached. */
  commit(position: SourcePosition | null): Promise<CommitResult>;
  /** Discards everything written and not committed. Safe after a failed commit. */
  abort(): Promise<void>;
}

/** The progress an interrupted run of the same load left staged. */
export interface ResumedLoad {
  /** The plan the load recorded with its first piece (e.g. its key ranges). */
  plan: unknown;
  /** The position the last staged piece was committed with. */
  position: SourcePosition | null;
  /** Rows staged so far. */
  rows: number;
}

/**
 * A big full load committed piece by piece to a staging area the table's readers do not see;
 * `commit` publishes everything staged plus what was written since as the table's next version.
 */
export interface StagedLoadWriter extends StreamWriter {
  /** What an interrupted run of the same load staged (null: nothing; another load's staging is discarded). */
  readonly resumed: ResumedLoad | null;
  /**
   * Commits the files of `chunks` (written already) to the staging area with the position they
   * reach; on the first piece of a new load also the load's `plan`, so a later run can resume it.
   */
  checkpoint(chunks: readonly number[], position: SourcePosition, plan: unknown): Promise<void>;
  /** Forgets the resumed progress (the caller cannot use it): the first checkpoint starts the load anew. */
  restart(): void;
}

/** What a destination can do, as data: the run checks it before reading anything. */
export interface DestinationCapabilities {
  /** Dispositions the destination applies. */
  readonly dispositions: readonly Disposition[];
  /**
   * Formats of staged chunks its writers read (`StagedChunk.format`, through `chunkQuery`);
   * the run passes them to the source as `StreamPlan.stagedFormats`. Absent: `csv` only.
   */
  readonly stagedFormats?: readonly StagedFormat[];
}

/** An open destination. */
export interface Destination {
  /** What this destination can do; absent means `append` and `replace` only. */
  readonly capabilities?: DestinationCapabilities;
  /** Proves the destination is reachable and writable; throws SluiceError with a hint otherwise. */
  check(): Promise<void>;
  /** Starts writing one stream. */
  openStream(stream: DestinationStream): Promise<StreamWriter>;
  /**
   * The source position the table's current version was committed with (null: no table yet, or
   * a full read): where an incremental read resumes. Ask after `openStream`, under the stream's
   * lease, so no other run of the stream commits in between. Absent: the destination cannot
   * resume incremental reads.
   */
  lastPosition?(table: { namespace: string; name: string }): Promise<SourcePosition | null>;
  /**
   * Starts a full load that survives a crash (see `StagedLoadWriter`); `identity` names the load
   * (source, stream, columns), and the destination adds its table layout to it. Absent: loads are
   * written by `openStream` and commit once.
   */
  openStagedLoad?(stream: DestinationStream, identity: string): Promise<StagedLoadWriter>;
  /**
   * Writes the key columns `key` of the table's current (not deleted) rows to the Parquet file
   * `path`, in their own types, and returns how many; 0 and no file when the table has none or
   * does not exist. For runs that reconcile deletes. Ask under the stream's lease. Absent: the
   * destination cannot reconcile deletes.
   */
  exportKeys?(
    table: { namespace: string; name: string },
    key: readonly string[],
    path: string,
  ): Promise<number>;
  /** Releases resources. Safe to call twice. */
  close(): Promise<void>;
}

/** Dispositions a destination that declares no capabilities applies. */
const DEFAULT_DISPOSITIONS: readonly Disposition[] = ['append', 'replace'];

/** True when `destination` applies `disposition` (see `Destination.capabilities`). */
export function supportsDisposition(destination: Destination, disposition: Disposition): boolean {
  return (destination.capabilities?.dispositions ?? DEFAULT_DISPOSITIONS).includes(disposition);
}
