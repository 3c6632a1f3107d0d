/**
 * Splitting a large table into key ranges read by several connections side by side, without
 * giving up the single snapshot a full read promises.
 *
 * Separate MySQL connections cannot share one snapshot, so they are made to start on the same
 * data: a short-lived connection takes `LOCK TABLES t READ` (it waits for transactions that have
 * written t to end, and holds off new writes), reads MIN/MAX of the key, every range connection
 * then opens its consistent snapshot, and the lock is released — typically a few milliseconds.
 * Every snapshot therefore sees the same committed content of t. The lock waits at most one
 * second (new writes to t queue behind it that long at worst); without the LOCK TABLES
 * privilege, or when the lock is not granted in time, the table is read on one connection, in
 * one snapshot, as small tables always are.
 *
 * Ranges split the span MIN…MAX of the first primary key column (an integer) evenly; the first
 * and last are open-ended, so rows outside the span read at planning time cannot be missed.
 */
import type { Connection } from 'mysql2';
import type { StreamPlan } from '../../core/stream.js';
import type { MysqlConfig } from './mysql-config.js';
import { beginSnapshot, closeMysqlConnection, mysqlQuery } from './mysql-connection.js';
import { qualifiedMysqlTable } from './mysql-reader.js';
import { quoteMysqlIdent } from './mysql-types.js';

/** A half-open span of key values; null ends are unbounded. */
export interface KeyRange {
  /** Smallest key in the range (inclusive), or null for no lower bound. */
  from: bigint | null;
  /** First key after the range (exclusive), or null for no upper bound. */
  to: bigint | null;
}

/** One range's connection, with its snapshot open, and the condition that selects its rows. */
export interface RangeRead {
  /** Connection dedicated to the range, inside its consistent snapshot. */
  connection: Connection;
  /** SQL condition on the key column for the range's WHERE clause. */
  condition: string;
}

/** The integer key column a plan may be split on, or null when it is read on one connection. */
export function splitColumn(plan: StreamPlan, config: MysqlConfig): string | null {
  if (config.parallelism < 2) return null;
  if ((plan.schema.rowEstimate ?? 0) < config.splitMinRows) return null;
  const first = plan.schema.primaryKey[0];
  const column = plan.schema.columns.find((c) => c.name === first);
  if (!column || column.nullable) return null;
  return /^(tiny|small|medium|big)?int(eger)?\b/i.test(column.sourceType) ? column.name : null;
}

/** `parts` ranges covering every integer: boundaries spread evenly over min…max. */
export function keyRanges(min: bigint, max: bigint, parts: number): KeyRange[] {
  const span = max - min + 1n;
  const count = BigInt(Math.max(1, Math.min(parts, Number(span < 1n ? 1n : span))));
  const bounds: bigint[] = [];
  for (let i = 1n; i < count; i++) bounds.push(min + (span * i) / count);
  return Array.from({ length: Number(count) }, (_, i) => ({
    from: i === 0 ? null : (bounds[i - 1] as bigint),
    to: i === Number(count) - 1 ? null : (bounds[i] as bigint),
  }));
}

/** The WHERE condition selecting one range of `column`; TRUE for the unbounded range. */
export function rangeCondition(column: string, range: KeyRange): string {
  const ref = quoteMysqlIdent(column);
  const parts = [
    ...(range.from === null ? [] : [`${ref} >= ${range.from}`]),
    ...(range.to === null ? [] : [`${ref} < ${range.to}`]),
  ];
  return parts.length > 0 ? parts.join(' AND ') : 'TRUE';
}

/**
 * Opens one snapshot per range, all on the same content of the table (see the file comment).
 * Returns null when the table should be read on one connection instead: the lock was refused or
 * not granted in time, or the table is empty.
 */
export async function startRangeReads(
  open: () => Promise<Connection>,
  plan: StreamPlan,
  column: string,
  parallelism: number,
): Promise<RangeRead[] | null> {
  const table = qualifiedMysqlTable(plan);
  const lock = await open();
  const opened: Connection[] = [];
  let started = false;
  try {
    try {
      await mysqlQuery(lock, 'SET SESSION lock_wait_timeout = 1');
      await mysqlQuery(lock, `LOCK TABLES ${table} READ`);
    } catch {
      return null;
    }
    const ref = quoteMysqlIdent(column);
    const [bounds] = await mysqlQuery<{ lo: string | null; hi: string | null }>(
      lock,
      `SELECT MIN(${ref}) AS lo, MAX(${ref}) AS hi FROM ${table}`,
    );
    if (!bounds || bounds.lo === null || bounds.hi === null) return null;
    const ranges = keyRanges(BigInt(bounds.lo), BigInt(bounds.hi), parallelism);
    await Promise.all(
      ranges.map(async () => {
        const connection = await open();
        opened.push(connection);
        await beginSnapshot(connection);
      }),
    );
    await mysqlQuery(lock, 'UNLOCK TABLES');
    started = true;
    return ranges.map((range, i) => ({
      connection: opened[i] as Connection,
      condition: rangeCondition(column, range),
    }));
  } finally {
    // Ending the session releases the lock too, whatever happened above.
    await closeMysqlConnection(lock, started);
    if (!started) await Promise.all(opened.map((connection) => closeMysqlConnection(connection, false)));
  }
}
