/**
 * Cursor-based incremental reads from SQLite, under the rules of `../cursor-position.ts`: one read
 * transaction holds the position query and the read, so both see one snapshot; `cursor >= ?` (the
 * position is the column's stored value as text, which SQLite compares under the column's own
 * affinity), NULL cursors on every run, a `_sluice_op` column from the soft-delete column, and
 * every key of the table when deletes are reconciled (`keysPlan`).
 *
 * No safety horizon is needed: SQLite has one writer at a time, so every row committed when the
 * read starts was written before the transaction still in progress (if any) began, and a
 * clock-derived cursor value it commits later is at or above every value the read saw.
 */
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import type { SourcePosition, StagedChunk, StreamPlan } from '../../core/stream.js';
import {
  cursorColumnOf,
  cursorStart,
  deleteMarkerSql,
  drainChunks,
  keysPlan,
  nextPosition,
  withFinalPosition,
} from '../cursor-position.js';
import { sqliteError } from './sqlite-errors.js';
import { quoteSqliteIdent, readSqliteTable } from './sqlite-reader.js';
import type { SqliteWindow } from './sqlite-reader.js';

export async function* readSqliteIncrementally(
  db: DatabaseSync,
  file: string,
  plan: StreamPlan,
  from: SourcePosition | null,
): AsyncGenerator<StagedChunk> {
  const column = quoteSqliteIdent(cursorColumnOf(plan).name);
  const start = cursorStart(plan, from);
  const window: SqliteWindow = {
    where: start === null ? null : `${column} >= ? OR ${column} IS NULL`,
    params: start === null ? [] : [start],
    operation: deleteMarkerSql(plan, quoteSqliteIdent),
  };
  const table = `main.${quoteSqliteIdent(plan.schema.name)}`;
  let open = false;
  try {
    db.exec('BEGIN');
    open = true;
    const reachedSql = `SELECT max(${column}) FROM ${table}${window.where ? ` WHERE ${window.where}` : ''}`;
    const statement = db.prepare(reachedSql);
    statement.setReadBigInts(true);
    const reached = Object.values(statement.get(...window.params) ?? {})[0] as SQLOutputValue | undefined;
    const position = nextPosition(
      plan,
      from,
      reached === null || reached === undefined ? null : String(reached),
    );
    // Every key, in the same transaction (snapshot) as the rows, when deletes are reconciled.
    const keys = keysPlan(plan);
    if (keys) await drainChunks(readSqliteTable(db, file, keys));
    const chunks = withFinalPosition(readSqliteTable(db, file, plan, window), from, position);
    for await (const chunk of chunks) yield window.operation ? { ...chunk, operations: true } : chunk;
  } catch (error) {
    throw sqliteError(error, file, `reading ${plan.schema.namespace}.${plan.schema.name}`);
  } finally {
    if (open) db.exec('COMMIT');
  }
}
