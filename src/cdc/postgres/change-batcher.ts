/**
 * Gathers decoded pgoutput changes into one batch: per stream, segments of staged rows with
 * `_sluice_op` in log order. A TRUNCATE starts a segment that empties the table first (the
 * changes before it in the batch are dropped: the truncate wipes them anyway); a relation whose
 * columns grew (ADD COLUMN) starts a segment with the new columns, whose types are read from
 * the catalog.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { CanonicalColumn } from '../../core/canonical-types.js';
import { SluiceError } from '../../core/errors.js';
import { encodeStageRow } from '../../core/stage-csv.js';
import type { StreamPlan } from '../../core/stream.js';
import { StageChunkWriter } from '../../connectors/stage-chunk-writer.js';
import type { ChangeBatch, ChangeSegment, LogPosition, StreamChanges } from '../change-capture.js';
import { captureStreamKey } from '../change-capture.js';
import type { RelationMessage, TupleValue } from './pgoutput-decoder.js';
import { keyChanged, mapColumns, rowValues } from './pgoutput-rows.js';
import type { ColumnSource } from './pgoutput-rows.js';
import type { TableColumns } from './postgres-added-columns.js';

/** Reads the columns a table has now (for a column added mid-stream). */
export type ColumnLookup = (namespace: string, name: string) => Promise<TableColumns>;

/** Bytes of encoded rows held in memory per stream before they go to the chunk writer. */
const FLUSH_BYTES = 256 * 1024;

interface OpenSegment {
  truncateFirst: boolean;
  columns: CanonicalColumn[];
  writer: StageChunkWriter;
  text: string;
  rows: number;
}

interface StreamState {
  plan: StreamPlan;
  /** The stream's columns as the log has them now (grows with ADD COLUMN). */
  columns: CanonicalColumn[];
  /** Relation oid and its mapping onto `columns`, from the last Relation message. */
  relation: RelationMessage | undefined;
  sources: ColumnSource[];
  /** Type oid of each column as the log first described it in this run. */
  typeOids: Map<string, number>;
  /** Transactions that committed before this position are already in the stream's table. */
  from: bigint;
  done: ChangeSegment[];
  open: OpenSegment | undefined;
  changes: number;
}

export class ChangeBatcher {
  private readonly streams = new Map<string, StreamState>();
  private readonly byOid = new Map<number, StreamState>();
  // Unique per batcher: a retried stream must not collide with files an abandoned one left.
  private readonly id = randomBytes(4).toString('hex');
  private batchNumber = 0;
  private segmentNumber = 0;
  private commitTimes: number[] = [];
  private transactions = 0;
  private changes = 0;
  /** When the batch's first change arrived (ms), or null for an empty batch. */
  firstChangeAt: number | null = null;
  /** Commit LSN of the transaction being decoded. */
  private commitLsn = 0n;

  constructor(
    plans: StreamPlan[],
    from: ReadonlyMap<string, bigint>,
    private readonly stageDir: string,
    private readonly lookupColumns: ColumnLookup,
  ) {
    for (const plan of plans) {
      const key = captureStreamKey(plan);
      this.streams.set(key, {
        plan,
        columns: [...plan.schema.columns],
        relation: undefined,
        sources: [],
        typeOids: new Map(),
        from: from.get(key) ?? 0n,
        done: [],
        open: undefined,
        changes: 0,
      });
    }
  }

  /** Row changes staged in this batch. */
  get size(): number {
    return this.changes;
  }

  /** A transaction begins; its changes are kept for streams whose table does not have it yet. */
  begin(commitLsn: bigint): void {
    this.commitLsn = commitLsn;
  }

  /** A transaction committed. */
  commit(commitTime: number): void {
    this.transactions += 1;
    this.commitTimes.push(commitTime);
    // A batch of transactions that changed nothing Sluice follows still moves the position on.
    this.firstChangeAt ??= Date.now();
  }

  /** A Relation message: (re)maps the table's columns, evolving the stream on ADD COLUMN. */
  async relation(message: RelationMessage): Promise<void> {
    const state = this.streams.get(`${message.namespace}.${message.name}`);
    if (!state) return;
    this.byOid.set(message.oid, state);
    const table = `${message.namespace}.${message.name}`;
    const resnapshot = `re-snapshot the table with \`sluice sync --mode cdc --resnapshot --tables ${table}\``;
    // A type change rewrites the column's values in a form the table's type may not hold.
    for (const column of message.columns) {
      const before = state.typeOids.get(column.name);
      if (before !== undefined && before !== column.typeOid) {
        throw new SluiceError(
          'SCHEMA_CHANGE',
          `${table}: the type of column ${column.name} changed in the source`,
          {
            hint: resnapshot,
          },
        );
      }
      state.typeOids.set(column.name, column.typeOid);
    }
    const added = message.columns.filter((c) => !state.columns.some((s) => s.name === c.name));
    if (added.length > 0) {
      const now = await this.lookupColumns(message.namespace, message.name);
      for (const column of added) {
        const found = now.columns.find((c) => c.name === column.name);
        if (!found) {
          throw new SluiceError(
            'SCHEMA_CHANGE',
            `${table}: column ${column.name} appeared in the log but is no longer in the table`,
            {
              hint: resnapshot,
            },
          );
        }
        if (now.defaulted.includes(column.name)) {
          throw new SluiceError(
            'SCHEMA_CHANGE',
            `${table}: column ${column.name} was added with a default, which filled the existing rows without logging them`,
            { hint: resnapshot },
          );
        }
        state.columns.push(found);
      }
      // Rows from here on carry more columns: they cannot share a chunk with earlier ones.
      if (state.open) await this.closeSegment(state);
    }
    state.relation = message;
    state.sources = mapColumns(state.columns, message);
    // A column the table still has but the log leaves out would be written as NULL.
    const unlogged = state.sources.filter((s) => s.index < 0).map((s) => s.column.name);
    if (unlogged.length > 0) {
      const now = await this.lookupColumns(message.namespace, message.name);
      const present = unlogged.filter((name) => now.columns.some((c) => c.name === name));
      if (present.length > 0) {
        throw new SluiceError(
          'SCHEMA_CHANGE',
          `${table}: column ${present.join(', ')} is in the table but not in the log`,
          {
            hint: 'generated columns are logged from PostgreSQL 18 on; on older servers leave the table out of --mode cdc (--tables) or sync it with --mode full',
          },
        );
      }
    }
  }

