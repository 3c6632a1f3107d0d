/**
 * The MySQL/MariaDB source. Every operation uses connections of its own (a read holds one per
 * key range for its whole result set), so streams can be read one after another or side by
 * side; close() ends whatever is still open. Small tables, and tables without an integer
 * primary key, are read with one streaming SELECT in one consistent snapshot; large ones are
 * split into key ranges read in parallel (`mysql-key-ranges.ts`), all starting on the same data.
 */
import type { Connection } from 'mysql2';
import { SluiceError } from '../../core/errors.js';
import type { SourcePosition, StagedChunk, StreamPlan, StreamSchema } from '../../core/stream.js';
import type { Connector, ConnectorDefinition } from '../connector.js';
import { interleaveChunks } from '../interleave-chunks.js';
import { cursorColumnOf, drainChunks, keysPlan, withFinalPosition } from '../cursor-position.js';
import { assertFullOrCursorRead } from '../read-modes.js';
import { StageChunkWriter } from '../stage-chunk-writer.js';
import { mysqlConfigSchema } from './mysql-config.js';
import type { MysqlConfig } from './mysql-config.js';
import {
  beginSnapshot,
  closeMysqlConnection,
  mysqlQuery,
  openMysqlConnection,
  parseMysqlUrl,
} from './mysql-connection.js';
import type { MysqlEndpoint } from './mysql-connection.js';
import { discoverMysql } from './mysql-discover.js';
import { connectError, queryError } from './mysql-errors.js';
import { incrementalSelect, mysqlIncrementalWindow, readMysqlHorizon } from './mysql-incremental.js';
import { splitColumn, startRangeReads } from './mysql-key-ranges.js';
import type { RangeRead } from './mysql-key-ranges.js';
import { mysqlSelectStatement, stageMysqlSelect } from './mysql-reader.js';

export const mysqlConnectorDefinition: ConnectorDefinition<MysqlConfig> = {
  type: 'mysql',
  configSchema: mysqlConfigSchema,
  capabilities: {
    incremental: true,
    incrementalBy: 'cursor',
    reconcileDeletes: true,
    cdc: true,
    parallelChunks: true,
  },
  create: (config) => new MysqlConnector(config),
};

export class MysqlConnector implements Connector {
  /** Source type, as in the registry. */
  readonly type = 'mysql';
  /** The database discover() lists; becomes the lake namespace. */
  readonly namespace: string;
  /** What the source supports (incremental reads by a cursor column, key-range chunks). */
  readonly capabilities = mysqlConnectorDefinition.capabilities;
  private readonly endpoint: MysqlEndpoint;
  private readonly connections = new Set<Connection>();
  private closed = false;

  constructor(private readonly config: MysqlConfig) {
    this.endpoint = parseMysqlUrl(config.url);
    this.namespace = this.endpoint.database;
  }

