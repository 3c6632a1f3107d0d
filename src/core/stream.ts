import type { CanonicalColumn } from './canonical-types.js';

/** What discovery finds about one source table or file set. */
export interface StreamSchema {
  /** Source schema: PostgreSQL schema, MySQL database, `main` for SQLite. Becomes the lake namespace. */
  namespace: string;
  /** Source table name; becomes the lake table name. */
  name: string;
  /** Columns in source order. */
  columns: CanonicalColumn[];
  /** Primary key columns in key order; empty when the source declares none. */
  primaryKey: string[];
  /** Planner's row estimate, or null when unknown. */
  rowEstimate: number | null;
}

export type SyncMode = 'full' | 'incremental' | 'cdc';
export type Disposition = 'append' | 'replace' | 'merge';

/**
 * What a destination does when a stream's columns differ from its table's: `evolve` adds new
 * columns and widens types where no value can change (int→long, float→double, a larger decimal
 * precision); `freeze` fails on any difference; `discard_columns` drops columns the table does
 * not have and writes NULL for the ones the stream lacks. A change that could alter values fails
 * under every policy.
 */
export type SchemaPolicy = 'evolve' | 'freeze' | 'discard_columns';

/**
 * Where a read got to, committed together with the data so that state and data cannot disagree.
 * JSON-serialisable; its shape belongs to the connector that produced it.
 */
export type SourcePosition = Readonly<Record<string, string | number | boolean | null>>;

/** One stream as the run will execute it. */
export interface StreamPlan {
  /** Discovered schema of the source stream. */
  schema: StreamSchema;
  /** How rows are selected. */
  mode: SyncMode;
  /** Cursor column for incremental mode. */
  cursor?: string;
  /**
   * For cursor-based incremental reads: a column marking deleted rows (non-NULL, or true for a
   * boolean). Rows with it set are staged as deletes (`StagedChunk.operations`), so a merge
   * removes them from the destination.
   */
  softDeleteColumn?: string;
  /**
   * For cursor-based incremental reads that reconcile deletes: an existing, empty directory where
   * the connector also stages every key of the table (the `primaryKey` columns, in order, stage
   * CSV, any number of files), read in the same snapshot as the rows and complete when the read
   * ends. The run deletes from the destination the keys it holds that are not among them.
   */
  reconcileKeysDir?: string;
  /** Key columns (declared, or the source's primary key). */
  primaryKey: string[];
  /** How the destination applies the rows. */
  disposition: Disposition;
  /** Local directory (exists, private to this stream and run) where chunks are staged. */
  stageDir: string;
  /** Target size of one staged chunk in bytes; a chunk ends at the first row boundary after it. */
  chunkBytes: number;
  /**
   * Formats the consumer of the chunks reads (`Destination.capabilities.stagedFormats`); a
   * connector may stage in any of them. Absent: `['csv']`.
   */
  stagedFormats?: readonly StagedFormat[];
}

/**
 * How a staged chunk is stored. `csv`: the stage CSV dialect (`stage-csv.ts`), canonical text.
 * `parquet`: one Parquet file whose column `c<i>` (`stageFieldName`) holds field i already typed,
 * as the DuckDB type of its canonical type (`duckdbType`), so no text is decoded. Consumers read
 * either through `engine/chunk-query.ts`'s `chunkQuery`.
 */
export type StagedFormat = 'csv' | 'parquet';

/**
 * True when `plan`'s chunks may be staged as Parquet: its consumer reads them
 * (`stagedFormats`), and it is not a merge. A merge keeps the last row of a key by the row's
 * place in the chunk, and the typed Parquet writes run in parallel without keeping row order
 * (keeping it costs about twice as much): a file holding two versions of a key kept the first
 * for 61% of 300,000 keys.
 */
export function stagesParquet(plan: Pick<StreamPlan, 'stagedFormats' | 'disposition'>): boolean {
  return plan.disposition !== 'merge' && (plan.stagedFormats?.includes('parquet') ?? false);
}

/**
 * A bounded piece of a stream, staged on local disk in the stage CSV dialect (see
 * `stage-csv.ts`): the unit that flows from a connector to a destination.
 */
export interface StagedChunk {
  /** 0-based sequence number within the stream's read. */
  index: number;
  /** Absolute path of the staged file. The destination may delete it once written. */
  path: string;
  /** How the file is stored (see `StagedFormat`). Absent: `csv`. */
  format?: StagedFormat;
  /** Rows in the file. */
  rows: number;
  /** Size of the file in bytes. */
  bytes: number;
  /** sha256 of the file's bytes (hex) when the connector computed it while staging; else the run hashes the file. */
  sha256?: string;
  /**
   * Bytes of the file's longest row, newline included, when the connector measured it: the
   * loader sizes its read buffers (held once per thread) to it. Absent: any row up to the stage's
   * maximum (`STAGE_MAX_ROW_BYTES`).
   */
  maxRowBytes?: number;
  /** Source position reached at the end of this chunk, or null for a full read. */
  position: SourcePosition | null;
  /**
   * True when every row carries one more field after the stream's columns, the operation
   * (`STAGE_OP_COLUMN` in `stage-csv.ts`): a change stream's inserts, updates and deletes.
   * Absent or false: every row is an insert.
   */
  operations?: boolean;
  /**
   * Rows the source could not load (a ragged CSV line, invalid UTF-8, an unparsable value),
   * staged beside the chunk in the stage dialect with the columns of `QUARANTINE_COLUMNS`
   * (`quarantine.ts`). The run appends them to the stream's quarantine table.
   */
  quarantine?: StagedQuarantine;
}

/** A staged file of quarantined rows (see `StagedChunk.quarantine`). */
export interface StagedQuarantine {
  /** Absolute path of the staged file. The destination may delete it once written. */
  path: string;
  /** Rows in the file. */
  rows: number;
  /** Size of the file in bytes. */
  bytes: number;
}