  async insert(oid: number, tuple: TupleValue[]): Promise<void> {
    const state = this.target(oid);
    if (!state) return;
    await this.stage(state, rowValues(state.sources, tuple, state.relation!), 'i');
  }

  async update(oid: number, tuple: TupleValue[], old: TupleValue[] | null, oldIsKey: boolean): Promise<void> {
    const state = this.target(oid);
    if (!state) return;
    const relation = state.relation!;
    const keys = state.plan.primaryKey;
    // An update that changed the key is a delete of the old key and an insert of the new one.
    if (old && keyChanged(state.sources, keys, old, tuple)) {
      await this.stage(state, this.keyRow(state, old), 'd');
    }
    await this.stage(state, rowValues(state.sources, tuple, relation, old, oldIsKey), 'u');
  }

  async delete(oid: number, old: TupleValue[]): Promise<void> {
    const state = this.target(oid);
    if (!state) return;
    await this.stage(state, this.keyRow(state, old), 'd');
  }

  /** A TRUNCATE: what the batch staged for these tables is void; their tables are emptied first. */
  async truncate(oids: number[]): Promise<void> {
    for (const oid of oids) {
      const state = this.target(oid);
      if (!state) continue;
      if (state.open) await this.closeSegment(state);
      await Promise.all(state.done.map((s) => (s.chunk ? rm(s.chunk.path, { force: true }) : undefined)));
      state.done = [{ truncateFirst: true, columns: [...state.columns], chunk: null }];
      this.noteChange(state);
    }
  }

  /** Closes the batch at `position`; the next changes start a new one. */
  async finish(position: LogPosition, caughtUp: boolean): Promise<ChangeBatch> {
    const streams: StreamChanges[] = [];
    for (const [key, state] of this.streams) {
      if (state.open) await this.closeSegment(state);
      if (state.done.length > 0) streams.push({ stream: key, segments: state.done, changes: state.changes });
      state.done = [];
      state.changes = 0;
    }
    const batch: ChangeBatch = {
      position,
      streams,
      transactions: this.transactions,
      changes: this.changes,
      commitTimes: this.commitTimes,
      caughtUp,
    };
    this.batchNumber += 1;
    this.commitTimes = [];
    this.transactions = 0;
    this.changes = 0;
    this.firstChangeAt = null;
    return batch;
  }

  /** Deletes whatever the unfinished batch staged. */
  async discard(): Promise<void> {
    for (const state of this.streams.values()) {
      if (state.open) await state.open.writer.abort();
      state.open = undefined;
      await Promise.all(state.done.map((s) => (s.chunk ? rm(s.chunk.path, { force: true }) : undefined)));
      state.done = [];
    }
  }

  /** The stream a change of relation `oid` belongs to, unless its table already has this transaction. */
  private target(oid: number): StreamState | undefined {
    const state = this.byOid.get(oid);
    if (!state || this.commitLsn < state.from) return undefined;
    if (!state.relation)
      throw new SluiceError('SOURCE_READ', `pgoutput sent a change of relation ${oid} before describing it`);
    return state;
  }

  /** A delete row: the old tuple's values (the key; every column under REPLICA IDENTITY FULL). */
  private keyRow(state: StreamState, old: TupleValue[]): (string | null)[] {
    return state.sources.map(({ index }) => {
      const value = index >= 0 ? old[index] : null;
      return typeof value === 'string' ? value : null;
    });
  }

  private noteChange(state: StreamState): void {
    state.changes += 1;
    this.changes += 1;
    this.firstChangeAt ??= Date.now();
  }

  private async stage(state: StreamState, values: (string | null)[], op: 'i' | 'u' | 'd'): Promise<void> {
    state.open ??= {
      truncateFirst: false,
      columns: [...state.columns],
      writer: new StageChunkWriter(
        this.stageDir,
        `${this.id}-b${this.batchNumber}-g${this.segmentNumber++}-`,
      ),
      text: '',
      rows: 0,
    };
    const open = state.open;
    values.push(op);
    open.text += encodeStageRow(values);
    open.rows += 1;
    this.noteChange(state);
    if (open.text.length >= FLUSH_BYTES) await this.flush(open);
  }

  private async flush(open: OpenSegment): Promise<void> {
    if (open.rows === 0) return;
    await open.writer.write(Buffer.from(open.text, 'utf8'), open.rows);
    open.text = '';
    open.rows = 0;
  }

  private async closeSegment(state: StreamState): Promise<void> {
    const open = state.open;
    if (!open) return;
    state.open = undefined;
    await this.flush(open);
    const chunk = await open.writer.finish(null);
    if (!chunk) return;
    // A truncate segment with nothing staged yet takes the rows that follow it.
    const last = state.done.at(-1);
    if (last && last.chunk === null && last.truncateFirst) {
      state.done[state.done.length - 1] = {
        ...last,
        columns: open.columns,
        chunk: { ...chunk, operations: true },
      };
    } else {
      state.done.push({
        truncateFirst: open.truncateFirst,
        columns: open.columns,
        chunk: { ...chunk, operations: true },
      });
    }
  }
}
