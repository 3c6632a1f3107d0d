/**
 * Reads a SQLite table into staged chunks: one statement stepped with iterate() (a single read
 * transaction, so one consistent snapshot), each value checked and encoded as canonical text,
 * rows gathered into large buffered writes, and a chunk closed at the first row end once it
 * holds plan.chunkBytes.
 */
import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';
import { SluiceError } from '../../core/errors.js';
import { encodeStageRow } from '../../core/stage-csv.js';
import type { StagedChunk, StreamPlan } from '../../core/stream.js';
import { StageChunkWriter } from '../stage-chunk-writer.js';
import { sqliteError } from './sqlite-errors.js';
import { ValueMismatch, describeValue, sqliteValueEncoder } from './sqlite-value-encoder.js';

/** Rows are gathered into writes of about this size: one write per row would be syscall-bound. */
const WRITE_BYTES = 1024 * 1024;

/** setReturnArrays exists since Node 22.16 but is missing from @types/node 22. */
type ArrayStatement = StatementSync & { setReturnArrays(enabled: boolean): void };

/** Quotes an identifier for SQLite. */
export function quoteSqliteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The rows of an incremental read (sqlite-incremental.ts): a condition, its parameters, an operation column. */
export interface SqliteWindow {
  /** SQL condition on the cursor, or null for every row. */
  where: string | null;
  /** Values bound to the condition's `?`s. */
  params: SQLInputValue[];
  /** SELECT expression of the `_sluice_op` value, or null. */
  operation: string | null;
}

export async function* readSqliteTable(
  db: DatabaseSync,
  file: string,
  plan: StreamPlan,
  window?: SqliteWindow,
): AsyncGenerator<StagedChunk> {
  const { namespace, name, columns } = plan.schema;
  const table = `${namespace}.${name}`;
  const exists = db.prepare(`SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?`).get(name);
  if (!exists) {
    throw new SluiceError('SOURCE_NOT_FOUND', `table ${table} does not exist in ${file}`, {
      hint: 'run discovery again to list the tables of the file',
    });
  }
  const select = columns.map((c) => quoteSqliteIdent(c.name)).join(', ');
  const extra = window?.operation ? `, ${window.operation}` : '';
  const where = window?.where ? ` WHERE ${window.where}` : '';
  const sql = `SELECT ${select}${extra} FROM main.${quoteSqliteIdent(name)}${where}`;
  const encoders = columns.map((c) => sqliteValueEncoder(c.type));

  const writer = new StageChunkWriter(plan.stageDir);
  let lines: string[] = [];
  let lineBytes = 0;
  const flush = async () => {
    if (lines.length === 0) return;
    await writer.write(Buffer.from(lines.join(''), 'utf8'), lines.length);
    lines = [];
    lineBytes = 0;
  };

  let complete = false;
  let rowNumber = 0;
  try {
    let rows: Iterable<SQLOutputValue[]>;
    try {
      const statement = db.prepare(sql) as ArrayStatement;
      statement.setReadBigInts(true);
      // Rows as arrays: building an object per row costs about as much as SQLite's own stepping.
      statement.setReturnArrays(true);
      rows = statement.iterate(...(window?.params ?? [])) as unknown as Iterable<SQLOutputValue[]>;
    } catch (error) {
      throw prepareError(error, file, table, sql);
    }
    for (const row of rows) {
      rowNumber += 1;
      const values = encoders.map((encode, i) => {
        try {
          return encode(row[i] ?? null);
        } catch (error) {
          throw mismatchError(error, plan, row, rowNumber, i);
        }
      });
      // The operation column follows the stream's columns (StagedChunk.operations).
      if (window?.operation) values.push(String(row[columns.length]));
      const line = encodeStageRow(values);
      lines.push(line);
      lineBytes += Buffer.byteLength(line, 'utf8');
      if (writer.bytes + lineBytes >= plan.chunkBytes) {
        await flush();
        const chunk = await writer.finish();
        if (chunk) yield chunk;
      } else if (lineBytes >= WRITE_BYTES) {
        await flush();
      }
    }
    await flush();
    const tail = await writer.finish();
    if (tail) yield tail;
    complete = true;
  } catch (error) {
    throw sqliteError(error, file, `reading ${table}`);
  } finally {
    if (!complete) await writer.abort();
  }
}

/** TYPE_UNSUPPORTED for a value that does not fit its column, naming table, column and row. */
function mismatchError(
  error: unknown,
  plan: StreamPlan,
  row: readonly SQLOutputValue[],
  rowNumber: number,
  index: number,
): unknown {
  if (!(error instanceof ValueMismatch)) return error;
  const { namespace, name, columns } = plan.schema;
  const keys = plan.primaryKey
    .map((key) => [key, columns.findIndex((c) => c.name === key)] as const)
    .filter(([, i]) => i >= 0)
    .map(([key, i]) => `${key}=${describeValue(row[i] ?? null)}`);
  const where = keys.length > 0 ? keys.join(', ') : `row ${rowNumber}`;
  return new SluiceError(
    'TYPE_UNSUPPORTED',
    `${namespace}.${name}.${columns[index]?.name} (${where}): ${error.message}`,
    {
      hint: 'SQLite does not enforce declared types: fix the value in the source, or declare the column with a type that holds it (e.g. TEXT)',
      cause: error,
    },
  );
}

function prepareError(error: unknown, file: string, table: string, sql: string): SluiceError {
  const message = error instanceof Error ? error.message : String(error);
  if (/no such column/i.test(message)) {
    return new SluiceError('SOURCE_NOT_FOUND', `${table}: ${message}`, {
      hint: 'the table changed since discovery; run discovery again',
      cause: error,
      sql,
    });
  }
  const mapped = sqliteError(error, file, `reading ${table}`);
  return new SluiceError(mapped.code, mapped.message, {
    hint: mapped.hint ?? 'see the SQL',
    retryable: mapped.retryable,
    cause: error,
    sql,
  });
}
