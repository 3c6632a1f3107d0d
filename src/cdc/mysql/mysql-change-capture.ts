/**
 * MySQL/MariaDB change capture from the row binlog (see `src/cdc/change-capture.ts` for the
 * contract). Positions are binlog file/offset at transaction boundaries, committed with the data
 * by the runner; nothing is kept on the server, so `prepare`, `acknowledge` and `drop` have
 * nothing to do — the server's binlog retention (expire_logs_days /
 * binlog_expire_logs_seconds) decides how long Sluice may stay away before it must re-snapshot.
 *
 * The initial snapshot reads every stream in one `START TRANSACTION WITH CONSISTENT SNAPSHOT`
 * with the MySQL connector's own reader, so rows are staged exactly as a full sync stages them.
 * MariaDB reports the binlog position that snapshot is consistent with
 * (`Binlog_snapshot_file/position`, no lock needed); on MySQL the position is read under a brief
 * `FLUSH TABLES WITH READ LOCK` while the snapshot opens.
 */
import path from 'node:path';
import type { Connection, ConnectionOptions } from 'mysql2';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError } from '../../core/errors.js';
import type { StreamPlan } from '../../core/stream.js';
import { mysqlConfigFromUrl } from '../../connectors/mysql/mysql-config.js';
import type { MysqlConfig } from '../../connectors/mysql/mysql-config.js';
import {
  beginSnapshot,
  closeMysqlConnection,
  mysqlQuery,
  openMysqlConnection,
  parseMysqlUrl,
} from '../../connectors/mysql/mysql-connection.js';
import type { MysqlEndpoint } from '../../connectors/mysql/mysql-connection.js';
import { connectError, queryError } from '../../connectors/mysql/mysql-errors.js';
import { mysqlSelectStatement, stageMysqlSelect } from '../../connectors/mysql/mysql-reader.js';
import { StageChunkWriter } from '../../connectors/stage-chunk-writer.js';
import { captureStreamKey } from '../change-capture.js';
import type {
  CaptureSnapshot,
  CaptureStatus,
  ChangeBatch,
  ChangeCapture,
  ChangeCaptureDefinition,
  ChangeCaptureOptions,
  ChangeStreamOptions,
  LogPosition,
  SnapshotChunk,
} from '../change-capture.js';
import { checkBinlogColumnTypes, describeMysqlTable } from './mysql-binlog-columns.js';
import type { DescribedTable } from './mysql-binlog-columns.js';
import { binlogLogPosition, compareBinlogPositions, parseBinlogPosition } from './mysql-binlog-position.js';
import type { BinlogPosition } from './mysql-binlog-position.js';
import { BinlogReader } from './mysql-binlog-reader.js';
import type { BinlogRowsItem } from './mysql-binlog-reader.js';
import { checkMysqlCapturePrerequisites } from './mysql-capture-prerequisites.js';
import { StagedChangeBatch } from './mysql-change-batch.js';

export const mysqlChangeCaptureDefinition: ChangeCaptureDefinition = {
  type: 'mysql',
  fromUrl: (url, options) => new MysqlChangeCapture(mysqlConfigFromUrl(url), options),
};

const RESNAPSHOT_HINT = 're-snapshot with `sluice sync --mode cdc --resnapshot`';
/** How often an idle stream wakes up to check its batch age and the abort signal. */
const IDLE_POLL_MS = 200;

/** A stream's columns as the binlog currently delivers them (identity matters: see StagedChangeBatch). */
interface StreamColumns {
  /** The stream as planned. */
  plan: StreamPlan;
  /** The columns its rows are staged with now (grows when columns are added). */
  columns: CanonicalColumn[];
}

export class MysqlChangeCapture implements ChangeCapture {
  private readonly endpoint: MysqlEndpoint;
  private readonly connections = new Set<Connection>();
  private readonly described = new Map<string, DescribedTable>();
  private control: Connection | undefined;
  private closed = false;
  private batchCount = 0;
  private snapshotCount = 0;

  constructor(
    private readonly config: MysqlConfig,
    private readonly options: ChangeCaptureOptions,
  ) {
    this.endpoint = parseMysqlUrl(config.url);
  }

