/**
 * The embedded DuckDB every local read, write and query goes through. One in-memory instance
 * per owner (a destination, a query session), with a memory limit and a thread count so a
 * 10M-row chunk streams through `COPY` in flat memory, and the session time zone pinned to UTC
 * so text → TIMESTAMPTZ casts and printed instants never depend on the machine's zone.
 */
import os from 'node:os';
import { DuckDBBlobValue, DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBValue, Json } from '@duckdb/node-api';
import { SluiceError, messageOf } from '../core/errors.js';

/** A value as the library hands it out: exact, bigint-safe, printable. */
export type QueryValue = null | boolean | number | bigint | string | Uint8Array;

export type { Json };

/** Parameters bound to `?` placeholders, in order. */
export type QueryParams = readonly (string | number | bigint | boolean | null)[];

/** Rows of a query with their column names. */
export interface QueryResult {
  /** Column names in select order. */
  columns: string[];
  /** One array per row, values in column order. */
  rows: QueryValue[][];
}

/** Options for `openDuckDB`. */
export interface DuckDBOptions {
  /**
   * A database file to open read-write (created when missing) instead of an in-memory database.
   * DuckDB lets one process at a time hold a file; a second one fails to open it.
   */
  path?: string;
  /** DuckDB `memory_limit`, e.g. '1GB' (default). Beyond it DuckDB spills to `tempDirectory`. */
  memoryLimit?: string;
  /** Worker threads; default min(4, CPUs): Parquet encoding scales, memory grows per thread. */
  threads?: number;
  /** Where DuckDB spills when over the memory limit; default DuckDB's own (`.tmp` next to the db). */
  tempDirectory?: string;
  /**
   * Keep row order in unordered results and writes (DuckDB's default, true). Writers turn it off:
   * a parallel `COPY` that must keep order buffers rows, nearly doubling its memory and time.
   */
  preserveInsertionOrder?: boolean;
}

/** One DuckDB connection with SQL helpers whose errors carry their SQL. */
export interface DuckDB {
  /** Runs statements for their effect. */
  run(sql: string, params?: QueryParams): Promise<void>;
  /** Runs a query and returns all its rows as exact JS values (see `toQueryValue`). */
  query(sql: string, params?: QueryParams): Promise<QueryResult>;
  /** Runs a query and returns its rows as objects keyed by column name. */
  queryObjects(sql: string, params?: QueryParams): Promise<Record<string, QueryValue>[]>;
  /** Runs a query and returns its rows in DuckDB's JSON form (nested values as arrays and objects). */
  queryJson(sql: string, params?: QueryParams): Promise<Json[][]>;
  /** Another connection to the same database (for a second stream in parallel). */
  connect(): Promise<DuckDB>;
  /** Closes this connection, and the database when it opened it. Safe to call twice. */
  close(): void;
}

/** Opens an in-memory DuckDB (or the file `options.path`) with Sluice's session settings. */
export async function openDuckDB(options: DuckDBOptions = {}): Promise<DuckDB> {
  const threads = options.threads ?? Math.max(1, Math.min(4, os.availableParallelism()));
  const config: Record<string, string> = {
    memory_limit: options.memoryLimit ?? '1GB',
    threads: String(threads),
    // DuckDB keeps what it reads of a file in memory for the next read of it, up to the memory
    // limit; Sluice reads each staged chunk and data file once or twice, then deletes it, so the
    // cache only grew: a 30M-row sync climbed from ~250 to ~400 MB RSS with it, stayed ~250–320
    // without (the three instances of a sync each filling their own).
    enable_external_file_cache: 'false',
  };
  if (options.tempDirectory !== undefined) config.temp_directory = options.tempDirectory;
  if (options.preserveInsertionOrder === false) config.preserve_insertion_order = 'false';
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(options.path ?? ':memory:', config);
  } catch (error) {
    throw new SluiceError('QUERY', `cannot start DuckDB: ${messageOf(error)}`, {
      cause: error,
      hint: 'check the memory limit and thread settings',
    });
  }
  return SessionConnection.open(instance, true);
}

class SessionConnection implements DuckDB {
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly ownsInstance: boolean,
  ) {}

  static async open(instance: DuckDBInstance, ownsInstance: boolean): Promise<SessionConnection> {
    const session = new SessionConnection(instance, await instance.connect(), ownsInstance);
    await session.run("SET TimeZone = 'UTC'");
    return session;
  }

  async run(sql: string, params?: QueryParams): Promise<void> {
    await this.guard(sql, () => this.connection.run(sql, params && [...params]));
  }

  async query(sql: string, params?: QueryParams): Promise<QueryResult> {
    return this.guard(sql, async () => {
      const reader = await this.connection.runAndReadAll(sql, params && [...params]);
      return { columns: reader.columnNames(), rows: reader.getRows().map((row) => row.map(toQueryValue)) };
    });
  }

  async queryObjects(sql: string, params?: QueryParams): Promise<Record<string, QueryValue>[]> {
    const { columns, rows } = await this.query(sql, params);
    return rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i] ?? null])));
  }

  async queryJson(sql: string, params?: QueryParams): Promise<Json[][]> {
    return this.guard(sql, async () =>
      (await this.connection.runAndReadAll(sql, params && [...params])).getRowsJson(),
    );
  }

  connect(): Promise<DuckDB> {
    return SessionConnection.open(this.instance, false);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    if (this.ownsInstance) this.instance.closeSync();
  }

  private async guard<T>(sql: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw new SluiceError('QUERY', shorten(messageOf(error)), {
        cause: error,
        sql,
        hint: 'check the table and column names and the values named in the message',
      });
    }
  }
}

/**
 * Converts one DuckDB value without losing anything: integers above 32 bits stay bigint,
 * decimals, dates, times and timestamps become DuckDB's own exact text (a JS Date would drop
 * microseconds and years beyond ±275760), blobs become bytes.
 */
export function toQueryValue(value: DuckDBValue): QueryValue {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof DuckDBBlobValue) return value.bytes;
  return value.toString();
}

/**
 * DuckDB quotes a whole offending CSV line in its message; a multi-megabyte value must not end
 * up in logs and terminals.
 */
const MAX_MESSAGE_CHARS = 2000;

function shorten(message: string): string {
  if (message.length <= MAX_MESSAGE_CHARS) return message;
  return `${message.slice(0, MAX_MESSAGE_CHARS)}… (${message.length - MAX_MESSAGE_CHARS} more characters)`;
}

/** Quotes an identifier for DuckDB SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal for DuckDB SQL (for places that take no parameters, like COPY targets). */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
