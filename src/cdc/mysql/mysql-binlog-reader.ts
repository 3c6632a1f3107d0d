/**
 * The row binlog of a MySQL/MariaDB server as an async sequence of small facts — row changes of
 * the captured tables, TRUNCATEs, transaction ends with the position after them — read by
 * `@vlasky/zongji` (binlog dump over mysql2: CRC32 checksums, MariaDB GTID events, row events
 * v1/v2, MariaDB's hires and compressed formats). What this file adds to it:
 *
 * - positions that only ever fall on transaction boundaries (rule 1 of `change-capture.ts`):
 *   a transaction starts at a MariaDB GTID or BEGIN and ends at its XID (InnoDB), its COMMIT
 *   query (non-transactional engines) or, for DDL, its single statement; events outside any
 *   transaction (rotate, GTID list, checkpoint) move the position too, so a run that waits to
 *   catch up with `SHOW MASTER STATUS` gets there even when the log ends on such events;
 * - flow control: the decoder pushes events as the socket delivers them, so the binlog
 *   connection is paused while more than `HIGH_WATER_BYTES` of row events wait for the consumer;
 * - column metadata: MariaDB's binlog does not name columns (binlog_row_metadata=NO_LOG by
 *   default), so the capture supplies each table's columns through `describe` — zongji's own
 *   lookup splits ENUM/SET labels on commas, which breaks a label holding one.
 */
import ZongJi from '@vlasky/zongji';
import type { ConnectionOptions } from 'mysql2';
import type { ColumnSchema } from '@vlasky/zongji';
import type { BinlogPosition } from './mysql-binlog-position.js';
import { isDataChangeStatement, removedTables, truncatedTables } from './mysql-binlog-statements.js';

/** One row change of a captured table: full after-image (insert, update) or before-image (delete). */
export interface BinlogRowsItem {
  kind: 'rows';
  /** `database.table`. */
  table: string;
  /** `i`, `u` or `d`. */
  op: 'i' | 'u' | 'd';
  /** Column names of the rows, in table order, as the table map describes them. */
  columns: string[];
  /** MySQL type codes of those columns (after ENUM/SET resolution), for schema-change checks. */
  types: number[];
  /** The images, keyed by column name. */
  rows: Record<string, unknown>[];
  /** Size of the row event in the binlog, for flow control. */
  bytes: number;
}

/** A TRUNCATE of a captured table (a statement in the log, not row events). */
export interface BinlogTruncateItem {
  kind: 'truncate';
  /** `database.table`. */
  table: string;
}

/** DDL that removes a captured table (DROP TABLE, RENAME TABLE): the capture stops on it. */
export interface BinlogTableGoneItem {
  kind: 'table-gone';
  /** `database.table`. */
  table: string;
  /** The statement. */
  statement: string;
}

/** A transaction ended; `position` is where the next one starts. */
export interface BinlogCommitItem {
  kind: 'commit';
  /** Position after the transaction. */
  position: BinlogPosition;
  /** Source commit time, ms since the epoch. */
  timestamp: number;
}

/** Progress outside any transaction (rotate, GTID list, checkpoint events). */
export interface BinlogProgressItem {
  kind: 'progress';
  /** Position after the event. */
  position: BinlogPosition;
}

/**
 * A change of a captured table the log does not carry as full rows — a statement (session
 * binlog_format=STATEMENT), a partial row image (session binlog_row_image=MINIMAL/NOBLOB), an
 * XA transaction prepared apart from its commit: the capture stops on it.
 */
export interface BinlogUnloggableItem {
  kind: 'unloggable';
  /** `database.table`. */
  table: string;
  /** What the log holds instead of full rows, for the message. */
  what: string;
}

export type BinlogItem =
  | BinlogRowsItem
  | BinlogUnloggableItem
  | BinlogTruncateItem
  | BinlogTableGoneItem
  | BinlogCommitItem
  | BinlogProgressItem;