  async check(streams: StreamPlan[]): Promise<void> {
    const connection = await this.controlConnection();
    try {
      await checkMysqlCapturePrerequisites(connection, streams);
    } catch (error) {
      throw queryError(
        error,
        'checking the change capture prerequisites',
        null,
        'SELECT @@GLOBAL.log_bin, …',
      );
    }
  }

  async prepare(): Promise<void> {
    // The binlog needs no slot: the committed position is the only state, kept with the data.
  }

  async snapshot(streams: StreamPlan[]): Promise<CaptureSnapshot> {
    const connection = await this.connect();
    let position: BinlogPosition;
    try {
      position = await this.openSnapshot(connection);
    } catch (error) {
      await this.release(connection, false);
      throw queryError(
        error,
        'opening a consistent snapshot',
        null,
        'START TRANSACTION WITH CONSISTENT SNAPSHOT',
      );
    }
    const release = (graceful: boolean) => this.release(connection, graceful);
    // Unique per snapshot: a run may snapshot again (a stream added) into the same stage directory.
    const prefix = `snapshot${this.snapshotCount++}-`;
    async function* chunks(): AsyncGenerator<SnapshotChunk> {
      for (const plan of streams) {
        const sql = mysqlSelectStatement(plan);
        const writer = new StageChunkWriter(plan.stageDir, prefix);
        for await (const chunk of stageMysqlSelect(connection, plan, sql, writer)) {
          yield {
            stream: captureStreamKey(plan),
            chunk: { ...chunk, position: binlogLogPosition(position) },
          };
        }
      }
      await release(true);
    }
    return { position: binlogLogPosition(position), chunks: chunks(), close: () => release(false) };
  }

  async *changes(
    streams: StreamPlan[],
    from: LogPosition,
    options: ChangeStreamOptions,
  ): AsyncGenerator<ChangeBatch> {
    const start = parseBinlogPosition(from);
    await this.checkPositionAvailable(start);
    const target = options.untilCaughtUp ? await this.masterPosition() : null;
    const byKey = new Map<string, StreamColumns>(
      streams.map((plan) => [captureStreamKey(plan), { plan, columns: plan.schema.columns }]),
    );
    let position: LogPosition = binlogLogPosition(start);
    const goal = target ? binlogLogPosition(target) : null;
    const reached = () => goal !== null && compareBinlogPositions(position, goal) >= 0;
    if (reached()) {
      yield await this.newBatch().finish(position, true);
      return;
    }
    const reader = new BinlogReader({
      connection: this.driverOptions(),
      from: start,
      tables: tablesOf(streams),
      describe: async (database, table) => {
        const described = await describeMysqlTable(await this.controlConnection(), database, table);
        this.described.set(`${database}.${table}`, described);
        return described.schemas;
      },
    });
    reader.start(1_000_000_000 + Math.floor(Math.random() * 1_000_000_000));
    let batch = this.newBatch();
    let openRows = false;
    let changed = false;
    let yielded = position;
    let yieldedAt = Date.now();
    try {
      while (!options.signal.aborted) {
        const item = await reader.next(IDLE_POLL_MS).catch((error: unknown) => {
          throw binlogError(error, start);
        });
        if (item?.kind === 'rows') {
          // The table already holds this transaction (it started before the table's position).
          const held = options.streamFrom?.get(item.table);
          if (held && compareBinlogPositions(position, held) < 0) continue;
          const stream = this.streamOf(byKey, item);
          await batch.addRows(item.table, stream.plan.primaryKey, stream.columns, item.op, item.rows);
          openRows = true;
          changed = true;
          continue;
        }
        if (item?.kind === 'truncate') {
          const held = options.streamFrom?.get(item.table);
          if (held && compareBinlogPositions(position, held) < 0) continue;
          const stream = byKey.get(item.table) as StreamColumns;
          await batch.truncate(item.table, stream.plan.primaryKey, stream.columns);
          changed = true;
          continue;
        }
        if (item?.kind === 'unloggable') {
          throw new SluiceError(
            'CDC_PREREQUISITE',
            `a change of ${item.table} is in the binlog as ${item.what}, not as full rows: binlog capture cannot apply it`,
            {
              hint: `make every session log full rows (binlog_format = ROW, binlog_row_image = FULL, no SET SESSION overrides; no XA transactions on captured tables), then ${RESNAPSHOT_HINT}`,
            },
          );
        }
        if (item?.kind === 'table-gone') {
          throw new SluiceError(
            'SCHEMA_CHANGE',
            `${item.table} was dropped or renamed in the source (${item.statement})`,
            {
              hint: `remove the stream from the project, or recreate the table and ${RESNAPSHOT_HINT}`,
            },
          );
        }
        if (item?.kind === 'commit' && changed) {
          // Only transactions that changed a captured table count (and time the latency).
          batch.transactions++;
          batch.commitTimes.push(item.timestamp);
        }
        if (item?.kind === 'commit') {
          openRows = false;
          changed = false;
        }
        if (item) position = binlogLogPosition(item.position);
        if (openRows) continue;
        const full = batch.changes >= options.maxRows;
        const old = batch.firstChangeAt !== null && Date.now() - batch.firstChangeAt >= options.maxMs;
        // Only other tables' transactions for a while: a heartbeat lets the position advance.
        const heartbeat =
          batch.empty &&
          Date.now() - yieldedAt >= options.maxMs &&
          compareBinlogPositions(position, yielded) > 0;
        if (full || old || reached() || heartbeat) {
          const caughtUp = reached();
          yield await batch.finish(position, caughtUp);
          yielded = position;
          yieldedAt = Date.now();
          if (caughtUp) return;
          batch = this.newBatch();
        }
      }
    } finally {
      reader.stop();
      await batch.abort();
    }
  }

