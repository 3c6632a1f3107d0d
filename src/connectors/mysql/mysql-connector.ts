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
import { assertFullRead } from '../read-modes.js';
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
import { splitColumn, startRangeReads } from './mysql-key-ranges.js';
import type { RangeRead } from './mysql-key-ranges.js';
import { mysqlSelectStatement, stageMysqlSelect } from './mysql-reader.js';

export const mysqlConnectorDefinition: ConnectorDefinition<MysqlConfig> = {
  type: 'mysql',
  configSchema: mysqlConfigSchema,
  capabilities: { incremental: false, cdc: false, parallelChunks: true },
  create: (config) => new MysqlConnector(config),
};

export class MysqlConnector implements Connector {
  /** Source type, as in the registry. */
  readonly type = 'mysql';
  /** The database discover() lists; becomes the lake namespace. */
  readonly namespace: string;
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

  async *read(plan: StreamPlan, _from: SourcePosition | null): AsyncGenerator<StagedChunk> {
    assertFullRead(plan, 'MySQL');
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

  /**
   * Reads one range (or the whole table) on its connection. Ending the session ends the read-only
   * snapshot: once the last row has arrived nothing can fail the read any more.
   */
  private async *readRange(plan: StreamPlan, range: RangeRead, prefix: string): AsyncGenerator<StagedChunk> {
    let ok = false;
    try {
      const sql = mysqlSelectStatement(plan, range.condition);
      yield* stageMysqlSelect(range.connection, plan, sql, new StageChunkWriter(plan.stageDir, prefix));
      ok = true;
    } finally {
      await this.release(range.connection, ok);
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