/** How to reach the server and what to read. */
export interface BinlogReaderOptions {
  /** mysql2 connection options (host, port, user, password). */
  connection: ConnectionOptions;
  /** Where to start: a transaction boundary. */
  from: BinlogPosition;
  /** The captured tables: database → table names. */
  tables: Map<string, Set<string>>;
  /** The columns of a table now (information_schema), with ENUM/SET labels parsed exactly. */
  describe(database: string, table: string): Promise<ColumnSchema[]>;
}

/** Bytes of row events (as logged) queued ahead of the consumer before the binlog connection is paused. */
const HIGH_WATER_BYTES = 32 * 1024 * 1024;
/** Queued bytes below which a paused connection resumes. */
const LOW_WATER_BYTES = 8 * 1024 * 1024;

/** zongji's undeclared internals this reader relies on (see the file comment). */
interface ZongJiInternals {
  /** The binlog connection (mysql2), paused and resumed for flow control. */
  connection?: { pause(): void; resume(): void };
  /** Looks up a table's columns when its table map is first seen; replaced by `describe`. */
  _fetchTableInfo(event: { tableId: number; schemaName: string; tableName: string }, next: () => void): void;
  /** Column metadata per table id, as `_fetchTableInfo` stores it. */
  tableMap: Record<number, { columnSchemas: ColumnSchema[]; parentSchema: string; tableName: string }>;
}

/** The fields of zongji's events this reader reads (zongji's own types are per event class). */
interface ZongJiEvent {
  /** Event class: `WriteRows`, `Xid`, `Query`, `MariadbGtid`, `Rotate`, … */
  getTypeName(): string;
  /** Offset in the current file after this event (0 inside MariaDB transactions and for artificial events). */
  nextPosition: number;
  /** Size of the event in bytes. */
  size: number;
  /** Header timestamp, ms since the epoch (second precision). */
  timestamp: number;
  /** GTID of the transaction (`domain-server-sequence` on MariaDB). */
  gtid?: string;
  /** Rows events: the table id their table map announced. */
  tableId?: number;
  /** Rows events: zongji's table maps, with decoded column names and type codes. */
  tableMap?: Record<
    number,
    { parentSchema: string; tableName: string; columns: { name: string; type: number }[] }
  >;
  /** Rows events: images keyed by column name (updates as before/after pairs). */
  rows?: (Record<string, unknown> | { before: Record<string, unknown>; after: Record<string, unknown> })[];
  /** Query events: the statement. */
  query?: string;
  /** Query events: the default database of the statement. */
  schema?: string;
  /** MariaDB GTID events: the group is one statement (DDL), without BEGIN/COMMIT. */
  standalone?: boolean;
  /** Rotate events: the next file. */
  binlogName?: string;
  /** Rotate events: the offset in the next file. */
  position?: number;
  /** Rows events: which columns the (before) images carry, one bit per column. */
  columns_present_bitmap?: Buffer;
  /** Update events: which columns the after images carry. */
  columns_present_bitmap2?: Buffer;
}

const ROW_OPS: Record<string, 'i' | 'u' | 'd'> = { WriteRows: 'i', UpdateRows: 'u', DeleteRows: 'd' };

export class BinlogReader {
  private readonly zongji: ZongJi & ZongJiInternals;
  private readonly queue: BinlogItem[] = [];
  private queuedBytes = 0;
  private paused = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  private file: string;
  private inTransaction = false;
  private standalone = false;
  private capturedRows = false;
  private gtid: string | undefined;
  private stopped = false;

  constructor(private readonly options: BinlogReaderOptions) {
    this.file = options.from.file;
    this.zongji = new ZongJi({
      ...options.connection,
      // Values as MySQL's text protocol would print them (see mysql-binlog-values.ts).
      dateStrings: true,
      jsonStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      timezone: 'Z',
    }) as ZongJi & ZongJiInternals;
    this.zongji._fetchTableInfo = (event, next) => this.fetchTableInfo(event, next);
    this.zongji.on('binlog', (event: unknown) => {
      try {
        this.onEvent(event as ZongJiEvent);
      } catch (error) {
        this.fail(error);
      }
    });
    this.zongji.on('error', (error: unknown) => this.fail(error));
  }

