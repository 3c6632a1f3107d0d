/**
 * The source-neutral contract of log-based change data capture (PostgreSQL logical replication,
 * MySQL/MariaDB row binlog). The runner (`src/sync/run-cdc.ts`) drives any implementation the
 * same way:
 *
 *   check → prepare → [snapshot of streams without a committed position]
 *         → changes(from) → for each batch: merge-commit per stream, record progress, acknowledge
 *
 * Exactly-once rests on three rules every implementation keeps:
 * 1. A position `p` means "every transaction that committed before `p` is included, none after".
 *    A snapshot's position and a batch's position both follow it, so a stream whose table was
 *    committed at `p` needs exactly the transactions at or after `p`.
 * 2. Changes are full rows (every column of the stream, in `columns` order): re-applying a
 *    batch that was already applied, by merge on the key, yields the same table. A crash
 *    therefore replays, and replay is harmless. A source that cannot give a full row (e.g. an
 *    unchanged TOAST value without REPLICA IDENTITY FULL) fails loudly, never writes a guess.
 * 3. The source forgets a position only through `acknowledge`, which the runner calls after the
 *    destination commit and the progress record are durable.
 */
import type { CanonicalColumn } from '../core/canonical-types.js';
import type { SourcePosition, StagedChunk, StreamPlan } from '../core/stream.js';

/**
 * A log position: `{ lsn: '0/16B3748' }`, `{ file: 'mysql-bin.000003', pos: 1234 }`, `{ gtid: … }`.
 * Opaque to the runner except through `ChangeCapture.compare`; JSON-serialisable because it is
 * stored in the lake snapshot summary and the control database.
 */
export type LogPosition = SourcePosition;

/** The key the capture and the runner use for a stream: `namespace.name` of the source table. */
export function captureStreamKey(plan: Pick<StreamPlan, 'schema'>): string {
  return `${plan.schema.namespace}.${plan.schema.name}`;
}

/** What the runner tells a capture when it creates one. */
export interface ChangeCaptureOptions {
  /**
   * Stable name of this capture (from the source name / project): the base of the PostgreSQL
   * slot and publication names. Letters, digits and `_` only; at most 40 characters.
   */
  name: string;
  /** Local directory (exists, private to this run) where batches and snapshots are staged. */
  stageDir: string;
}

/** A chunk of a stream's initial snapshot. */
export interface SnapshotChunk {
  /** `captureStreamKey` of the stream. */
  stream: string;
  /** Rows as inserts (no `_sluice_op` column), in the stream's `schema.columns` order. */
  chunk: StagedChunk;
}

/** A consistent initial snapshot of some streams, and the position it is consistent with. */
export interface CaptureSnapshot {
  /**
   * Rule 1: the snapshot contains every transaction that committed before this position and
   * none after it; streaming the changes from here neither overlaps nor leaves a gap.
   */
  position: LogPosition;
  /** Every row of every requested stream, stream after stream; each chunk yielded once complete. */
  chunks: AsyncIterable<SnapshotChunk>;
  /**
   * Releases what holds the snapshot (exported snapshot, temporary slot, transaction, lock).
   * Call after `chunks` is drained or on failure; safe to call twice.
   */
  close(): Promise<void>;
}

/**
 * One stream's changes in one batch: applied in order. A batch usually has one segment per
 * stream; the capture starts a new one where the changes cannot share a chunk (a TRUNCATE, a
 * column added mid-batch).
 */
export interface ChangeSegment {
  /** Empty the table before applying `chunk` (a TRUNCATE in the log, just before these changes). */
  truncateFirst: boolean;
  /**
   * The columns the chunk's rows carry, in order (the stream's columns at that point of the log;
   * grows when the source adds a column). The runner evolves the table when they differ.
   */
  columns: CanonicalColumn[];
  /**
   * The changes with `operations: true`: every row is a full row plus the `_sluice_op` field
   * (`i`, `u` or `d`; a delete carries at least the key columns), in log order, so that the
   * merge keeps the last change of a key. Null when the segment is only a truncate.
   */
  chunk: StagedChunk | null;
}

/** The changes of one stream in a batch. */
export interface StreamChanges {
  /** `captureStreamKey` of the stream. */
  stream: string;
  /** Segments in log order. */
  segments: ChangeSegment[];
  /** Row changes (inserts, updates, deletes) in all segments. */
  changes: number;
}

/** A bounded run of committed transactions, applied by the runner as one commit per stream. */
export interface ChangeBatch {
  /**
   * Position after the batch's last transaction (rule 1): the runner commits it with each
   * stream's data, records it as progress, then acknowledges it. For a heartbeat batch (no
   * changes), a position the source has confirmed holds no unseen relevant transaction before it.
   */
  position: LogPosition;
  /** Streams with changes in this batch; streams absent are unchanged up to `position`. */
  streams: StreamChanges[];
  /** Committed transactions in the batch (0 for a heartbeat). */
  transactions: number;
  /** Row changes in the batch, all streams together. */
  changes: number;
  /** Source commit time (ms since the epoch) of each transaction, for end-to-end latency. */
  commitTimes: number[];
  /** True on the last batch of an `untilCaughtUp` run: it reaches the position current at start. */
  caughtUp: boolean;
}

