/**
 * One batch of binlog changes being staged: per stream, segments of full rows plus the
 * `_sluice_op` field, in log order, each segment one chunk file. A TRUNCATE, or rows that carry
 * more columns than the segment (a column added at the end of the table), start a new segment,
 * so nothing after them in the batch is lost (rule 3 of `src/cdc/README.md`).
 */
import { mkdir } from 'node:fs/promises';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError } from '../../core/errors.js';
import { quoteMysqlIdent } from '../../connectors/mysql/mysql-types.js';
import { ValueRejected } from '../../connectors/mysql/mysql-value-encoder.js';
import { StageChunkWriter } from '../../connectors/stage-chunk-writer.js';
import { StageRowBuffer } from '../../connectors/stage-row-buffer.js';
import type { ChangeBatch, ChangeSegment, LogPosition, StreamChanges } from '../change-capture.js';
import { binlogFieldWriter } from './mysql-binlog-values.js';
import type { BinlogFieldWriter } from './mysql-binlog-values.js';

/** Rows are gathered into writes of about this size. */
const WRITE_BYTES = 1024 * 1024;

/** A segment being written. */
interface OpenSegment {
  /** Empty the table before this segment's rows (a TRUNCATE came first). */
  truncateFirst: boolean;
  /** The columns its rows carry. */
  columns: CanonicalColumn[];
  /** One value writer per column. */
  writers: BinlogFieldWriter[];
  /** Its chunk file. */
  writer: StageChunkWriter;
  /** Rows gathered before a write to the chunk file. */
  out: StageRowBuffer;
  /** Rows staged. */
  rows: number;
}

/** One stream's part of the batch. */
interface StreamState {
  /** `captureStreamKey` of the stream. */
  key: string;
  /** Key columns, for messages. */
  primaryKey: string[];
  /** Segments in log order. */
  segments: OpenSegment[];
  /** Row changes in all segments. */
  changes: number;
}

export class StagedChangeBatch {
  private readonly streams = new Map<string, StreamState>();
  private segmentCount = 0;
  /** Row changes staged so far. */
  changes = 0;
  /** Transactions committed into the batch so far. */
  transactions = 0;
  /** Source commit times of those transactions (ms since the epoch). */
  readonly commitTimes: number[] = [];
  /** Wall-clock time of the first change (ms), for the `maxMs` bound; null while empty. */
  firstChangeAt: number | null = null;

  /**
   * @param dir the capture's directory for change chunks (created on first use)
   * @param name unique name of this batch, the prefix of its chunk files
   */
  constructor(
    private readonly dir: string,
    private readonly name: string,
  ) {}

  /** Appends rows of one stream, with `columns` describing them (the stream's columns at that point of the log). */
  async addRows(
    key: string,
    primaryKey: string[],
    columns: CanonicalColumn[],
    op: 'i' | 'u' | 'd',
    rows: readonly Record<string, unknown>[],
  ): Promise<void> {
    const segment = await this.segmentFor(key, primaryKey, columns, false);
    const stream = this.streams.get(key) as StreamState;
    for (const row of rows) {
      for (let i = 0; i < segment.columns.length; i++) {
        const column = segment.columns[i] as CanonicalColumn;
        const value = row[column.name];
        // A column the row's image lacks was added after the row was logged, as NULL (see streamOf).
        if (value === null || (value === undefined && !(column.name in row))) {
          segment.out.nullField();
          continue;
        }
        try {
          (segment.writers[i] as BinlogFieldWriter)(value, segment.out);
        } catch (error) {
          throw rejection(error, key, column, primaryKey, row);
        }
      }
      segment.out.asciiField(op);
      segment.out.endRow();
      segment.rows++;
      if (segment.out.bytes >= WRITE_BYTES) await segment.out.flushTo(segment.writer);
    }
    stream.changes += rows.length;
    this.changes += rows.length;
    this.firstChangeAt ??= Date.now();
  }

  /** A TRUNCATE of the stream at this point of the log. */
  async truncate(key: string, primaryKey: string[], columns: CanonicalColumn[]): Promise<void> {
    const current = this.streams.get(key)?.segments.at(-1);
    if (current && current.rows === 0) {
      current.truncateFirst = true;
    } else {
      await this.segmentFor(key, primaryKey, current?.columns ?? columns, true);
    }
    this.firstChangeAt ??= Date.now();
  }

  /** True when the batch holds no stream changes (a heartbeat if yielded). */
  get empty(): boolean {
    return this.streams.size === 0;
  }

  /** Closes every segment's file and describes the batch. */
  async finish(position: LogPosition, caughtUp: boolean): Promise<ChangeBatch> {
    const streams: StreamChanges[] = [];
    for (const stream of this.streams.values()) {
      const segments: ChangeSegment[] = [];
      for (const segment of stream.segments) {
        await segment.out.flushTo(segment.writer);
        const chunk = await segment.writer.finish(position);
        segments.push({
          truncateFirst: segment.truncateFirst,
          columns: segment.columns,
          chunk: chunk ? { ...chunk, operations: true } : null,
        });
      }
      streams.push({ stream: stream.key, segments, changes: stream.changes });
    }
    return {
      position,
      streams,
      transactions: this.transactions,
      changes: this.changes,
      commitTimes: this.commitTimes,
      caughtUp,
    };
  }

  /** Deletes unfinished chunk files (a batch abandoned on abort or error). */
  async abort(): Promise<void> {
    for (const stream of this.streams.values()) {
      for (const segment of stream.segments) await segment.writer.abort();
    }
  }

  private async segmentFor(
    key: string,
    primaryKey: string[],
    columns: CanonicalColumn[],
    truncateFirst: boolean,
  ): Promise<OpenSegment> {
    let stream = this.streams.get(key);
    if (!stream) {
      stream = { key, primaryKey, segments: [], changes: 0 };
      this.streams.set(key, stream);
    }
    const current = stream.segments.at(-1);
    if (current && !truncateFirst && current.columns === columns) return current;
    if (current) await current.out.flushTo(current.writer);
    // One flat directory, files named per batch and segment: the runner deletes each chunk once
    // applied (it may read batches ahead), so nothing here deletes anything.
    await mkdir(this.dir, { recursive: true });
    const prefix = `${this.name}-g${String(this.segmentCount++).padStart(4, '0')}-`;
    const segment: OpenSegment = {
      truncateFirst,
      columns,
      writers: columns.map(binlogFieldWriter),
      writer: new StageChunkWriter(this.dir, prefix),
      out: new StageRowBuffer(64 * 1024),
      rows: 0,
    };
    stream.segments.push(segment);
    return segment;
  }
}

/** TYPE_UNSUPPORTED for a value the canonical type cannot carry, naming table, column, value and key. */
function rejection(
  error: unknown,
  key: string,
  column: CanonicalColumn,
  primaryKey: string[],
  row: Record<string, unknown>,
): unknown {
  if (!(error instanceof ValueRejected)) return error;
  const at = primaryKey.map((name) => `${name}=${String(row[name])}`).join(', ');
  return new SluiceError(
    'TYPE_UNSUPPORTED',
    `${key}.${column.name}: value ${error.value} (row key ${at}) in the binlog cannot be carried as ${column.type.kind} (MySQL ${column.sourceType})`,
    {
      hint: `zero and invalid dates have no equivalent in the lake: set them to NULL or a real date in the source (e.g. UPDATE … SET ${quoteMysqlIdent(column.name)} = NULL WHERE ${quoteMysqlIdent(column.name)} = '${error.value}'), then re-snapshot with \`sluice sync --mode cdc --resnapshot\``,
      cause: error,
    },
  );
}