  async acknowledge(): Promise<void> {
    // Nothing to confirm: the server keeps its binlog by its own retention, not by consumer.
  }

  compare(a: LogPosition, b: LogPosition): number {
    return compareBinlogPositions(a, b);
  }

  async status(): Promise<CaptureStatus> {
    const connection = await this.controlConnection();
    const sql =
      'SELECT @@GLOBAL.log_bin AS log_bin, @@GLOBAL.binlog_format AS binlog_format, @@GLOBAL.binlog_row_image AS binlog_row_image, @@GLOBAL.expire_logs_days AS expire_logs_days';
    const [server] = await mysqlQuery<Record<string, string>>(connection, sql).catch((error: unknown) => {
      throw queryError(error, 'reading the binlog settings', null, sql);
    });
    const on = server?.log_bin === '1';
    const current = on ? binlogLogPosition(await this.masterPosition()) : {};
    const logs = on ? await this.binaryLogs() : [];
    return {
      source: 'mysql',
      name: 'binlog',
      health: on ? 'ok' : 'not_prepared',
      confirmed: null,
      current,
      lagBytes: null,
      active: null,
      details: {
        binlog_format: server?.binlog_format ?? null,
        binlog_row_image: server?.binlog_row_image ?? null,
        expire_logs_days: server?.expire_logs_days ?? null,
        oldest_binlog: logs[0]?.file ?? null,
        binlog_files: logs.length,
        binlog_bytes: logs.reduce((sum, log) => sum + log.size, 0),
      },
    };
  }

  async drop(): Promise<void> {
    // Nothing was created on the server.
  }

  async close(): Promise<void> {
    this.closed = true;
    this.control = undefined;
    await Promise.all([...this.connections].map((connection) => this.release(connection, false)));
  }