/** How `ChangeCapture.changes` batches and when it stops. */
export interface ChangeStreamOptions {
  /** End a batch (at the next transaction boundary) once it holds this many row changes. */
  maxRows: number;
  /** End a non-empty batch once its first change is this old (ms), even if it is small. */
  maxMs: number;
  /**
   * Stop after the batch that reaches the log position current when `changes` was called
   * (that batch has `caughtUp: true`); false: run until `signal` aborts.
   */
  untilCaughtUp: boolean;
  /** Aborting ends the iteration cleanly after (or instead of) the batch in progress. */
  signal: AbortSignal;
  /**
   * Per stream (`captureStreamKey`), the position its table already has when that is after
   * `from`: the capture may leave out that stream's transactions before it (replaying them would
   * be harmless by rule 2, but a change that cannot be made whole need not fail again after a
   * re-snapshot). Optional for implementations.
   */
  streamFrom?: ReadonlyMap<string, LogPosition>;
}

/** Health of the capture's position keeper (slot, binlog). */
export type CaptureHealth = 'ok' | 'missing' | 'lost' | 'not_prepared';

/** What `sluice cdc status` shows. */
export interface CaptureStatus {
  /** Source type: `postgres`, `mysql`. */
  source: string;
  /** What keeps the position: the slot name, or `binlog`. */
  name: string;
  /** `missing`: no slot; `lost`: invalidated or its log was purged (re-snapshot needed). */
  health: CaptureHealth;
  /** Position the source has been told is durable (slot's confirmed_flush_lsn), or null. */
  confirmed: LogPosition | null;
  /** The source's current log position. */
  current: LogPosition;
  /** Bytes of log between `confirmed` and `current` (what the slot pins), or null when unknown. */
  lagBytes: number | null;
  /** Whether a consumer is attached right now (PostgreSQL: the slot is active), or null. */
  active: boolean | null;
  /** Source-specific facts worth printing (publication, wal_status, plugin, …). */
  details: Readonly<Record<string, string | number | boolean | null>>;
}

/** A log-based change source. One instance serves one run; not safe for concurrent calls. */
export interface ChangeCapture {
  /**
   * Checks the prerequisites for these streams (PostgreSQL: wal_level=logical, REPLICATION
   * privilege, replica identity; MySQL: log_bin, binlog_format=ROW, primary keys) and throws
   * SluiceError `CDC_PREREQUISITE` with a hint naming the setting to change.
   */
  check(streams: StreamPlan[]): Promise<void>;
  /**
   * Creates or reuses what keeps the log for Sluice (PostgreSQL: publication covering the
   * streams + logical slot). Idempotent. Throws `CDC_POSITION_LOST` when the slot exists but is
   * invalidated.
   */
  prepare(streams: StreamPlan[]): Promise<void>;
  /** Takes a consistent snapshot of `streams` (rule 1); the caller must `close()` it. */
  snapshot(streams: StreamPlan[], signal?: AbortSignal): Promise<CaptureSnapshot>;
  /**
   * Streams committed transactions that committed at or after `from`, grouped into batches
   * ending on transaction boundaries; yields heartbeat batches (no changes) when idle so the
   * position advances and the source can free log. Throws `CDC_POSITION_LOST` when the log
   * from `from` is gone (slot dropped or invalidated, binlog purged).
   */
  changes(streams: StreamPlan[], from: LogPosition, options: ChangeStreamOptions): AsyncIterable<ChangeBatch>;
  /**
   * Tells the source everything before `position` is durably applied, so it may free the log
   * (PostgreSQL: confirmed_flush_lsn). Called only after the destination commit.
   */
  acknowledge(position: LogPosition): Promise<void>;
  /** Total order of positions: negative, 0 or positive like a sort comparator. */
  compare(a: LogPosition, b: LogPosition): number;
  /** Position, lag and health, for `sluice cdc status`. Does not create anything. */
  status(): Promise<CaptureStatus>;
  /** Removes what `prepare` created (slot and publication); a no-op when absent. */
  drop(): Promise<void>;
  /** Releases connections. Safe to call twice. */
  close(): Promise<void>;
}

/** A source type that offers change capture; registered in `src/cdc/registry.ts`. */
export interface ChangeCaptureDefinition {
  /** The source type it serves, as `SourceConnector.type`: `postgres`, `mysql`. */
  readonly type: string;
  /** Creates a capture for a source URL (parsed like the connector's). Does no I/O. */
  fromUrl(url: string, options: ChangeCaptureOptions): ChangeCapture;
}
