/**
 * The SQLite source: a database file opened read-only (never created), through Node's built-in
 * node:sqlite. One connection serves check, discover and reads; close() closes it.
 */
import { statSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { SluiceError } from '../../core/errors.js';
import { nodeSqlite } from '../../core/node-sqlite.js';
import type { SourcePosition, StagedChunk, StreamPlan, StreamSchema } from '../../core/stream.js';
import type { Connector, ConnectorDefinition } from '../connector.js';
import type { KeyRangeEvent, KeyRangePlan, KeyRangeSource } from '../key-range-read.js';
import { assertFullOrCursorRead } from '../read-modes.js';
import { sqliteConfigSchema } from './sqlite-config.js';
import type { SqliteConfig } from './sqlite-config.js';
import { SQLITE_NAMESPACE, discoverSqlite } from './sqlite-discover.js';
import { sqliteError } from './sqlite-errors.js';
import { readSqliteIncrementally } from './sqlite-incremental.js';
import { planSqliteKeyRanges, readSqliteKeyRanges } from './sqlite-key-ranges.js';
import { readSqliteTable } from './sqlite-reader.js';

export const sqliteConnectorDefinition: ConnectorDefinition<SqliteConfig> = {
  type: 'sqlite',
  configSchema: sqliteConfigSchema,
  capabilities: {
    incremental: true,
    incrementalBy: 'cursor',
    reconcileDeletes: true,
    cdc: false,
    parallelChunks: false,
  },
  create: (config) => new SqliteConnector(config),
};

export class SqliteConnector implements Connector, KeyRangeSource {
  /** Source type, as in the registry. */
  readonly type = 'sqlite';
  /** SQLite's namespace is always the file's main database. */
  readonly namespace = SQLITE_NAMESPACE;
  /** What the source supports (incremental reads by a cursor column). */
  readonly capabilities = sqliteConnectorDefinition.capabilities;
  private db: DatabaseSync | undefined;
  private closed = false;

  constructor(private readonly config: SqliteConfig) {}

  async check(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    try {
      this.open().prepare('SELECT count(*) FROM main.sqlite_schema').get();
    } catch (error) {
      throw sqliteError(error, this.config.path, 'checking the file');
    }
  }

  async discover(): Promise<StreamSchema[]> {
    try {
      return discoverSqlite(this.open());
    } catch (error) {
      throw sqliteError(error, this.config.path, 'discovering tables');
    }
  }

  async *read(plan: StreamPlan, from: SourcePosition | null): AsyncGenerator<StagedChunk> {
    assertFullOrCursorRead(plan, 'SQLite');
    if (plan.mode === 'incremental')
      yield* readSqliteIncrementally(this.open(), this.config.path, plan, from);
    else yield* readSqliteTable(this.open(), this.config.path, plan);
  }

  async planKeyRanges(plan: StreamPlan, rowsPerRange: number, maxRanges: number): Promise<KeyRangePlan> {
    assertFullOrCursorRead(plan, 'SQLite');
    return planSqliteKeyRanges(this.open(), this.config.path, plan, rowsPerRange, maxRanges);
  }

  readKeyRanges(
    plan: StreamPlan,
    keys: KeyRangePlan,
    ranges: readonly number[],
  ): AsyncIterable<KeyRangeEvent> {
    assertFullOrCursorRead(plan, 'SQLite');
    return readSqliteKeyRanges(this.open(), this.config.path, plan, keys, ranges);
  }

  async close(): Promise<void> {
    this.closed = true;
    const db = this.db;
    this.db = undefined;
    if (db?.isOpen) db.close();
  }

  private open(): DatabaseSync {
    if (this.closed) {
      throw new SluiceError('USAGE', 'the SQLite connector is closed', {
        hint: 'create a new connector for further work',
      });
    }
    if (this.db) return this.db;
    const file = this.config.path;
    let isFile: boolean;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new SluiceError('SOURCE_NOT_FOUND', `SQLite file ${file} does not exist`, {
        hint: `check the path after sqlite: (a relative path is resolved against ${process.cwd()})`,
      });
    }
    if (!isFile) {
      throw new SluiceError('SOURCE_NOT_FOUND', `${file} is not a file`, {
        hint: 'sqlite: must name a database file, e.g. sqlite:./shop.db',
      });
    }
    try {
      this.db = new (nodeSqlite().DatabaseSync)(file, { readOnly: true });
    } catch (error) {
      throw sqliteError(error, file, 'opening the file');
    }
    return this.db;
  }
}
