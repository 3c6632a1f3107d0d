/**
 * The embedded home: one SQLite file through Node's built-in `node:sqlite` (no server, no native
 * addon). Several processes (a CLI command next to a running sync) share the file: WAL lets
 * readers run beside the writer, `busy_timeout` makes a second writer wait for the lock instead
 * of failing, and BEGIN IMMEDIATE takes the write lock when a transaction starts.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { SluiceError, messageOf } from '../core/errors.js';
import { nodeSqlite } from '../core/node-sqlite.js';
import { AsyncMutex } from './async-mutex.js';
import type { ControlDb, ControlQueries, SqlValue } from './control-db.js';
import { statementFailed, transactionEnded } from './control-db-error.js';
import { toSqlitePlaceholders } from './sql-text.js';

export const SQLITE_MEMORY = ':memory:';

/** Options for the embedded control database. */
export interface SqliteControlDbOptions {
  /** How long a statement waits for another process's lock before failing; default 10 s. */
  busyTimeoutMs?: number;
}

/**
 * `DatabaseSync` blocks the thread while it waits for a lock, so two connections to one file in
 * the same process could wait on each other forever. All connections to a file in this process
 * therefore take turns through one mutex; across processes SQLite's own lock decides.
 */
const fileMutexes = new Map<string, AsyncMutex>();

function mutexFor(path: string): AsyncMutex {
  if (path === SQLITE_MEMORY) return new AsyncMutex();
  let mutex = fileMutexes.get(path);
  if (!mutex) fileMutexes.set(path, (mutex = new AsyncMutex()));
  return mutex;
}

function isBusy(error: unknown): boolean {
  return /database is locked|SQLITE_BUSY/i.test(messageOf(error));
}

/** Opens (creating it and its parent directories) the SQLite file at an absolute `path`, or `:memory:`. */
export async function openSqliteControlDb(
  path: string,
  options: SqliteControlDbOptions = {},
): Promise<ControlDb> {
  const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 10_000));
  let db: DatabaseSync | undefined;
  try {
    if (path !== SQLITE_MEMORY) mkdirSync(dirname(path), { recursive: true });
    db = new (nodeSqlite().DatabaseSync)(path);
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    await switchToWal(db, Date.now() + busyTimeoutMs);
    db.exec('PRAGMA foreign_keys = ON');
  } catch (error) {
    db?.close();
    throw new SluiceError('CONTROL_DB', `cannot open the control database ${path}: ${messageOf(error)}`, {
      cause: error,
      retryable: isBusy(error),
      hint: 'check that the directory is writable and the file is a SQLite database, or set `control:` in sluice.yml',
    });
  }
  return new SqliteControlDb(db, mutexFor(path));
}

/**
 * Switching a new file to WAL needs an exclusive lock and SQLite reports "database is locked" at
 * once, without its busy handler, when another process is doing the same (seen when a CLI and a
 * sync create the file together), so this waits and retries itself. WAL is a property of the
 * file: once set, later opens find it and skip the switch.
 */
async function switchToWal(db: DatabaseSync, deadline: number): Promise<void> {
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      const [row] = db.prepare('PRAGMA journal_mode').all() as { journal_mode?: string }[];
      if (row?.journal_mode !== 'wal') db.exec('PRAGMA journal_mode = WAL');
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

class SqliteControlDb implements ControlDb {
  readonly dialect = 'sqlite';
  private closed = false;

  constructor(
    private readonly db: DatabaseSync,
    private readonly mutex: AsyncMutex,
  ) {}

  query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.mutex.run(() => this.rows<T>(sql, params));
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.mutex.run(() => this.changes(sql, params));
  }

  transaction<T>(fn: (tx: ControlQueries) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.changes('BEGIN IMMEDIATE', []);
      let active = true;
      const guard = async <R>(run: () => R): Promise<R> => {
        if (!active) throw transactionEnded();
        return run();
      };
      const tx: ControlQueries = {
        dialect: this.dialect,
        query: <R extends object>(sql: string, params: readonly SqlValue[] = []) =>
          guard(() => this.rows<R>(sql, params)),
        execute: (sql, params = []) => guard(() => this.changes(sql, params)),
      };
      try {
        const result = await fn(tx);
        active = false;
        this.changes('COMMIT', []);
        return result;
      } catch (error) {
        active = false;
        // SQLite may already have rolled back (e.g. after SQLITE_FULL); that is fine.
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  close(): Promise<void> {
    return this.mutex.run(() => {
      if (this.closed) return;
      this.closed = true;
      this.db.close();
    });
  }

  private prepare(sql: string): StatementSync {
    return this.db.prepare(toSqlitePlaceholders(sql));
  }

  private rows<T>(sql: string, params: readonly SqlValue[]): T[] {
    try {
      // node:sqlite returns null-prototype rows; plain objects print and compare as expected.
      return this.prepare(sql)
        .all(...params)
        .map((row) => ({ ...row }) as T);
    } catch (error) {
      throw statementFailed(error, sql, isBusy(error));
    }
  }

  private changes(sql: string, params: readonly SqlValue[]): number {
    try {
      return Number(this.prepare(sql).run(...params).changes);
    } catch (error) {
      throw statementFailed(error, sql, isBusy(error));
    }
  }
}