  /** Connects and starts the dump at `from`, as replica `serverId` (unique among the server's replicas). */
  start(serverId: number): void {
    const includeSchema = Object.fromEntries(
      [...this.options.tables].map(([database, tables]) => [database, [...tables]]),
    );
    this.zongji.start({
      serverId,
      filename: this.options.from.file,
      position: this.options.from.pos,
      includeSchema,
    });
  }

  /**
   * The next item, or undefined when none arrived within `waitMs` (the caller checks its clock
   * and signal). Throws what the server or the decoder reported.
   */
  async next(waitMs: number): Promise<BinlogItem | undefined> {
    if (this.queue.length === 0 && !this.failure && waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        timer = setTimeout(resolve, waitMs);
      });
      clearTimeout(timer);
      this.wake = undefined;
    }
    const item = this.queue.shift();
    if (item === undefined) {
      if (this.failure) throw this.failure.error;
      return undefined;
    }
    if (item.kind === 'rows') {
      this.queuedBytes -= item.bytes;
      if (this.paused && this.queuedBytes < LOW_WATER_BYTES) {
        this.paused = false;
        this.zongji.connection?.resume();
      }
    }
    return item;
  }

  /** Bytes of row events decoded and waiting for `next()` (flow control keeps it near 32 MiB at most). */
  get waitingBytes(): number {
    return this.queuedBytes;
  }

  /** Disconnects. Safe to call twice. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.zongji.stop();
  }

  private push(item: BinlogItem): void {
    this.queue.push(item);
    if (item.kind === 'rows') {
      this.queuedBytes += item.bytes;
      // Paused again on every event over the mark: zongji resumes the connection itself after
      // each table lookup, which would otherwise undo the pause for good.
      if (this.queuedBytes >= HIGH_WATER_BYTES) {
        this.paused = true;
        this.zongji.connection?.pause();
      }
    }
    this.wake?.();
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    this.wake?.();
  }

  private position(pos: number): BinlogPosition {
    return this.gtid ? { file: this.file, pos, gtid: this.gtid } : { file: this.file, pos };
  }

  private onEvent(event: ZongJiEvent): void {
    const type = event.getTypeName();
    const op = ROW_OPS[type];
    if (op) return this.onRows(event, op);
    switch (type) {
      case 'Rotate':
        // The dump starts with an artificial rotate naming the start file; a real one ends a file.
        if (event.binlogName) this.file = event.binlogName;
        if (!this.inTransaction && event.position)
          this.push({ kind: 'progress', position: this.position(event.position) });
        return;
      case 'MariadbGtid':
        // MariaDB's GTID replaces BEGIN; DDL gets a GTID flagged standalone.
        this.inTransaction = true;
        this.standalone = event.standalone === true;
        this.gtid = event.gtid;
        return;
      case 'XaPrepare':
        // The rows so far commit or roll back later, in another event group.
        if (this.capturedRows)
          this.push({
            kind: 'unloggable',
            table: this.capturedTables(),
            what: 'an XA transaction (XA PREPARE)',
          });
        return;
      case 'Gtid':
      case 'AnonymousGtid':
        // MySQL: a group starts here and is one statement (DDL) unless a BEGIN follows.
        this.inTransaction = true;
        this.standalone = true;
        this.gtid = event.gtid;
        return;
      case 'Xid':
        return this.commit(event);
      case 'Query':
        return this.onQuery(event);
      case 'TableMap':
        return;
    }
    if (!this.inTransaction && event.nextPosition > 0) {
      this.push({ kind: 'progress', position: this.position(event.nextPosition) });
    }
  }

  private commit(event: ZongJiEvent): void {
    this.inTransaction = false;
    this.capturedRows = false;
    this.standalone = false;
    this.push({ kind: 'commit', position: this.position(event.nextPosition), timestamp: event.timestamp });
  }

  private onQuery(event: ZongJiEvent): void {
    const query = (event.query ?? '').trim();
    if (/^BEGIN$/i.test(query)) {
      this.inTransaction = true;
      this.standalone = false;
      return;
    }
    if (/^COMMIT$/i.test(query)) return this.commit(event);
    // A data change logged as its statement (a session with binlog_format=STATEMENT/MIXED): its
    // rows are not in the log. Mentioning a captured table's name is enough to refuse it.
    if (isDataChangeStatement(query)) {
      const table = this.mentionedTable(query);
      if (table) this.push({ kind: 'unloggable', table, what: `the statement ${query.slice(0, 200)}` });
    }
    // A statement of its own: DDL (MariaDB marks its GTID standalone), or any statement outside
    // a transaction. Statements inside a transaction (SAVEPOINT…) do not end it.
    if (this.inTransaction && !this.standalone) return;
    const database = event.schema ?? '';
    for (const table of truncatedTables(query, database)) {
      if (this.captured(table)) this.push({ kind: 'truncate', table: table.join('.') });
    }
    for (const table of removedTables(query, database)) {
      if (this.captured(table)) this.push({ kind: 'table-gone', table: table.join('.'), statement: query });
    }
    this.commit(event);
  }

  private onRows(event: ZongJiEvent, op: 'i' | 'u' | 'd'): void {
    const map = event.tableId === undefined ? undefined : event.tableMap?.[event.tableId];
    if (!map || !this.captured([map.parentSchema, map.tableName])) return;
    const table = `${map.parentSchema}.${map.tableName}`;
    this.capturedRows = true;
    // A delete needs only the key; inserts and updates must carry every column (rule 2).
    const image = op === 'u' ? event.columns_present_bitmap2 : event.columns_present_bitmap;
    if (op !== 'd' && image && !allBitsSet(image, map.columns.length)) {
      this.push({
        kind: 'unloggable',
        table,
        what: 'a partial row image (binlog_row_image MINIMAL or NOBLOB in a session)',
      });
      return;
    }
    const rows = (event.rows ?? []).map((row) =>
      'after' in row && 'before' in row
        ? op === 'u'
          ? row.after
          : row.before
        : (row as Record<string, unknown>),
    ) as Record<string, unknown>[];
    this.push({
      kind: 'rows',
      table,
      op,
      columns: map.columns.map((c) => c.name),
      types: map.columns.map((c) => c.type),
      rows,
      bytes: event.size,
    });
  }

  /** The first captured table (`database.table`) whose name appears in `query` as a word, if any. */
  private mentionedTable(query: string): string | undefined {
    for (const [database, tables] of this.options.tables) {
      for (const table of tables) {
        const name = table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        if (new RegExp(`(^|[^\\w$])${name}($|[^\\w$])`, 'i').test(query)) return `${database}.${table}`;
      }
    }
    return undefined;
  }

  /** The captured tables, for a message that cannot name one. */
  private capturedTables(): string {
    return [...this.options.tables]
      .flatMap(([database, tables]) => [...tables].map((t) => `${database}.${t}`))
      .join(', ');
  }

  private captured([database, table]: readonly [string, string] | string[]): boolean {
    return this.options.tables.get(database ?? '')?.has(table ?? '') ?? false;
  }

  private fetchTableInfo(
    event: { tableId: number; schemaName: string; tableName: string },
    next: () => void,
  ): void {
    this.options.describe(event.schemaName, event.tableName).then(
      (columnSchemas) => {
        this.zongji.tableMap[event.tableId] = {
          columnSchemas,
          parentSchema: event.schemaName,
          tableName: event.tableName,
        };
        next();
      },
      (error: unknown) => this.fail(error),
    );
  }
}

/** True when the first `count` bits of a columns-present bitmap are all set. */
function allBitsSet(bitmap: Buffer, count: number): boolean {
  for (let i = 0; i < count; i++) {
    if (((bitmap[i >> 3] ?? 0) & (1 << (i & 7))) === 0) return false;
  }
  return true;
}