  async check(signal?: AbortSignal): Promise<void> {
    const connection = await this.connect(signal);
    const stop = () => void this.release(connection, false);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await mysqlQuery(connection, 'SELECT 1');
    } catch (error) {
      throw signal?.aborted ? this.aborted() : queryError(error, 'checking the source', null, 'SELECT 1');
    } finally {
      signal?.removeEventListener('abort', stop);
      await this.release(connection, true);
    }
  }

  async discover(): Promise<StreamSchema[]> {
    const connection = await this.connect();
    try {
      return await discoverMysql(connection, this.endpoint.database);
    } finally {
      await this.release(connection, true);
    }
  }

  async *read(plan: StreamPlan, from: SourcePosition | null): AsyncGenerator<StagedChunk> {
    assertFullOrCursorRead(plan, 'MySQL');
    if (plan.mode === 'incremental') {
      yield* this.readIncrementally(plan, from);
      return;
    }
    const column = splitColumn(plan, this.config);
    const ranges = column ? await this.startRanges(plan, column) : null;
    if (ranges) {
      const readers = ranges.map((range, i) => this.readRange(plan, range, `r${i}-`));
      yield* interleaveChunks(readers, () => ranges.forEach((r) => void this.release(r.connection, false)));
      return;
    }
    const connection = await this.connect();
    try {
      await beginSnapshot(connection);
    } catch (error) {
      await this.release(connection, false);
      throw queryError(error, 'opening a snapshot', null, 'START TRANSACTION WITH CONSISTENT SNAPSHOT');
    }
    yield* this.readRange(plan, { connection, condition: '' }, '');
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.connections].map((connection) => this.release(connection, false)));
  }

  /** Reads one range (or the whole table) on its connection. */
  private readRange(plan: StreamPlan, range: RangeRead, prefix: string): AsyncGenerator<StagedChunk> {
    return this.readSelect(plan, range.connection, mysqlSelectStatement(plan, range.condition), prefix);
  }

  /**
   * A cursor read (`mysql-incremental.ts`) on one connection: the horizon before the snapshot,
   * then the position and the rows in it; the last chunk carries the position.
   */
  private async *readIncrementally(
    plan: StreamPlan,
    from: SourcePosition | null,
  ): AsyncGenerator<StagedChunk> {
    const cursor = cursorColumnOf(plan);
    const connection = await this.connect();
    let window;
    try {
      const horizon = await readMysqlHorizon(connection, plan, cursor);
      try {
        await beginSnapshot(connection);
      } catch (error) {
        throw queryError(error, 'opening a snapshot', null, 'START TRANSACTION WITH CONSISTENT SNAPSHOT');
      }
      window = await mysqlIncrementalWindow(connection, plan, from, horizon);
      // Every key, in the same snapshot as the rows, when deletes are reconciled (cursor-position.ts).
      const keys = keysPlan(plan);
      if (keys) {
        const writer = new StageChunkWriter(keys.stageDir, 'keys-');
        await drainChunks(stageMysqlSelect(connection, keys, mysqlSelectStatement(keys), writer));
      }
    } catch (error) {
      await this.release(connection, false);
      throw error;
    }
    const { readPlan, sql } = incrementalSelect(plan, window);
    const operations = window.operation !== null;
    const chunks = withFinalPosition(this.readSelect(readPlan, connection, sql, ''), from, window.position);
    for await (const chunk of chunks) yield operations ? { ...chunk, operations } : chunk;
  }

  /**
   * Streams one SELECT on its connection, then releases it. Ending the session ends the read-only
   * snapshot: once the last row has arrived nothing can fail the read any more.
   */
  private async *readSelect(
    plan: StreamPlan,
    connection: Connection,
    sql: string,
    prefix: string,
  ): AsyncGenerator<StagedChunk> {
    let ok = false;
    try {
      yield* stageMysqlSelect(connection, plan, sql, new StageChunkWriter(plan.stageDir, prefix));
      ok = true;
    } finally {
      await this.release(connection, ok);
    }
  }

  private async startRanges(plan: StreamPlan, column: string): Promise<RangeRead[] | null> {
    try {
      return await startRangeReads(() => this.connect(), plan, column, this.config.parallelism);
    } catch (error) {
      const table = `${plan.schema.namespace}.${plan.schema.name}`;
      throw queryError(error, `splitting ${table} into key ranges`, table, `SELECT MIN/MAX(${column})`);
    }
  }

  private async connect(signal?: AbortSignal): Promise<Connection> {
    if (this.closed) {
      throw new SluiceError('USAGE', 'the MySQL connector is closed', {
        hint: 'create a new connector for further work',
      });
    }
    if (signal?.aborted) throw this.aborted();
    let connection: Connection;
    try {
      connection = await openMysqlConnection(this.endpoint, this.config, signal);
    } catch (error) {
      throw signal?.aborted ? this.aborted() : connectError(error, this.endpoint);
    }
    this.connections.add(connection);
    // close() may have run while the connection was being opened.
    if (this.closed) {
      await this.release(connection, false);
      throw new SluiceError('USAGE', 'the MySQL connector was closed', { hint: 'create a new connector' });
    }
    return connection;
  }

  private async release(connection: Connection, graceful: boolean): Promise<void> {
    if (!this.connections.delete(connection)) return;
    await closeMysqlConnection(connection, graceful);
  }

  private aborted(): SluiceError {
    const { host, port } = this.endpoint;
    return new SluiceError('SOURCE_CONNECT', `connecting to ${host}:${port} was cancelled`, {
      retryable: true,
    });
  }
}
