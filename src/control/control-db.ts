/**
 * The control database seen by the rest of Sluice: SQL written once with `$1, $2` placeholders,
 * run against either home (embedded SQLite or PostgreSQL). Repositories take `ControlQueries`
 * so the same code runs inside or outside a transaction.
 */

/** Which engine holds the control database. */
export type ControlDialect = 'sqlite' | 'postgres';

/** A value bound to a `$n` placeholder. Booleans are not portable (SQLite has none): use 0/1. */
export type SqlValue = string | number | bigint | null;

/** Statements against the control database, inside or outside a transaction. */
export interface ControlQueries {
  /** The engine, for the rare statement that differs (e.g. PostgreSQL's advisory locks). */
  readonly dialect: ControlDialect;
  /**
   * Runs a statement and returns its rows. PostgreSQL returns BIGINT columns as strings and
   * SQLite as numbers: convert with `Number()` where a number is meant.
   */
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement and returns the number of rows it inserted, updated or deleted. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** An open control database. */
export interface ControlDb extends ControlQueries {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (the
   * error is rethrown unchanged). SQLite starts it with BEGIN IMMEDIATE so a writer waits for
   * another process's write lock up front instead of failing halfway. `tx` is valid only until
   * `fn` settles; transactions do not nest.
   */
  transaction<T>(fn: (tx: ControlQueries) => Promise<T>): Promise<T>;
  /** Closes the connection(s); waits for a running transaction to finish. Idempotent. */
  close(): Promise<void>;
}
