import type { PartitionFieldDecl } from '../core/partition-fields.js';
import type { Disposition, SchemaPolicy, SyncMode } from '../core/stream.js';
import type { DestinationSettings } from '../destinations/registry.js';
import type { QuarantinePolicy } from './quarantine-policy.js';
import type { RetryPolicy } from './retry.js';
import type { LeaseSettings } from './stream-lease.js';

/** How one table is synced. */
export interface StreamSettings {
  /** How rows are selected. */
  mode: SyncMode;
  /** How rows are applied to the destination. */
  disposition: Disposition;
  /** Cursor column (incremental mode). */
  cursor?: string;
  /** Cursor-based incremental: a column marking deleted rows; they are deleted by the merge. */
  softDeleteColumn?: string;
  /** Declared key columns; absent means the source table's primary key. */
  primaryKey?: string[];
  /** Partition fields of the destination table; absent: keep its partitioning. */
  partitionBy?: PartitionFieldDecl[];
  /** What to do when the columns differ from the destination table's; default `evolve`. */
  schemaPolicy?: SchemaPolicy;
  /** For merge: mark deleted rows in `_sluice_deleted_at` instead of removing them. */
  softDelete?: boolean;
  /** Cursor-based incremental: delete destination rows whose key the source no longer has (`reconcile-deletes.ts`). */
  reconcileDeletes?: boolean;
  /** What quarantined rows do to the stream (`quarantine-policy.ts`); default: warn. */
  quarantine?: QuarantinePolicy;
}

/** An ad-hoc sync, as `sluice sync --from … --to …` describes it. */
export interface SyncRequest {
  /** Source URL: `postgres://…`, `sqlite:<path>`, … */
  from: string;
  /** Destination URL: `lake:<dir>`, … */
  to: string;
  /** Destination settings that do not belong in its URL (a project file's `s3:` block). */
  destinationSettings?: DestinationSettings;
  /** Tables to sync (`name` or `namespace.name`), or 'all'. */
  tables: string[] | 'all';
  /** Read mode; default 'full'. */
  mode?: SyncMode;
  /** Cursor column for incremental mode. */
  cursor?: string;
  /** Cursor-based incremental: a column marking deleted rows (non-NULL, or true); they are deleted by the merge. */
  softDeleteColumn?: string;
  /** Key columns overriding the source's primary key. */
  primaryKey?: string[];
  /** How rows are applied; default 'replace' for full reads, 'merge' for cursor-based incremental ones, else 'append'. */
  disposition?: Disposition;
  /** Partition fields of every destination table. */
  partitionBy?: PartitionFieldDecl[];
  /** Schema policy of every destination table; default `evolve`. */
  schemaPolicy?: SchemaPolicy;
  /** For merge: soft-delete instead of removing rows. */
  softDelete?: boolean;
  /** Cursor-based incremental: delete destination rows whose key the source no longer has. */
  reconcileDeletes?: boolean;
  /** What quarantined rows do to every stream (`quarantine-policy.ts`); default: warn. */
  quarantine?: QuarantinePolicy;
  /** Per-table settings (from a project file), overriding the settings above. */
  settingsFor?: (namespace: string, name: string) => StreamSettings;
  /** Control database URL; default: the destination's (`defaultControlUrl`: a local lake's own `<root>/_sluice/control.db`). */
  control?: string;
  /** Stream leases: TTL, and how long to wait for a stream another run holds (default: do not wait). */
  lease?: Partial<LeaseSettings>;
  /**
   * Rows per key range of a resumable full load (sources that read key ranges into a lake): each
   * finished range is committed to the table's staging branch, so a crash or a cut connection
   * re-reads at most the ranges in flight. Default 1,000,000.
   */
  chunkRows?: number;
  /** Retries of a stream on retryable errors (default DEFAULT_RETRY: 6 tries, 0.5 s doubling to 30 s, full jitter). */
  retry?: Partial<RetryPolicy>;
  /** Receives progress lines for people (stderr in the CLI). */
  onProgress?: (event: SyncProgress) => void;
}

/** A progress event during a run. */
export interface SyncProgress {
  /** `namespace.table`. */
  stream: string;
  /** What happened. */
  phase: 'start' | 'chunk' | 'commit' | 'done' | 'failed' | 'retry';
  /** Rows staged or written so far for the stream. */
  rows: number;
  /** Bytes staged so far for the stream. */
  bytes: number;
  /** For 'retry': what failed and when the next try starts. */
  message?: string;
}

/** Whether the commit held every row read (checked right after the commit); not-run when the stream failed first. */
export type Verification = 'passed' | 'failed' | 'not-run';

/** What one stream did in a run. */
export interface StreamReport {
  /** `namespace.table` at the destination. */
  stream: string;
  /** Outcome. */
  status: 'succeeded' | 'failed';
  /** Rows read from the source. */
  rowsRead: number;
  /** Bytes staged from the source. */
  bytesRead: number;
  /** Rows written by the commit. */
  rowsWritten: number;
  /** Rows set aside in quarantine instead of loaded. */
  rowsQuarantined: number;
  /** Reconciled deletes: destination rows deleted because the source no longer has their key. */
  rowsDeleted?: number;
  /** Quarantined rows above the threshold of a `warn` policy (`quarantine-policy.ts`). */
  warning?: string;
  /** Bytes of data files written. */
  bytesWritten: number;
  /** Data files written. */
  filesWritten: number;
  /** Tries it took (a retry reads the stream again from its start, or a resumable load after its committed ranges). */
  attempts: number;
  /** Outcome of the post-commit check. */
  verification: Verification;
  /**
   * What the check compared, when it passed: `content` — row counts, and the content
   * fingerprint of every chunk's written rows against its staged rows plus the published version
   * read back (the lake's append and replace); `rows` — row counts only (merges, SQL destinations).
   */
  verifiedBy?: 'content' | 'rows';
  /** Snapshot the commit created. */
  snapshotId: string | null;
  /** Wall time for the stream. */
  durationMs: number;
  /** Error message when failed. */
  error?: string;
  /** A resumable full load: its key ranges. */
  ranges?: number;
  /** A resumable full load: ranges an interrupted run had committed, not read again. */
  rangesSkipped?: number;
  /** A resumable full load: rows of those ranges (in the commit, not in `rowsRead`). */
  rowsResumed?: number;
}

/** What a whole run did. */
export interface SyncReport {
  /** Run id recorded in the control database. */
  runId: string;
  /** Overall outcome: failed if any stream failed. */
  status: 'succeeded' | 'failed';
  /** Per-stream results in the order they ran. */
  streams: StreamReport[];
  /** Sum of rows read. */
  rowsRead: number;
  /** Sum of bytes staged from the source. */
  bytesRead: number;
  /** Sum of rows written. */
  rowsWritten: number;
  /** Sum of rows quarantined. */
  rowsQuarantined: number;
  /** Failed if any stream's check failed; passed if every stream's passed; else not-run. */
  verification: Verification;
  /** Sum of bytes written. */
  bytesWritten: number;
  /** Wall time of the run. */
  durationMs: number;
  /** Peak resident set size of this process during the run. */
  peakRssBytes: number;
}
