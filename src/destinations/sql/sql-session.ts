/**
 * What a SQL database must provide to be a Sluice destination. Everything else — the table
 * plan, the SQL of append/replace/merge, the state row, the writer's life cycle — is shared
 * (`sql-stream-writer.ts`), so PostgreSQL and a DuckDB file apply dispositions identically and
 * differ only in how a staged chunk gets in and how the catalog is read.
 */
import type { CanonicalColumn, CanonicalType } from '../../core/canonical-types.js';
import type { ChunkSource } from '../../engine/chunk-query.js';
import type { ContentFingerprint } from '../../engine/content-fingerprint.js';
import type { HashedColumn } from '../../engine/typed-row-hash.js';

/**
 * The staging table's column for a change stream's operation (`i`, `u`, `d`, or NULL for an
 * upsert); named like the stage field it comes from (`STAGE_OP_COLUMN`).
 */
export const STAGED_OP_COLUMN = '_sluice_op';

/** A table, as both engines name it. */
export interface TableName {
  /** DuckDB catalog (database) of the table, when not the default one (`temp` for temporary tables). */
  catalog?: string;
  /** Schema. */
  schema: string;
  /** Table name. */
  name: string;
}

/** One column of an existing table, in the engine's own spelling of its type. */
export interface ExistingColumn {
  /** Column name. */
  name: string;
  /** Type as the engine's catalog prints it (compared only with another table's, never parsed). */
  type: string;
}

/** What the catalog says about an existing table. */
export interface TableShape {
  /** Columns in table order. */
  columns: ExistingColumn[];
  /** Primary key columns in key order; empty when the table has none. */
  primaryKey: string[];
}

/** A statement parameter. */
export type SqlParam = string | number | bigint | boolean | null;

/** The few spellings that differ between the engines. */
export interface SqlDialect {
  /** Engine name for messages ('PostgreSQL', 'DuckDB'). */
  readonly engine: string;
  /** Longest identifier the engine keeps (PostgreSQL silently truncates beyond 63 bytes). */
  readonly maxIdentifierBytes: number;
  /** The column DDL type that holds `type` exactly. */
  columnType(type: CanonicalType): string;
  /** Where the staging table called `name` lives, for a target in `schema`. */
  stagingTable(schema: string, name: string): TableName;
  /** `CREATE … TABLE` for the staging table `table` with the given column definitions. */
  createStagingSql(table: TableName, columnDefinitions: readonly string[]): string;
  /** Expression over the staging table that grows in load order (so merge can keep the last row of a key). */
  readonly stagedRowOrder: string;
  /** Statement that empties the target inside the replace transaction. */
  emptyTableSql(table: string): string;
}

/** One connection to a SQL destination, used by one stream writer at a time. */
export interface SqlSession {
  /** The engine's spellings. */
  readonly dialect: SqlDialect;
  /**
   * The content fingerprint (`engine/content-fingerprint.ts`) of the rows of `from` (a table or
   * a parenthesised query) over `columns`, computed by this process's DuckDB, so comparable with
   * the run's own of the staged chunks. Absent (PostgreSQL): the writer checks row counts only.
   */
  fingerprint?(from: string, columns: readonly HashedColumn[]): Promise<ContentFingerprint>;
  /** Runs one statement with `$1…` parameters. */
  run(sql: string, params?: readonly SqlParam[]): Promise<void>;
  /** Runs a query with `$1…` parameters and returns its rows keyed by column name. */
  query(sql: string, params?: readonly SqlParam[]): Promise<Record<string, unknown>[]>;
  /** Creates `schema` when it does not exist (never needs CREATE rights when it does). */
  ensureSchema(schema: string): Promise<void>;
  /** The columns and primary key of `table`, or null when there is no such table. */
  describeTable(table: TableName): Promise<TableShape | null>;
  /**
   * Loads the staged chunk `chunk` (fields in `columns` order; a format the destination declares in
   * `capabilities.stagedFormats`) into `staging`;
   * with `operations`, each row's trailing field goes to the staging table's `STAGED_OP_COLUMN`.
   * Returns the rows loaded.
   */
  loadChunk(
    staging: TableName,
    columns: readonly CanonicalColumn[],
    chunk: ChunkSource,
    operations: boolean,
  ): Promise<number>;
  /** Inside a transaction: waits until no other writer commits to `table` (released at transaction end). */
  lockForCommit(table: TableName): Promise<void>;
  /** Releases the connection. Safe to call twice. */
  close(): Promise<void>;
}
