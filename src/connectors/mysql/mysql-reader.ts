/**
 * Reads one SELECT into staged chunks. mysql2 streams the result set (the server sends rows as it
 * reads them; nothing is held whole), each value as its raw text-protocol bytes (`typeCast:
 * false`, so no value passes through a JavaScript number or Date), and `mysql-value-encoder.ts`
 * writes each into a StageRowBuffer. The driver's stream pauses the socket while its row buffer
 * is full, and rows are pulled only as fast as the chunk files are written and taken, so memory
 * stays flat whatever the table size. The caller owns the connection and its snapshot.
 */
import type { Readable } from 'node:stream';
import type { Connection } from 'mysql2';
import { SluiceError } from '../../core/errors.js';
import type { StagedChunk, StreamPlan } from '../../core/stream.js';
import type { StageChunkWriter } from '../stage-chunk-writer.js';
import { StageRowBuffer } from '../stage-row-buffer.js';
import { onConnectionLost } from './mysql-connection.js';
import { queryError } from './mysql-errors.js';
import { mappingOfColumn, mysqlSelectExpression, quoteMysqlIdent } from './mysql-types.js';
import { ValueRejected, mysqlFieldEncoder } from './mysql-value-encoder.js';

/** Rows are gathered into writes of about this size: one write per row would be syscall-bound. */
const WRITE_BYTES = 1024 * 1024;
/** Rows the driver may hold ahead of the encoder before it pauses the socket. */
const ROWS_AHEAD = 4096;

/** `database`.`table`, as the read names it. */
export function qualifiedMysqlTable(plan: StreamPlan): string {
  return `${quoteMysqlIdent(plan.schema.namespace)}.${quoteMysqlIdent(plan.schema.name)}`;
}

/** The SELECT that reads the plan's columns, in plan order, optionally of one key range. */
export function mysqlSelectStatement(plan: StreamPlan, condition?: string): string {
  const select = plan.schema.columns.map((c) => mysqlSelectExpression(c.name, mappingOfColumn(c))).join(', ');
  return `SELECT ${select} FROM ${qualifiedMysqlTable(plan)}${condition ? ` WHERE ${condition}` : ''}`;
}

/** Streams `sql` on the connection into chunk files written by `writer`. */
export async function* stageMysqlSelect(
  connection: Connection,
  plan: StreamPlan,
  sql: string,
  writer: StageChunkWriter,
): AsyncGenerator<StagedChunk> {
  const { namespace, name, columns } = plan.schema;
  const encoders = columns.map((column) => mysqlFieldEncoder(mappingOfColumn(column)));
  const out = new StageRowBuffer();
  let complete = false;
  try {
    const query = connection.query({ sql, rowsAsArray: true, typeCast: false });
    for await (const batch of rowBatches(query.stream({ highWaterMark: ROWS_AHEAD }), connection)) {
      for (const row of batch as (Buffer | null)[][]) {
        for (let i = 0; i < encoders.length; i++) {
          const value = row[i];
          if (value === null || value === undefined) {
            out.nullField();
            continue;
          }
          try {
            (encoders[i] as (typeof encoders)[number])(value, out);
          } catch (error) {
            throw rejectionError(error, plan, row, i, sql);
          }
        }
        out.endRow();
        if (writer.bytes + out.bytes >= plan.chunkBytes) {
          await out.flushTo(writer);
          const chunk = await writer.finish();
          if (chunk) yield chunk;
        } else if (out.bytes >= WRITE_BYTES) {
          await out.flushTo(writer);
        }
      }
    }
    await out.flushTo(writer);
    const tail = await writer.finish();
    if (tail) yield tail;
    complete = true;
  } catch (error) {
    throw queryError(error, `reading ${namespace}.${name}`, `${namespace}.${name}`, sql);
  } finally {
    if (!complete) await writer.abort();
  }
}

/**
 * The rows of a result stream in batches: everything buffered is taken synchronously, so the
 * consumer pays one await per batch instead of one per row. A lost connection ends it too
 * (mysql2 does not report that on a streaming query).
 */
async function* rowBatches(stream: Readable, connection: Connection): AsyncGenerator<unknown[]> {
  let failure: { error: unknown } | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (error: unknown) => {
    failure = { error };
    notify();
  };
  stream.on('readable', notify).on('end', onEnd).on('error', onError);
  const stopWatching = onConnectionLost(connection, onError);
  try {
    for (;;) {
      if (failure) throw failure.error;
      const batch: unknown[] = [];
      for (let row = stream.read() as unknown; row !== null; row = stream.read() as unknown) batch.push(row);
      if (batch.length > 0) {
        yield batch;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('readable', notify).off('end', onEnd).off('error', onError);
    stopWatching();
    // A late driver error after we stopped must not become an unhandled 'error' event.
    stream.on('error', () => undefined);
  }
}

/** TYPE_UNSUPPORTED for a value the canonical type cannot carry, naming table, column, value and key. */
function rejectionError(
  error: unknown,
  plan: StreamPlan,
  row: readonly (Buffer | null)[],
  index: number,
  sql: string,
): unknown {
  if (!(error instanceof ValueRejected)) return error;
  const { namespace, name, columns } = plan.schema;
  const column = columns[index];
  const keys = plan.primaryKey
    .map((key) => [key, columns.findIndex((c) => c.name === key)] as const)
    .filter(([, i]) => i >= 0)
    .map(([key, i]) => `${key}=${row[i]?.toString('utf8') ?? 'NULL'}`);
  const at = keys.length > 0 ? ` (row key ${keys.join(', ')})` : '';
  const columnName = column?.name ?? '?';
  return new SluiceError(
    'TYPE_UNSUPPORTED',
    `${namespace}.${name}.${columnName}: value ${error.value}${at} cannot be carried as ${column?.type.kind} (MySQL ${column?.sourceType})`,
    {
      hint: `zero and invalid dates have no equivalent in the lake: set them to NULL or a real date in the source (e.g. UPDATE ${quoteMysqlIdent(name)} SET ${quoteMysqlIdent(columnName)} = NULL WHERE ${quoteMysqlIdent(columnName)} = '${error.value}')`,
      cause: error,
      sql,
    },
  );
}
