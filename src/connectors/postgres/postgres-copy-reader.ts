/**
 * Reads a whole table with `COPY (SELECT …) TO STDOUT (FORMAT csv)`: PostgreSQL's own bulk
 * export, whose output under the settings below is already the stage dialect, streamed straight
 * into chunk files. One REPEATABLE READ READ ONLY transaction gives the read a single snapshot.
 * pg-copy-streams stops reading the socket while its buffer is full, so a slow disk or a slow
 * consumer of the chunks pushes back to the server and memory stays flat for any table size.
 */
import type pg from 'pg';
import type { SourcePosition, StagedChunk, StreamPlan } from '../../core/stream.js';
import { cursorColumnOf, drainChunks, keysPlan, withFinalPosition } from '../cursor-position.js';
import { splitCsvIntoChunks } from '../csv-chunk-splitter.js';
import { CopyOutStream } from './copy-out-stream.js';
import { readError } from './postgres-errors.js';
import { incrementalWindow, readHorizon } from './postgres-incremental.js';
import type { IncrementalWindow } from './postgres-incremental.js';
import { columnSelectExpression, qualifiedPgTable, quoteIdent } from './postgres-types.js';

/** Settings under which COPY's text output is the stage dialect's canonical text. */
export const BEGIN_READ = [
  'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  "SET LOCAL TimeZone = 'UTC'",
  "SET LOCAL DateStyle = 'ISO'",
  'SET LOCAL extra_float_digits = 3',
  "SET LOCAL bytea_output = 'hex'",
  "SET LOCAL IntervalStyle = 'postgres'",
  // A server-wide statement_timeout would cut long exports short.
  'SET LOCAL statement_timeout = 0',
].join('; ');

/**
 * The COPY statement that reads the plan's columns, in plan order; for an incremental read only
 * the window's rows, each followed by its operation when the window has one.
 */
export function copyStatement(plan: StreamPlan, window?: Omit<IncrementalWindow, 'position'>): string {
  const { columns } = plan.schema;
  const keyColumns = plan.primaryKey.filter((key) => columns.some((c) => c.name === key));
  const keyText = keyColumns.length > 0 ? `ROW(${keyColumns.map(quoteIdent).join(', ')})::text` : `''`;
  const select = columns.map((column, index) => columnSelectExpression(column, index, keyText));
  if (window?.operation) select.push(window.operation);
  const where = window?.where ? ` WHERE ${window.where}` : '';
  return `COPY (SELECT ${select.join(', ')} FROM ${qualifiedPgTable(plan.schema)}${where}) TO STDOUT WITH (FORMAT csv)`;
}

/**
 * Reads the table into staged chunks on a client dedicated to this read: every row, or for
 * mode incremental the rows from `from` on (postgres-incremental.ts), the last chunk carrying
 * the position reached.
 */
export async function* readTableWithCopy(
  client: pg.Client,
  plan: StreamPlan,
  from: SourcePosition | null = null,
): AsyncGenerator<StagedChunk> {
  let sql = copyStatement(plan);
  try {
    const incremental = plan.mode === 'incremental';
    // The horizon is read before the snapshot exists: see postgres-incremental.ts for why.
    const horizon = incremental ? await readHorizon(client, plan, cursorColumnOf(plan)) : null;
    await client.query(BEGIN_READ);
    const window = incremental ? await incrementalWindow(client, plan, from, horizon) : undefined;
    // Every key, in the same snapshot as the rows, when deletes are reconciled (cursor-position.ts).
    const keys = keysPlan(plan);
    if (keys) {
      sql = copyStatement(keys);
      await drainChunks(
        splitCsvIntoChunks(client.query(new CopyOutStream(sql)), keys.stageDir, keys.chunkBytes),
      );
    }
    sql = copyStatement(plan, window);
    const copy = client.query(new CopyOutStream(sql));
    // The driver may report a late error after the consumer stopped reading; it is handled by
    // closing the client, and must not become an unhandled 'error' event.
    copy.on('error', () => undefined);
    const chunks = splitCsvIntoChunks(copy, plan.stageDir, plan.chunkBytes);
    if (!window) yield* chunks;
    else {
      const operations = window.operation !== null;
      for await (const chunk of withFinalPosition(chunks, from, window.position)) {
        yield operations ? { ...chunk, operations } : chunk;
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    throw readError(error, plan, sql);
  }
}
