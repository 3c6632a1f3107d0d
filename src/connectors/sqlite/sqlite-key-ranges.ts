/**
 * SQLite full reads cut into ranges of the first primary key column (see
 * connectors/key-range-read.ts). The file is local, so the bounds are exact: the keys at the row
 * numbers `rangeFractions` gives, in key order (`row_number()` over the key's index). A bound
 * keeps its storage class in its text (`i:` integer, `r:` real, `t:` text, `b:` hex blob) and is
 * bound back as that class, so it compares exactly as the stored key does — SQLite orders values of different classes by class,
 * and text by the column's collation, in comparisons and ORDER BY alike. Every range of one call
 * is read in one read transaction: one snapshot of the file.
 */
import type { DatabaseSync, SQLInputValue, SQLOutputValue } from 'node:sqlite';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { StreamPlan } from '../../core/stream.js';
import type { KeyRangeEvent, KeyRangePlan } from '../key-range-read.js';
import { boundsFromSample, rangeBounds, rangeFractions } from '../key-range-read.js';
import { sqliteError } from './sqlite-errors.js';
import { quoteSqliteIdent, readSqliteTable } from './sqlite-reader.js';

/** Plans ranges of about `rowsPerRange` rows of `plan`'s table. */
export function planSqliteKeyRanges(
  db: DatabaseSync,
  file: string,
  plan: StreamPlan,
  rowsPerRange: number,
  maxRanges: number,
): KeyRangePlan {
  const column = plan.schema.columns.find((c) => c.name === plan.primaryKey[0]);
  if (!column) return { column: null, bounds: [] };
  const key = quoteSqliteIdent(column.name);
  const table = `main.${quoteSqliteIdent(plan.schema.name)}`;
  try {
    const count = Number(Object.values(db.prepare(`SELECT count(*) FROM ${table}`).get() ?? {})[0] ?? 0);
    const parts = Math.min(maxRanges, Math.ceil(count / Math.max(1, rowsPerRange)));
    if (parts <= 1) return { column: column.name, bounds: [] };
    // The key at each fraction's row number (1-based) starts a range; row 1 stands for the
    // smallest key, which starts nothing (range 0 already begins below it) and is dropped.
    const rowNumbers = [1, ...rangeFractions(parts, maxRanges).map((f) => Math.floor(f * count) + 1)];
    const statement = db.prepare(
      `SELECT k FROM (SELECT ${key} AS k, row_number() OVER (ORDER BY ${key}) AS n FROM ${table} WHERE ${key} IS NOT NULL) WHERE n IN (${[...new Set(rowNumbers)].join(', ')}) ORDER BY n`,
    );
    statement.setReadBigInts(true);
    const keys = statement.all().map((row) => encodeBound(Object.values(row)[0] as SQLOutputValue));
    return { column: column.name, bounds: boundsFromSample(keys, keys.length) };
  } catch (error) {
    throw sqliteError(error, file, `splitting ${plan.schema.namespace}.${plan.schema.name} into key ranges`);
  }
}

/** Reads `ranges` of `keys` in one read transaction: each range's chunks, then its end. */
export async function* readSqliteKeyRanges(
  db: DatabaseSync,
  file: string,
  plan: StreamPlan,
  keys: KeyRangePlan,
  ranges: readonly number[],
): AsyncGenerator<KeyRangeEvent> {
  let index = 0;
  let open = false;
  try {
    db.exec('BEGIN');
    open = true;
    for (const range of ranges) {
      const stageDir = path.join(plan.stageDir, `range-${range}`);
      await mkdir(stageDir, { recursive: true });
      const window = { ...rangeWindow(keys, range), operation: null };
      for await (const chunk of readSqliteTable(db, file, { ...plan, stageDir }, window)) {
        yield { range, chunk: { ...chunk, index: index++ } };
      }
      yield { range, done: true };
    }
  } finally {
    if (open) db.exec('COMMIT');
  }
}

/** The condition and parameters selecting range `index` (NULL keys in range 0). */
function rangeWindow(keys: KeyRangePlan, index: number): { where: string | null; params: SQLInputValue[] } {
  const { from, to } = rangeBounds(keys, index);
  if (keys.column === null || (from === null && to === null)) return { where: null, params: [] };
  const ref = quoteSqliteIdent(keys.column);
  if (from === null) return { where: `(${ref} < ? OR ${ref} IS NULL)`, params: [decodeBound(to as string)] };
  if (to === null) return { where: `${ref} >= ?`, params: [decodeBound(from)] };
  return { where: `${ref} >= ? AND ${ref} < ?`, params: [decodeBound(from), decodeBound(to)] };
}

function encodeBound(value: SQLOutputValue): string {
  if (typeof value === 'bigint') return `i:${value}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `i:${value}` : `r:${value}`;
  if (typeof value === 'string') return `t:${value}`;
  if (value instanceof Uint8Array) return `b:${Buffer.from(value).toString('hex')}`;
  return 't:';
}

function decodeBound(text: string): SQLInputValue {
  const body = text.slice(2);
  if (text.startsWith('i:')) return BigInt(body);
  if (text.startsWith('r:')) return Number(body);
  if (text.startsWith('b:')) return Buffer.from(body, 'hex');
  return body;
}
