/**
 * Reads one SELECT into staged chunks. The server streams the result set (nothing is held
 * whole); each row packet goes straight into a StageRowBuffer (`mysql-text-rows.ts`: values are
 * copied as their raw text-protocol bytes, so none passes through a JavaScript number, Date or
 * per-value Buffer), and `mysql-value-encoder.ts` handles the values that need their text
 * touched. When the buffer holds a write's worth of rows the connection is paused (mysql2 queues
 * what already arrived) until the rows are written, so the socket pushes back to the server and
 * memory stays flat whatever the table size. The caller owns the connection and its snapshot.
 */
import type { Connection } from 'mysql2';
import { SluiceError } from '../../core/errors.js';
import type { StagedChunk, StreamPlan } from '../../core/stream.js';
import type { StageChunkWriter } from '../stage-chunk-writer.js';
import { StageRowBuffer } from '../stage-row-buffer.js';
import { onConnectionLost } from './mysql-connection.js';
import { queryError } from './mysql-errors.js';
import { TextRowStager } from './mysql-text-rows.js';
import { mappingOfColumn, mysqlSelectExpression, quoteMysqlIdent } from './mysql-types.js';
import { ValueRejected, mysqlFieldEncoder } from './mysql-value-encoder.js';
import { RowPacketReader } from './mysql-row-packets.js';

/** Rows are gathered into writes of about this size: one write per row would be syscall-bound. */
const WRITE_BYTES = 1024 * 1024;

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
  const mappings = columns.map(mappingOfColumn);
  const out = new StageRowBuffer();
  let failure: { error: unknown } | undefined;
  let ended = false;
  let paused = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    notify();
  };
  // The rows' packets straight off the socket (mysql-row-packets.ts); when it cannot take them,
  // mysql2 hands them to the stager as its row parser. The reader pauses when a row handler
  // returns false; mysql2 is paused and resumed on the connection.
  let reader: RowPacketReader | null = null;
  const pause = () => {
    paused = true;
    if (!reader) connection.pause();
  };
  const resume = () => (reader ? reader.resume() : connection.resume());
  // Rows are taken while the buffer has room; a full buffer (or chunk) pauses the socket.
  const full = () => out.bytes >= WRITE_BYTES || writer.bytes + out.bytes >= plan.chunkBytes;
  const stager = new TextRowStager(
    out,
    mappings.map(mysqlFieldEncoder),
    mappings,
    () => {
      if (!paused && full()) {
        pause();
        notify();
      }
    },
    (error, row, column) => {
      pause();
      fail(rejectionError(error, plan, row, column, sql));
    },
  );
  const stopWatching = onConnectionLost(connection, fail);
  let complete = false;
  try {
    reader = RowPacketReader.install(connection, (buffer, start) => {
      stager.row(buffer, start);
      return !paused;
    });
    const query = connection.query({ sql, rowsAsArray: true, typeCast: false });
    stager.attach(query);
    query.on('error', fail).on('end', () => {
      ended = true;
      notify();
    });
    for (;;) {
      if (failure) throw failure.error;
      if (paused || ended) {
        const cut = writer.bytes + out.bytes >= plan.chunkBytes;
        await out.flushTo(writer);
        if (cut) {
          const chunk = await writer.finish();
          if (chunk) yield chunk;
        }
        if (ended) break;
        paused = false;
        // Replays the packets that arrived meanwhile, which may fill the buffer (and pause) again.
        resume();
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
    // A failure may have arrived during the last flush (TypeScript cannot see the callbacks set it).
    const late = failure as { error: unknown } | undefined;
    if (late) throw late.error;
    const tail = await writer.finish();
    if (tail) yield tail;
    complete = true;
  } catch (error) {
    throw queryError(error, `reading ${namespace}.${name}`, `${namespace}.${name}`, sql);
  } finally {
    reader?.detach();
    stopWatching();
    if (!complete) await writer.abort();
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