  /**
   * The columns the rows of this event are staged with: the stream's, or more of them when
   * columns were added at the end of the table since (a new array, so the batch starts a new
   * segment and the runner evolves the table). Rows logged before columns the stream already has
   * were added get NULL there. Either way only for columns every existing row got as NULL
   * (`nullWhenAdded`); any other difference — a column dropped, renamed, retyped or moved, or
   * added with a value — is a SCHEMA_CHANGE: merging these images could not keep the lake table
   * equal to the source.
   */
  private streamOf(byKey: Map<string, StreamColumns>, item: BinlogRowsItem): StreamColumns {
    const stream = byKey.get(item.table) as StreamColumns;
    const described = this.described.get(item.table);
    const now = described?.columns ?? stream.columns;
    checkBinlogColumnTypes(item.table, now, item.columns, item.types);
    const logged = now.slice(0, item.columns.length);
    const common = Math.min(logged.length, stream.columns.length);
    const differs = stream.columns
      .slice(0, common)
      .findIndex(
        (column, i) => logged[i]?.name !== column.name || logged[i]?.sourceType !== column.sourceType,
      );
    const schemaChange = (change: string) =>
      new SluiceError(
        'SCHEMA_CHANGE',
        `${item.table} changed in the binlog: ${change}; change capture picks up only nullable columns without a default added at the end of a table`,
        { hint: RESNAPSHOT_HINT },
      );
    if (differs >= 0) {
      const was = stream.columns[differs] as CanonicalColumn;
      const is = logged[differs];
      throw schemaChange(
        !now.some((c) => c.name === was.name)
          ? `column ${was.name} is gone (dropped or renamed)`
          : is?.name === was.name
            ? `column ${was.name} changed type from ${was.sourceType} to ${is.sourceType}`
            : `column ${was.name} moved (or a column before it was dropped)`,
      );
    }
    const nullWhenAdded = described?.nullWhenAdded ?? new Set<string>();
    const added = logged.slice(common).concat(stream.columns.slice(common));
    const valued = added.find((column) => !nullWhenAdded.has(column.name));
    if (valued) {
      throw schemaChange(
        now.some((c) => c.name === valued.name)
          ? `column ${valued.name} was added with a value for existing rows (NOT NULL, a default or generated), which the binlog does not carry`
          : `column ${valued.name} is gone (dropped or renamed)`,
      );
    }
    if (logged.length > stream.columns.length) stream.columns = logged;
    return stream;
  }

  private newBatch(): StagedChangeBatch {
    const name = `batch${String(this.batchCount++).padStart(6, '0')}`;
    return new StagedChangeBatch(path.join(this.options.stageDir, 'mysql-changes'), name);
  }

