import type { z } from 'zod';
import type { SourcePosition, StagedChunk, StreamPlan, StreamSchema } from '../core/stream.js';

/** What a source can do, as data: the planner checks these before it plans a stream. */
export interface SourceCapabilities {
  /** Incremental reads: only what is new since the position of the last commit. */
  incremental: boolean;
  /**
   * What an incremental read follows: a cursor column the user names (the default), or the
   * source's own files (each new or changed file is read once; no cursor needed).
   */
  incrementalBy?: 'cursor' | 'file';
  /**
   * Cursor reads can also stage every key of the table in the read's snapshot
   * (`StreamPlan.reconcileKeysDir`), so the run can delete what the source no longer has.
   */
  reconcileDeletes?: boolean;
  /** Log-based change data capture. */
  cdc: boolean;
  /** Key-range chunks read in parallel. */
  parallelChunks: boolean;
}

/** A source type: validates its config and creates connectors. */
export interface ConnectorDefinition<C> {
  /** Short type name used in URLs and the project file: 'postgres', 'sqlite', … */
  readonly type: string;
  /** Validates and types the connector's configuration. */
  readonly configSchema: z.ZodType<C>;
  /** What the source supports. */
  readonly capabilities: SourceCapabilities;
  /** Creates a connector. Does no I/O. */
  create(config: C): Connector;
}

/** An open source. */
export interface Connector {
  /** Connects and proves it can read; throws SluiceError (SOURCE_CONNECT with a hint) otherwise. */
  check(signal?: AbortSignal): Promise<void>;
  /** Lists the source's tables with columns, canonical types, keys and row estimates. */
  discover(): Promise<StreamSchema[]>;
  /**
   * Reads a stream into staged chunks (stage CSV dialect, columns in `plan.schema.columns`
   * order), resuming after `from` when given. Yields each chunk once its file is complete.
   */
  read(plan: StreamPlan, from: SourcePosition | null): AsyncIterable<StagedChunk>;
  /** Releases connections. Safe to call twice. */
  close(): Promise<void>;
}
