/**
 * A DuckDB database file as a destination (`duckdb:<file>`, created when missing): each stream
 * becomes the table `<namespace>.<table>`, with the same dispositions and single-transaction
 * commits as PostgreSQL (`../sql/sql-stream-writer.ts`). DuckDB lets one process at a time open
 * a file read-write; the file is opened by `check()` (or the first stream) and held until
 * `close()`, so a second sync, or a DuckDB shell holding the file, fails at once with a clear
 * error instead of halfway through.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SluiceError, messageOf } from '../../core/errors.js';
import type { DuckDB, DuckDBOptions } from '../../engine/duckdb.js';
import { openDuckDB } from '../../engine/duckdb.js';
import type { SourcePosition } from '../../core/stream.js';
import type {
  Destination,
  DestinationCapabilities,
  DestinationStream,
  StreamWriter,
} from '../destination.js';
import { SQL_CAPABILITIES, openSqlStream } from '../sql/open-sql-stream.js';
import type { LastCommit } from '../sql/sql-state.js';
import { readLastCommit } from '../sql/sql-state.js';
import { DuckDBSession } from './duckdb-session.js';

/** The database file of a `duckdb:<file>` URL, absolute. Throws a usage error otherwise. */
export function duckdbFileOf(url: string): string {
  const target = url.startsWith('duckdb:') ? url.slice('duckdb:'.length) : '';
  if (target === '' || target === ':memory:') {
    throw new SluiceError('USAGE', `duckdb: needs a database file: ${url}`, {
      hint: 'e.g. duckdb:./warehouse.duckdb (created when missing)',
    });
  }
  return path.resolve(target.startsWith('file://') ? new URL(target).pathname : target);
}

/** The error for a file DuckDB would not open, with what to do about it. */
function openError(file: string, error: unknown): SluiceError {
  const cause = error instanceof SluiceError && error.cause !== undefined ? error.cause : error;
  const detail = messageOf(cause);
  if (/lock/i.test(detail)) {
    return new SluiceError(
      'DESTINATION_WRITE',
      `the DuckDB file ${file} is in use by another process: ${detail}`,
      {
        cause,
        retryable: true,
        hint: 'DuckDB lets one process at a time write a file: wait for the other sync to finish, or close the DuckDB shell or notebook that has it open',
      },
    );
  }
  return new SluiceError('DESTINATION_WRITE', `cannot open the DuckDB file ${file}: ${detail}`, {
    cause,
    hint: 'duckdb:<file> must name a DuckDB database file (or a new file) in a writable directory',
  });
}

export class DuckDBFileDestination implements Destination {
  readonly capabilities: DestinationCapabilities = { ...SQL_CAPABILITIES, stagedFormats: ['csv', 'parquet'] };
  private db: Promise<DuckDB> | undefined;
  private closed = false;

  /** `file` is the database path; does no I/O. */
  constructor(
    readonly file: string,
    private readonly options: DuckDBOptions = {},
  ) {}

  async check(): Promise<void> {
    await (await this.database()).run('SELECT 1');
  }

  async openStream(stream: DestinationStream): Promise<StreamWriter> {
    const session = new DuckDBSession(await (await this.database()).connect());
    return openSqlStream(session, stream, stream.namespace);
  }

  /**
   * The position in the table's `_sluice_state` row, written by the transaction that wrote the
   * table's current rows: the data and the position a resumed run starts from cannot disagree.
   */
  async lastPosition(table: { namespace: string; name: string }): Promise<SourcePosition | null> {
    return (await this.lastCommit(table.namespace, table.name))?.position ?? null;
  }

  /** The state row of a table: run id and source position of its last commit; null when never committed. */
  async lastCommit(namespace: string, name: string): Promise<LastCommit | null> {
    const session = new DuckDBSession(await (await this.database()).connect());
    try {
      return await readLastCommit(session, { schema: namespace, name });
    } finally {
      await session.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const db = this.db;
    this.db = undefined;
    // The file lock goes with the instance: close it so another process may open the file.
    if (db) (await db.catch(() => undefined))?.close();
  }

  private database(): Promise<DuckDB> {
    if (this.closed) {
      return Promise.reject(
        new SluiceError('USAGE', 'the DuckDB destination is closed', { hint: 'open a new destination' }),
      );
    }
    this.db ??= this.open();
    return this.db;
  }

  private async open(): Promise<DuckDB> {
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      // Insertion order stays on whatever the options say: merge relies on it (see duckdb-session.ts).
      return await openDuckDB({ ...this.options, path: this.file, preserveInsertionOrder: true });
    } catch (error) {
      this.db = undefined;
      throw openError(this.file, error);
    }
  }
}
