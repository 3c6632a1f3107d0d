/**
 * Reads a whole table with `COPY (SELECT …) TO STDOUT (FORMAT csv)`: PostgreSQL's own bulk
 * export, whose output under the settings below is already the stage dialect, streamed straight
 * into chunk files. One REPEATABLE READ READ ONLY transaction gives the read a single snapshot.
 * pg-copy-streams stops reading the socket while its buffer is full, so a slow disk or a slow
 * consumer of the chunks pushes back to the server and memory stays flat for any table size.
 */
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { StagedChunk, StreamPlan } from '../../core/stream.js';
import { splitCsvIntoChunks } from '../csv-chunk-splitter.js';
import { readError } from './postgres-errors.js';
import { columnSelectExpression, quoteIdent } from './postgres-types.js';

/** Settings under which COPY's text output is the stage dialect's canonical text. */
const BEGIN_READ = [
  'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  "SET LOCAL TimeZone = 'UTC'",
  "SET LOCAL DateStyle = 'ISO'",
  'SET LOCAL extra_float_digits = 3',
  "SET LOCAL bytea_output = 'hex'",
  "SET LOCAL IntervalStyle = 'postgres'",
  // A server-wide statement_timeout would cut long exports short.
  'SET LOCAL statement_timeout = 0',
].join('; ');

/** The COPY statement that reads the plan's columns, in plan order. */
export function copyStatement(plan: StreamPlan): string {
  const { namespace, name, columns } = plan.schema;
  const keyColumns = plan.primaryKey.filter((key) => columns.some((c) => c.name === key));
  const keyText = keyColumns.length > 0 ? `ROW(${keyColumns.map(quoteIdent).join(', ')})::text` : `''`;
  const select = columns.map((column, index) => columnSelectExpression(column, index, keyText)).join(', ');
  return `COPY (SELECT ${select} FROM ${quoteIdent(namespace)}.${quoteIdent(name)}) TO STDOUT WITH (FORMAT csv)`;
}

/** Reads the table into staged chunks on a client dedicated to this read. */
export async function* readTableWithCopy(client: pg.Client, plan: StreamPlan): AsyncGenerator<StagedChunk> {
  const sql = copyStatement(plan);
  try {
    await client.query(BEGIN_READ);
    const copy = client.query(copyTo(sql));
    // The driver may report a late error after the consumer stopped reading; it is handled by
    // closing the client, and must not become an unhandled 'error' event.
    copy.on('error', () => undefined);
    yield* splitCsvIntoChunks(copy, plan.stageDir, plan.chunkBytes);
    await client.query('COMMIT');
  } catch (error) {
    throw readError(error, plan, sql);
  }
}