  /** Opens the snapshot transaction and returns the binlog position it is consistent with. */
  private async openSnapshot(connection: Connection): Promise<BinlogPosition> {
    await beginSnapshot(connection);
    const status = await mysqlQuery<{ Variable_name: string; Value: string }>(
      connection,
      "SHOW STATUS LIKE 'binlog_snapshot_%'",
    );
    const file = status.find((s) => s.Variable_name.toLowerCase() === 'binlog_snapshot_file')?.Value;
    const pos = status.find((s) => s.Variable_name.toLowerCase() === 'binlog_snapshot_position')?.Value;
    if (file && pos) return { file, pos: Number(pos) };
    // MySQL: no snapshot position; hold writes while the snapshot opens and the position is read.
    await mysqlQuery(connection, 'ROLLBACK');
    await mysqlQuery(connection, 'FLUSH TABLES WITH READ LOCK');
    try {
      await mysqlQuery(connection, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      return await this.masterPosition(connection);
    } finally {
      await mysqlQuery(connection, 'UNLOCK TABLES');
    }
  }

  private async masterPosition(connection?: Connection): Promise<BinlogPosition> {
    const sql = 'SHOW MASTER STATUS';
    const on = connection ?? (await this.controlConnection());
    const [row] = await mysqlQuery<{ File: string; Position: string }>(on, sql).catch((error: unknown) => {
      throw queryError(error, 'reading the binlog position', null, sql);
    });
    if (!row) {
      throw new SluiceError(
        'CDC_PREREQUISITE',
        'SHOW MASTER STATUS returned nothing: the binary log is off',
        {
          hint: 'start the server with --log-bin --binlog-format=ROW --server-id=<n>',
          sql,
        },
      );
    }
    return { file: row.File, pos: Number(row.Position) };
  }

  private async binaryLogs(): Promise<{ file: string; size: number }[]> {
    const sql = 'SHOW BINARY LOGS';
    const rows = await mysqlQuery<{ Log_name: string; File_size: string }>(
      await this.controlConnection(),
      sql,
    ).catch((error: unknown) => {
      throw queryError(error, 'listing the binary logs', null, sql);
    });
    return rows.map((row) => ({ file: row.Log_name, size: Number(row.File_size) }));
  }

  /** CDC_POSITION_LOST when the binlog file holding `from` was purged (or `from` lies beyond it). */
  private async checkPositionAvailable(from: BinlogPosition): Promise<void> {
    const logs = await this.binaryLogs();
    const log = logs.find((l) => l.file === from.file);
    if (!log || from.pos > log.size) {
      const available = logs.length > 0 ? `${logs[0]?.file} … ${logs.at(-1)?.file}` : 'none';
      throw new SluiceError(
        'CDC_POSITION_LOST',
        `the binlog from the committed position ${from.file}:${from.pos} is gone (the server has ${available}): changes since then cannot be read`,
        {
          hint: `${RESNAPSHOT_HINT}; to keep this from recurring, raise the server's binlog retention (expire_logs_days / binlog_expire_logs_seconds) above the longest time Sluice may be stopped`,
        },
      );
    }
  }

  private driverOptions(): ConnectionOptions {
    return {
      host: this.endpoint.host,
      port: this.endpoint.port,
      user: this.endpoint.user,
      password: this.endpoint.password,
      connectTimeout: this.config.connectTimeoutMs,
      // An idle binlog dump sends nothing: keepalive notices a server that vanished.
      enableKeepAlive: true,
      ...(this.config.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
    };
  }

  /**
   * The connection for catalog queries, reopened when it broke: a capture runs for days, and
   * the runner restarts a failed stream on the same capture, so a dead connection must not stay.
   */
  private async controlConnection(): Promise<Connection> {
    if (this.control && !usable(this.control)) {
      await this.release(this.control, false);
      this.control = undefined;
    }
    this.control ??= await this.connect();
    return this.control;
  }

  private async connect(): Promise<Connection> {
    if (this.closed) {
      throw new SluiceError('USAGE', 'the MySQL change capture is closed', { hint: 'create a new capture' });
    }
    let connection: Connection;
    try {
      connection = await openMysqlConnection(this.endpoint, this.config);
    } catch (error) {
      throw connectError(error, this.endpoint);
    }
    this.connections.add(connection);
    return connection;
  }

  private async release(connection: Connection, graceful: boolean): Promise<void> {
    if (!this.connections.delete(connection)) return;
    await closeMysqlConnection(connection, graceful);
  }
}

/** False once mysql2 has given the connection up (fatal error, closing, disconnected). */
function usable(connection: Connection): boolean {
  const state = connection as unknown as { _fatalError?: unknown; _closing?: boolean; state?: string };
  return !state._fatalError && !state._closing && state.state !== 'disconnected';
}

/** database → captured table names, the binlog reader's filter. */
function tablesOf(streams: StreamPlan[]): Map<string, Set<string>> {
  const tables = new Map<string, Set<string>>();
  for (const plan of streams) {
    const names = tables.get(plan.schema.namespace) ?? new Set<string>();
    names.add(plan.schema.name);
    tables.set(plan.schema.namespace, names);
  }
  return tables;
}

/** The server's or decoder's error while streaming, as a SluiceError. */
function binlogError(error: unknown, from: BinlogPosition): unknown {
  if (error instanceof SluiceError) return error;
  const errno = (error as { errno?: number }).errno;
  const message = error instanceof Error ? error.message : String(error);
  // ER_MASTER_FATAL_ERROR_READING_BINLOG: purged file, or a position not at an event start.
  if (errno === 1236) {
    return new SluiceError(
      'CDC_POSITION_LOST',
      `the server cannot send the binlog from ${from.file}:${from.pos}: ${message}`,
      {
        hint: RESNAPSHOT_HINT,
        cause: error,
      },
    );
  }
  // The decoder found more columns in the event than the table has now: a column was dropped since.
  if (/schema changed between binlog event and metadata fetch/i.test(message)) {
    return new SluiceError(
      'SCHEMA_CHANGE',
      `the binlog from ${from.file}:${from.pos} predates a change of a captured table: ${message}`,
      {
        hint: RESNAPSHOT_HINT,
        cause: error,
      },
    );
  }
  if (errno === 1227 || errno === 1045) {
    return new SluiceError('CDC_PREREQUISITE', `the server refused the binlog dump: ${message}`, {
      hint: 'GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO the source user',
      cause: error,
    });
  }
  return new SluiceError('SOURCE_READ', `reading the binlog failed: ${message}`, {
    hint: 'the connection to MySQL was lost or the binlog could not be decoded; run the sync again (it resumes from the last commit)',
    retryable: true,
    cause: error,
  });
}
